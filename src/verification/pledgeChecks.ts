// The automatic check of pledge screenshots: the pledge flow's use of the verifier and the job queue.
// /pledge records the pledge (pending, durable), enqueues a job holding the screenshot, answers the
// member, then schedules the job here; the verdict is stored on the pledge (PledgeService.recordCheck)
// and handed to `onChecked`, which tells the member and updates the review card (the bot's part).
// No discord.js here. Jobs survive a restart: `runPending()` at start-up finishes them.
import { CHECK_EVIDENCE_MAX, type CountChange, type PledgeCheck, type PledgeRecord, type PledgeService } from '../pledges/index.js';
import type { Store } from '../store/index.js';
import { VerificationJobs, type JobContext, type JobRef, type RunReport } from './jobs.js';
import { OcrTimeoutError, OcrUnavailableError, type OcrLogger } from './pool.js';
import { UnreadableImageError } from './preprocess.js';
import { createScreenshotVerifier, type ScreenshotVerifier, type VerificationResult } from './verifier.js';

/** What the check concluded, once it is stored on the pledge. */
export type CheckNotice = {
  record: PledgeRecord;
  check: PledgeCheck;
  /** The verdict verified the pledge (the server has auto-verify on). */
  autoVerified: boolean;
  counts: CountChange | null;
};

export type PledgeChecksOptions = {
  store: Store;
  pledges: PledgeService;
  /** OCR workers; 0 turns the check off (every pledge waits for a moderator). */
  workers: number;
  /** The server's current auto-verify setting, read when the verdict arrives. */
  autoVerify: (guildId: string) => Promise<boolean>;
  /** Tells the member and the moderators. Its failures are logged, never retried. */
  onChecked: (notice: CheckNotice) => Promise<void>;
  log: OcrLogger;
  clock?: () => Date;
  /** Starts the OCR verifier (default: createScreenshotVerifier with `workers` threads). */
  startVerifier?: () => Promise<ScreenshotVerifier>;
  /** Jobs queued in memory beyond this wait in the store for the next start. Default 10,000. */
  maxQueued?: number;
};

/**
 * A job is claimed at most this many times: a restart mid-check runs it again (the handler only
 * writes a verdict on a pending pledge without one, so a second run cannot apply two), but a
 * screenshot that keeps killing the process is left for a moderator.
 */
export const CHECK_MAX_ATTEMPTS = 3;

export class PledgeChecks {
  readonly enabled: boolean;
  private readonly jobs: VerificationJobs;
  private readonly queue: JobRef[] = [];
  private readonly active = new Set<Promise<void>>();
  private verifier: Promise<ScreenshotVerifier> | null = null;
  private closed = false;
  private readonly clock: () => Date;
  private readonly maxQueued: number;

  constructor(private readonly opts: PledgeChecksOptions) {
    this.enabled = opts.workers > 0;
    this.clock = opts.clock ?? (() => new Date());
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.jobs = new VerificationJobs(opts.store, { concurrency: Math.max(1, opts.workers), maxAttempts: CHECK_MAX_ATTEMPTS, now: this.clock });
  }

  /**
   * Stores the job and the screenshot (kept only until the job has run). Resolves once durable;
   * rejects when the store fails, and the pledge then simply waits for a moderator.
   */
  async enqueue(record: PledgeRecord, image: Uint8Array): Promise<JobRef> {
    const ref = { guildId: record.guildId, pledgeId: record.pledgeId, version: record.version };
    await this.jobs.enqueue({ ...ref, userId: record.userId, imageBytes: image });
    return ref;
  }

  /** Runs the job in the background, at most `workers` at once, in arrival order. */
  schedule(ref: JobRef): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueued) {
      this.opts.log.warn({ ...ref, queued: this.queue.length }, 'verification: in-memory queue full; the job waits in the store for the next start');
      return;
    }
    this.queue.push(ref);
    this.pump();
  }

  /** Drops a job that has not run (withdrawn or replaced screenshot): its image is deleted now. */
  async cancel(ref: JobRef): Promise<void> {
    const i = this.queue.findIndex((q) => q.guildId === ref.guildId && q.pledgeId === ref.pledgeId && q.version === ref.version);
    if (i >= 0) this.queue.splice(i, 1);
    await this.jobs.cancel(ref);
  }

  /**
   * Erases every check of a pledge, up to `version` (each replaced screenshot had its own): the
   * member withdrew, and a check's record keeps the OCR lines read off their screenshot for weeks.
   */
  async forget(ref: JobRef): Promise<void> {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i];
      if (q?.guildId === ref.guildId && q.pledgeId === ref.pledgeId) this.queue.splice(i, 1);
    }
    for (let version = ref.version; version >= 1; version--) await this.jobs.forget({ ...ref, version });
  }

  /**
   * Finishes the jobs a previous process left (start-up). With the check turned off they are ended
   * as failed, so their screenshots are deleted rather than kept for a check that will not come.
   */
  async runPending(): Promise<RunReport> {
    return this.jobs.runPending((job) => this.handle(job));
  }

  /** The job's record (tests and diagnostics). */
  job(ref: JobRef) {
    return this.jobs.get(ref);
  }

  /**
   * Stops taking jobs and waits up to `graceMs` for the running ones; jobs still queued or cut off
   * stay in the store and run at the next start. Then stops the OCR workers.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.active), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    const verifier = this.verifier;
    this.verifier = null;
    if (verifier) await verifier.then((v) => v.close()).catch(() => undefined);
  }

  private pump(): void {
    while (!this.closed && this.active.size < Math.max(1, this.opts.workers) && this.queue.length > 0) {
      const ref = this.queue.shift();
      if (!ref) break;
      const run: Promise<void> = this.jobs
        .run(ref, (job) => this.handle(job))
        .then(() => undefined)
        .catch((err: unknown) => this.opts.log.warn({ err, ...ref }, 'verification: job could not be run; it stays in the store for the next start'))
        .finally(() => {
          this.active.delete(run);
          this.pump();
        });
      this.active.add(run);
    }
  }

  /** The OCR pool starts on the first screenshot, not at boot: most restarts have nothing to read. */
  private startVerifier(): Promise<ScreenshotVerifier> {
    if (!this.verifier) {
      const started = this.opts.startVerifier ? this.opts.startVerifier() : createScreenshotVerifier({ size: this.opts.workers, log: this.opts.log });
      // A failed start is retried by the next job rather than remembered forever.
      started.catch(() => {
        if (this.verifier === started) this.verifier = null;
      });
      this.verifier = started;
    }
    return this.verifier;
  }

  private async handle(job: JobContext): Promise<VerificationResult> {
    const found = await this.opts.pledges.getByNumber(job.guildId, job.pledgeId);
    if (!found.ok) throw new Error(`pledge record unreadable: ${found.error.issues.join('; ')}`);
    const record = found.record;
    if (!record || record.status !== 'pending' || record.version !== job.version) {
      throw new Error('superseded: the pledge was decided, replaced or withdrawn before its check ran');
    }
    if (record.check) {
      // A previous run stored the verdict and the process stopped before the job was marked done:
      // tell the member and moderators again (the same edits), write nothing.
      await this.notify({ record, check: record.check, autoVerified: false, counts: null });
      if (record.check.verdict === 'failed') throw new Error(`check failed earlier: ${record.check.evidence.join('; ')}`);
      return { verdict: record.check.verdict, score: record.check.score, evidence: record.check.evidence, textChars: 0, ms: 0 };
    }
    if (!job.image) throw new Error('no screenshot was enqueued with the job');
    let result: VerificationResult;
    try {
      if (!this.enabled) throw new OcrUnavailableError('automatic verification is off on this bot (OCR_WORKERS=0)');
      const verifier = await this.startVerifier();
      result = await verifier.verify(job.image, { duplicate: record.duplicateOf.length > 0 });
    } catch (err) {
      await this.store(record, { verdict: 'failed', score: 0, evidence: [failureReason(err)], at: this.clock().toISOString() });
      throw err;
    }
    if (job.signal.aborted) throw new Error('verification timed out');
    await this.store(record, {
      verdict: result.verdict,
      score: Math.min(1, Math.max(0, result.score)),
      evidence: result.evidence.slice(0, CHECK_EVIDENCE_MAX).map((e) => e.slice(0, 200)),
      at: this.clock().toISOString(),
    });
    return result;
  }

  private async store(record: PledgeRecord, check: PledgeCheck): Promise<void> {
    const autoVerify = await this.opts.autoVerify(record.guildId);
    const r = await this.opts.pledges.recordCheck({ guildId: record.guildId, pledgeId: record.pledgeId, version: record.version, check, autoVerify });
    if (!r.ok) {
      this.opts.log.info({ guildId: record.guildId, pledgeId: record.pledgeId, reason: r.reason }, 'verification: verdict not applied, the pledge changed meanwhile');
      return;
    }
    this.opts.log.info({ guildId: record.guildId, pledgeId: record.pledgeId, verdict: check.verdict, score: check.score, autoVerified: r.autoVerified }, 'verification: verdict stored');
    await this.notify({ record: r.record, check, autoVerified: r.autoVerified, counts: r.counts });
  }

  private async notify(notice: CheckNotice): Promise<void> {
    try {
      await this.opts.onChecked(notice);
    } catch (err) {
      this.opts.log.warn({ err, guildId: notice.record.guildId, pledgeId: notice.record.pledgeId }, 'verification: could not tell the member or update the card');
    }
  }
}

/** A short, non-identifying reason for the review card: never the error's full text. */
function failureReason(err: unknown): string {
  if (err instanceof OcrTimeoutError) return 'timeout';
  if (err instanceof OcrUnavailableError) return 'ocr-unavailable';
  if (err instanceof UnreadableImageError) return 'unreadable';
  return 'error';
}
