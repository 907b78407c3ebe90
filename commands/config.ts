import {
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type SlashCommandSubcommandBuilder,
} from 'discord.js';
import { logSettingsChange } from '../src/bot/auditLog.js';
import { hasStaffRole, missingPostingPermissions } from '../src/bot/permissions.js';
import { NO_PINGS, sendNotice } from '../src/bot/respond.js';
import type { BotContext } from '../src/bot/types.js';
import { en } from '../src/i18n/en.js';
import { fr } from '../src/i18n/fr.js';
import { localeFromDiscord, localizations, messages, type Messages } from '../src/i18n/index.js';
import type { Locale } from '../src/kb/schema.js';
import { changedFields, formatSetting, renderSettings } from '../src/render/config.js';
import { LIMITS, truncate } from '../src/render/limits.js';
import { DEFAULT_MILESTONES, type GuildSettings, type SettingsField, type SettingsPatch } from '../src/settings/index.js';
import { parseThresholds, type ThresholdProblem } from '../src/settings/thresholds.js';
import { MessageFlags } from 'discord.js';

type Sub = { name: string; description: string };

function sub(pick: (m: Messages) => Sub) {
  return (s: SlashCommandSubcommandBuilder) =>
    s
      .setName(pick(en).name)
      .setNameLocalizations(localizations((m) => pick(m).name))
      .setDescription(pick(en).description)
      .setDescriptionLocalizations(localizations((m) => pick(m).description));
}

const CHANNEL_PURPOSES = { announcements: 'announcementsChannelId', review: 'reviewChannelId', log: 'logChannelId' } as const;
const ROLE_PURPOSES = { moderator: 'moderatorRoleId', organizer: 'organizerRoleId' } as const;
type ChannelPurpose = keyof typeof CHANNEL_PURPOSES;
type RolePurpose = keyof typeof ROLE_PURPOSES;

function purposeChoices<K extends keyof Messages['config']['purposes']>(keys: readonly K[]) {
  return keys.map((k) => ({ name: en.config.purposes[k], name_localizations: { fr: fr.config.purposes[k] }, value: k }));
}

function enabledOption(s: SlashCommandSubcommandBuilder) {
  return s.addBooleanOption((o) =>
    o
      .setName(en.config.enabledName)
      .setNameLocalizations(localizations((m) => m.config.enabledName))
      .setDescription(en.config.enabledDescription)
      .setDescriptionLocalizations(localizations((m) => m.config.enabledDescription))
      .setRequired(true),
  );
}

export const data = new SlashCommandBuilder()
  .setName(en.config.name)
  .setNameLocalizations(localizations((m) => m.config.name))
  .setDescription(en.config.description)
  .setDescriptionLocalizations(localizations((m) => m.config.description))
  .setContexts(InteractionContextType.Guild)
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .addSubcommand(sub((m) => m.config.show))
  .addSubcommand((s) =>
    sub((m) => m.config.channel)(s)
      .addStringOption((o) =>
        o
          .setName(en.config.purposeName)
          .setNameLocalizations(localizations((m) => m.config.purposeName))
          .setDescription(en.config.purposeDescription)
          .setDescriptionLocalizations(localizations((m) => m.config.purposeDescription))
          .setRequired(true)
          .addChoices(...purposeChoices(['announcements', 'review', 'log'] as const)),
      )
      .addChannelOption((o) =>
        o
          .setName(en.config.channelOptionName)
          .setNameLocalizations(localizations((m) => m.config.channelOptionName))
          .setDescription(en.config.channelOptionDescription)
          .setDescriptionLocalizations(localizations((m) => m.config.channelOptionDescription))
          .addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement),
      ),
  )
  .addSubcommand((s) =>
    sub((m) => m.config.role)(s)
      .addStringOption((o) =>
        o
          .setName(en.config.purposeName)
          .setNameLocalizations(localizations((m) => m.config.purposeName))
          .setDescription(en.config.purposeDescription)
          .setDescriptionLocalizations(localizations((m) => m.config.purposeDescription))
          .setRequired(true)
          .addChoices(...purposeChoices(['moderator', 'organizer'] as const)),
      )
      .addRoleOption((o) =>
        o
          .setName(en.config.roleOptionName)
          .setNameLocalizations(localizations((m) => m.config.roleOptionName))
          .setDescription(en.config.roleOptionDescription)
          .setDescriptionLocalizations(localizations((m) => m.config.roleOptionDescription)),
      ),
  )
  .addSubcommand((s) =>
    sub((m) => m.config.milestones)(s).addStringOption((o) =>
      o
        .setName(en.config.thresholdsName)
        .setNameLocalizations(localizations((m) => m.config.thresholdsName))
        .setDescription(en.config.thresholdsDescription)
        .setDescriptionLocalizations(localizations((m) => m.config.thresholdsDescription))
        .setRequired(true)
        .setMaxLength(1000),
    ),
  )
  .addSubcommand((s) =>
    sub((m) => m.config.language)(s).addStringOption((o) =>
      o
        .setName(en.config.languageName)
        .setNameLocalizations(localizations((m) => m.config.languageName))
        .setDescription(en.config.languageDescription)
        .setDescriptionLocalizations(localizations((m) => m.config.languageDescription))
        .setRequired(true)
        .addChoices(
          { name: en.config.languages.en, name_localizations: { fr: fr.config.languages.en }, value: 'en' },
          { name: en.config.languages.fr, name_localizations: { fr: fr.config.languages.fr }, value: 'fr' },
        ),
    ),
  )
  .addSubcommand((s) => enabledOption(sub((m) => m.config.screenshots)(s)))
  .addSubcommand((s) => enabledOption(sub((m) => m.config.autoVerify)(s)))
  .addSubcommand((s) => enabledOption(sub((m) => m.config.campaign)(s)));

function thresholdProblem(m: Messages, p: ThresholdProblem): string {
  switch (p.kind) {
    case 'empty':
      return m.config.empty;
    case 'not-a-number':
      return m.config.notANumber(p.entry);
    case 'not-positive':
      return m.config.notPositive(p.entry);
    case 'too-big':
      return m.config.tooBig(p.entry);
    case 'too-many':
      return m.config.tooMany(p.count);
  }
}

type Change = { patch: SettingsPatch } | { refusal: string };

function requestedChange(interaction: ChatInputCommandInteraction<'cached'>, m: Messages): Change | null {
  const o = interaction.options;
  switch (o.getSubcommand()) {
    case en.config.channel.name: {
      const field = CHANNEL_PURPOSES[o.getString(en.config.purposeName, true) as ChannelPurpose];
      const channel = o.getChannel(en.config.channelOptionName);
      if (!channel) return { patch: { [field]: null } };
      const missing = 'guild' in channel ? missingPostingPermissions(channel) : [];
      if (missing.length > 0) {
        return { refusal: m.config.missingPermissions(`<#${channel.id}>`, missing.map((p) => m.config.permissionNames[p]).join(', ')) };
      }
      return { patch: { [field]: channel.id } };
    }
    case en.config.role.name: {
      const field = ROLE_PURPOSES[o.getString(en.config.purposeName, true) as RolePurpose];
      return { patch: { [field]: o.getRole(en.config.roleOptionName)?.id ?? null } };
    }
    case en.config.milestones.name: {
      const parsed = parseThresholds(o.getString(en.config.thresholdsName, true));
      if (!parsed.ok) return { refusal: m.config.badThresholds(thresholdProblem(m, parsed.problem)) };
      return { patch: { milestones: parsed.values === 'default' ? [...DEFAULT_MILESTONES] : parsed.values } };
    }
    case en.config.language.name:
      return { patch: { publicLocale: o.getString(en.config.languageName, true) === 'fr' ? 'fr' : 'en' } };
    case en.config.screenshots.name:
      return { patch: { keepScreenshots: o.getBoolean(en.config.enabledName, true) } };
    case en.config.autoVerify.name:
      return { patch: { autoVerify: o.getBoolean(en.config.enabledName, true) } };
    case en.config.campaign.name:
      return { patch: { campaignMilestones: o.getBoolean(en.config.enabledName, true) } };
    default:
      return null;
  }
}

function describeChange(before: GuildSettings, after: GuildSettings, locale: Locale, m: Messages, patch: SettingsPatch): string {
  const fields = changedFields(before, after);
  if (fields.length === 0) {
    const field = Object.keys(patch)[0] as keyof GuildSettings;
    return m.config.unchanged(m.config.labels[field]);
  }
  // Two lists of 100 thresholds are ~1,000 characters each: cut each side so the line fits Discord's
  // 2,000-character content limit (the audit entry, in embed fields, keeps them whole).
  const side = (f: SettingsField, s: GuildSettings) => truncate(formatSetting(f, s, locale), CHANGE_SIDE_MAX);
  return truncate(fields.map((f) => m.config.updated(m.config.labels[f], side(f, before), side(f, after))).join('\n'), LIMITS.content);
}

const CHANGE_SIDE_MAX = 900;

/**
 * New thresholds the server's count has already passed are not owed an announcement (no pledge
 * crosses them); recorded as announced so start-up catch-up does not post them late either.
 */
async function recordPassedThresholds(ctx: BotContext, guildId: string, counted: number, thresholds: readonly number[]): Promise<void> {
  try {
    await ctx.milestones.outbox.recordPassed({ kind: 'guild', guildId }, counted, thresholds);
  } catch (err) {
    ctx.log.warn({ err, guildId }, 'could not record the milestones already passed; a restart may announce the highest of them');
  }
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const m = messages(locale);
  if (!interaction.inCachedGuild()) return;
  // Server admins can hand the command to anyone in Discord's settings: check again here.
  if (!hasStaffRole(interaction, null)) return sendNotice(interaction, m.config.notAllowed);
  if (interaction.options.getSubcommand() === en.config.show.name) {
    const settings = await ctx.settings.get(interaction.guildId);
    await interaction.reply({ embeds: [renderSettings(settings, locale)], flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
    return;
  }
  const change = requestedChange(interaction, m);
  if (!change) return;
  if ('refusal' in change) return sendNotice(interaction, change.refusal);
  // Read before the list changes: thresholds at or below this count were passed under the old list.
  const counted = change.patch.milestones ? (await ctx.pledges.totals(interaction.guildId)).counted : null;
  const { before, after } = await ctx.settings.update(interaction.guildId, change.patch);
  if (counted !== null) await recordPassedThresholds(ctx, interaction.guildId, counted, after.milestones);
  try {
    await sendNotice(interaction, describeChange(before, after, locale, m, change.patch));
  } finally {
    // Stored is stored: audit it even when the answer to the admin could not be delivered.
    await logSettingsChange(interaction.client, ctx, interaction.user.id, before, after);
  }
}
