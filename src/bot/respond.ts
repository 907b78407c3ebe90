// Every reply goes out through here so no message can ping anyone by accident.
import {
  MessageFlags,
  Routes,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type InteractionReplyOptions,
  type InteractionUpdateOptions,
  type JSONEncodable,
  type RepliableInteraction,
} from 'discord.js';
import type { Choice } from '../kb/search.js';
import { choicesCallbackBody, messageCallbackBody, type CallbackBody } from '../render/callbackBody.js';
import type { Reply } from '../render/reply.js';
import type { ComponentInteraction } from './types.js';

export const NO_PINGS = { parse: [] as [] };

const JSON_BODY = { 'Content-Type': 'application/json' };

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

/**
 * Answers with a rendered Reply. What discord.js's `reply()` does, less its serializing: the body
 * is sent as bytes made once per Reply (src/render/callbackBody.ts), still through the client's own
 * REST manager (its queues, retries and errors), and the interaction is then marked as discord.js
 * marks it, so `followUp`, `editReply` and error replies behave as after `reply()`.
 */
export async function sendReply(interaction: RepliableInteraction, reply: Reply, ephemeral: boolean): Promise<void> {
  // A second answer is refused by discord.js with its own error; let it say so.
  if (interaction.deferred || interaction.replied) return void (await interaction.reply(replyOptions(reply, ephemeral)));
  await postCallback(interaction, messageCallbackBody(reply, ephemeral));
  interaction.ephemeral = ephemeral;
  interaction.replied = true;
}

/** Autocomplete choices, as `respond()` sends them, from bytes made once per kept list (sendReply's reasons). */
export async function sendChoices(interaction: AutocompleteInteraction, choices: readonly Choice[]): Promise<void> {
  if (interaction.responded) return void (await interaction.respond(choices.map((c) => ({ name: c.name, value: c.id }))));
  await postCallback(interaction, choicesCallbackBody(choices));
  interaction.responded = true;
}

/** The interaction callback route as discord.js posts it (unauthenticated: the token is in the URL), with a body already serialized. */
async function postCallback(interaction: RepliableInteraction | AutocompleteInteraction, body: CallbackBody): Promise<void> {
  await interaction.client.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body,
    passThroughBody: true,
    headers: JSON_BODY,
    auth: false,
  });
}

/** A polite refusal that says when to come back. */
export async function sendCooldown(interaction: RepliableInteraction, retryAt: number, text: (unixSeconds: number) => string): Promise<void> {
  await sendNotice(interaction, text(Math.ceil(retryAt / 1000)));
}

/** A plain text answer only the member sees. */
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
