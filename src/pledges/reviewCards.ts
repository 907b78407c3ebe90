// Where each pledge's review card was posted, so a decision, a replacement or a withdrawal can
// update it (and remove the screenshot from it) after a restart.
import { z } from 'zod';
import type { Store } from '../store/index.js';
import { snowflakeSchema } from './schema.js';

export const reviewCardSchema = z.object({
  channelId: z.string().regex(/^\d{1,20}$/),
  messageId: z.string().regex(/^\d{1,20}$/),
  version: z.number().int().positive(),
  /**
   * The screenshot's URL as Discord returned it in the posted card: a redraw (the automatic check)
   * reuses it instead of fetching the message, which would need Read Message History.
   */
  imageUrl: z.string().max(2048).optional(),
});
export type ReviewCardRef = z.infer<typeof reviewCardSchema>;

/**
 * Cards of withdrawn pledges that could not be retired yet (the channel was unreachable). The
 * message is named, not only the pledge: a member who pledges again gets a new card under the same
 * number, and that one must stay.
 */
const retirementsSchema = z.object({
  items: z.array(
    z.object({
      guildId: snowflakeSchema,
      pledgeId: z.number().int().positive(),
      channelId: snowflakeSchema,
      messageId: snowflakeSchema,
      since: z.iso.datetime(),
    }),
  ),
});
export type PendingRetirement = z.infer<typeof retirementsSchema>['items'][number];

/** Beyond this the oldest entries are dropped (with a warning from the caller): a bounded value, not a log. */
export const MAX_PENDING_RETIREMENTS = 1000;
const RETIREMENTS_LOCK = 'reviewcard-retire';

export class ReviewCards {
  private readonly cards;
  private readonly retirements;

  constructor(private readonly store: Store) {
    this.cards = store.collection('reviewcard', reviewCardSchema);
    this.retirements = store.collection('reviewcard-retire', retirementsSchema);
  }

  private id(guildId: string, pledgeId: number): string {
    return `${guildId}:${pledgeId}`;
  }

  async get(guildId: string, pledgeId: number): Promise<ReviewCardRef | null> {
    const r = await this.cards.read(this.id(guildId, pledgeId));
    return r.ok ? (r.value ?? null) : null;
  }

  async set(guildId: string, pledgeId: number, ref: ReviewCardRef): Promise<void> {
    await this.cards.write(this.id(guildId, pledgeId), ref);
  }

  async delete(guildId: string, pledgeId: number): Promise<void> {
    await this.cards.delete(this.id(guildId, pledgeId));
  }

  /** Oldest first. An unreadable list reads as empty: its cards keep their references, so nothing is lost but the retry. */
  async pendingRetirements(): Promise<PendingRetirement[]> {
    const r = await this.retirements.read('pending');
    return r.ok ? (r.value?.items ?? []) : [];
  }

  /** Remembers a card to retire later. Returns the entries dropped to stay within MAX_PENDING_RETIREMENTS. */
  async addPendingRetirement(card: Omit<PendingRetirement, 'since'>, now: Date): Promise<PendingRetirement[]> {
    return this.store.withLock(RETIREMENTS_LOCK, async () => {
      const items = await this.pendingRetirements();
      if (items.some((i) => i.messageId === card.messageId)) return [];
      const next = [...items, { ...card, since: now.toISOString() }];
      const dropped = next.splice(0, Math.max(0, next.length - MAX_PENDING_RETIREMENTS));
      await this.retirements.write('pending', { items: next });
      return dropped;
    });
  }

  async removePendingRetirement(messageId: string): Promise<void> {
    await this.store.withLock(RETIREMENTS_LOCK, async () => {
      const items = await this.pendingRetirements();
      const next = items.filter((i) => i.messageId !== messageId);
      if (next.length !== items.length) await this.retirements.write('pending', { items: next });
    });
  }
}
