import { InteractionResponseType, MessageFlags, type RESTPostAPIInteractionCallbackJSONBody } from 'discord-api-types/v10';
import type { Reply } from './reply.js';

/**
 * The interaction callback that answers with `reply`, as the bytes sent to Discord.
 *
 * Knowledge-base answers are drawn once and the same frozen Reply is sent again and again
 * (cachedReply in ./reply.ts). Through discord.js every send would serialize it anew: a 3.3 KB
 * /alternatives page became a fresh two-byte JSON string (its ★ ◀ ▶) and then a fresh Buffer per
 * answer, about 45 % of what the bot allocated per answer beyond a bare discord.js bot, and with it
 * the extra scavenges behind its p99 tail (bench/analysis.md). Serialized once per Reply and
 * audience here, an answer allocates nothing for its body.
 */
export type CallbackBody = Buffer;

const bodies = new WeakMap<Reply, { private?: CallbackBody; public?: CallbackBody }>();

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

/**
 * Only a frozen Reply (a cached one) is remembered: one that can still change must not be answered
 * with the bytes of what it was, and a one-off answer gains nothing from being kept.
 */
export function messageCallbackBody(reply: Reply, ephemeral: boolean): CallbackBody {
  if (!Object.isFrozen(reply)) return serialize(reply, ephemeral);
  let entry = bodies.get(reply);
  if (!entry) bodies.set(reply, (entry = {}));
  const slot = ephemeral ? 'private' : 'public';
  return (entry[slot] ??= serialize(reply, ephemeral));
}

function serialize(reply: Reply, ephemeral: boolean): CallbackBody {
  const text = JSON.stringify(messageCallback(reply, ephemeral));
  // Not Buffer.from: below 4 KiB it hands out a slice of Node's shared 8 KiB pool, and a cached slice
  // would keep the whole 8 KiB alive for as long as the answer is cached.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}
