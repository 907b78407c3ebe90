// Milestone announcements, exactly once. A decision (which threshold, which servers, which
// channel, which words) is written to the store BEFORE anything is posted, so a crash anywhere
// after it leaves an entry that the dispatcher finds and delivers on restart; the announced set per
// scope (kept forever) is what stops a count that falls and rises again from announcing twice.
// Layout, write order and limits: docs/milestones.md.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LOCALES, type Locale } from '../kb/schema.js';
import type { GuildSettings } from '../settings/index.js';
import type { Store, StoreLogger } from '../store/index.js';
import { crossedThresholds, nextThreshold, normalizeThresholds, reachedThresholds } from './thresholds.js';

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

export type MilestoneScope = { kind: 'guild'; guildId: string } | { kind: 'campaign' };

const snowflake = z.string().regex(/^\d{1,20}$/, 'expected a Discord id');
const iso = z.iso.datetime({ offset: false });
const count = z.number().int().nonnegative();
/** The scope's counts by level of commitment (leave + strike = the counted total; shares apart). */
const levelsSchema = z.object({ leave: count, strike: count, share: count });
export type MilestoneLevels = z.infer<typeof levelsSchema>;

const scopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('guild'), guildId: snowflake }),
  z.object({ kind: z.literal('campaign') }),
]);

/** What was decided: everything the announcement shows is frozen here, so a retry posts the same message. */
export const outboxEntryDataSchema = z.object({
  /** `<scope>:<threshold>:<target guild>`: one entry per (target, scope, threshold), ever. */
  id: z.string().min(1).max(120),
  /** Discord message nonce (max 25 characters), derived from `id`. */
  nonce: z.string().min(1).max(25),
  scope: scopeSchema,
  threshold: z.number().int().positive(),
  /** The scope's counted total when the threshold was crossed. */
  count,
  /** The scope's next threshold after `count`, null when the list is exhausted. */
  next: z.number().int().positive().nullable(),
  /** Server that receives the announcement, and where. */
  guildId: snowflake,
  channelId: snowflake,
  locale: z.enum(LOCALES),
  /** Campaign-wide counted total when decided (every announcement shows it). */
  campaignCount: count,
  /** The scope's breakdown by level when decided; absent in entries decided before levels existed. */
  levels: levelsSchema.optional(),
  decidedAt: iso,
});
export type OutboxEntryData = z.infer<typeof outboxEntryDataSchema>;

const attemptSchema = z.object({
  /** Attempts started (written before each post, so a crash mid-post is visible afterwards). */
  attempts: count,
  lastAttemptAt: iso.nullable(),
  nextAttemptAt: iso.nullable(),
  lastError: z.string().max(500).nullable(),
});
type AttemptState = z.infer<typeof attemptSchema>;

export type OutboxEntry = OutboxEntryData & AttemptState;

export const outcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('delivered'), messageId: z.string().min(1).max(64), at: iso, attempts: count }),
  z.object({ status: z.literal('failed-permanent'), reason: z.string().max(500), at: iso, attempts: count }),
]);
export type OutboxOutcome = z.infer<typeof outcomeSchema>;

/** How `post` failed, as the dispatcher classified it (see classifyPostError). */
export type PostFailure = { reason: string; permanent: boolean; retryAfterMs?: number };

export type DecideInput = {
  scope: MilestoneScope;
  /** The scope's counted total before the change (CountChange.guild.before / .campaign.before). */
  before: number;
  /** The scope's counted total after the change. */
  count: number;
  /** Guild scope: the server's settings.milestones. Campaign scope: CAMPAIGN_MILESTONES. */
  thresholds: readonly number[];
  /** Campaign-wide counted total after the change, shown in every announcement. */
  campaignCount: number;
  /** The scope's breakdown by level after the change, frozen into the entries when given. */
  levels?: MilestoneLevels;
};

export type DecideResult = {
  /** Thresholds newly crossed (all are now remembered as announced). */
  crossed: number[];
  /** The one announced: the highest crossed (several at once only happen after a bulk change). */
  threshold: number | null;
  /** Entries recorded for delivery (none when no server has somewhere to post). */
  entries: OutboxEntry[];
};

/** Decides for the server and the campaign after one pledge change (what the pledge flow calls). */
export type ChangeInput = {
  guildId: string;
  counts: {
    guild: { before: number; after: number };
    campaign: { before: number; after: number };
    levels?: { guild: MilestoneLevels; campaign: MilestoneLevels };
  };
  guildThresholds: readonly number[];
  campaignThresholds: readonly number[];
};

export type MilestoneOutboxOptions = {
  store: Store;
  settings: { get(guildId: string): Promise<GuildSettings> };
  /**
   * Servers that may receive campaign-wide announcements. The app passes `() => pledges.guilds()`:
   * every server that ever had a pledge. A server with no pledge at all is not asked (the store
   * cannot list settings keys); each one is then filtered on its own settings.
   */
  campaignGuilds: () => AsyncIterable<string>;
  clock?: () => Date;
  log?: StoreLogger;
  /** Attempts before an entry is given up as failed-permanent. Default 12 (about 20 minutes with the default backoff). */
  maxAttempts?: number;
};

export const DEFAULT_MAX_ATTEMPTS = 12;
const OUTBOX_ID = 'pending';

/** Store keys (under the store namespace) — docs/milestones.md mirrors this list. */
function collections(store: Store) {
  return {
    /** `milestone-scope:<scope>` → thresholds ever announced for that scope (never shrinks). */
    scopes: store.collection('milestone-scope', z.object({ announced: z.array(z.number().int().positive()) })),
    /** `milestone-outbox:pending` → undelivered entries; entries are validated one by one on read. */
    outbox: store.collection('milestone-outbox', z.object({ entries: z.array(z.unknown()) })),
    /** `milestone-attempt:<entry id>` → retry state, apart from the outbox so a retry rewrites a small key. */
    attempts: store.collection('milestone-attempt', attemptSchema),
    /** `milestone-done:<entry id>` → final outcome, kept: it makes every step idempotent and is the history. */
    done: store.collection('milestone-done', outcomeSchema),
  };
}

const LOCK_OUTBOX = 'milestones:outbox';
const scopeLock = (scope: MilestoneScope): string => `milestones:scope:${scopeKey(scope)}`;

export function scopeKey(scope: MilestoneScope): string {
  return scope.kind === 'campaign' ? 'campaign' : `g${scope.guildId}`;
}

export function entryId(scope: MilestoneScope, threshold: number, targetGuildId: string): string {
  return `${scopeKey(scope)}:${threshold}:${targetGuildId}`;
}

/**
 * Discord keeps a nonce for a few minutes and, with enforce_nonce, answers a repeat with the
 * message it already created. 'ms' + 23 base64url characters of sha256 = 25, Discord's maximum,
 * and the same entry always gets the same nonce, also in a new process.
 */
export function milestoneNonce(id: string): string {
  return `ms${createHash('sha256').update(id).digest('base64url').slice(0, 23)}`;
}

export class MilestoneOutbox {
  private readonly store: Store;
  private readonly c: ReturnType<typeof collections>;
  private readonly settings: MilestoneOutboxOptions['settings'];
  private readonly campaignGuilds: () => AsyncIterable<string>;
  private readonly clock: () => Date;
  private readonly log: StoreLogger;
  readonly maxAttempts: number;

  constructor(opts: MilestoneOutboxOptions) {
    this.store = opts.store;
    this.c = collections(opts.store);
    this.settings = opts.settings;
    this.campaignGuilds = opts.campaignGuilds;
    this.clock = opts.clock ?? (() => new Date());
    this.log = opts.log ?? opts.store.log;
    this.maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  /** Thresholds ever announced for a scope, ascending. */
  async announced(scope: MilestoneScope): Promise<number[]> {
    const r = await this.c.scopes.read(scopeKey(scope));
    if (!r.ok) throw new MilestoneStateError(r.error.key);
    return normalizeThresholds(r.value?.announced ?? []);
  }

  /**
   * Records which threshold `count` crossed for `scope`, and one entry per server to tell, before
   * anything is posted. Concurrent calls for one scope are serialized, and a threshold is decided
   * once in the life of the store. Throws StoreUnavailableError when the store is down (nothing is
   * half-recorded that a repeat of the same call would not complete; see docs/milestones.md).
   */
  async decide(input: DecideInput): Promise<DecideResult> {
    const scope = scopeSchema.parse(input.scope);
    return this.store.withLock(scopeLock(scope), async () => {
      const state = await this.c.scopes.read(scopeKey(scope));
      if (!state.ok) {
        // Guessing the announced set could announce a threshold twice; saying nothing is the safe side.
        this.log.error({ key: state.error.key }, 'milestones: announced set unreadable, not deciding');
        return { crossed: [], threshold: null, entries: [] };
      }
      const announced = state.value?.announced ?? [];
      const crossed = crossedThresholds(input.before, input.count, input.thresholds, announced);
      const threshold = crossed[crossed.length - 1];
      if (threshold === undefined) return { crossed: [], threshold: null, entries: [] };

      const now = this.clock().toISOString();
      const next = nextThreshold(input.count, input.thresholds);
      const targets = await this.targets(scope);
      const data: OutboxEntryData[] = targets.map((t) => {
        const id = entryId(scope, threshold, t.guildId);
        return {
          id,
          nonce: milestoneNonce(id),
          scope,
          threshold,
          count: input.count,
          next,
          guildId: t.guildId,
          channelId: t.channelId,
          locale: t.locale,
          campaignCount: input.campaignCount,
          ...(input.levels ? { levels: levelsSchema.parse(input.levels) } : {}),
          decidedAt: now,
        };
      });

      // The outbox write is the commit point of the decision; the announced set follows it. A crash
      // between the two leaves pending entries and an unrecorded threshold: a repeat of the call
      // finds the same entry ids already queued (or done) and only records the threshold.
      const entries = data.length > 0 ? await this.enqueue(data) : [];
      await this.c.scopes.write(scopeKey(scope), { announced: normalizeThresholds([...announced, ...crossed]) });
      this.log.info(
        { scope: scopeKey(scope), threshold, crossed, count: input.count, targets: entries.length },
        'milestones: threshold crossed',
      );
      return { crossed, threshold, entries };
    });
  }

  /** Both scopes after one pledge change. The server first: its members see their own number first. */
  async decideForChange(input: ChangeInput): Promise<DecideResult[]> {
    const campaignCount = input.counts.campaign.after;
    const guild = await this.decide({
      scope: { kind: 'guild', guildId: input.guildId },
      before: input.counts.guild.before,
      count: input.counts.guild.after,
      thresholds: input.guildThresholds,
      campaignCount,
      ...(input.counts.levels ? { levels: input.counts.levels.guild } : {}),
    });
    const campaign = await this.decide({
      scope: { kind: 'campaign' },
      before: input.counts.campaign.before,
      count: campaignCount,
      thresholds: input.campaignThresholds,
      campaignCount,
      ...(input.counts.levels ? { levels: input.counts.levels.campaign } : {}),
    });
    return [guild, campaign];
  }

  /** Undelivered entries (due or waiting for a retry), oldest decision first. Survives restarts. */
  async pending(): Promise<OutboxEntry[]> {
    const data = await this.readOutbox();
    if (data.length === 0) return [];
    const ids = data.map((d) => d.id);
    const [attempts, done] = await Promise.all([this.c.attempts.readMany(ids), this.c.done.readMany(ids)]);
    const finished: string[] = [];
    const out: OutboxEntry[] = [];
    data.forEach((d, i) => {
      const outcome = done[i];
      if (outcome?.ok && outcome.value) {
        // markDelivered wrote the outcome but did not get to remove the entry (a crash in between).
        finished.push(d.id);
        return;
      }
      const a = attempts[i];
      out.push({ ...d, ...(a?.ok && a.value ? a.value : freshAttempt()) });
    });
    if (finished.length > 0) await this.removeFromOutbox(finished);
    return out.sort((a, b) => a.decidedAt.localeCompare(b.decidedAt) || a.id.localeCompare(b.id));
  }

  /**
   * Records the thresholds at or below `count` as announced, posting nothing: for a list changed
   * after the count had already passed some of its thresholds. Nothing crossed them, so the pledge
   * flow never announces them; without this, start-up catch-up (which counts from 0) would announce
   * the highest of them late, after the next restart. Returns the thresholds it added.
   */
  async recordPassed(scope: MilestoneScope, count: number, thresholds: readonly number[]): Promise<number[]> {
    const parsed = scopeSchema.parse(scope);
    return this.store.withLock(scopeLock(parsed), async () => {
      const state = await this.c.scopes.read(scopeKey(parsed));
      if (!state.ok) throw new MilestoneStateError(state.error.key);
      const announced = state.value?.announced ?? [];
      const passed = reachedThresholds(count, thresholds).filter((t) => !announced.includes(t));
      if (passed.length > 0) await this.c.scopes.write(scopeKey(parsed), { announced: normalizeThresholds([...announced, ...passed]) });
      return passed;
    });
  }

  /** The final outcome of an entry, or null while it is pending (or unknown). */
  async outcome(id: string): Promise<OutboxOutcome | null> {
    const r = await this.c.done.read(id);
    return r.ok ? (r.value ?? null) : null;
  }

  /** Written before each post: after a crash, `attempts > 0` says a message may already exist. */
  async beginAttempt(entry: OutboxEntry): Promise<OutboxEntry> {
    return this.store.withLock(LOCK_OUTBOX, async () => {
      const current = await this.attemptState(entry.id);
      const next: AttemptState = { ...current, attempts: current.attempts + 1, lastAttemptAt: this.clock().toISOString() };
      await this.c.attempts.write(entry.id, next);
      return { ...entry, ...next };
    });
  }

  /** Idempotent: delivering an entry twice records the first message id. */
  async markDelivered(entry: OutboxEntry, messageId: string): Promise<void> {
    await this.store.withLock(LOCK_OUTBOX, async () => {
      const existing = await this.c.done.read(entry.id);
      if (!(existing.ok && existing.value)) {
        const attempts = (await this.attemptState(entry.id)).attempts;
        await this.c.done.write(entry.id, { status: 'delivered', messageId, at: this.clock().toISOString(), attempts });
      }
      await this.removeFromOutboxLocked([entry.id]);
      await this.c.attempts.delete(entry.id);
    });
    this.log.info({ id: entry.id, guildId: entry.guildId, messageId }, 'milestones: announcement delivered');
  }

  /**
   * Records a failed attempt. A permanent failure (or the last allowed attempt) ends the entry as
   * failed-permanent with the reason; otherwise it waits until `nextAttemptAt`.
   */
  async markFailed(entry: OutboxEntry, failure: PostFailure, nextAttemptAt: Date): Promise<'retry' | 'failed-permanent'> {
    const reason = failure.reason.slice(0, 500);
    return this.store.withLock(LOCK_OUTBOX, async () => {
      const current = await this.attemptState(entry.id);
      const attempts = Math.max(current.attempts, entry.attempts);
      if (failure.permanent || attempts >= this.maxAttempts) {
        const why = failure.permanent ? reason : `gave up after ${attempts} attempts: ${reason}`.slice(0, 500);
        await this.c.done.write(entry.id, { status: 'failed-permanent', reason: why, at: this.clock().toISOString(), attempts });
        await this.removeFromOutboxLocked([entry.id]);
        await this.c.attempts.delete(entry.id);
        this.log.warn({ id: entry.id, guildId: entry.guildId, channelId: entry.channelId, reason: why }, 'milestones: announcement failed for good');
        return 'failed-permanent';
      }
      await this.c.attempts.write(entry.id, { ...current, attempts, nextAttemptAt: nextAttemptAt.toISOString(), lastError: reason });
      return 'retry';
    });
  }

  // ── Internals ──

  private async targets(scope: MilestoneScope): Promise<Array<{ guildId: string; channelId: string; locale: Locale }>> {
    const target = (guildId: string, s: GuildSettings) =>
      s.announcementsChannelId ? { guildId, channelId: s.announcementsChannelId, locale: s.publicLocale } : null;
    if (scope.kind === 'guild') {
      const t = target(scope.guildId, await this.settings.get(scope.guildId));
      if (!t) this.log.info({ guildId: scope.guildId }, 'milestones: no announcements channel, threshold recorded without a post');
      return t ? [t] : [];
    }
    const out: Array<{ guildId: string; channelId: string; locale: Locale }> = [];
    const seen = new Set<string>();
    for await (const guildId of this.campaignGuilds()) {
      if (seen.has(guildId)) continue;
      seen.add(guildId);
      const s = await this.settings.get(guildId);
      const t = s.campaignMilestones ? target(guildId, s) : null;
      if (t) out.push(t);
    }
    return out;
  }

  private async enqueue(data: OutboxEntryData[]): Promise<OutboxEntry[]> {
    return this.store.withLock(LOCK_OUTBOX, async () => {
      const queued = await this.readOutbox();
      const queuedIds = new Set(queued.map((q) => q.id));
      const done = await this.c.done.readMany(data.map((d) => d.id));
      const fresh = data.filter((d, i) => {
        const outcome = done[i];
        return !queuedIds.has(d.id) && !(outcome?.ok && outcome.value);
      });
      if (fresh.length > 0) await this.c.outbox.write(OUTBOX_ID, { entries: [...queued, ...fresh] });
      return fresh.map((d) => ({ ...d, ...freshAttempt() }));
    });
  }

  private async readOutbox(): Promise<OutboxEntryData[]> {
    const r = await this.c.outbox.read(OUTBOX_ID);
    if (!r.ok) {
      this.log.error({ key: r.error.key, issues: r.error.issues }, 'milestones: outbox unreadable, pending announcements lost');
      return [];
    }
    const out: OutboxEntryData[] = [];
    for (const raw of r.value?.entries ?? []) {
      const parsed = outboxEntryDataSchema.safeParse(raw);
      if (parsed.success) out.push(parsed.data);
      else this.log.error({ issues: parsed.error.issues.map((i) => i.message) }, 'milestones: dropping a damaged outbox entry');
    }
    return out;
  }

  private async removeFromOutbox(ids: string[]): Promise<void> {
    await this.store.withLock(LOCK_OUTBOX, () => this.removeFromOutboxLocked(ids));
  }

  private async removeFromOutboxLocked(ids: string[]): Promise<void> {
    const gone = new Set(ids);
    const queued = await this.readOutbox();
    const kept = queued.filter((q) => !gone.has(q.id));
    if (kept.length === queued.length) return;
    if (kept.length === 0) await this.c.outbox.delete(OUTBOX_ID);
    else await this.c.outbox.write(OUTBOX_ID, { entries: kept });
  }

  private async attemptState(id: string): Promise<AttemptState> {
    const r = await this.c.attempts.read(id);
    if (r.ok) return r.value ?? freshAttempt();
    this.log.warn({ id, issues: r.error.issues }, 'milestones: attempt state unreadable, starting over');
    return freshAttempt();
  }
}

function freshAttempt(): AttemptState {
  return { attempts: 0, lastAttemptAt: null, nextAttemptAt: null, lastError: null };
}

export class MilestoneStateError extends Error {
  override name = 'MilestoneStateError';
  constructor(readonly key: string) {
    super(`milestone state unreadable: ${key}`);
  }
}
