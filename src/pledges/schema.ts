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

/**
 * The campaign's three levels of commitment, lowest first; a member only ever moves up this list
 * (docs/journey.md, "Levels of commitment"). `strike` and `leave` are pledges, proven by a
 * screenshot and counted toward totals, milestones and the money figures; `share` is declared
 * without an image and counted apart.
 */
export const PLEDGE_LEVELS = ['share', 'strike', 'leave'] as const;
export const pledgeLevelSchema = z.enum(PLEDGE_LEVELS);
export type PledgeLevel = (typeof PLEDGE_LEVELS)[number];
/** The levels a screenshot proves: the ones /pledge submit offers. */
export const PROVEN_LEVELS = ['strike', 'leave'] as const satisfies readonly PledgeLevel[];
export type ProvenLevel = (typeof PROVEN_LEVELS)[number];
/** What a record stored before levels existed reads as: every pledge then was a cancelled subscription. */
export const DEFAULT_LEVEL = 'strike' satisfies PledgeLevel;

export function levelRank(level: PledgeLevel): number {
  return PLEDGE_LEVELS.indexOf(level);
}

/** A pledge that holds a level: pending or verified (a share is stored as verified: nothing to check). */
export function holdsLevel(record: { status: PledgeStatus }): boolean {
  return isCounted(record.status);
}

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

/** Verdicts of the automatic screenshot check (src/verification), plus 'failed' when it could not run. */
export const CHECK_VERDICTS = ['verified', 'review', 'unrelated', 'failed'] as const;
export const CHECK_EVIDENCE_MAX = 12;

/**
 * What the automatic check read on this version's screenshot: shown on the review card and in
 * /pledge status. OCR excerpts only, never the image.
 */
export const pledgeCheckSchema = z.object({
  verdict: z.enum(CHECK_VERDICTS),
  score: z.number().min(0).max(1),
  /** Lines such as "cancelled: Expires on Mar 5, 2026"; for 'failed', why it could not run. */
  evidence: z.array(z.string().max(200)).max(CHECK_EVIDENCE_MAX),
  at: isoTimestamp,
});
export type PledgeCheck = z.infer<typeof pledgeCheckSchema>;

export const pledgeRecordSchema = z.object({
  /** Sequential per server ("pledge #12 in this server"); kept for life, also across withdraw/resubmit. */
  pledgeId: z.number().int().positive(),
  guildId: snowflakeSchema,
  userId: snowflakeSchema,
  status: pledgeStatusSchema,
  /** Absent in records written before levels existed: those read as DEFAULT_LEVEL. */
  level: pledgeLevelSchema.default(DEFAULT_LEVEL),
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
  /** The automatic check of this version's screenshot, once it has run (absent: not checked). */
  check: pledgeCheckSchema.optional(),
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

/**
 * `leave` + `strike` = `counted` (pledges pending or verified at that level); `share` = share
 * declarations currently held, counted apart (in no other figure of the totals).
 */
export const levelCountsSchema = z.object({ leave: count, strike: count, share: count });
export type LevelCounts = z.infer<typeof levelCountsSchema>;

const totalsObject = z.object({
  /** Pledges (strike and leave) by status; share declarations are not in it. */
  byStatus: statusCountsSchema,
  counted: count,
  byLevel: levelCountsSchema,
  daily: dailySchema,
  updatedAt: isoTimestamp.nullable(),
});

/**
 * Aggregates written before levels existed have no `byLevel`: every counted pledge then was a
 * strike (as the records read), so that is what they read as, and a recount agrees.
 */
function withLevelDefault(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || 'byLevel' in raw) return raw;
  const counted: unknown = (raw as { counted?: unknown }).counted;
  return { ...raw, byLevel: { leave: 0, strike: counted, share: 0 } };
}

export const totalsSchema = z.preprocess(withLevelDefault, totalsObject);
export type Totals = z.infer<typeof totalsSchema>;

export const campaignTotalsSchema = z.preprocess(
  withLevelDefault,
  totalsObject.extend({
    /** Servers with at least one counted pledge. */
    servers: count,
  }),
);
export type CampaignTotals = z.infer<typeof campaignTotalsSchema>;

export function emptyLevelCounts(): LevelCounts {
  return { leave: 0, strike: 0, share: 0 };
}

export function emptyTotals(): Totals {
  return { byStatus: { pending: 0, verified: 0, rejected: 0, withdrawn: 0 }, counted: 0, byLevel: emptyLevelCounts(), daily: {}, updatedAt: null };
}

export function emptyCampaignTotals(): CampaignTotals {
  return { ...emptyTotals(), servers: 0 };
}
