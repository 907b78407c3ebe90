// Posts a milestone announcement the outbox decided on. The nonce with enforce_nonce makes a
// retry of the same entry return Discord's earlier message instead of posting a second one.
import { DiscordAPIError, RESTJSONErrorCodes, type Client } from 'discord.js';
import { buildAnnouncement, type OutboxEntryData, type PostResult } from '../milestones/index.js';
import type { Campaign } from '../impact/index.js';
import { withImpact } from '../render/impact.js';
import { NO_PINGS } from './respond.js';

export function milestonePoster(
  client: () => Client,
  campaign: () => Campaign | undefined = () => undefined,
): (entry: OutboxEntryData) => Promise<PostResult> {
  return async (entry) => {
    const built = await buildAnnouncement(entry);
    // The money figures use the count frozen at decision time, so a retry posts the same text.
    const reply = withImpact(built.reply, entry.count, entry.locale, campaign());
    const files = built.files;
    // A missing or inaccessible channel rejects with Discord's 404/403, which the dispatcher treats as final.
    const channel = await client().channels.fetch(entry.channelId);
    if (!channel?.isSendable()) throw Object.assign(new Error(`channel ${entry.channelId} cannot receive messages`), { status: 400 });
    const send = (withPicture: boolean) =>
      channel.send({
        ...(reply.content ? { content: reply.content } : {}),
        embeds: withPicture ? reply.embeds : reply.embeds.map(({ image: _image, ...rest }) => rest),
        components: reply.components,
        files: withPicture ? files.map((f) => ({ attachment: f.data, name: f.name })) : [],
        nonce: entry.nonce,
        enforceNonce: true,
        allowedMentions: NO_PINGS,
      });
    try {
      return { messageId: (await send(true)).id };
    } catch (err) {
      // Attach Files taken away after /config checked the channel: Discord refuses the whole message
      // (50013). The words matter more than the picture, so post them without it. A refusal without
      // a file to blame (no Send Messages or Embed Links) stays final.
      if (files.length === 0 || !(err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.MissingPermissions)) throw err;
      return { messageId: (await send(false)).id };
    }
  };
}
