import { InteractionResponseType, MessageFlags, type RESTPostAPIInteractionCallbackJSONBody } from 'discord-api-types/v10';
import type { Choice } from '../kb/search.js';
import type { Reply } from './reply.js';

/**
 * Interaction callbacks as the bytes sent to Discord.
 *
 * Knowledge-base answers are drawn once and the same frozen Reply is sent again and again
 * (cachedReply in ./reply.ts); autocomplete lists are kept per query the same way (src/kb/search.ts).
 * Through discord.js every send would serialize them anew: a 3.3 KB /alternatives page became a
 * fresh two-byte JSON string (its ★ ◀ ▶) and then a fresh Buffer per answer, about 45 % of what the
 * bot allocated per answer beyond a bare discord.js bot, and with it the extra scavenges behind its
 * p99 tail; an autocomplete list went through discord.js's snake_case transform, choice by choice
 * (bench/analysis.md). Serialized once per frozen value here, an answer allocates nothing for its body.
 */
export type CallbackBody = Buffer;

type Slot = 'private' | 'public' | 'choices';
const bodies = new WeakMap<object, Partial<Record<Slot, CallbackBody>>>();

export function messageCallback(reply: Reply, ephemeral: boolean): RESTPostAPIInteractionCallbackJSONBody {
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: {
      content: reply.content ?? '',
      embeds: reply.embeds,
      components: reply.components,
      // Never ping from an answer: the same rule as every other message (src/bot/respond.ts).
      allowed_mentions: { parse: [] },
      ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
    },
  };
}

export function choicesCallback(choices: readonly Choice[]): RESTPostAPIInteractionCallbackJSONBody {
  return {
    type: InteractionResponseType.ApplicationCommandAutocompleteResult,
    data: { choices: choices.map((c) => ({ name: c.name, value: c.id })) },
  };
}

export function messageCallbackBody(reply: Reply, ephemeral: boolean): CallbackBody {
  return remembered(reply, ephemeral ? 'private' : 'public', () => messageCallback(reply, ephemeral));
}

export function choicesCallbackBody(choices: readonly Choice[]): CallbackBody {
  return remembered(choices, 'choices', () => choicesCallback(choices));
}

/**
 * Only a frozen value (a kept one) is remembered: one that can still change must not be answered
 * with the bytes of what it was, and a one-off answer gains nothing from being kept.
 */
function remembered(value: object, slot: Slot, callback: () => RESTPostAPIInteractionCallbackJSONBody): CallbackBody {
  if (!Object.isFrozen(value)) return serialize(callback());
  let entry = bodies.get(value);
  if (!entry) bodies.set(value, (entry = {}));
  return (entry[slot] ??= serialize(callback()));
}

function serialize(body: RESTPostAPIInteractionCallbackJSONBody): CallbackBody {
  const text = JSON.stringify(body);
  // Not Buffer.from: below 4 KiB it hands out a slice of Node's shared 8 KiB pool, and a kept slice
  // would keep the whole 8 KiB alive for as long as the answer is kept.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}
