// The pledge rules. Every public method resolves only after each of its writes was acknowledged by
// the backend, and writes in an order that a crash at any point leaves either the old state, or
// a state that reconcile() repairs (docs/store.md, "Write order").
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { InvalidRecord, KvEntry, ReadResult, Store, StoreLogger } from '../store/index.js';
import {
  addTotals,
  applyChange,
  contribution,
  describeDifferences,
  difference,
  serversDelta,
  sumContributions,
  type Contribution,
} from './aggregates.js';
import { DHASH_BITS, DHASH_MAX_DISTANCE, dhashIndexEntries, dhashProbes, hammingHex } from './hashing.js';
import {
  CAMPAIGN_ID,
  keptCopyKey,
  LOCKS,
  numberId,
  pledgeCollections,
  recordId,
  type AppliedSubmitOutcome,
  type HashBucket,
  type HashEntry,
  type Memo,
  type PledgeCollections,
} from './keys.js';
import {
  emptyCampaignTotals,
  emptyTotals,
  evidenceInputSchema,
  DEFAULT_LEVEL,
  holdsLevel,
  interactionIdSchema,
  levelRank,
  PROVEN_LEVELS,
  NOTE_MAX,
  platformSchema,
  pledgeCheckSchema,
  REJECT_REASON_MAX,
  snowflakeSchema,
  type CampaignTotals,
  type DuplicateRef,
  type Evidence,
  type EvidenceInput,
  type LevelCounts,
  type Platform,
  type PledgeLevel,
  type PledgeCheck,
  type PledgeRecord,
  type PledgeStatus,
  type Totals,
} from './schema.js';

/** How long a processed interaction id is remembered (Discord retries well within this). */
export const INTERACTION_TTL_MS = 60 * 60 * 1000;
/** At most this many other members are listed in `duplicateOf`. */
export const MAX_DUPLICATE_REFS = 10;
/**
 * A hash bucket keeps its first holders, up to twice what a pledge can list, so a reused image is
 * still flagged after half of them withdraw. A full bucket is left as it is: on a viral screenshot a
 * new pledge is flagged by the holders already there and writes nothing, where keeping the newest
 * rewrote five buckets on every pledge (the largest store cost of /pledge, bench 2026-11-28). The
 * first holders are also the ones a pledge lists (lowest numbers first) and the likeliest source.
 */
const MAX_BUCKET_ENTRIES = 2 * MAX_DUPLICATE_REFS;
const SCAN_BATCH = 200;

// ─── Public types ────────────────────────────────────────────────────────────────────────────────

export type PledgeServiceOptions = {
  store: Store;
  clock?: () => Date;
  log?: StoreLogger;
  interactionTtlMs?: number;
  /** Also flag an image used by another member in ANOTHER server (default true). */
  crossServerDuplicates?: boolean;
};

export type SubmitInput = {
  guildId: string;
  userId: string;
  interactionId: string;
  platform: Platform;
  /** Already sanitized by the caller; stored as given. */
  note: string;
  evidence: EvidenceInput | null;
  /** The screenshot itself, only when the server opted in to keepScreenshots. */
  keptCopy?: Buffer;
  /**
   * Verifies a pledge with evidence and no possible duplicate at once, without reading the image.
   * The bot never sets it (the automatic check decides afterwards, through recordCheck); tests use
   * it to make verified pledges. Candidate for removal.
   */
  autoVerify?: boolean;
  /**
   * The level the screenshot proves (share is declared with declareShare, without one). Absent: the
   * level of the member's current pledge, else 'strike'. A pledge is never lowered: a lower level
   * than the one held is kept at the held one (the command refuses it before submitting).
   */
  level?: ProvenLevelInput;
};

type ProvenLevelInput = (typeof PROVEN_LEVELS)[number];

export type CountChange = {
  guild: { before: number; after: number };
  campaign: { before: number; after: number };
  /** Breakdown by level after the change (absent where it could not be read cheaply). */
  levels?: { guild: LevelCounts; campaign: LevelCounts };
};

export type ShareInput = { guildId: string; userId: string; interactionId: string };

export type ShareResult =
  | {
      /** created: the declaration is recorded (a first one, or again after a withdrawal or a rejection). */
      outcome: 'created';
      record: PledgeRecord;
      previousStatus: PledgeStatus | null;
      counts: CountChange;
    }
  /** The member already holds a share declaration: nothing changed. */
  | { outcome: 'unchanged'; record: PledgeRecord }
  /** The member holds a pledge (strike or leave), a higher level: nothing changed, never lowered. */
  | { outcome: 'already-pledged'; record: PledgeRecord }
  | { outcome: 'duplicate-interaction'; record: PledgeRecord | null }
  | { outcome: 'invalid-record'; error: InvalidRecord };

export type SubmitResult =
  | {
      outcome: 'created' | 'replaced' | 'unchanged-verified';
      record: PledgeRecord;
      possibleDuplicate: boolean;
      /**
       * null for a first pledge (also when it raises a share declaration, which is not a pledge);
       * 'withdrawn' / 'rejected' when a member pledges again.
       */
      previousStatus: PledgeStatus | null;
      /** The level the member held before (pending or verified), null if none. */
      previousLevel: PledgeLevel | null;
      /** Counted totals before/after: compare with milestones. Equal for unchanged-verified. */
      counts: CountChange;
    }
  | {
      outcome: 'duplicate-interaction';
      /** What the first delivery of this interaction did. */
      previousOutcome: AppliedSubmitOutcome;
      record: PledgeRecord | null;
      possibleDuplicate: boolean;
    }
  | { outcome: 'invalid-record'; error: InvalidRecord };

export type ReviewInput = {
  guildId: string;
  pledgeId: number;
  /** The status the reviewer saw; the decision is refused if it changed since. */
  expectedStatus: 'pending' | 'verified' | 'rejected';
  decision: 'verified' | 'rejected';
  reviewerId: string;
  reason?: string;
  interactionId?: string;
  /**
   * The version the reviewer saw (review cards carry it). Checked under the same lock as the
   * decision, so evidence replaced after the card was drawn is never decided by that card.
   */
  expectedVersion?: number;
};

export type ReviewResult =
  | { ok: true; record: PledgeRecord; previousStatus: PledgeStatus; counts: CountChange | null; duplicateInteraction: boolean }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'status-changed'; record: PledgeRecord }
  | { ok: false; reason: 'evidence-changed'; record: PledgeRecord }
  | { ok: false; reason: 'no-change'; record: PledgeRecord }
  | { ok: false; reason: 'invalid-record'; error: InvalidRecord };

export type RecordCheckInput = {
  guildId: string;
  pledgeId: number;
  /** The pledge version whose screenshot was read: a replaced or withdrawn pledge is left alone. */
  version: number;
  check: PledgeCheck;
  /** The server's auto-verify setting when the verdict arrived. */
  autoVerify: boolean;
};

export type RecordCheckResult =
  | {
      ok: true;
      record: PledgeRecord;
      /** The verdict moved the pledge to verified (no moderator involved). */
      autoVerified: boolean;
      counts: CountChange;
    }
  /** Nothing written: the pledge changed since (decided, replaced, withdrawn) or already holds a check. */
  | { ok: false; reason: 'not-found' | 'changed' | 'already-checked'; record: PledgeRecord | null };

export type WithdrawInput = { guildId: string; userId: string; interactionId?: string };

export type WithdrawResult =
  | {
      ok: true;
      /** What remains (see docs/store.md "Privacy"); null if a damaged record had to be deleted. */
      record: PledgeRecord | null;
      previousStatus: PledgeStatus | null;
      /** The kept screenshot's blob key, already deleted from store.blobs; null if none was kept. */
      keptCopyKey: string | null;
      counts: CountChange | null;
      duplicateInteraction: boolean;
    }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'already-withdrawn'; record: PledgeRecord };

export type PledgeLookup = { ok: true; record: PledgeRecord | null } | { ok: false; error: InvalidRecord };

export type GuildReconcileReport = {
  guildId: string;
  /** Pledge numbers examined (1..last number handed out). */
  numbersScanned: number;
  pledgesCounted: number;
  invalidRecords: InvalidRecord[];
  /** Numbers whose holder now has another number (left by a crash mid-submit): harmless gaps. */
  staleNumbers: number[];
  hashIndexEntriesRestored: number;
  /** One line per repaired field, e.g. "server 123 counted: 4 → 5". Empty when all was right. */
  fixes: string[];
  totals: Totals;
};

export type ReconcileReport = {
  guilds: GuildReconcileReport[];
  campaignFixes: string[];
  campaign: CampaignTotals;
  /** True when anything was rewritten. */
  repaired: boolean;
};

export class PledgeInputError extends Error {
  override name = 'PledgeInputError';
  constructor(readonly issues: string[]) {
    super(`invalid pledge input: ${issues.join('; ')}`);
  }
}

// ─── Input validation ────────────────────────────────────────────────────────────────────────────

const submitInputSchema = z.object({
  guildId: snowflakeSchema,
  userId: snowflakeSchema,
  interactionId: interactionIdSchema,
  platform: platformSchema,
  note: z.string().max(NOTE_MAX),
  evidence: evidenceInputSchema.nullable(),
  keptCopy: z.instanceof(Buffer).optional(),
  autoVerify: z.boolean().optional(),
  level: z.enum(PROVEN_LEVELS).optional(),
});
const shareInputSchema = z.object({
  guildId: snowflakeSchema,
  userId: snowflakeSchema,
  interactionId: interactionIdSchema,
});
const reviewInputSchema = z.object({
  guildId: snowflakeSchema,
  pledgeId: z.number().int().positive(),
  expectedStatus: z.enum(['pending', 'verified', 'rejected']),
  decision: z.enum(['verified', 'rejected']),
  reviewerId: snowflakeSchema,
  reason: z.string().max(REJECT_REASON_MAX).optional(),
  interactionId: interactionIdSchema.optional(),
  expectedVersion: z.number().int().positive().optional(),
});
const recordCheckInputSchema = z.object({
  guildId: snowflakeSchema,
  pledgeId: z.number().int().positive(),
  version: z.number().int().positive(),
  check: pledgeCheckSchema,
  autoVerify: z.boolean(),
});
const withdrawInputSchema = z.object({
  guildId: snowflakeSchema,
  userId: snowflakeSchema,
  interactionId: interactionIdSchema.optional(),
});
const guildIdInput = snowflakeSchema;

function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new PledgeInputError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return parsed.data;
}

// ─── Service ─────────────────────────────────────────────────────────────────────────────────────

export class PledgeService {
  private readonly store: Store;
  private readonly c: PledgeCollections;
  private readonly clock: () => Date;
  private readonly log: StoreLogger;
  private readonly interactionTtlMs: number;
  private readonly crossServer: boolean;
  private readonly registered = new Set<string>();

  constructor(opts: PledgeServiceOptions) {
    this.store = opts.store;
    this.c = pledgeCollections(opts.store);
    this.clock = opts.clock ?? (() => new Date());
    this.log = opts.log ?? opts.store.log;
    this.interactionTtlMs = opts.interactionTtlMs ?? INTERACTION_TTL_MS;
    this.crossServer = opts.crossServerDuplicates ?? true;
  }

  // ── Reads ──

  async get(guildId: string, userId: string): Promise<PledgeLookup> {
    parseInput(guildIdInput, guildId);
    parseInput(snowflakeSchema, userId);
    return lookup(await this.c.records.read(recordId(guildId, userId)));
  }

  async getByNumber(guildId: string, pledgeId: number): Promise<PledgeLookup> {
    parseInput(guildIdInput, guildId);
    const num = await this.c.numbers.read(numberId(guildId, pledgeId));
    if (!num.ok) return { ok: false, error: num.error };
    if (!num.value) return { ok: true, record: null };
    const rec = await this.c.records.read(recordId(guildId, num.value.userId));
    if (!rec.ok) return { ok: false, error: rec.error };
    // A number left behind by an interrupted submit points at a member who holds another number.
    return { ok: true, record: rec.value?.pledgeId === pledgeId ? rec.value : null };
  }

  /** One read. A damaged aggregate is rebuilt on the spot (and logged) rather than shown as zero. */
  async totals(guildId: string): Promise<Totals> {
    parseInput(guildIdInput, guildId);
    const r = await this.c.guildTotals.read(guildId);
    if (r.ok) return r.value ?? emptyTotals();
    this.log.error({ guildId }, 'pledges: server totals damaged, recounting');
    const report = await this.reconcile(guildId);
    return report.guilds[0]?.totals ?? emptyTotals();
  }

  /** One read, like totals(). */
  async campaignTotals(): Promise<CampaignTotals> {
    const r = await this.c.campaign.read(CAMPAIGN_ID);
    if (r.ok) return r.value ?? emptyCampaignTotals();
    this.log.error({}, 'pledges: campaign totals damaged, summing server totals');
    return (await this.store.withLock(LOCKS.totals, () => this.recomputeCampaignLocked())).campaign;
  }

  /** Every server that ever had a pledge, in first-pledge order. */
  async *guilds(): AsyncGenerator<string> {
    const last = await this.readLast(this.c.guildSeq, CAMPAIGN_ID, (n) => this.c.guildIdx.readMany(range(n, SCAN_BATCH).map(String)));
    const seen = new Set<string>();
    for (let start = 1; start <= last; start += SCAN_BATCH) {
      const ids = range(start, Math.min(SCAN_BATCH, last - start + 1)).map(String);
      for (const r of await this.c.guildIdx.readMany(ids)) {
        const g = r.ok ? r.value?.guildId : undefined;
        if (g !== undefined && !seen.has(g)) {
          seen.add(g);
          yield g;
        }
      }
    }
  }

  /** A server's pledges in number order, read in batches (damaged records are logged and skipped). */
  async *pledges(guildId: string): AsyncGenerator<PledgeRecord> {
    parseInput(guildIdInput, guildId);
    for await (const batch of this.scan(guildId)) {
      for (const item of batch) if (item.kind === 'record') yield item.record;
    }
  }

  // ── Submit ──

  async submit(input: SubmitInput): Promise<SubmitResult> {
    const inp = parseInput(submitInputSchema, input);
    const { guildId: g, userId: u } = inp;
    return this.store.withLock(LOCKS.guild(g), async () => {
      // Both are read on every submission: one round trip, not two, inside the server's lock.
      const [memo, existingRead] = await Promise.all([this.readMemo(inp.interactionId), this.c.records.read(recordId(g, u))]);
      if (memo) {
        const record = existingRead.ok ? (existingRead.value ?? null) : null;
        return {
          outcome: 'duplicate-interaction',
          previousOutcome: memo.op === 'submit' ? memo.outcome : 'unchanged-verified',
          record,
          possibleDuplicate: memo.op === 'submit' ? memo.possibleDuplicate : false,
        };
      }

      if (!existingRead.ok) return { outcome: 'invalid-record', error: existingRead.error };
      const existing = existingRead.value ?? null;

      // The memo expired (or its write was cut off) but the record says this interaction made it.
      if (existing && existing.interactionId === inp.interactionId) {
        return {
          outcome: 'duplicate-interaction',
          previousOutcome: existing.createdAt === existing.updatedAt ? 'created' : 'replaced',
          record: existing,
          possibleDuplicate: existing.duplicateOf.length > 0,
        };
      }

      const now = this.clock().toISOString();

      // Levels: a share declaration is not a pledge, so a screenshot on top of it starts one; a
      // pledge moves only up (strike → leave), and a request below the held level keeps the held one.
      const held: PledgeLevel | null = existing && holdsLevel(existing) ? existing.level : null;
      const requested: PledgeLevel = inp.level ?? (held === 'leave' || held === 'strike' ? held : DEFAULT_LEVEL);
      const level: PledgeLevel = held !== null && levelRank(held) > levelRank(requested) ? held : requested;
      const raising = held !== null && levelRank(level) > levelRank(held);
      /** The member's pledge goes on (same number, same date): evidence replaced, or a level raised. */
      const continues = existing !== null && held !== null && held !== 'share';

      if (existing?.status === 'verified' && !raising) {
        const counts = await this.currentCounts(g);
        await this.writeMemo(inp.interactionId, {
          op: 'submit',
          guildId: g,
          userId: u,
          outcome: 'unchanged-verified',
          possibleDuplicate: existing.duplicateOf.length > 0,
        });
        return {
          outcome: 'unchanged-verified',
          record: existing,
          possibleDuplicate: existing.duplicateOf.length > 0,
          previousStatus: 'verified',
          previousLevel: held,
          counts,
        };
      }

      // Both settle before anything is rethrown: planNumber may repair a damaged counter, and that
      // write must not land after the server's lock was released to the next submission.
      const [dupRead, numberRead] = await Promise.allSettled([
        inp.evidence ? this.findDuplicates(g, u, inp.evidence) : Promise.resolve({ refs: [], checked: new Map<string, ReadonlySet<string>>() }),
        this.planNumber(existing, g, u),
      ]);
      if (dupRead.status === 'rejected') throw dupRead.reason;
      if (numberRead.status === 'rejected') throw numberRead.reason;
      const { refs: duplicateOf, checked } = dupRead.value;
      const numbering = numberRead.value;
      const pledgeId = numbering.pledgeId;
      const possibleDuplicate = duplicateOf.length > 0;
      const autoVerified = inp.autoVerify === true && inp.evidence !== null && !possibleDuplicate;
      const evidence: Evidence | null = inp.evidence
        ? { ...inp.evidence, ...(inp.keptCopy ? { keptCopyKey: keptCopyKey(g, u) } : {}) }
        : null;

      const outcome: AppliedSubmitOutcome = continues ? 'replaced' : 'created';
      const record: PledgeRecord = {
        pledgeId,
        guildId: g,
        userId: u,
        status: autoVerified ? 'verified' : 'pending',
        level,
        platform: inp.platform,
        note: inp.note,
        evidence,
        duplicateOf,
        // Replacing evidence keeps the pledge's date; pledging again after withdraw/reject is a new pledge.
        createdAt: outcome === 'replaced' && existing ? existing.createdAt : now,
        updatedAt: now,
        ...(autoVerified ? { reviewedAt: now } : {}),
        version: existing ? existing.version + 1 : 1,
        interactionId: inp.interactionId,
      };

      // Stale index entries go before the record, so the index never names a member for a hash
      // their record does not hold. Then the number, the record, its index entries, the totals and
      // the memo commit as one batch (commitChange): all of it or none, and one round trip inside
      // the server's lock instead of seven.
      const oldKeys = existing?.evidence ? hashIds(existing.evidence) : [];
      const newKeys = evidence ? hashIds(evidence) : [];
      await this.indexRemove(oldKeys.filter((k) => !newKeys.includes(k)), g, u);
      const counts = await this.commitChange(g, {
        writes: [
          ...numbering.writes,
          this.c.records.entry(recordId(g, u), record),
          this.c.memos.entry(inp.interactionId, { op: 'submit', guildId: g, userId: u, outcome, possibleDuplicate }, this.interactionTtlMs),
        ],
        index: evidence ? { ids: newKeys, holder: { g, u, n: pledgeId, d: evidence.dhash }, checked } : null,
        before: contribution(existing),
        after: contribution(record),
        nowIso: now,
      });

      // The record is written first, so a blob can never outlive every record that names it.
      if (inp.keptCopy && evidence) await this.store.blobs.put(keptCopyKey(g, u), inp.keptCopy);
      else if (existing?.evidence?.keptCopyKey) await this.store.blobs.delete(existing.evidence.keptCopyKey);
      if (possibleDuplicate) {
        this.log.info({ guildId: g, userId: u, pledgeId, duplicateOf }, 'pledges: possible duplicate evidence');
      }
      // A share declaration is not a pledge: pledging on top of it is a first pledge.
      const previousStatus = existing && held !== 'share' ? existing.status : null;
      return { outcome, record, possibleDuplicate, previousStatus, previousLevel: held, counts };
    });
  }

  // ── Share declaration ──

  /**
   * Records that the member shares the campaign: the lowest level, declared without a screenshot,
   * counted apart (`byLevel.share`) and never in `counted`, milestones or the money figures. It
   * takes a number in the server's register like a pledge (so reconciliation and the export find
   * it) and is stored as `verified` (there is nothing to check; no review card). A member holding a
   * pledge keeps it: a declaration never lowers a level. Same idempotency as submit().
   */
  async declareShare(input: ShareInput): Promise<ShareResult> {
    const inp = parseInput(shareInputSchema, input);
    const { guildId: g, userId: u } = inp;
    return this.store.withLock(LOCKS.guild(g), async () => {
      const memo = await this.readMemo(inp.interactionId);
      const existingRead = await this.c.records.read(recordId(g, u));
      if (memo) return { outcome: 'duplicate-interaction', record: existingRead.ok ? (existingRead.value ?? null) : null };
      if (!existingRead.ok) return { outcome: 'invalid-record', error: existingRead.error };
      const existing = existingRead.value ?? null;
      if (existing && existing.interactionId === inp.interactionId) return { outcome: 'duplicate-interaction', record: existing };
      if (existing && holdsLevel(existing)) {
        return existing.level === 'share' ? { outcome: 'unchanged', record: existing } : { outcome: 'already-pledged', record: existing };
      }

      const now = this.clock().toISOString();
      const pledgeId = await this.numberFor(existing, g, u);
      const record: PledgeRecord = {
        pledgeId,
        guildId: g,
        userId: u,
        status: 'verified',
        level: 'share',
        platform: existing?.platform ?? 'other',
        note: '',
        evidence: null,
        duplicateOf: [],
        createdAt: now,
        updatedAt: now,
        // A new version, so a review card of an earlier (rejected) screenshot can no longer decide.
        version: existing ? existing.version + 1 : 1,
        interactionId: inp.interactionId,
      };
      // A rejected pledge's screenshot data goes, in submit()'s order: index, record, kept copy.
      if (existing?.evidence) await this.indexRemove(hashIds(existing.evidence), g, u);
      await this.c.records.write(recordId(g, u), record);
      if (existing?.evidence?.keptCopyKey) await this.store.blobs.delete(existing.evidence.keptCopyKey);
      const counts = await this.updateTotals(g, contribution(existing), contribution(record), now);
      await this.writeMemo(inp.interactionId, { op: 'share', guildId: g, userId: u });
      return { outcome: 'created', record, previousStatus: existing?.status ?? null, counts };
    });
  }

  // ── Review ──

  async review(input: ReviewInput): Promise<ReviewResult> {
    const inp = parseInput(reviewInputSchema, input);
    const g = inp.guildId;
    return this.store.withLock(LOCKS.guild(g), async () => {
      const memo = inp.interactionId ? await this.readMemo(inp.interactionId) : undefined;
      if (memo) {
        const again = await this.c.records.read(recordId(memo.guildId, memo.userId));
        if (!again.ok) return { ok: false, reason: 'invalid-record', error: again.error };
        if (!again.value) return { ok: false, reason: 'not-found' };
        return { ok: true, record: again.value, previousStatus: again.value.status, counts: null, duplicateInteraction: true };
      }

      const found = await this.getByNumber(g, inp.pledgeId);
      if (!found.ok) return { ok: false, reason: 'invalid-record', error: found.error };
      const existing = found.record;
      if (!existing) return { ok: false, reason: 'not-found' };
      // A share declaration has no screenshot to review (no card is ever posted for one).
      if (existing.level === 'share') return { ok: false, reason: 'not-found' };
      if (existing.status !== inp.expectedStatus) return { ok: false, reason: 'status-changed', record: existing };
      if (inp.expectedVersion !== undefined && existing.version !== inp.expectedVersion) {
        return { ok: false, reason: 'evidence-changed', record: existing };
      }
      if (existing.status === inp.decision) return { ok: false, reason: 'no-change', record: existing };

      const now = this.clock().toISOString();
      const { rejectReason: _dropped, ...rest } = existing;
      const record: PledgeRecord = {
        ...rest,
        status: inp.decision,
        reviewedAt: now,
        reviewerId: inp.reviewerId,
        ...(inp.decision === 'rejected' && inp.reason !== undefined ? { rejectReason: inp.reason } : {}),
        updatedAt: now,
        interactionId: inp.interactionId ?? localInteractionId(),
      };
      await this.c.records.write(recordId(g, existing.userId), record);
      const counts = await this.updateTotals(g, contribution(existing), contribution(record), now);
      if (inp.interactionId) {
        await this.writeMemo(inp.interactionId, { op: 'review', guildId: g, userId: existing.userId, pledgeId: existing.pledgeId });
      }
      return { ok: true, record, previousStatus: existing.status, counts, duplicateInteraction: false };
    });
  }

  // ── Automatic check ──

  /**
   * Stores the automatic check's verdict on the pledge it read, under the server's lock. Only a
   * pending pledge at the same version takes it, once: a moderator's decision, a replaced screenshot
   * or a withdrawal since the check began wins, and a second delivery of the same verdict (a job
   * re-run after a restart) changes nothing. A `verified` verdict on a pledge with no possible
   * duplicate verifies it when the server has auto-verify on (reviewedAt set, no reviewerId).
   */
  async recordCheck(input: RecordCheckInput): Promise<RecordCheckResult> {
    const inp = parseInput(recordCheckInputSchema, input);
    const g = inp.guildId;
    return this.store.withLock(LOCKS.guild(g), async () => {
      const found = await this.getByNumber(g, inp.pledgeId);
      if (!found.ok) throw new Error(`pledge record unreadable: ${found.error.issues.join('; ')}`);
      const existing = found.record;
      if (!existing) return { ok: false, reason: 'not-found', record: null };
      if (existing.status !== 'pending' || existing.version !== inp.version) return { ok: false, reason: 'changed', record: existing };
      if (existing.check) return { ok: false, reason: 'already-checked', record: existing };
      const now = this.clock().toISOString();
      // The check recognizes a cancelled subscription, not a deleted account: "leave" always goes to a person.
      const autoVerified =
        inp.autoVerify && inp.check.verdict === 'verified' && existing.duplicateOf.length === 0 && existing.evidence !== null && existing.level !== 'leave';
      const record: PledgeRecord = {
        ...existing,
        check: inp.check,
        updatedAt: now,
        ...(autoVerified ? { status: 'verified' as const, reviewedAt: now } : {}),
      };
      await this.c.records.write(recordId(g, existing.userId), record);
      const counts = await this.updateTotals(g, contribution(existing), contribution(record), now);
      return { ok: true, record, autoVerified, counts };
    });
  }

  // ── Withdraw ──

  async withdraw(input: WithdrawInput): Promise<WithdrawResult> {
    const inp = parseInput(withdrawInputSchema, input);
    const { guildId: g, userId: u } = inp;
    return this.store.withLock(LOCKS.guild(g), async () => {
      const memo = inp.interactionId ? await this.readMemo(inp.interactionId) : undefined;
      const read = await this.c.records.read(recordId(g, u));
      if (memo) {
        // Even if the member pledged again since, a redelivered withdraw must not withdraw that.
        const record = read.ok ? (read.value ?? null) : null;
        return { ok: true, record, previousStatus: null, keptCopyKey: null, counts: null, duplicateInteraction: true };
      }
      const now = this.clock().toISOString();
      if (!read.ok) return this.eraseDamaged(g, u, read.error, now);
      const existing = read.value;
      if (!existing) return { ok: false, reason: 'not-found' };
      if (existing.status === 'withdrawn') return { ok: false, reason: 'already-withdrawn', record: existing };

      // Erase in the order that never leaves personal data unreachable by a retry: the index
      // entries and the blob go first; the record (which a retry reads to find them) goes last.
      if (existing.evidence) await this.indexRemove(hashIds(existing.evidence), g, u);
      const blobKey = existing.evidence?.keptCopyKey ?? null;
      await this.store.blobs.delete(blobKey ?? keptCopyKey(g, u));

      const record: PledgeRecord = {
        pledgeId: existing.pledgeId,
        guildId: g,
        userId: u,
        status: 'withdrawn',
        level: existing.level,
        platform: existing.platform,
        note: '',
        evidence: null,
        duplicateOf: [],
        createdAt: existing.createdAt,
        updatedAt: now,
        version: existing.version,
        interactionId: inp.interactionId ?? localInteractionId(),
      };
      await this.c.records.write(recordId(g, u), record);
      const counts = await this.updateTotals(g, contribution(existing), contribution(record), now);
      if (inp.interactionId) await this.writeMemo(inp.interactionId, { op: 'withdraw', guildId: g, userId: u });
      return { ok: true, record, previousStatus: existing.status, keptCopyKey: blobKey, counts, duplicateInteraction: false };
    });
  }

  /** A member asked to be erased but their record is unreadable: erase what can be identified. */
  private async eraseDamaged(g: string, u: string, error: InvalidRecord, now: string): Promise<WithdrawResult> {
    const raw = error.raw;
    const field = (obj: unknown, k: string): unknown =>
      typeof obj === 'object' && obj !== null && k in obj ? (obj as Record<string, unknown>)[k] : undefined;
    const evidence = field(raw, 'evidence');
    const sha = field(evidence, 'sha256');
    const dh = field(evidence, 'dhash');
    const ids: string[] = [];
    if (typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha)) ids.push(`sha:${sha}`);
    if (typeof dh === 'string' && /^[0-9a-f]{16}$/.test(dh)) ids.push(...dhashIndexEntries(dh).map((e) => `dh:${e.band}:${e.value}`));
    await this.indexRemove(ids, g, u);
    await this.store.blobs.delete(keptCopyKey(g, u));
    const pledgeId = field(raw, 'pledgeId');
    const createdAt = field(raw, 'createdAt');
    let record: PledgeRecord | null = null;
    if (typeof pledgeId === 'number' && Number.isInteger(pledgeId) && pledgeId > 0) {
      record = {
        pledgeId,
        guildId: g,
        userId: u,
        status: 'withdrawn',
        level: DEFAULT_LEVEL,
        platform: 'other',
        note: '',
        evidence: null,
        duplicateOf: [],
        createdAt: typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) ? new Date(createdAt).toISOString() : now,
        updatedAt: now,
        version: 1,
        interactionId: localInteractionId(),
      };
      await this.c.records.write(recordId(g, u), record);
    } else {
      await this.c.records.delete(recordId(g, u));
    }
    this.log.warn({ guildId: g, userId: u, key: error.key }, 'pledges: erased a damaged record on withdraw; run store:verify');
    return { ok: true, record, previousStatus: null, keptCopyKey: keptCopyKey(g, u), counts: null, duplicateInteraction: false };
  }

  // ── Reconciliation ──

  /**
   * Recounts from the records and rewrites whatever disagrees: one server (its totals, its hash
   * index entries; the campaign totals move by the same difference), or with no argument every
   * server and then the campaign totals from the sum of servers.
   */
  async reconcile(guildId?: string): Promise<ReconcileReport> {
    if (guildId !== undefined) {
      parseInput(guildIdInput, guildId);
      const report = await this.store.withLock(LOCKS.guild(guildId), () => this.reconcileGuildLocked(guildId));
      const campaign = await this.campaignTotals();
      return { guilds: [report], campaignFixes: [], campaign, repaired: report.fixes.length > 0 || report.hashIndexEntriesRestored > 0 };
    }
    const reports: GuildReconcileReport[] = [];
    for await (const g of this.guilds()) {
      reports.push(await this.store.withLock(LOCKS.guild(g), () => this.reconcileGuildLocked(g)));
    }
    const { fixes, campaign } = await this.store.withLock(LOCKS.totals, () => this.recomputeCampaignLocked());
    const repaired = fixes.length > 0 || reports.some((r) => r.fixes.length > 0 || r.hashIndexEntriesRestored > 0);
    return { guilds: reports, campaignFixes: fixes, campaign, repaired };
  }

  /** A member keeps their number for life; a first record takes the server's next one. */
  private async numberFor(existing: PledgeRecord | null, g: string, u: string): Promise<number> {
    if (existing) return existing.pledgeId;
    await this.ensureRegistered(g);
    return this.allocateNumber(g, u);
  }

  /** Deletes expired interaction memos (SQL backends keep expired rows until read). */
  async purgeExpiredMemos(): Promise<number> {
    return this.store.purgeExpired('ix:');
  }

  private async reconcileGuildLocked(g: string): Promise<GuildReconcileReport> {
    const contributions: Contribution[] = [];
    const invalidRecords: InvalidRecord[] = [];
    const staleNumbers: number[] = [];
    let numbersScanned = 0;
    let restored = 0;
    const fixes: string[] = [];

    const lastRead = await this.c.seqs.read(g);
    for await (const batch of this.scan(g)) {
      numbersScanned += batch.length;
      const withEvidence: PledgeRecord[] = [];
      for (const item of batch) {
        if (item.kind === 'record') {
          contributions.push(contribution(item.record) ?? { status: item.record.status, level: item.record.level, day: null });
          if (item.record.evidence) withEvidence.push(item.record);
        } else if (item.kind === 'invalid') invalidRecords.push(item.error);
        else if (item.kind === 'stale') staleNumbers.push(item.n);
      }
      restored += await this.restoreIndex(withEvidence);
    }
    // scan() already rewrote a damaged counter from the number index; report it.
    if (!lastRead.ok) fixes.push(`server ${g} last pledge number: damaged → ${numbersScanned}`);
    if (numbersScanned > 0) await this.ensureRegistered(g);

    const nowIso = this.clock().toISOString();
    const actual = sumContributions(contributions, nowIso);
    await this.store.withLock(LOCKS.totals, async () => {
      const stored = await this.c.guildTotals.read(g);
      const before = stored.ok ? (stored.value ?? emptyTotals()) : null;
      const lines = before ? describeDifferences(`server ${g}`, before, actual) : [`server ${g} totals: damaged → recounted`];
      if (lines.length === 0) return;
      fixes.push(...lines);
      await this.c.guildTotals.write(g, actual);
      const campaign = await this.c.campaign.read(CAMPAIGN_ID);
      if (before && campaign.ok) {
        const base = campaign.value ?? emptyCampaignTotals();
        const next = addTotals(base, difference(actual, before), nowIso);
        next.servers += serversDelta(before.counted, actual.counted);
        await this.c.campaign.write(CAMPAIGN_ID, next);
      } else {
        await this.recomputeCampaignLocked();
      }
    });
    if (invalidRecords.length > 0) {
      this.log.error({ guildId: g, keys: invalidRecords.map((e) => e.key) }, 'pledges: damaged records are not counted');
    }
    const finalTotals = fixes.length > 0 ? actual : await this.readTotalsOrEmpty(g);
    return {
      guildId: g,
      numbersScanned,
      pledgesCounted: contributions.length,
      invalidRecords,
      staleNumbers,
      hashIndexEntriesRestored: restored,
      fixes,
      totals: finalTotals,
    };
  }

  /** Caller holds LOCKS.totals, under which every server total is written: the sum is consistent. */
  private async recomputeCampaignLocked(): Promise<{ fixes: string[]; campaign: CampaignTotals }> {
    const nowIso = this.clock().toISOString();
    let sum = emptyCampaignTotals();
    for await (const g of this.guilds()) {
      const t = await this.c.guildTotals.read(g);
      if (!t.ok) {
        this.log.error({ guildId: g }, 'pledges: damaged server totals left out of the campaign sum; reconcile that server');
        continue;
      }
      if (!t.value) continue;
      sum = addTotals(sum, t.value, nowIso);
      if (t.value.counted > 0) sum.servers += 1;
    }
    const stored = await this.c.campaign.read(CAMPAIGN_ID);
    const before = stored.ok ? (stored.value ?? emptyCampaignTotals()) : null;
    const fixes = before ? describeDifferences('campaign', before, sum) : ['campaign totals: damaged → recounted'];
    if (fixes.length === 0 && before) return { fixes, campaign: before };
    await this.c.campaign.write(CAMPAIGN_ID, sum);
    return { fixes, campaign: sum };
  }

  // ── Internals: numbering, registry, totals ──

  /**
   * The member's number and, for a first pledge, the counter and register writes that claim it,
   * to be committed with the record (commitChange): a crash before that commit hands out nothing.
   * Only ever called under the server's lock, so two plans never read the same counter.
   */
  private async planNumber(existing: PledgeRecord | null, g: string, u: string): Promise<{ pledgeId: number; writes: KvEntry[] }> {
    if (existing) return { pledgeId: existing.pledgeId, writes: [] };
    await this.ensureRegistered(g);
    const last = await this.readLast(this.c.seqs, g, (n) => this.c.numbers.readMany(range(n, SCAN_BATCH).map((i) => numberId(g, i))));
    const n = last + 1;
    return { pledgeId: n, writes: [this.c.seqs.entry(g, { last: n }), this.c.numbers.entry(numberId(g, n), { userId: u })] };
  }

  private async allocateNumber(g: string, u: string): Promise<number> {
    const last = await this.readLast(this.c.seqs, g, (n) => this.c.numbers.readMany(range(n, SCAN_BATCH).map((i) => numberId(g, i))));
    const n = last + 1;
    // Counter first: a crash after it burns number n (a gap), never hands it out twice.
    await this.c.seqs.write(g, { last: n });
    await this.c.numbers.write(numberId(g, n), { userId: u });
    return n;
  }

  /**
   * Reads a `{ last }` counter; if it is damaged, finds the highest used slot by probing in
   * batches (rare, logged) so that numbering continues instead of failing every submission.
   */
  private async readLast(
    col: PledgeCollections['seqs'],
    id: string,
    probe: (start: number) => Promise<Array<ReadResult<unknown>>>,
  ): Promise<number> {
    const r = await col.read(id);
    if (r.ok) return r.value?.last ?? 0;
    this.log.error({ key: r.error.key }, 'pledges: damaged counter, recovering it from the index');
    let highest = 0;
    for (let start = 1; ; start += SCAN_BATCH) {
      const rows = await probe(start);
      let found = false;
      rows.forEach((row, i) => {
        if (!row.ok || row.value !== undefined) {
          found = true;
          highest = start + i;
        }
      });
      if (!found) break;
    }
    await col.write(id, { last: highest });
    return highest;
  }

  private async ensureRegistered(g: string): Promise<void> {
    if (this.registered.has(g)) return;
    const known = await this.c.guildReg.read(g);
    if (known.ok && known.value) {
      this.registered.add(g);
      return;
    }
    await this.store.withLock(LOCKS.registry, async () => {
      const again = await this.c.guildReg.read(g);
      if (again.ok && again.value) return;
      const last = await this.readLast(this.c.guildSeq, CAMPAIGN_ID, (n) => this.c.guildIdx.readMany(range(n, SCAN_BATCH).map(String)));
      const n = last + 1;
      await this.c.guildSeq.write(CAMPAIGN_ID, { last: n });
      await this.c.guildIdx.write(String(n), { guildId: g });
      await this.c.guildReg.write(g, { n });
    });
    this.registered.add(g);
  }

  private async readTotalsOrEmpty(g: string): Promise<Totals> {
    const r = await this.c.guildTotals.read(g);
    return r.ok ? (r.value ?? emptyTotals()) : emptyTotals();
  }

  private async currentCounts(g: string): Promise<CountChange> {
    const [t, c] = await Promise.all([this.c.guildTotals.read(g), this.c.campaign.read(CAMPAIGN_ID)]);
    const gc = t.ok ? (t.value?.counted ?? 0) : 0;
    const cc = c.ok ? (c.value?.counted ?? 0) : 0;
    return { guild: { before: gc, after: gc }, campaign: { before: cc, after: cc } };
  }

  /**
   * Server totals, then campaign totals, both under LOCKS.totals. A crash between the two leaves
   * the campaign behind by this change; reconcile() without a server id re-sums it.
   */
  private async updateTotals(g: string, before: Contribution | null, after: Contribution | null, nowIso: string): Promise<CountChange> {
    return this.store.withLock(LOCKS.totals, () => this.updateTotalsLocked(g, before, after, nowIso));
  }

  /**
   * Commits `writes`, the holder's hash index entries and the totals change as one batch, holding
   * the hash buckets' locks and then LOCKS.totals (the lock order of docs/store.md). If a total is
   * unreadable, the rest commits first and the totals are recounted (the recount reads the record).
   */
  private async commitChange(
    g: string,
    change: {
      writes: KvEntry[];
      index: { ids: string[]; holder: Required<HashEntry>; checked: ReadonlyMap<string, ReadonlySet<string>> } | null;
      before: Contribution | null;
      after: Contribution | null;
      nowIso: string;
    },
  ): Promise<CountChange> {
    const ids = change.index?.ids ?? [];
    return this.store.withLock(
      ids.map((id) => LOCKS.hash(id)),
      async () => {
        const indexWrites = change.index ? await this.planIndexAdd(change.index.ids, change.index.holder, change.index.checked) : [];
        return this.store.withLock(LOCKS.totals, async () => {
          const [gr, cr] = await Promise.all([this.c.guildTotals.read(g), this.c.campaign.read(CAMPAIGN_ID)]);
          if (!gr.ok || !cr.ok) {
            await this.store.kv.setMany([...change.writes, ...indexWrites]);
            return this.updateTotalsLocked(g, change.before, change.after, change.nowIso);
          }
          const next = nextTotals(gr.value ?? emptyTotals(), cr.value ?? emptyCampaignTotals(), change.before, change.after, change.nowIso);
          await this.store.kv.setMany([
            ...change.writes,
            ...indexWrites,
            this.c.guildTotals.entry(g, next.guild),
            this.c.campaign.entry(CAMPAIGN_ID, next.campaign),
          ]);
          return next.counts;
        });
      },
    );
  }

  private async updateTotalsLocked(g: string, before: Contribution | null, after: Contribution | null, nowIso: string): Promise<CountChange> {
    const [gr, cr] = await Promise.all([this.c.guildTotals.read(g), this.c.campaign.read(CAMPAIGN_ID)]);
    if (!gr.ok) {
      // Cannot apply a change to an unreadable total: recount this server (the record is already
      // written, so the recount includes it) and re-sum the campaign.
      const counted = await this.recountLocked(g, nowIso);
      const { campaign } = await this.recomputeCampaignLocked();
      return {
        guild: { before: counted.counted, after: counted.counted },
        campaign: { before: campaign.counted, after: campaign.counted },
        levels: { guild: counted.byLevel, campaign: campaign.byLevel },
      };
    }
    const gBefore = gr.value ?? emptyTotals();
    if (!cr.ok) {
      const gAfter = applyChange(gBefore, before, after, nowIso);
      await this.c.guildTotals.write(g, gAfter);
      const { campaign } = await this.recomputeCampaignLocked();
      return {
        guild: { before: gBefore.counted, after: gAfter.counted },
        campaign: { before: campaign.counted, after: campaign.counted },
        levels: { guild: gAfter.byLevel, campaign: campaign.byLevel },
      };
    }
    const next = nextTotals(gBefore, cr.value ?? emptyCampaignTotals(), before, after, nowIso);
    await this.c.guildTotals.write(g, next.guild);
    await this.c.campaign.write(CAMPAIGN_ID, next.campaign);
    return next.counts;
  }

  private async recountLocked(g: string, nowIso: string): Promise<Totals> {
    const contributions: Contribution[] = [];
    for await (const batch of this.scan(g)) {
      for (const item of batch) if (item.kind === 'record') contributions.push(contribution(item.record) ?? { status: item.record.status, level: item.record.level, day: null });
    }
    const totals = sumContributions(contributions, nowIso);
    await this.c.guildTotals.write(g, totals);
    this.log.error({ guildId: g }, 'pledges: server totals were damaged and have been recounted');
    return totals;
  }

  /** Walks pledge numbers 1..last in batches: two round trips per batch, no giant value. */
  private async *scan(g: string): AsyncGenerator<ScanItem[]> {
    const last = await this.readLast(this.c.seqs, g, (n) => this.c.numbers.readMany(range(n, SCAN_BATCH).map((i) => numberId(g, i))));
    for (let start = 1; start <= last; start += SCAN_BATCH) {
      const ns = range(start, Math.min(SCAN_BATCH, last - start + 1));
      const nums = await this.c.numbers.readMany(ns.map((n) => numberId(g, n)));
      const holders: Array<{ n: number; userId: string }> = [];
      const items: ScanItem[] = [];
      nums.forEach((r, i) => {
        const n = ns[i] ?? 0;
        if (!r.ok) items.push({ kind: 'invalid', n, error: r.error });
        else if (r.value) holders.push({ n, userId: r.value.userId });
      });
      const recs = await this.c.records.readMany(holders.map((h) => recordId(g, h.userId)));
      recs.forEach((r, i) => {
        const h = holders[i];
        if (!h) return;
        if (!r.ok) items.push({ kind: 'invalid', n: h.n, error: r.error });
        else if (r.value && r.value.pledgeId === h.n && r.value.guildId === g && r.value.userId === h.userId) {
          items.push({ kind: 'record', n: h.n, record: r.value });
        } else items.push({ kind: 'stale', n: h.n });
      });
      yield items;
    }
  }

  // ── Internals: hash index ──

  /**
   * `checked` maps each same-server holder whose record was read to the buckets that record is
   * indexed under now: planIndexAdd drops their entries from the other buckets. A full bucket keeps
   * its holders for good (MAX_BUCKET_ENTRIES), so an entry that outlived its pledge would otherwise
   * hold its place forever. Only this server's holders: the caller holds their server's lock, so
   * their records cannot change before the index is written; another server's can.
   */
  private async findDuplicates(
    g: string,
    u: string,
    evidence: EvidenceInput,
  ): Promise<{ refs: DuplicateRef[]; checked: Map<string, ReadonlySet<string>> }> {
    const checked = new Map<string, ReadonlySet<string>>();
    const probeIds = [`sha:${evidence.sha256}`, ...dhashProbes(evidence.dhash).map((p) => `dh:${p.band}:${p.value}`)];
    const buckets = await this.c.hashes.readMany(probeIds);
    // A holder found in the sha bucket should have the very same file: ranked first, confirmed below.
    const candidates = new Map<string, HashEntry & { sameFile: boolean }>();
    buckets.forEach((b, i) => {
      if (!b.ok || !b.value) return;
      for (const e of b.value.entries) {
        if (e.u === u) continue; // the same person may reuse their own screenshot in another server
        if (e.g !== g && !this.crossServer) continue;
        const id = recordId(e.g, e.u);
        const seen = candidates.get(id);
        const n = e.n ?? seen?.n;
        const d = e.d ?? seen?.d;
        candidates.set(id, { g: e.g, u: e.u, ...(n === undefined ? {} : { n }), ...(d === undefined ? {} : { d }), sameFile: i === 0 || seen?.sameFile === true });
      }
    });
    if (candidates.size === 0) return { refs: [], checked };

    // Rank from the entries (number, dHash), then confirm against the holders' records, ten at a
    // time: an entry can outlive its pledge (a damaged record erased on withdraw, a hand edit), and
    // nobody may be named for a pledge that no longer holds the image. One read of ten records
    // usually settles it, where checking every holder took up to 100. Entries written before `n`/`d`
    // existed rank last and are checked the same way.
    const ranked = [...candidates]
      .map(([id, c]) => ({ id, c, distance: c.d === undefined ? null : hammingHex(c.d, evidence.dhash) }))
      .filter((x) => x.c.sameFile || x.distance === null || x.distance <= DHASH_MAX_DISTANCE) // band collisions
      .sort(
        (a, b) =>
          Number(a.c.g !== g) - Number(b.c.g !== g) ||
          Number(!a.c.sameFile) - Number(!b.c.sameFile) ||
          (a.distance ?? DHASH_BITS) - (b.distance ?? DHASH_BITS) ||
          (a.c.n ?? Number.MAX_SAFE_INTEGER) - (b.c.n ?? Number.MAX_SAFE_INTEGER),
      )
      .slice(0, 100);
    const refs: DuplicateRef[] = [];
    for (let i = 0; i < ranked.length && refs.length < MAX_DUPLICATE_REFS; i += MAX_DUPLICATE_REFS) {
      const batch = ranked.slice(i, i + MAX_DUPLICATE_REFS);
      const records = await this.c.records.readMany(batch.map((x) => x.id));
      records.forEach((r, j) => {
        const x = batch[j];
        if (r.ok && x && x.c.g === g) checked.set(x.id, new Set(r.value?.evidence ? hashIds(r.value.evidence) : []));
      });
      for (const r of records) {
        const other = r.ok ? r.value : undefined;
        if (!other?.evidence) continue; // a stale index entry
        const distance = hammingHex(other.evidence.dhash, evidence.dhash);
        const reason = other.evidence.sha256 === evidence.sha256 ? 'sha256' : distance <= DHASH_MAX_DISTANCE ? 'dhash' : null;
        if (!reason) continue;
        refs.push({
          pledgeId: other.pledgeId,
          userId: other.userId,
          reason,
          ...(reason === 'dhash' ? { distance } : {}),
          ...(other.guildId !== g ? { guildId: other.guildId } : {}),
        });
      }
    }
    refs.sort(
      (a, b) =>
        Number(a.guildId !== undefined) - Number(b.guildId !== undefined) ||
        Number(a.reason === 'dhash') - Number(b.reason === 'dhash') ||
        (a.distance ?? 0) - (b.distance ?? 0) ||
        a.pledgeId - b.pledgeId,
    );
    return { refs: refs.slice(0, MAX_DUPLICATE_REFS), checked };
  }

  /**
   * The bucket writes that put the holder in each bucket, or refresh their entry when it lacks or
   * differs in `n`/`d` (an entry written before those fields, or a replaced screenshot that shares
   * a dHash band). The caller holds the buckets' locks until the writes commit.
   */
  private async planIndexAdd(
    ids: readonly string[],
    holder: Required<HashEntry>,
    checked: ReadonlyMap<string, ReadonlySet<string>>,
  ): Promise<KvEntry[]> {
    return (await this.indexAddChanges(ids, holder, checked)).writes.map((w) => this.c.hashes.entry(w.id, w.value));
  }

  /**
   * A full bucket that lacks the holder is left alone (MAX_BUCKET_ENTRIES), by submissions and by
   * reconciliation alike: for reconciliation such a holder is not damage to repair.
   */
  private async indexAddChanges(
    ids: readonly string[],
    holder: Required<HashEntry>,
    checked: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
  ): Promise<{ writes: Array<{ id: string; value: HashBucket }>; added: number }> {
    const { g, u } = holder;
    const buckets = await this.c.hashes.readMany(ids);
    const writes: Array<{ id: string; value: HashBucket }> = [];
    let added = 0;
    buckets.forEach((b, i) => {
      const id = ids[i] ?? '';
      const stored = b.ok ? (b.value?.entries ?? []) : [];
      // Entries of checked holders whose record is no longer indexed here (see findDuplicates).
      const entries = stored.filter((e) => checked.get(recordId(e.g, e.u))?.has(id) ?? true);
      const swept = entries.length !== stored.length;
      const at = entries.findIndex((e) => e.g === g && e.u === u);
      const current = entries[at];
      if (!swept && current && current.n === holder.n && current.d === holder.d) return;
      if (!current && entries.length >= MAX_BUCKET_ENTRIES) {
        if (swept) writes.push({ id, value: { entries } });
        return;
      }
      if (!current) added++;
      writes.push({ id, value: { entries: current ? entries.map((e, j) => (j === at ? holder : e)) : [...entries, holder] } });
    });
    return { writes, added };
  }

  /** Reconciliation's indexAddChanges, written at once. Returns how many entries were missing and put back. */
  private async indexRestore(ids: readonly string[], holder: Required<HashEntry>): Promise<number> {
    if (ids.length === 0) return 0;
    return this.store.withLock(
      ids.map((id) => LOCKS.hash(id)),
      async () => {
        const { writes, added } = await this.indexAddChanges(ids, holder);
        await this.c.hashes.writeMany(writes);
        return added;
      },
    );
  }

  private async indexRemove(ids: readonly string[], g: string, u: string): Promise<void> {
    if (ids.length === 0) return;
    await this.store.withLock(
      ids.map((id) => LOCKS.hash(id)),
      async () => {
        const buckets = await this.c.hashes.readMany(ids);
        const writes: Array<{ id: string; value: HashBucket }> = [];
        const deletes: string[] = [];
        buckets.forEach((b, i) => {
          const id = ids[i] ?? '';
          if (!b.ok) {
            deletes.push(id); // unreadable: drop it rather than keep a member's hash we cannot see
            return;
          }
          if (!b.value) return;
          const entries = b.value.entries.filter((e) => !(e.g === g && e.u === u));
          if (entries.length === b.value.entries.length) return;
          if (entries.length === 0) deletes.push(id);
          else writes.push({ id, value: { entries } });
        });
        await this.c.hashes.writeMany(writes);
        await this.c.hashes.deleteMany(deletes);
      },
    );
  }

  private async restoreIndex(records: readonly PledgeRecord[]): Promise<number> {
    let restored = 0;
    for (const r of records) {
      if (r.evidence) restored += await this.indexRestore(hashIds(r.evidence), { g: r.guildId, u: r.userId, n: r.pledgeId, d: r.evidence.dhash });
    }
    return restored;
  }

  // ── Internals: idempotency ──

  private async readMemo(interactionId: string): Promise<Memo | undefined> {
    const r = await this.c.memos.read(interactionId);
    return r.ok ? r.value : undefined;
  }

  private async writeMemo(interactionId: string, memo: Memo): Promise<void> {
    await this.c.memos.write(interactionId, memo, this.interactionTtlMs);
  }
}

type ScanItem =
  | { kind: 'record'; n: number; record: PledgeRecord }
  | { kind: 'invalid'; n: number; error: InvalidRecord }
  | { kind: 'stale'; n: number };

/** A server's and the campaign's totals after one change, and the counts callers report. */
function nextTotals(
  gBefore: Totals,
  cBefore: CampaignTotals,
  before: Contribution | null,
  after: Contribution | null,
  nowIso: string,
): { guild: Totals; campaign: CampaignTotals; counts: CountChange } {
  const guild = applyChange(gBefore, before, after, nowIso);
  const campaign = addTotals(cBefore, difference(guild, gBefore), nowIso);
  campaign.servers += serversDelta(gBefore.counted, guild.counted);
  return {
    guild,
    campaign,
    counts: {
      guild: { before: gBefore.counted, after: guild.counted },
      campaign: { before: cBefore.counted, after: campaign.counted },
      levels: { guild: guild.byLevel, campaign: campaign.byLevel },
    },
  };
}

function hashIds(e: { sha256: string; dhash: string }): string[] {
  return [`sha:${e.sha256}`, ...dhashIndexEntries(e.dhash).map((x) => `dh:${x.band}:${x.value}`)];
}

function range(start: number, count: number): number[] {
  return Array.from({ length: Math.max(0, count) }, (_, i) => start + i);
}

function lookup(r: ReadResult<PledgeRecord>): PledgeLookup {
  return r.ok ? { ok: true, record: r.value ?? null } : { ok: false, error: r.error };
}

/** For changes made without a Discord interaction (scripts): still unique, still a valid id. */
function localInteractionId(): string {
  return `local-${randomUUID()}`;
}
