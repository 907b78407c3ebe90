// Every key the pledge module writes, in one place (docs/store.md mirrors this list).
// All are prefixed by the store namespace (`quitgpt:` on SQL backends, `quitgpt::` on Redis).
import { z } from 'zod';
import type { Store } from '../store/index.js';
import {
  campaignTotalsSchema,
  dhashSchema,
  interactionIdSchema,
  pledgeRecordSchema,
  snowflakeSchema,
  totalsSchema,
} from './schema.js';

const last = z.object({ last: z.number().int().nonnegative() });

/**
 * One holder of a hash. `n` (their pledge number, fixed for life) and `d` (their screenshot's
 * dHash) let the duplicate check rank holders from the bucket alone and confirm only the ten it
 * lists against their records (on a viral screenshot it read ~100 records per pledge). Entries
 * written before these fields existed lack them and rank last.
 */
export const hashEntrySchema = z.object({
  g: snowflakeSchema,
  u: snowflakeSchema,
  n: z.number().int().positive().optional(),
  d: dhashSchema.optional(),
});
export type HashEntry = z.infer<typeof hashEntrySchema>;
export const hashBucketSchema = z.object({ entries: z.array(hashEntrySchema) });
export type HashBucket = z.infer<typeof hashBucketSchema>;

export const SUBMIT_OUTCOMES = ['created', 'replaced', 'unchanged-verified'] as const;
export type AppliedSubmitOutcome = (typeof SUBMIT_OUTCOMES)[number];

export const memoSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('submit'),
    guildId: snowflakeSchema,
    userId: snowflakeSchema,
    outcome: z.enum(SUBMIT_OUTCOMES),
    possibleDuplicate: z.boolean(),
  }),
  z.object({ op: z.literal('review'), guildId: snowflakeSchema, userId: snowflakeSchema, pledgeId: z.number().int() }),
  z.object({ op: z.literal('withdraw'), guildId: snowflakeSchema, userId: snowflakeSchema }),
  z.object({ op: z.literal('share'), guildId: snowflakeSchema, userId: snowflakeSchema }),
]);
export type Memo = z.infer<typeof memoSchema>;

export function pledgeCollections(store: Store) {
  return {
    /** `pledge:<guildId>:<userId>` → the member's pledge in that server (one per member per server). */
    records: store.collection('pledge', pledgeRecordSchema),
    /** `pledge-num:<guildId>:<n>` → who holds number n; lets reconciliation walk a server in batches. */
    numbers: store.collection('pledge-num', z.object({ userId: snowflakeSchema })),
    /** `pledge-seq:<guildId>` → last number handed out in that server. */
    seqs: store.collection('pledge-seq', last),
    /** `totals:<guildId>` → the server's aggregate (one read for totals()). */
    guildTotals: store.collection('totals', totalsSchema),
    /** `campaign-totals:all` → the sum over servers (one read for campaignTotals()). */
    campaign: store.collection('campaign-totals', campaignTotalsSchema),
    /** `guild-seq:all`, `guild-idx:<n>` → guildId, `guild-reg:<guildId>` → n: the list of servers. */
    guildSeq: store.collection('guild-seq', last),
    guildIdx: store.collection('guild-idx', z.object({ guildId: snowflakeSchema })),
    guildReg: store.collection('guild-reg', z.object({ n: z.number().int().positive() })),
    /** `hash:sha:<sha256>` and `hash:dh:<band>:<4 hex>` → members whose current evidence has it. */
    hashes: store.collection('hash', hashBucketSchema),
    /** `ix:<interactionId>` → what that interaction did (TTL), so a redelivery changes nothing. */
    memos: store.collection('ix', memoSchema),
  };
}

export type PledgeCollections = ReturnType<typeof pledgeCollections>;

export const recordId = (guildId: string, userId: string): string => `${guildId}:${userId}`;
export const numberId = (guildId: string, n: number): string => `${guildId}:${n}`;
export const keptCopyKey = (guildId: string, userId: string): string => `kept:${guildId}:${userId}`;
export const CAMPAIGN_ID = 'all';

export const LOCKS = {
  guild: (guildId: string) => `pledges:${guildId}`,
  registry: 'guild-registry',
  /** Every write of a server total happens under this lock, so the campaign sum never races them. */
  totals: 'totals',
  hash: (id: string) => `hash:${id}`,
};

export { interactionIdSchema };
