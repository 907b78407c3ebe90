// Settings changes are written to the server's log channel when it has one: who, what, before, after.
import type { Client } from 'discord.js';
import type { GuildSettings } from '../settings/index.js';
import { renderSettingsLog } from '../render/config.js';
import { NO_PINGS } from './respond.js';
import type { BotContext } from './types.js';

export async function logSettingsChange(client: Client, ctx: BotContext, userId: string, before: GuildSettings, after: GuildSettings): Promise<void> {
  const channelId = after.logChannelId ?? before.logChannelId;
  const entry = renderSettingsLog(userId, before, after, after.publicLocale);
  if (!channelId || !entry) return;
  try {
    const channel = await client.channels.fetch(channelId);
    if (channel?.isSendable()) await channel.send({ embeds: [entry], allowedMentions: NO_PINGS });
  } catch (err) {
    ctx.log.warn({ err, channelId }, 'could not write the settings change to the log channel');
  }
}
