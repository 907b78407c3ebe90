// Delivers what the outbox decided, one entry at a time, with backoff. It knows nothing about
// Discord: the app's `post` sends the message (with the entry's nonce and enforce_nonce) and throws
// on failure; errors are classified here by their HTTP status. Every promise it starts is awaited
// or caught: a failing store or `post` is logged and retried, never an unhandled rejection.
import type { StoreLogger } from '../store/index.js';
import { errorFields } from '../store/logger.js';
import type { OutboxEntry, PostFailure } from './outbox.js';

export type TimerHandle = { cancel(): void };
export type SetTimer = (fn: () => void, ms: number) => TimerHandle;

/** The part of MilestoneOutbox the dispatcher uses (tests may wrap it to inject failures). */
export interface DispatchOutbox {
  pending(): Promise<OutboxEntry[]>;
  beginAttempt(entry: OutboxEntry): Promise<OutboxEntry>;
  markDelivered(entry: OutboxEntry, messageId: string): Promise<void>;
  markFailed(entry: OutboxEntry, failure: PostFailure, nextAttemptAt: Date): Promise<'retry' | 'failed-permanent'>;
}

export type PostResult = { messageId: string };

export type MilestoneDispatcherOptions = {
  outbox: DispatchOutbox;
  /**
   * Sends one announcement. Must pass `nonce: entry.nonce, enforce_nonce: true`, so a repeat after a
   * crash between Discord accepting and markDelivered returns the first message instead of a second.
   * Throw on failure; an error with an HTTP `status` (discord.js DiscordAPIError / HTTPError /
   * RateLimitError do) is classified by it, an error with `permanent: true` is never retried.
   */
  post: (entry: OutboxEntry) => Promise<PostResult>;
  clock?: () => Date;
  log?: StoreLogger;
  /** Defaults to an unref'd setTimeout, so a pending retry never keeps the process alive. */
  setTimer?: SetTimer;
  /** First retry delay; doubles per attempt. Default 1000 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts. Default 5 minutes. */
  maxDelayMs?: number;
  /** A post that has not settled by then counts as a failed, retryable attempt. Default 60 s. */
  postTimeoutMs?: number;
};

export type DispatchReport = {
  delivered: number;
  retrying: number;
  failedPermanent: number;
  /** When the earliest remaining entry is due, or null when nothing is pending. */
  nextDueAt: Date | null;
};

const defaultSetTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { cancel: () => clearTimeout(t) };
};

export class MilestoneDispatcher {
  private readonly outbox: DispatchOutbox;
  private readonly post: (entry: OutboxEntry) => Promise<PostResult>;
  private readonly clock: () => Date;
  private readonly log: StoreLogger;
  private readonly setTimer: SetTimer;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly postTimeoutMs: number;

  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private timer: TimerHandle | null = null;
  /** Consecutive runs that failed on the store: backs the whole loop off while it is down. */
  private storeFailures = 0;

  constructor(opts: MilestoneDispatcherOptions) {
    this.outbox = opts.outbox;
    this.post = opts.post;
    this.clock = opts.clock ?? (() => new Date());
    this.log = opts.log ?? silent;
    this.setTimer = opts.setTimer ?? defaultSetTimer;
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.postTimeoutMs = opts.postTimeoutMs ?? 60_000;
  }

  /** Delivers whatever is pending (after a restart too). Safe to call more than once. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Runs now (call it after decide()). Never throws; concurrent kicks coalesce into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.timer = null;
    this.running = this.loop().finally(() => {
      this.running = null;
      // A kick that landed after the loop's last check (while it was scheduling) must not be lost.
      if (this.again && !this.stopped) this.kick();
    });
  }

  /**
   * Stops scheduling; resolves once the entry being delivered (if any) is settled or, when `graceMs`
   * is given, after that long at most (a post Discord never answers would otherwise hold a shutdown
   * for up to postTimeoutMs). An entry abandoned that way stays pending with its attempt recorded;
   * the next start posts it again with the same nonce, which Discord answers with the first message
   * if this one got through. Resolves false when it stopped waiting before the pass settled.
   */
  async stop(graceMs?: number): Promise<boolean> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    const running = this.running;
    if (!running) return true;
    if (graceMs === undefined) {
      await running;
      return true;
    }
    let t: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<false>((resolve) => {
      t = setTimeout(() => resolve(false), Math.max(0, graceMs));
      t.unref();
    });
    try {
      return await Promise.race([running.then(() => true as const), gaveUp]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Resolves when no pass is running (tests use it after kick()). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Backoff before attempt `attempts + 1`: base, 2×base, 4×base… capped at maxDelayMs. */
  backoffMs(attempts: number): number {
    const exp = Math.min(Math.max(attempts - 1, 0), 30);
    return Math.min(this.baseDelayMs * 2 ** exp, this.maxDelayMs);
  }

  /** One pass over the due entries. Exposed for tests; throws only if the store fails. */
  async runOnce(): Promise<DispatchReport> {
    const report: DispatchReport = { delivered: 0, retrying: 0, failedPermanent: 0, nextDueAt: null };
    const now = this.clock().getTime();
    const due = (await this.outbox.pending()).filter((e) => e.nextAttemptAt === null || Date.parse(e.nextAttemptAt) <= now);
    for (const entry of due) {
      if (this.stopped) break;
      const result = await this.deliver(entry);
      if (result === 'delivered') report.delivered += 1;
      else if (result === 'retry') report.retrying += 1;
      else report.failedPermanent += 1;
    }
    const remaining = await this.outbox.pending();
    for (const e of remaining) {
      const at = e.nextAttemptAt === null ? this.clock() : new Date(e.nextAttemptAt);
      if (report.nextDueAt === null || at < report.nextDueAt) report.nextDueAt = at;
    }
    return report;
  }

  private async loop(): Promise<void> {
    let report: DispatchReport | null = null;
    do {
      this.again = false;
      try {
        report = await this.runOnce();
        this.storeFailures = 0;
      } catch (err) {
        this.storeFailures += 1;
        report = null;
        // After stop() gave up waiting, the store is usually closed under a pass that was abandoned:
        // expected, and the entry is retried by the next start.
        this.log[this.stopped ? 'warn' : 'error']({ ...errorFields(err), failures: this.storeFailures }, 'milestones: dispatcher could not reach the store');
      }
    } while (this.again && !this.stopped);
    if (this.stopped) return;

    let delay: number | null;
    if (report === null) delay = this.backoffMs(this.storeFailures);
    else if (report.nextDueAt === null) delay = null;
    else {
      const wait = report.nextDueAt.getTime() - this.clock().getTime();
      // Still due right after a full pass means the store refused our bookkeeping: do not spin.
      delay = wait > 0 ? wait : this.baseDelayMs;
    }
    if (delay !== null) this.timer = this.setTimer(() => this.kick(), Math.min(delay, this.maxDelayMs));
  }

  private async deliver(entry: OutboxEntry): Promise<'delivered' | 'retry' | 'failed-permanent'> {
    // Written before posting; if this fails the store is down and the pass ends (loop backs off).
    const started = await this.outbox.beginAttempt(entry);
    let result: PostResult;
    try {
      result = await this.postWithTimeout(started);
    } catch (err) {
      const failure = classifyPostError(err);
      const delay = Math.max(this.backoffMs(started.attempts), failure.retryAfterMs ?? 0);
      const nextAt = new Date(this.clock().getTime() + delay);
      const outcome = await this.outbox.markFailed(started, failure, nextAt);
      this.log.warn(
        { id: started.id, guildId: started.guildId, attempt: started.attempts, reason: failure.reason, outcome, retryInMs: delay },
        'milestones: announcement attempt failed',
      );
      return outcome;
    }
    await this.outbox.markDelivered(started, result.messageId);
    return 'delivered';
  }

  private postWithTimeout(entry: OutboxEntry): Promise<PostResult> {
    return new Promise<PostResult>((resolve, reject) => {
      const t = setTimeout(() => reject(Object.assign(new Error(`post timed out after ${this.postTimeoutMs} ms`), { timeout: true })), this.postTimeoutMs);
      t.unref();
      // `post` may throw synchronously or return a non-promise; both become a rejection here.
      Promise.resolve()
        .then(() => this.post(entry))
        .then((r) => {
          if (typeof r?.messageId !== 'string' || r.messageId.length === 0) throw new Error('post resolved without a message id');
          return r;
        })
        .then(resolve, reject)
        .finally(() => clearTimeout(t));
    });
  }
}

/**
 * 429 and 408 wait and retry (honouring Retry-After); any other 4xx will not get better by itself
 * (50013 Missing Permissions, 10003 Unknown Channel…) and ends the entry; 5xx, timeouts and
 * network errors retry with backoff.
 */
export function classifyPostError(err: unknown): PostFailure {
  const fields = typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : {};
  const status = typeof fields.status === 'number' ? fields.status : typeof fields.httpStatus === 'number' ? fields.httpStatus : null;
  const code = typeof fields.code === 'number' || typeof fields.code === 'string' ? String(fields.code) : null;
  const message = err instanceof Error ? err.message : String(err);
  const reason = [status === null ? null : `HTTP ${status}`, code === null ? null : `code ${code}`, message].filter(Boolean).join(' · ');
  if (fields.permanent === true) return { reason, permanent: true };
  if (status === 429) {
    // discord.js RateLimitError.retryAfter is in ms; Discord's JSON retry_after is in seconds.
    const retryAfterMs =
      typeof fields.retryAfter === 'number' ? fields.retryAfter : typeof fields.retry_after === 'number' ? fields.retry_after * 1000 : undefined;
    return retryAfterMs === undefined ? { reason, permanent: false } : { reason, permanent: false, retryAfterMs };
  }
  if (status !== null && status >= 400 && status < 500 && status !== 408) return { reason, permanent: true };
  return { reason, permanent: false };
}

const noop = (): void => undefined;
const silent: StoreLogger = { debug: noop, info: noop, warn: noop, error: noop };
