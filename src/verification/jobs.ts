// Durable verification jobs: the pledge flow enqueues one per (server, pledge, evidence version)
// and answers the member at once; the screenshot is verified afterwards, also after a restart.
//
// Guarantees (tests/verification/jobs.test.ts):
//   - one job per (guildId, pledgeId, version): enqueueing it again returns the existing job;
//   - each job ends in exactly one terminal state, written in one record write together with its
//     result (`done`) or its reason (`failed`), and the handler runs at most once per job: a job is
//     marked `running` before the handler is called, and a job found `running` by another runner
//     (the process died mid-run) is marked `failed` ('interrupted') rather than run again — unless
//     the queue was built with `maxAttempts` > 1 for an idempotent handler (the pledge flow's is:
//     it writes its verdict only on a pending pledge without one), which is then run again, up to
//     that many claims in all. A failed job leaves the pledge pending, for a person to review;
//   - the screenshot is kept only while the job waits or runs (blob `verify-job:<id>`) and is
//     deleted as soon as the job ends, whatever the outcome, or when it is cancelled.
//
// Keys: `verify-job:<guildId>:<pledgeId>:<version>` (record), `verify-jobs:pending` (the ids not yet
// finished; keyv cannot list keys), `blob:verify-job:<id>` (image). Writes happen in the order
// index → image → record, so a crash at any point leaves an index entry that runPending() either
// completes or cleans up (deleting an orphaned image), never an image nothing points to.
// Locks: `verify-job:<id>` for a job, then `verify-jobs` for the index (always in that order); one
// process only, as everywhere in the store (docs/store.md, "Concurrency").
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MAX_BLOB_BYTES, type Collection, type Store } from '../store/index.js';
import type { VerificationResult } from './verifier.js';

const snowflake = z.string().regex(/^\d{1,20}$/, 'expected a Discord id');
const isoTimestamp = z.iso.datetime({ offset: false });

export const verificationResultSchema = z.object({
  verdict: z.enum(['verified', 'review', 'unrelated']),
  score: z.number().min(0).max(1),
  evidence: z.array(z.string().max(200)).max(20),
  textChars: z.number().int().nonnegative(),
  ms: z.number().int().nonnegative(),
});

export const JOB_STATES = ['pending', 'running', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const verificationJobSchema = z.object({
  id: z.string().min(1).max(80),
  guildId: snowflake,
  userId: snowflake,
  pledgeId: z.number().int().positive(),
  version: z.number().int().positive(),
  state: z.enum(JOB_STATES),
  /** An image was enqueued with the job (and, until the job ends, is in the blob store). */
  hasImage: z.boolean(),
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
  startedAt: isoTimestamp.optional(),
  finishedAt: isoTimestamp.optional(),
  /** Which VerificationJobs instance claimed it: tells a live run from one a dead process left. */
  runner: z.string().max(64).optional(),
  /** Times the job was claimed (absent: once or never). */
  attempts: z.number().int().positive().optional(),
  result: verificationResultSchema.optional(),
  /** Why it failed: 'timeout', 'interrupted', 'image missing', 'cancelled', or the handler's error. */
  error: z.string().max(500).optional(),
});
export type VerificationJob = z.infer<typeof verificationJobSchema>;

const pendingIndexSchema = z.object({ ids: z.array(z.string()) });

export type JobRef = { guildId: string; pledgeId: number; version: number };

export type EnqueueInput = JobRef & {
  userId: string;
  /** The screenshot, kept only until the job has run. Omit when the handler fetches it itself. */
  imageBytes?: Uint8Array;
};

export type JobContext = {
  guildId: string;
  userId: string;
  pledgeId: number;
  version: number;
  /** The enqueued screenshot, or undefined if none was enqueued. */
  image: Buffer | undefined;
  /** Aborted when the job times out: its result will be discarded. */
  signal: AbortSignal;
};

/** Verifies one screenshot (usually `verifier.verify(ctx.image, { duplicate })`) and may update the pledge. */
export type JobHandler = (ctx: JobContext) => Promise<VerificationResult>;

export type RunReport = {
  done: number;
  failed: number;
  /** Found running after a restart and out of attempts: marked failed without running the handler again. */
  interrupted: number;
  /** Index entries of finished or never-completed enqueues, tidied up (images deleted). */
  cleaned: number;
};

export type VerificationJobsOptions = {
  /** One handler call. Default 120 s (OCR itself times out sooner; this bounds the whole handler). */
  timeoutMs?: number;
  /** How long finished jobs stay readable with get(). Default 30 days. */
  retainMs?: number;
  /** Jobs runPending() runs at once. Default 2 (an OCR pool's default size on this hardware). */
  concurrency?: number;
  /**
   * Claims a job may have in all. Default 1: a job a dead process left `running` is failed, never
   * run twice. Set it higher only for a handler that is safe to run again after a crash mid-run.
   */
  maxAttempts?: number;
  now?: () => Date;
};

export class VerificationJobInputError extends Error {
  override readonly name = 'VerificationJobInputError';
}

const INDEX_LOCK = 'verify-jobs';
const MAX_ERROR = 500;

export function jobId(ref: JobRef): string {
  return `${ref.guildId}:${ref.pledgeId}:${ref.version}`;
}

const inputSchema = z.object({
  guildId: snowflake,
  userId: snowflake,
  pledgeId: z.number().int().positive(),
  version: z.number().int().positive(),
});

export class VerificationJobs {
  private readonly jobs: Collection<VerificationJob>;
  private readonly index: Collection<z.infer<typeof pendingIndexSchema>>;
  /** Distinguishes this instance's runs from those of a process that died. */
  readonly runnerId = randomUUID();
  private readonly timeoutMs: number;
  private readonly retainMs: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    opts: VerificationJobsOptions = {},
  ) {
    this.jobs = store.collection('verify-job', verificationJobSchema);
    this.index = store.collection('verify-jobs', pendingIndexSchema);
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.retainMs = opts.retainMs ?? 30 * 24 * 3600 * 1000;
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? 1));
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Records the job durably (resolves only once the record, its image and the index entry are
   * written). Enqueueing a (pledge, version) that already has a job changes nothing and returns it.
   */
  async enqueue(input: EnqueueInput): Promise<{ job: VerificationJob; created: boolean }> {
    const parsed = inputSchema.safeParse(input);
    if (!parsed.success) throw new VerificationJobInputError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    if (input.imageBytes !== undefined && input.imageBytes.byteLength > MAX_BLOB_BYTES) {
      throw new VerificationJobInputError(`image is ${input.imageBytes.byteLength} bytes (max ${MAX_BLOB_BYTES})`);
    }
    const id = jobId(input);
    return this.store.withLock(lockName(id), async () => {
      const existing = await this.read(id);
      if (existing) return { job: existing, created: false };
      await this.indexAdd(id);
      if (input.imageBytes !== undefined) {
        await this.store.blobs.put(blobKey(id), Buffer.from(input.imageBytes.buffer, input.imageBytes.byteOffset, input.imageBytes.byteLength));
      }
      const at = this.now().toISOString();
      const job: VerificationJob = {
        id,
        guildId: parsed.data.guildId,
        userId: parsed.data.userId,
        pledgeId: parsed.data.pledgeId,
        version: parsed.data.version,
        state: 'pending',
        hasImage: input.imageBytes !== undefined,
        createdAt: at,
        updatedAt: at,
      };
      await this.jobs.write(id, job);
      return { job, created: true };
    });
  }

  async get(ref: JobRef): Promise<VerificationJob | undefined> {
    return this.read(jobId(ref));
  }

  /** Ids waiting or running, oldest first. */
  async pendingIds(): Promise<string[]> {
    const r = await this.index.read('pending');
    return r.ok ? (r.value?.ids ?? []) : [];
  }

  /**
   * Ends a job that has not run yet (the member withdrew or replaced the evidence): marks it failed
   * ('cancelled') and deletes its image. A job already running or finished is left as it is.
   */
  async cancel(ref: JobRef): Promise<VerificationJob | undefined> {
    const id = jobId(ref);
    return this.store.withLock(lockName(id), async () => {
      const job = await this.read(id);
      if (!job || job.state !== 'pending') return job;
      return this.finishLocked(job, { state: 'failed', error: 'cancelled' });
    });
  }

  /**
   * Erases a job and what it learned (the member withdrew): its record, which holds the member's id
   * and the OCR lines read off the screenshot, its image and its index entry. The record goes first:
   * an index entry left by a crash is tidied up by runPending, and a job running now finishes
   * without writing a result (runOne finds no record).
   */
  async forget(ref: JobRef): Promise<void> {
    const id = jobId(ref);
    await this.store.withLock(lockName(id), async () => {
      await this.jobs.delete(id);
      await this.store.blobs.delete(blobKey(id));
      await this.indexRemove(id);
    });
  }

  /** Runs one job now if it is pending (the pledge flow calls this right after enqueue). */
  async run(ref: JobRef, handler: JobHandler): Promise<VerificationJob | undefined> {
    const report: RunReport = { done: 0, failed: 0, interrupted: 0, cleaned: 0 };
    await this.runOne(jobId(ref), handler, report, false);
    return this.get(ref);
  }

  /**
   * Runs every job still pending, e.g. after a restart. Jobs a previous process left `running` are
   * marked failed ('interrupted'), not run twice. Never throws for a job's failure; rejects only
   * when the store itself cannot be read.
   */
  async runPending(handler: JobHandler): Promise<RunReport> {
    const report: RunReport = { done: 0, failed: 0, interrupted: 0, cleaned: 0 };
    const ids = await this.pendingIds();
    let next = 0;
    const lane = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        if (id !== undefined) await this.runOne(id, handler, report, true);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, ids.length) }, lane));
    return report;
  }

  // ─── Internals ─────────────────────────────────────────────────────────────────────────────────

  private async runOne(id: string, handler: JobHandler, report: RunReport, fromIndex: boolean): Promise<void> {
    const claimed = await this.claim(id, report, fromIndex);
    if (!claimed) return;
    const outcome = await this.execute(claimed, handler);
    const finished = await this.store.withLock(lockName(id), async () => {
      const current = await this.read(id);
      // Only the claim's owner may finish it (a cancel or another runner cannot have, but be sure);
      // a job forgotten while it ran has no record, and its result is not written back.
      if (!current || current.state !== 'running' || current.runner !== this.runnerId) return undefined;
      return this.finishLocked(current, outcome);
    });
    if (finished?.state === 'done') report.done += 1;
    else if (finished?.state === 'failed') report.failed += 1;
  }

  /** Marks a pending job running under its lock; tidies up anything that is not runnable. */
  private async claim(id: string, report: RunReport, fromIndex: boolean): Promise<VerificationJob | undefined> {
    return this.store.withLock(lockName(id), async () => {
      const r = await this.jobs.read(id);
      if (!r.ok) {
        // A damaged record can be neither run nor trusted: it stays as it is for a person (the
        // warning names it), but its image goes and it leaves the index so it is not retried forever.
        this.store.log.warn({ id, issues: r.error.issues }, 'verification: damaged job record, skipping');
        await this.store.blobs.delete(blobKey(id));
        await this.indexRemove(id);
        report.cleaned += 1;
        return undefined;
      }
      const job = r.value;
      if (!job) {
        // An enqueue that stopped before writing its record: nothing to run, maybe an image to drop.
        if (fromIndex) {
          await this.store.blobs.delete(blobKey(id));
          await this.indexRemove(id);
          report.cleaned += 1;
        }
        return undefined;
      }
      if (job.state === 'done' || job.state === 'failed') {
        // Finished, but the process stopped before deleting the image or the index entry.
        if (fromIndex) {
          await this.store.blobs.delete(blobKey(id));
          await this.indexRemove(id);
          report.cleaned += 1;
        }
        return undefined;
      }
      if (job.state === 'running') {
        if (job.runner === this.runnerId) return undefined;
        // Claimed by a process that is gone: the handler may have done part of its work, so it is
        // run again only if the owner said it is idempotent and attempts remain; else a person
        // reviews the pledge.
        if ((job.attempts ?? 1) >= this.maxAttempts) {
          await this.finishLocked(job, { state: 'failed', error: 'interrupted' });
          report.interrupted += 1;
          return undefined;
        }
      }
      const at = this.now().toISOString();
      const attempts = job.state === 'running' ? (job.attempts ?? 1) + 1 : (job.attempts ?? 0) + 1;
      const running: VerificationJob = { ...job, state: 'running', runner: this.runnerId, startedAt: at, updatedAt: at, attempts };
      await this.jobs.write(id, running);
      return running;
    });
  }

  private async execute(job: VerificationJob, handler: JobHandler): Promise<Outcome> {
    let image: Buffer | undefined;
    try {
      image = job.hasImage ? await this.store.blobs.get(blobKey(job.id)) : undefined;
    } catch (err) {
      return { state: 'failed', error: `image unreadable: ${message(err)}` };
    }
    if (job.hasImage && image === undefined) return { state: 'failed', error: 'image missing' };
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('verification job timed out'));
        resolve({ state: 'failed', error: 'timeout' });
      }, this.timeoutMs);
    });
    const work = (async (): Promise<Outcome> => {
      try {
        const result = await handler({ guildId: job.guildId, userId: job.userId, pledgeId: job.pledgeId, version: job.version, image, signal: controller.signal });
        const parsed = verificationResultSchema.safeParse(normalizeResult(result));
        if (!parsed.success) return { state: 'failed', error: `handler returned an invalid result: ${parsed.error.issues[0]?.message ?? ''}` };
        return { state: 'done', result: parsed.data };
      } catch (err) {
        return { state: 'failed', error: message(err) };
      }
    })();
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes the terminal record (one write: state and result together), then drops image and index entry. */
  private async finishLocked(job: VerificationJob, outcome: Outcome): Promise<VerificationJob> {
    const at = this.now().toISOString();
    const { result: _oldResult, error: _oldError, ...rest } = job;
    const finished: VerificationJob =
      outcome.state === 'done'
        ? { ...rest, state: 'done', result: outcome.result, updatedAt: at, finishedAt: at }
        : { ...rest, state: 'failed', error: outcome.error.slice(0, MAX_ERROR), updatedAt: at, finishedAt: at };
    await this.jobs.write(job.id, finished, this.retainMs);
    await this.store.blobs.delete(blobKey(job.id));
    await this.indexRemove(job.id);
    if (finished.state === 'failed') this.store.log.warn({ id: job.id, error: finished.error }, 'verification: job failed; the pledge stays pending for review');
    return finished;
  }

  private async read(id: string): Promise<VerificationJob | undefined> {
    const r = await this.jobs.read(id);
    return r.ok ? r.value : undefined;
  }

  private async indexAdd(id: string): Promise<void> {
    await this.store.withLock(INDEX_LOCK, async () => {
      const ids = await this.pendingIds();
      if (!ids.includes(id)) await this.index.write('pending', { ids: [...ids, id] });
    });
  }

  private async indexRemove(id: string): Promise<void> {
    await this.store.withLock(INDEX_LOCK, async () => {
      const ids = await this.pendingIds();
      if (ids.includes(id)) await this.index.write('pending', { ids: ids.filter((x) => x !== id) });
    });
  }
}

type Outcome = { state: 'done'; result: z.infer<typeof verificationResultSchema> } | { state: 'failed'; error: string };

function lockName(id: string): string {
  return `verify-job:${id}`;
}

function blobKey(id: string): string {
  return `verify-job:${id}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Evidence lines are for display: keep the record within its schema rather than fail a good job. */
function normalizeResult(r: VerificationResult): VerificationResult {
  return { ...r, evidence: r.evidence.slice(0, 20).map((e) => e.slice(0, 200)), ms: Math.max(0, Math.round(r.ms)), textChars: Math.max(0, Math.round(r.textChars)) };
}
