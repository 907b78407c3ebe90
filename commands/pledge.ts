import {
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type SlashCommandSubcommandBuilder,
} from 'discord.js';
import { hasStaffRole } from '../src/bot/permissions.js';
import { NO_PINGS, sendReply, sendCooldown, sendNotice, updateOptions } from '../src/bot/respond.js';
import { LIMITS } from '../src/cooldowns.js';
import { notifyMember, postReviewCard, retireReviewCard, reviewCardLock } from '../src/bot/reviewQueue.js';
import type { BotContext, ComponentHandler, ComponentInteraction } from '../src/bot/types.js';
import { en } from '../src/i18n/en.js';
import { fr } from '../src/i18n/fr.js';
import { localeFromDiscord, localizations, messages, type Messages } from '../src/i18n/index.js';
import { NOTE_MAX, PLATFORMS, REJECT_REASON_MAX, type Platform, type PledgeRecord } from '../src/pledges/index.js';
import { holdsLevel, levelRank, PROVEN_LEVELS, type PledgeLevel, type ProvenLevel } from '../src/pledges/index.js';
import { strippedCopy, takeScreenshot } from '../src/pledges/intake.js';
import { submitWithRecovery } from '../src/pledges/recover.js';
import { isAutoVerified, renderPledgeStatus, renderReviewCard, renderWithdrawConfirm, rejectReasonModal } from '../src/render/pledge.js';
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
          .setName(en.pledge.levelName)
          .setNameLocalizations(localizations((m) => m.pledge.levelName))
          .setDescription(en.pledge.levelDescription)
          .setDescriptionLocalizations(localizations((m) => m.pledge.levelDescription))
          .addChoices(...PROVEN_LEVELS.map((l) => ({ name: en.pledge.levels[l], name_localizations: { fr: fr.pledge.levels[l] }, value: l }))),
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
  .addSubcommand(sub((m) => ({ name: m.pledge.withdrawName, description: m.pledge.withdrawDescription })))
  .addSubcommand(sub((m) => ({ name: m.pledge.shareName, description: m.pledge.shareDescription })));

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
  if (await refusedLowering(interaction, ctx, m)) return;

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
    ...levelOption(interaction),
    ...(settings.keepScreenshots && copy ? { keptCopy: copy.bytes } : {}),
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
        ? raisedLevel(result.previousLevel, result.record.level)
          ? m.pledge.raised(n, m.pledge.levels[result.record.level])
          : m.pledge.replaced(n)
        : m.pledge.unchangedVerified(n);
  if (result.possibleDuplicate && result.outcome !== 'unchanged-verified') text += `\n${m.pledge.possibleDuplicate}`;
  const record = result.record;
  if (result.outcome === 'replaced') await cancelCheck(ctx, { ...record, version: record.version - 1 });
  const checking = result.outcome !== 'unchanged-verified' && settings.autoVerify && (await queueCheck(interaction, ctx, record, intake.bytes, text));
  try {
    // Durable before acknowledged: this edit only happens once submit() (and the check's job) are stored.
    await interaction.editReply({ content: checking ? `${text}\n${m.pledge.checking}` : text, allowedMentions: NO_PINGS });
  } finally {
    // The pledge is stored whether or not Discord took the answer: its milestone and card must follow.
    await ctx.milestones.afterChange(interaction.guildId, result.counts);
    if (result.outcome !== 'unchanged-verified') await postReviewCard(interaction.client, ctx, record, copy, checking);
    // After the card, so the verdict can redraw it; a job not run now runs at the next start.
    if (checking) ctx.checks.schedule({ guildId: record.guildId, pledgeId: record.pledgeId, version: record.version });
  }
}

/** Strike → leave with a new screenshot (share → a pledge reads as a first pledge instead). */
function raisedLevel(before: PledgeLevel | null, after: PledgeLevel): boolean {
  return before !== null && before !== 'share' && levelRank(after) > levelRank(before);
}

/**
 * Stores the automatic check's job (with the screenshot) and where to show its verdict, before the
 * member is told a check is running. False when the check is off or could not be queued: the
 * pledge then simply waits for a moderator, as it always could.
 */
async function queueCheck(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext, record: PledgeRecord, image: Buffer, shown: string): Promise<boolean> {
  if (!ctx.checks.enabled || !record.evidence || record.status !== 'pending') return false;
  const ref = { guildId: record.guildId, pledgeId: record.pledgeId, version: record.version };
  try {
    await ctx.checkReplies.set(ref, {
      applicationId: interaction.applicationId,
      token: interaction.token,
      locale: localeFromDiscord(interaction.locale),
      content: shown.slice(0, 1500),
    });
    await ctx.checks.enqueue(record, image);
    return true;
  } catch (err) {
    ctx.log.warn({ err, guild: record.guildId, pledgeId: record.pledgeId }, 'could not queue the automatic check; the pledge waits for a moderator');
    return false;
  }
}

/** A withdrawn or replaced screenshot is not read: its queued check ends and its copy is deleted. */
async function cancelCheck(ctx: BotContext, record: Pick<PledgeRecord, 'guildId' | 'pledgeId' | 'version'>): Promise<void> {
  if (record.version < 1) return;
  await ctx.checks.cancel({ guildId: record.guildId, pledgeId: record.pledgeId, version: record.version }).catch((err: unknown) => {
    ctx.log.warn({ err, guild: record.guildId, pledgeId: record.pledgeId }, 'could not cancel the automatic check; its screenshot is deleted when the job ends');
  });
}

/** Withdrawing erases the automatic checks too: their records keep the OCR lines of the screenshot. */
async function forgetChecks(ctx: BotContext, record: Pick<PledgeRecord, 'guildId' | 'pledgeId' | 'version'>): Promise<void> {
  if (record.version < 1) return;
  await ctx.checks.forget({ guildId: record.guildId, pledgeId: record.pledgeId, version: record.version }).catch((err: unknown) => {
    ctx.log.warn({ err, guild: record.guildId, pledgeId: record.pledgeId }, 'could not erase the automatic checks; they expire after 30 days');
  });
}

async function status(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const found = await ctx.pledges.get(interaction.guildId, interaction.user.id);
  if (!found.ok) throw new Error(`pledge record unreadable: ${found.error.issues.join('; ')}`);
  await sendReply(interaction, renderPledgeStatus(found.record, locale), true);
}

async function withdrawPrompt(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext, m: Messages): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const found = await ctx.pledges.get(interaction.guildId, interaction.user.id);
  if (found.ok && (!found.record || found.record.status === 'withdrawn')) return sendNotice(interaction, m.pledge.withdrawNothing);
  await sendReply(interaction, renderWithdrawConfirm(interaction.user.id, locale), true);
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
      case en.pledge.shareName:
        return await declareShare(interaction, ctx, m);
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
    const erased = result.ok && !result.duplicateInteraction ? result.record : null;
    // The store's part of the erasure is done before the member is told; the review card is
    // Discord's (a channel the bot may no longer reach), so it follows the answer.
    if (erased) await forgetChecks(ctx, erased);
    await interaction.update({ content: result.ok ? m.pledge.withdrawn : m.pledge.withdrawNothing, components: [], allowedMentions: NO_PINGS });
    if (erased) await retireReviewCard(interaction.client, ctx, erased);
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
  // Under the card's lock: the automatic check may be redrawing this card right now, and whichever
  // draws second must draw the pledge as it now is.
  const done = await ctx.store.withLock(reviewCardLock(interaction.guildId, record.pledgeId), async () => {
    const result = await ctx.pledges.review({
      guildId: interaction.guildId,
      pledgeId: record.pledgeId,
      // A moderator overrides the automatic check's verification; any other decision is taken once.
      expectedStatus: isAutoVerified(record) ? 'verified' : 'pending',
      decision,
      reviewerId: interaction.user.id,
      interactionId: interaction.id,
      // Checked again under the store's lock: the member may replace the screenshot while a moderator decides.
      expectedVersion: record.version,
      ...(reason ? { reason } : {}),
    });
    if (!result.ok && result.reason === 'evidence-changed') return void (await sendNotice(interaction, m.review.outdated)), null;
    const current = result.ok ? result.record : 'record' in result ? result.record : null;
    if (!current) return void (await sendNotice(interaction, m.review.gone)), null;
    const card = renderReviewCard({
      record: current,
      locale: settings.publicLocale,
      imageUrl: cardImageUrl(interaction),
      ...(current.reviewerId ? { reviewerMention: `<@${current.reviewerId}>` } : {}),
    });
    if (interaction.isButton() || interaction.isFromMessage()) await interaction.update(updateOptions(card));
    return { result, current };
  });
  if (!done) return;
  const { result, current } = done;
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

// ─── Levels of commitment (docs/journey.md) ─────────────────────────────────────────────────────

function isProvenLevel(s: string | null): s is ProvenLevel {
  return (PROVEN_LEVELS as readonly string[]).includes(s ?? '');
}

/** `level:` as the member chose it; absent, the service keeps the level held (or records a strike). */
function levelOption(interaction: ChatInputCommandInteraction): { level?: ProvenLevel } {
  const level = interaction.options.getString(en.pledge.levelName);
  return isProvenLevel(level) ? { level } : {};
}

/**
 * A pledge is never lowered. The service keeps the held level whatever it is sent; this says so
 * before the screenshot is even downloaded, with the way down (withdraw, then pledge again).
 */
async function refusedLowering(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext, m: Messages): Promise<boolean> {
  const asked = levelOption(interaction).level;
  if (!asked) return false;
  const found = await ctx.pledges.get(interaction.guildId, interaction.user.id);
  const held = found.ok ? found.record : null;
  if (!held || !holdsLevel(held) || levelRank(held.level) <= levelRank(asked)) return false;
  await interaction.editReply({ content: m.pledge.lowerRefused(m.pledge.levels[held.level], m.pledge.levels[asked]), allowedMentions: NO_PINGS });
  return true;
}

/** `/pledge share`: declared, no screenshot, counted apart; never lowers a pledge held. */
async function declareShare(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext, m: Messages): Promise<void> {
  // Its own bucket: declaring costs one write, not a download, and must not use up a member's submissions.
  const allowed = ctx.cooldowns.take([{ key: `share:${interaction.guildId}:${interaction.user.id}`, limit: LIMITS.pledgeSubmitPerMember }]);
  if (!allowed.ok) return sendCooldown(interaction, allowed.retryAt, m.errors.cooldown);
  const result = await ctx.pledges.declareShare({ guildId: interaction.guildId, userId: interaction.user.id, interactionId: interaction.id });
  switch (result.outcome) {
    case 'invalid-record':
      throw new Error(`pledge record unreadable: ${result.error.issues.join('; ')}`);
    case 'duplicate-interaction':
      // The first delivery answers the member.
      return;
    case 'created':
      // No milestone to decide: a share never changes the pledge counts.
      return sendNotice(interaction, m.pledge.shareCreated(result.record.pledgeId));
    case 'unchanged':
      return sendNotice(interaction, m.pledge.shareUnchanged);
    case 'already-pledged':
      return sendNotice(interaction, m.pledge.shareAlreadyPledged(m.pledge.levels[result.record.level]));
  }
}
