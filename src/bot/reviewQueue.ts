// The moderators' side of a pledge: its card in the review channel, kept in step with the pledge.
import { DiscordAPIError, RESTJSONErrorCodes, type Client, type SendableChannels } from 'discord.js';
import type { PledgeRecord } from '../pledges/index.js';
import type { PendingRetirement, ReviewCardRef } from '../pledges/reviewCards.js';
import { renderReviewCard, REVIEW_IMAGE_NAME } from '../render/pledge.js';
import { NO_PINGS } from './respond.js';
import type { BotContext } from './types.js';
import type { Logger } from '../log.js';

async function sendableChannel(client: Client, channelId: string): Promise<SendableChannels | null> {
  const channel = await client.channels.fetch(channelId).catch(() => null);
  return channel?.isSendable() ? channel : null;
}

/**
 * Posts the card for a new or replaced pledge. The pledge is already durable and the member already
 * answered: a card that cannot be posted (no review channel, missing permission, store or Discord
 * unavailable) is logged and never undoes the pledge. Never throws.
 */
export async function postReviewCard(
  client: Client,
  ctx: BotContext,
  record: PledgeRecord,
  image: { bytes: Buffer; ext: string } | null,
  checking = false,
): Promise<boolean> {
  const log = ctx.log.child({ guild: record.guildId, pledgeId: record.pledgeId });
  try {
    return await postCard(client, ctx, record, image, log, checking);
  } catch (err) {
    log.warn({ err }, 'could not post the review card');
    return false;
  }
}

async function postCard(
  client: Client,
  ctx: BotContext,
  record: PledgeRecord,
  image: { bytes: Buffer; ext: string } | null,
  log: Logger,
  checking: boolean,
): Promise<boolean> {
  const settings = await ctx.settings.get(record.guildId);
  if (!settings.reviewChannelId) return false;
  const channel = await sendableChannel(client, settings.reviewChannelId);
  if (!channel) {
    log.warn({ channelId: settings.reviewChannelId }, 'review channel missing or not a text channel; card not posted');
    return false;
  }
  const send = (withImage: boolean) => {
    const name = withImage && image ? REVIEW_IMAGE_NAME(image.ext) : null;
    const card = renderReviewCard({ record, locale: settings.publicLocale, imageUrl: name ? `attachment://${name}` : null, checking });
    return channel.send({
      embeds: card.embeds,
      components: card.components,
      files: image && name ? [{ attachment: image.bytes, name }] : [],
      allowedMentions: NO_PINGS,
    });
  };
  const previous = await ctx.reviewCards.get(record.guildId, record.pledgeId);
  let message;
  try {
    message = await send(image !== null);
  } catch (err) {
    // Without Attach Files the whole message is refused: moderators still need the card (it says
    // the screenshot could not be attached), so post it without the file rather than not at all.
    if (!image || !(err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.MissingPermissions)) throw err;
    log.warn({ err, channelId: channel.id }, 'review card refused with the screenshot; posting it without');
    message = await send(false);
  }
  const imageUrl = message.embeds[0]?.image?.url;
  await ctx.reviewCards.set(record.guildId, record.pledgeId, {
    channelId: channel.id,
    messageId: message.id,
    version: record.version,
    ...(imageUrl ? { imageUrl } : {}),
  });
  // The older card shows replaced evidence: remove it, screenshot included.
  if (previous && previous.messageId !== message.id) await deleteCard(client, previous.channelId, previous.messageId);
  return true;
}

/** Discord's answer when the card, or its whole channel, no longer exists. */
function isGone(err: unknown): boolean {
  return err instanceof DiscordAPIError && (err.code === RESTJSONErrorCodes.UnknownMessage || err.code === RESTJSONErrorCodes.UnknownChannel);
}

/** Deletes a card. True once it is gone (deleted now, or already gone with its channel); false while the bot cannot reach it. */
async function deleteCard(client: Client, channelId: string, messageId: string): Promise<boolean> {
  const channel = await client.channels.fetch(channelId).catch((err: unknown) => (isGone(err) ? 'gone' : null));
  if (channel === 'gone') return true;
  if (!channel?.isSendable() || !('messages' in channel)) return false;
  return channel.messages.delete(messageId).then(
    () => true,
    (err: unknown) => isGone(err),
  );
}

/**
 * After a withdrawal: the card says so and loses the screenshot. A card that cannot be edited is
 * deleted instead, so the screenshot never outlives the withdrawal. When neither worked (the
 * channel is unreachable), the card's reference is kept and the card is remembered for
 * retryCardRetirements. The member already has their answer: never throws.
 */
export async function retireReviewCard(client: Client, ctx: BotContext, record: PledgeRecord): Promise<void> {
  const log = ctx.log.child({ guild: record.guildId, pledgeId: record.pledgeId });
  try {
    const ref = await ctx.reviewCards.get(record.guildId, record.pledgeId);
    if (!ref) return;
    const settings = await ctx.settings.get(record.guildId);
    const channel = await sendableChannel(client, ref.channelId);
    if (!channel || !('messages' in channel)) {
      log.warn({ channelId: ref.channelId }, 'review channel unreachable; the withdrawn pledge card is deleted once it is reachable');
      await rememberRetirement(ctx, record, ref, log);
      return;
    }
    const card = renderReviewCard({ record, locale: settings.publicLocale, imageUrl: null });
    let retired = await channel.messages.edit(ref.messageId, { embeds: card.embeds, components: [], attachments: [], allowedMentions: NO_PINGS }).then(
      () => true,
      (err: unknown) => {
        log.warn({ err }, 'could not update the withdrawn pledge card; deleting it');
        return false;
      },
    );
    if (!retired) {
      retired = await channel.messages.delete(ref.messageId).then(
        () => true,
        (err: unknown) => {
          log.warn({ err }, 'could not delete the withdrawn pledge card either');
          return false;
        },
      );
    }
    if (retired) await ctx.reviewCards.delete(record.guildId, record.pledgeId);
    else await rememberRetirement(ctx, record, ref, log);
  } catch (err) {
    log.warn({ err }, 'could not retire the withdrawn pledge card');
  }
}

async function rememberRetirement(ctx: BotContext, record: PledgeRecord, ref: ReviewCardRef, log: Logger): Promise<void> {
  const card = { guildId: record.guildId, pledgeId: record.pledgeId, channelId: ref.channelId, messageId: ref.messageId };
  const dropped = await ctx.reviewCards.addPendingRetirement(card, ctx.clock());
  for (const d of dropped) log.warn({ ...d }, 'too many review cards waiting to be retired; this one is no longer retried: a moderator must delete it');
}

/** How long a card waits for its channel to become reachable before a moderator is asked to delete it. */
export const RETIREMENT_GIVE_UP_MS = 30 * 24 * 3600 * 1000;

/**
 * Deletes the cards of withdrawn pledges that retireReviewCard could not reach (start-up and every
 * few minutes, src/app.ts): once a moderator restores the bot's access, the screenshot goes. A card
 * already deleted by hand, or with its channel, counts as retired. Never throws.
 */
export async function retryCardRetirements(client: Client, ctx: BotContext): Promise<{ retired: number; waiting: number }> {
  let retired = 0;
  let waiting = 0;
  try {
    for (const item of await ctx.reviewCards.pendingRetirements()) {
      const log = ctx.log.child({ guild: item.guildId, pledgeId: item.pledgeId });
      const done = await retireByDeleting(client, ctx, item).catch((err: unknown) => {
        log.warn({ err }, 'could not retry retiring a withdrawn pledge card');
        return false;
      });
      if (done) {
        await ctx.reviewCards.removePendingRetirement(item.messageId);
        retired += 1;
      } else if (ctx.clock().getTime() - Date.parse(item.since) > RETIREMENT_GIVE_UP_MS) {
        log.warn({ since: item.since, channelId: item.channelId, messageId: item.messageId }, 'a withdrawn pledge card could not be reached for 30 days; a moderator must delete it');
        await ctx.reviewCards.removePendingRetirement(item.messageId);
      } else waiting += 1;
    }
  } catch (err) {
    ctx.log.warn({ err }, 'could not read the review cards waiting to be retired');
  }
  return { retired, waiting };
}

async function retireByDeleting(client: Client, ctx: BotContext, item: PendingRetirement): Promise<boolean> {
  if (!(await deleteCard(client, item.channelId, item.messageId))) return false;
  // The pledge's reference, unless it already names a newer card (the member pledged again).
  const ref = await ctx.reviewCards.get(item.guildId, item.pledgeId);
  if (ref?.messageId === item.messageId) await ctx.reviewCards.delete(item.guildId, item.pledgeId);
  return true;
}

/** Serializes redraws of one card (the automatic check) with a moderator's decision on it. */
export function reviewCardLock(guildId: string, pledgeId: number): string {
  return `reviewcard:${guildId}:${pledgeId}`;
}

/**
 * Redraws the card of the pledge's current version (after the automatic check), keeping its
 * screenshot. A card for an older version, or none, is left alone. Never throws.
 */
export async function refreshReviewCard(client: Client, ctx: BotContext, record: PledgeRecord): Promise<boolean> {
  const log = ctx.log.child({ guild: record.guildId, pledgeId: record.pledgeId });
  try {
    return await ctx.store.withLock(reviewCardLock(record.guildId, record.pledgeId), async () => {
      const ref = await ctx.reviewCards.get(record.guildId, record.pledgeId);
      if (!ref || ref.version !== record.version) return false;
      // Drawn from the pledge as it is now: a moderator may have decided since the verdict.
      const found = await ctx.pledges.getByNumber(record.guildId, record.pledgeId);
      const current = found.ok ? found.record : null;
      if (!current || current.version !== record.version || current.status === 'withdrawn') return false;
      const channel = await sendableChannel(client, ref.channelId);
      if (!channel || !('messages' in channel)) return false;
      const settings = await ctx.settings.get(record.guildId);
      const card = renderReviewCard({
        record: current,
        locale: settings.publicLocale,
        imageUrl: ref.imageUrl ?? null,
        ...(current.reviewerId ? { reviewerMention: `<@${current.reviewerId}>` } : {}),
      });
      await channel.messages.edit(ref.messageId, { embeds: card.embeds, components: card.components, allowedMentions: NO_PINGS });
      return true;
    });
  } catch (err) {
    log.warn({ err }, 'could not update the review card with the automatic check');
    return false;
  }
}

/** Tells the member the decision. A member who closed their DMs is not an error. */
export async function notifyMember(client: Client, ctx: BotContext, userId: string, content: string): Promise<boolean> {
  try {
    await client.users.send(userId, { content, allowedMentions: NO_PINGS });
    return true;
  } catch (err) {
    ctx.log.info({ err, userId }, 'could not DM the member about their pledge');
    return false;
  }
}
