// Every reply goes out through here so no message can ping anyone by accident.
import {
  MessageFlags,
  type ChatInputCommandInteraction,
  type InteractionReplyOptions,
  type InteractionUpdateOptions,
  type JSONEncodable,
  type RepliableInteraction,
} from 'discord.js';
import type { Reply } from '../render/reply.js';
import type { ComponentInteraction } from './types.js';

export const NO_PINGS = { parse: [] as [] };

/**
 * Renderers already return Discord API JSON (src/render/reply.ts). Given as plain objects,
 * discord.js would pass every embed and component through its jsonTransformer (toSnakeCase: a
 * recursive lodash snakeCase of every key, a no-op on API JSON), about 6 % of the bot's CPU per
 * /facts answer in bench/. Wrapped as JSONEncodable they are sent as they are.
 */
function asIs<T>(data: T): JSONEncodable<T> {
  return { toJSON: () => data };
}

export function replyOptions(reply: Reply, ephemeral: boolean): InteractionReplyOptions {
  return {
    content: reply.content ?? '',
    embeds: reply.embeds.map(asIs),
    components: reply.components.map(asIs),
    allowedMentions: NO_PINGS,
    ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  };
}

export function updateOptions(reply: Reply): InteractionUpdateOptions {
  return { content: reply.content ?? '', embeds: reply.embeds.map(asIs), components: reply.components.map(asIs), allowedMentions: NO_PINGS };
}

export async function sendReply(interaction: RepliableInteraction, reply: Reply, ephemeral: boolean): Promise<void> {
  await interaction.reply(replyOptions(reply, ephemeral));
}

/** A plain text answer only the member sees. */
/** A polite refusal that says when to come back. */
export async function sendCooldown(interaction: RepliableInteraction, retryAt: number, text: (unixSeconds: number) => string): Promise<void> {
  await sendNotice(interaction, text(Math.ceil(retryAt / 1000)));
}

export async function sendNotice(interaction: RepliableInteraction, content: string): Promise<void> {
  const options = { content, allowedMentions: NO_PINGS, flags: MessageFlags.Ephemeral } as const;
  if (interaction.deferred || interaction.replied) await interaction.followUp(options);
  else await interaction.reply(options);
}

/** /facts share:true posts for everyone; the default keeps the answer to the member. */
export function wantsShare(interaction: ChatInputCommandInteraction): boolean {
  return interaction.options.getBoolean('share') ?? false;
}

export function isOnEphemeralMessage(interaction: ComponentInteraction): boolean {
  return interaction.message?.flags.has(MessageFlags.Ephemeral) ?? false;
}
