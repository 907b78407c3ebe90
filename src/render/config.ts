// The settings as moderators read them, and the audit line written to the log channel.
import type { APIEmbed } from 'discord-api-types/v10';
import { messages } from '../i18n/index.js';
import type { Locale } from '../kb/schema.js';
import type { GuildSettings, SettingsField } from '../settings/index.js';
import { embed } from './reply.js';

const CHANNELS: SettingsField[] = ['announcementsChannelId', 'reviewChannelId', 'logChannelId'];
const ROLES: SettingsField[] = ['moderatorRoleId', 'organizerRoleId'];

export function formatSetting(field: SettingsField, settings: GuildSettings, locale: Locale): string {
  const m = messages(locale);
  const value = settings[field];
  if (value === null) return m.config.none;
  if (CHANNELS.includes(field)) return `<#${String(value)}>`;
  if (ROLES.includes(field)) return `<@&${String(value)}>`;
  if (typeof value === 'boolean') return value ? m.config.on : m.config.off;
  if (Array.isArray(value)) return value.length ? value.join(', ') : m.config.none;
  if (field === 'publicLocale') return m.config.languages[value as Locale];
  return String(value);
}

export function renderSettings(settings: GuildSettings, locale: Locale): APIEmbed {
  const m = messages(locale);
  const fields = (Object.keys(m.config.labels) as SettingsField[]).map((f) => ({
    name: m.config.labels[f],
    value: formatSetting(f, settings, locale),
    inline: f !== 'milestones',
  }));
  return embed({ title: m.config.title, fields });
}

/** Which fields a change touched, with before and after as moderators read them. */
export function changedFields(before: GuildSettings, after: GuildSettings): SettingsField[] {
  return (Object.keys(after) as SettingsField[]).filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
}

export function renderSettingsLog(userId: string, before: GuildSettings, after: GuildSettings, locale: Locale): APIEmbed | null {
  const m = messages(locale);
  const fields = changedFields(before, after);
  if (fields.length === 0) return null;
  return embed({
    title: m.config.logTitle,
    fields: [
      { name: m.config.logBy, value: `<@${userId}>`, inline: false },
      ...fields.flatMap((f) => [
        { name: m.config.logSetting, value: m.config.labels[f], inline: true },
        { name: m.config.logBefore, value: formatSetting(f, before, locale), inline: true },
        { name: m.config.logAfter, value: formatSetting(f, after, locale), inline: true },
      ]),
    ],
    timestamp: new Date().toISOString(),
  });
}
