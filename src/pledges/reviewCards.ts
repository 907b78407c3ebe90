// Where each pledge's review card was posted, so a decision, a replacement or a withdrawal can
// update it (and remove the screenshot from it) after a restart.
import { z } from 'zod';
import type { Store } from '../store/index.js';

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

export class ReviewCards {
  private readonly cards;

  constructor(store: Store) {
    this.cards = store.collection('reviewcard', reviewCardSchema);
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
}
