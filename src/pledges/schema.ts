// What a pledge is, as stored. Types are inferred from these schemas and never written twice.
import { z } from 'zod';

/**
 * Which statuses count toward a server's and the campaign's pledge totals (and milestones).
 * A pending pledge counts: members see their number at once, and review is a check, not a gate.
 * Rejected and withdrawn pledges do not count. Defined once here; aggregates and reconciliation
 * both read it, so changing it and running `npm run store:verify` recounts everything.
 */
export const COUNTED_STATUSES = ['pending', 'verified'] as const satisfies readonly PledgeStatus[];

export const PLEDGE_STATUSES = ['pending', 'verified', 'rejected', 'withdrawn'] as const;
export const PLATFORMS = ['web', 'ios', 'android', 'other'] as const;
export const NOTE_MAX = 500;
export const REJECT_REASON_MAX = 500;

export const pledgeStatusSchema = z.enum(PLEDGE_STATUSES);
export type PledgeStatus = (typeof PLEDGE_STATUSES)[number];
export const platformSchema = z.enum(PLATFORMS);
export type Platform = z.infer<typeof platformSchema>;

export function isCounted(status: PledgeStatus): boolean {
  return (COUNTED_STATUSES as readonly PledgeStatus[]).includes(status);
}

/** Discord snowflakes. Digits only, which also keeps them safe inside store keys. */
export const snowflakeSchema = z.string().regex(/^\d{1,20}$/, 'expected a Discord id');
/** Interaction ids are snowflakes too; the looser form admits ids a simulator or a script makes up. */
export const interactionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an interaction id');
const isoTimestamp = z.iso.datetime({ offset: false });

export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
/** 64-bit difference hash as 16 lowercase hex digits (src/images computes it). */
export const dhashSchema = z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 lowercase hex digits');

export const evidenceSchema = z.object({
  sha256: sha256Schema,
  dhash: dhashSchema,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  format: z.string().regex(/^[a-z0-9]{1,16}$/),
  bytes: z.number().int().nonnegative(),
  /** Blob key of the kept copy, only when the server opted in to keepScreenshots. */
  keptCopyKey: z.string().min(1).max(200).optional(),
});
export type Evidence = z.infer<typeof evidenceSchema>;
/** What a caller hands to submit(): the kept copy's key is assigned by the service. */
export const evidenceInputSchema = evidenceSchema.omit({ keptCopyKey: true });
export type EvidenceInput = z.infer<typeof evidenceInputSchema>;

export const duplicateRefSchema = z.object({
  pledgeId: z.number().int().positive(),
  userId: snowflakeSchema,
  reason: z.enum(['sha256', 'dhash']),
  /** Hamming distance between the dHashes (0 for an identical file). */
  distance: z.number().int().min(0).max(64).optional(),
  /** Set only when the other pledge is in another server (campaign-wide check). */
  guildId: snowflakeSchema.optional(),
});
export type DuplicateRef = z.infer<typeof duplicateRefSchema>;

export const pledgeRecordSchema = z.object({
  /** Sequential per server ("pledge #12 in this server"); kept for life, also across withdraw/resubmit. */
  pledgeId: z.number().int().positive(),
  guildId: snowflakeSchema,
  userId: snowflakeSchema,
  status: pledgeStatusSchema,
  platform: platformSchema,
  note: z.string().max(NOTE_MAX),
  evidence: evidenceSchema.nullable(),
  duplicateOf: z.array(duplicateRefSchema).max(50),
  /** When the current pledge was made (a resubmission after withdraw/reject starts a new one). */
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
  reviewedAt: isoTimestamp.optional(),
  /** Absent with reviewedAt set means the server's autoVerify accepted it. */
  reviewerId: snowflakeSchema.optional(),
  rejectReason: z.string().max(REJECT_REASON_MAX).optional(),
  /** Starts at 1; +1 each time the evidence is replaced or resubmitted. */
  version: z.number().int().positive(),
  /** The interaction that made the last change (idempotency beyond the memo's TTL). */
  interactionId: interactionIdSchema,
});
export type PledgeRecord = z.infer<typeof pledgeRecordSchema>;

const count = z.number().int();
export const statusCountsSchema = z.object({
  pending: count,
  verified: count,
  rejected: count,
  withdrawn: count,
});
export type StatusCounts = z.infer<typeof statusCountsSchema>;

/** UTC day (YYYY-MM-DD) → counted pledges created that day; the running sum equals `counted`. */
export const dailySchema = z.record(z.string().regex(/^\d{4}-\d{2}-\d{2}$/), count);

export const totalsSchema = z.object({
  byStatus: statusCountsSchema,
  counted: count,
  daily: dailySchema,
  updatedAt: isoTimestamp.nullable(),
});
export type Totals = z.infer<typeof totalsSchema>;

export const campaignTotalsSchema = totalsSchema.extend({
  /** Servers with at least one counted pledge. */
  servers: count,
});
export type CampaignTotals = z.infer<typeof campaignTotalsSchema>;

export function emptyTotals(): Totals {
  return { byStatus: { pending: 0, verified: 0, rejected: 0, withdrawn: 0 }, counted: 0, daily: {}, updatedAt: null };
}

export function emptyCampaignTotals(): CampaignTotals {
  return { ...emptyTotals(), servers: 0 };
}
