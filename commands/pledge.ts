import {
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type SlashCommandSubcommandBuilder,
} from 'discord.js';
import { hasStaffRole } from '../src/bot/permissions.js';
import { NO_PINGS, replyOptions, sendCooldown, sendNotice, updateOptions } from '../src/bot/respond.js';
import { LIMITS } from '../src/cooldowns.js';
import { notifyMember, postReviewCard, retireReviewCard } from '../src/bot/reviewQueue.js';
import type { BotContext, ComponentHandler, ComponentInteraction } from '../src/bot/types.js';
import { en } from '../src/i18n/en.js';
import { fr } from '../src/i18n/fr.js';
import { localeFromDiscord, localizations, messages, type Messages } from '../src/i18n/index.js';
import { NOTE_MAX, PLATFORMS, REJECT_REASON_MAX, type Platform, type PledgeRecord } from '../src/pledges/index.js';
import { strippedCopy, takeScreenshot } from '../src/pledges/intake.js';
import { submitWithRecovery } from '../src/pledges/recover.js';
import { renderPledgeStatus, renderReviewCard, renderWithdrawConfirm, rejectReasonModal } from '../src/render/pledge.js';
import { StoreUnavailableError } from '../src/store/index.js';
import { sanitizeUserText } from '../src/text/sanitize.js';
import type { ImageRejection } from '../src/images/index.js';

/** Discord's default upload limit, used when an interaction does not say. */
const DEFAULT_UPLOAD_LIMIT = 8 * 1024 * 1024;

function sub(pick: (m: Messages) => { name: string; description: string }) {
  return (s: SlashCommandSubcommandBuilder) =>
    s
      .setName(pick(en).name)
      .setNameLocalizations(localizations((m) => pick(m).name))
      .setDescription(pick(en).description)
      .setDescriptionLocalizations(localizations((m) => pick(m).description));
}

export const data = new SlashCommandBuilder()
  .setName(en.pledge.name)
  .setNameLocalizations(localizations((m) => m.pledge.name))
  .setDescription(en.pledge.description)
  .setDescriptionLocalizations(localizations((m) => m.pledge.description))
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) =>
    sub((m) => ({ name: m.pledge.submitName, description: m.pledge.submitDescription }))(s)
      .addAttachmentOption((o) =>
        o
          .setName(en.pledge.screenshotName)
          .setNameLocalizations(localizations((m) => m.pledge.screenshotName))
          .setDescription(en.pledge.screenshotDescription)
          .setDescriptionLocalizations(localizations((m) => m.pledge.screenshotDescription))
          .setRequired(true),
      )
      .addStringOption((o) =>
        o
          .setName(en.pledge.platformName)
          .setNameLocalizations(localizations((m) => m.pledge.platformName))
          .setDescription(en.pledge.platformDescription)
          .setDescriptionLocalizations(localizations((m) => m.pledge.platformDescription))
          .addChoices(...PLATFORMS.map((p) => ({ name: en.pledge.platforms[p], name_localizations: { fr: fr.pledge.platforms[p] }, value: p }))),
      )
      .addStringOption((o) =>
        o
          .setName(en.pledge.noteName)
          .setNameLocalizations(localizations((m) => m.pledge.noteName))
          .setDescription(en.pledge.noteDescription)
          .setDescriptionLocalizations(localizations((m) => m.pledge.noteDescription))
          .setMaxLength(NOTE_MAX),
      ),
  )
  .addSubcommand(sub((m) => ({ name: m.pledge.statusName, description: m.pledge.statusDescription })))
  .addSubcommand(sub((m) => ({ name: m.pledge.withdrawName, description: m.pledge.withdrawDescription })));

function rejectionText(m: Messages, r: ImageRejection): string {
  if (r.code === 'unsupported-format') return m.pledge.rejection['unsupported-format'](r.format ?? 'this');
  return m.pledge.rejection[r.code];
}

function isPlatform(s: string | null): s is Platform {
  return (PLATFORMS as readonly string[]).includes(s ?? '');
}

async function submit(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext, m: Messages): Promise<void> {
  const allowed = ctx.cooldowns.take([{ key: `pledge:${interaction.guildId}:${interaction.user.id}`, limit: LIMITS.pledgeSubmitPerMember }]);
  if (!allowed.ok) return sendCooldown(interaction, allowed.retryAt, m.errors.cooldown);
  // Downloading and decoding can outlast Discord's 3-second window: acknowledge first.
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const attachment = interaction.options.getAttachment(en.pledge.screenshotName);
  if (!attachment) return void (await interaction.editReply({ content: m.pledge.noAttachment, allowedMentions: NO_PINGS }));

  const intake = await takeScreenshot(attachment.url, { allowedHosts: ctx.config.cdnHosts, declaredSize: attachment.size });
  if (!intake.ok) {
    ctx.log.info({ guild: interaction.guildId, code: intake.rejection.code, detail: intake.rejection.detail }, 'screenshot refused');
    return void (await interaction.editReply({ content: rejectionText(m, intake.rejection), allowedMentions: NO_PINGS }));
  }
  const settings = await ctx.settings.get(interaction.guildId);
  const uploadLimit = Math.min(interaction.attachmentSizeLimit || DEFAULT_UPLOAD_LIMIT, DEFAULT_UPLOAD_LIMIT);
  const copy = settings.keepScreenshots || settings.reviewChannelId ? await strippedCopy(intake.bytes, uploadLimit) : null;
  const platform = interaction.options.getString(en.pledge.platformName);

  const result = await submitWithRecovery(
    ctx.pledges,
    {
    guildId: interaction.guildId,
    userId: interaction.user.id,
    interactionId: interaction.id,
    platform: isPlatform(platform) ? platform : 'other',
    note: sanitizeUserText(interaction.options.getString(en.pledge.noteName) ?? '', NOTE_MAX),
    evidence: intake.evidence,
    ...(settings.keepScreenshots && copy ? { keptCopy: copy.bytes } : {}),
    // Automatic verification (OCR) is not built yet: every pledge waits for a moderator.
    autoVerify: false,
    },
    (err) => ctx.log.warn({ err, guild: interaction.guildId }, 'pledge recorded but its counts could not be repaired yet; start-up reconciliation will'),
  );
  if (result.outcome === 'invalid-record') throw new Error(`pledge record unreadable: ${result.error.issues.join('; ')}`);
  if (result.outcome === 'duplicate-interaction') {
    // Discord delivered the same interaction twice: the first delivery answers the member.
    return;
  }
  const n = result.record.pledgeId;
  let text =
    result.outcome === 'created'
      ? result.previousStatus
        ? m.pledge.renewed(n)
        : m.pledge.created(n)
      : result.outcome === 'replaced'
        ? m.pledge.replaced(n)
        : m.pledge.unchangedVerified(n);
  if (result.possibleDuplicate && result.outcome !== 'unchanged-verified') text += `\n${m.pledge.possibleDuplicate}`;
  try {
    // Durable before acknowledged: this edit only happens once submit() has resolved.
    await interaction.editReply({ content: text, allowedMentions: NO_PINGS });
  } finally {
    // The pledge is stored whether or not Discord took the answer: its milestone and card must follow.
    await ctx.milestones.afterChange(interaction.guildId, result.counts);
    if (result.outcome !== 'unchanged-verified') await postReviewCard(interaction.client, ctx, result.record, copy);
  }
}

async function status(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const found = await ctx.pledges.get(interaction.guildId, interaction.user.id);
  if (!found.ok) throw new Error(`pledge record unreadable: ${found.error.issues.join('; ')}`);
  await interaction.reply(replyOptions(renderPledgeStatus(found.record, locale), true));
}

async function withdrawPrompt(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext, m: Messages): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const found = await ctx.pledges.get(interaction.guildId, interaction.user.id);
  if (found.ok && (!found.record || found.record.status === 'withdrawn')) return sendNotice(interaction, m.pledge.withdrawNothing);
  await interaction.reply(replyOptions(renderWithdrawConfirm(interaction.user.id, locale), true));
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  if (!interaction.inGuild()) return;
  const m = messages(localeFromDiscord(interaction.locale));
  try {
    switch (interaction.options.getSubcommand()) {
      case en.pledge.submitName:
        return await submit(interaction, ctx, m);
      case en.pledge.statusName:
        return await status(interaction, ctx);
      case en.pledge.withdrawName:
        return await withdrawPrompt(interaction, ctx, m);
    }
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    // Nothing was acknowledged as recorded; the member can simply try again.
    ctx.log.warn({ err, guild: interaction.guildId }, 'store unavailable during /pledge');
    await sendNotice(interaction, m.pledge.storeDown);
  }
}

// ─── Buttons ────────────────────────────────────────────────────────────────────────────────────

function ownerOnly(handler: (i: ComponentInteraction, ctx: BotContext, m: Messages) => Promise<void>): ComponentHandler {
  return async (interaction, args, ctx) => {
    const m = messages(localeFromDiscord(interaction.locale));
    if (args[0] !== interaction.user.id) return sendNotice(interaction, m.pledge.notYours);
    await handler(interaction, ctx, m);
  };
}

const withdraw = ownerOnly(async (interaction, ctx, m) => {
  if (!interaction.inGuild() || !interaction.isButton()) return;
  try {
    const result = await ctx.pledges.withdraw({ guildId: interaction.guildId, userId: interaction.user.id, interactionId: interaction.id });
    await interaction.update({ content: result.ok ? m.pledge.withdrawn : m.pledge.withdrawNothing, components: [], allowedMentions: NO_PINGS });
    if (result.ok && result.record && !result.duplicateInteraction) await retireReviewCard(interaction.client, ctx, result.record);
    if (result.ok) await ctx.milestones.afterChange(interaction.guildId, result.counts);
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    await sendNotice(interaction, m.pledge.storeDown);
  }
});

const keep = ownerOnly(async (interaction, _ctx, m) => {
  if (interaction.isButton()) await interaction.update({ content: m.pledge.withdrawKept, components: [], allowedMentions: NO_PINGS });
});

type Decision = { pledgeId: number; version: number };

function parseDecision(args: string[]): Decision | null {
  const pledgeId = Number(args[0]);
  const version = Number(args[1]);
  return Number.isInteger(pledgeId) && pledgeId > 0 && Number.isInteger(version) && version > 0 ? { pledgeId, version } : null;
}

/** Checks that the presser may review and that the card still shows the pledge as it is; returns the record or answers. */
async function reviewable(interaction: ComponentInteraction, args: string[], ctx: BotContext): Promise<{ record: PledgeRecord; m: Messages } | null> {
  const m = messages(localeFromDiscord(interaction.locale));
  const d = parseDecision(args);
  if (!interaction.inGuild() || !d) return void (await sendNotice(interaction, m.errors.staleComponent)), null;
  const settings = await ctx.settings.get(interaction.guildId);
  if (!hasStaffRole(interaction, settings.moderatorRoleId)) return void (await sendNotice(interaction, m.review.notModerator)), null;
  const found = await ctx.pledges.getByNumber(interaction.guildId, d.pledgeId);
  if (!found.ok) throw new Error(`pledge record unreadable: ${found.error.issues.join('; ')}`);
  if (!found.record) return void (await sendNotice(interaction, m.review.gone)), null;
  if (found.record.version !== d.version) return void (await sendNotice(interaction, m.review.outdated)), null;
  return { record: found.record, m };
}

function cardImageUrl(interaction: ComponentInteraction): string | null {
  return interaction.message?.embeds[0]?.image?.url ?? null;
}

async function decide(interaction: ComponentInteraction, ctx: BotContext, record: PledgeRecord, decision: 'verified' | 'rejected', reason: string): Promise<void> {
  if (!interaction.inGuild() || !(interaction.isButton() || interaction.isModalSubmit())) return;
  const m = messages(localeFromDiscord(interaction.locale));
  const settings = await ctx.settings.get(interaction.guildId);
  const result = await ctx.pledges.review({
    guildId: interaction.guildId,
    pledgeId: record.pledgeId,
    expectedStatus: 'pending',
    decision,
    reviewerId: interaction.user.id,
    interactionId: interaction.id,
    // Checked again under the store's lock: the member may replace the screenshot while a moderator decides.
    expectedVersion: record.version,
    ...(reason ? { reason } : {}),
  });
  if (!result.ok && result.reason === 'evidence-changed') return sendNotice(interaction, m.review.outdated);
  const current = result.ok ? result.record : 'record' in result ? result.record : null;
  if (!current) return sendNotice(interaction, m.review.gone);
  const card = renderReviewCard({
    record: current,
    locale: settings.publicLocale,
    imageUrl: cardImageUrl(interaction),
    ...(current.reviewerId ? { reviewerMention: `<@${current.reviewerId}>` } : {}),
  });
  if (interaction.isButton() || interaction.isFromMessage()) await interaction.update(updateOptions(card));
  if (!result.ok) {
    await interaction.followUp({ content: m.review.alreadyDecided(m.pledge.statuses[current.status]), flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
    return;
  }
  if (result.duplicateInteraction) return;
  await ctx.milestones.afterChange(interaction.guildId, result.counts);
  const guildName = interaction.guild?.name ?? interaction.guildId;
  const dm = messages(settings.publicLocale);
  const text = decision === 'verified' ? dm.review.dmVerified(guildName, current.pledgeId) : dm.review.dmRejected(guildName, current.pledgeId, current.rejectReason ?? '');
  await notifyMember(interaction.client, ctx, current.userId, text);
}

const approve: ComponentHandler = async (interaction, args, ctx) => {
  const ok = await reviewable(interaction, args, ctx);
  if (ok) await decide(interaction, ctx, ok.record, 'verified', '');
};

const reject: ComponentHandler = async (interaction, args, ctx) => {
  const ok = await reviewable(interaction, args, ctx);
  if (ok && interaction.isButton()) await interaction.showModal(rejectReasonModal(ok.record.pledgeId, ok.record.version, localeFromDiscord(interaction.locale)));
};

const reason: ComponentHandler = async (interaction, args, ctx) => {
  const ok = await reviewable(interaction, args, ctx);
  if (!ok || !interaction.isModalSubmit()) return;
  const text = sanitizeUserText(interaction.fields.getTextInputValue('reason'), REJECT_REASON_MAX);
  await decide(interaction, ctx, ok.record, 'rejected', text);
};

/** A store outage while reviewing is a "try again later" for the moderator, not an error with a ref. */
function storeDownIsNotice(handler: ComponentHandler): ComponentHandler {
  return async (interaction, args, ctx) => {
    try {
      await handler(interaction, args, ctx);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      ctx.log.warn({ err, guild: interaction.guildId }, 'store unavailable during a pledge review');
      await sendNotice(interaction, messages(localeFromDiscord(interaction.locale)).pledge.storeDown);
    }
  };
}

export const components: Record<string, ComponentHandler> = {
  withdraw,
  keep,
  approve: storeDownIsNotice(approve),
  reject: storeDownIsNotice(reject),
  reason: storeDownIsNotice(reason),
};
