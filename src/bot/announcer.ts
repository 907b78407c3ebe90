// Posts a milestone announcement the outbox decided on. The nonce with enforce_nonce makes a
// retry of the same entry return Discord's earlier message instead of posting a second one.
import type { Client } from 'discord.js';
import { buildAnnouncement, type OutboxEntryData, type PostResult } from '../milestones/index.js';
import { NO_PINGS } from './respond.js';

export function milestonePoster(client: () => Client): (entry: OutboxEntryData) => Promise<PostResult> {
  return async (entry) => {
    const { reply, files } = await buildAnnouncement(entry);
    // A missing or inaccessible channel rejects with Discord's 404/403, which the dispatcher treats as final.
    const channel = await client().channels.fetch(entry.channelId);
    if (!channel?.isSendable()) throw Object.assign(new Error(`channel ${entry.channelId} cannot receive messages`), { status: 400 });
    const message = await channel.send({
      ...(reply.content ? { content: reply.content } : {}),
      embeds: reply.embeds,
      components: reply.components,
      files: files.map((f) => ({ attachment: f.data, name: f.name })),
      nonce: entry.nonce,
      enforceNonce: true,
      allowedMentions: NO_PINGS,
    });
    return { messageId: message.id };
  };
}
