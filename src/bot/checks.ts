// The Discord side of the automatic screenshot check: once a verdict is stored on the pledge, the
// member's /pledge answer shows it and the review card is redrawn with the evidence.
import { Routes, type Client } from 'discord.js';
import { messages } from '../i18n/index.js';
import type { CheckNotice } from '../verification/index.js';
import type { CheckReplies } from '../verification/replies.js';
import { notifyMember, refreshReviewCard } from './reviewQueue.js';
import { NO_PINGS } from './respond.js';
import type { BotContext } from './types.js';

/** Which sentence the member reads: a `verified` verdict that did not verify (a duplicate, auto-verify just turned off) reads as a review. */
function resultKey(notice: CheckNotice): 'verified' | 'review' | 'unrelated' | 'failed' {
  if (notice.autoVerified) return 'verified';
  return notice.check.verdict === 'verified' ? 'review' : notice.check.verdict;
}

export function checkNotifier(client: () => Client, ctx: () => BotContext, replies: CheckReplies) {
  return async (notice: CheckNotice): Promise<void> => {
    const c = ctx();
    const { record } = notice;
    const ref = { guildId: record.guildId, pledgeId: record.pledgeId, version: record.version };
    const reply = await replies.get(ref).catch(() => null);
    let told = false;
    if (reply) {
      const content = `${reply.content}\n${messages(reply.locale).pledge.checkResult[resultKey(notice)]}`;
      told = await client()
        .rest.patch(Routes.webhookMessage(reply.applicationId, reply.token, '@original'), {
          body: { content, allowed_mentions: NO_PINGS },
          auth: false,
        })
        .then(
          () => true,
          (err: unknown) => {
            c.log.info({ err, guild: record.guildId, pledgeId: record.pledgeId }, 'could not edit the member’s /pledge answer with the verdict');
            return false;
          },
        );
      if (told) await replies.delete(ref).catch(() => undefined);
    }
    await refreshReviewCard(client(), c, record);
    if (notice.counts) await c.milestones.afterChange(record.guildId, notice.counts);
    // The answer could not be edited (token expired after a long restart): a verified pledge is
    // good news worth a DM; anything else waits for the moderators, who will DM their decision.
    if (!told && notice.autoVerified) {
      const settings = await c.settings.get(record.guildId);
      const guildName = client().guilds.cache.get(record.guildId)?.name ?? record.guildId;
      await notifyMember(client(), c, record.userId, messages(settings.publicLocale).review.dmVerified(guildName, record.pledgeId));
    }
  };
}
