// Where to show a check's verdict: the member's ephemeral /pledge answer, which only that
// interaction's token can edit. The token is kept in the store (not only in memory) so a verdict
// that arrives after a restart still reaches the member, and only for as long as Discord accepts it
// (15 minutes; kept 14). A token lets its holder edit that one answer and nothing else.
import { z } from 'zod';
import type { Collection, Store } from '../store/index.js';
import type { JobRef } from './jobs.js';

export const REPLY_TTL_MS = 14 * 60_000;

export const checkReplySchema = z.object({
  applicationId: z.string().regex(/^\d{1,20}$/),
  token: z.string().min(1).max(500),
  locale: z.enum(['en', 'fr']),
  /** The answer as the member saw it, without the "being checked" line the verdict replaces. */
  content: z.string().max(1500),
});
export type CheckReply = z.infer<typeof checkReplySchema>;

export class CheckReplies {
  private readonly replies: Collection<CheckReply>;

  constructor(store: Store) {
    this.replies = store.collection('check-reply', checkReplySchema);
  }

  private id(ref: JobRef): string {
    return `${ref.guildId}:${ref.pledgeId}:${ref.version}`;
  }

  async set(ref: JobRef, reply: CheckReply): Promise<void> {
    await this.replies.write(this.id(ref), reply, REPLY_TTL_MS);
  }

  async get(ref: JobRef): Promise<CheckReply | null> {
    const r = await this.replies.read(this.id(ref));
    return r.ok ? (r.value ?? null) : null;
  }

  async delete(ref: JobRef): Promise<void> {
    await this.replies.delete(this.id(ref));
  }
}
