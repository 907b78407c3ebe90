// A fixed set of tesseract.js workers, started once and reused, each running one recognition at a
// time. tesseract.js's own Scheduler has no timeouts and no way to replace a worker, and a
// recognition that never returns would hold its worker forever; here every job has a deadline, and
// a worker that times out, errors or whose thread dies is terminated and replaced.
//
// Nothing tesseract.js does may crash the bot:
//   - a job it rejects is also passed to `errorHandler`; without one, tesseract.js *throws* from
//     its message listener (createWorker.js), which is an uncaught exception in the main thread;
//   - an exception inside the thread after its handler returned is caught there (runtime.ts) and
//     turned into rejections;
//   - the thread's own 'error' and 'exit' events are listened to (tesseract.js sets `onerror`,
//     which a Node Worker ignores); the Worker object comes from process's 'worker' event, since
//     tesseract.js only exposes it after initialization succeeded.
import { availableParallelism } from 'node:os';
import type { Worker as NodeWorker } from 'node:worker_threads';
import Tesseract from 'tesseract.js';
import { prepareRuntime, type OcrLang, type OcrModel, type OcrRuntime } from './runtime.js';

export type OcrLogger = {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

const silent: OcrLogger = { debug() {}, info() {}, warn() {}, error() {} };

export type OcrPoolOptions = {
  /** Number of workers. Default: one per core (os.availableParallelism()). */
  size?: number;
  /** Default ['eng', 'fra']. */
  langs?: readonly OcrLang[];
  /** Default '4.0.0_best_int'. */
  model?: OcrModel;
  /** Page segmentation mode (tessedit_pageseg_mode). Default '3' (fully automatic). */
  pageSegMode?: string;
  /** Extra tesseract parameters, set once per worker. */
  parameters?: Readonly<Record<string, string>>;
  /** One recognition, from the moment a worker takes it. Default 20 s. */
  timeoutMs?: number;
  /** Starting one worker (loading the core and models). Default 60 s. */
  startTimeoutMs?: number;
  /** Waiting jobs beyond which `recognize` refuses at once (memory: each holds an image). Default 64. */
  maxQueue?: number;
  log?: OcrLogger;
  /** Tests only: a script run in the thread instead of tesseract.js's worker script. */
  workerScript?: string;
};

export type OcrResult = {
  text: string;
  /** Tesseract's mean word confidence, 0..100. */
  confidence: number;
  /** Recognition time in the worker, excluding the wait in the queue. */
  ms: number;
};

export type OcrPoolStats = {
  size: number;
  idle: number;
  busy: number;
  starting: number;
  queued: number;
  completed: number;
  failed: number;
  timedOut: number;
  /** Workers terminated and started again (after a timeout, an error or a dead thread). */
  replaced: number;
};

export class OcrError extends Error {
  override readonly name: string = 'OcrError';
}
export class OcrTimeoutError extends OcrError {
  override readonly name = 'OcrTimeoutError';
}
/** The pool is closed, full, or has no worker able to start. */
export class OcrUnavailableError extends OcrError {
  override readonly name = 'OcrUnavailableError';
}

export interface OcrPool {
  readonly size: number;
  /** Recognizes an encoded image (PNG, JPEG, PGM…) as given; see preprocess.ts for preparing one. */
  recognize(image: Uint8Array, opts?: { timeoutMs?: number }): Promise<OcrResult>;
  stats(): OcrPoolStats;
  /** Terminates every worker; jobs still waiting are rejected with OcrUnavailableError. */
  close(): Promise<void>;
}

type Job = {
  image: Uint8Array;
  timeoutMs: number;
  resolve: (r: OcrResult) => void;
  reject: (e: Error) => void;
};

type Slot = {
  index: number;
  state: 'starting' | 'idle' | 'busy' | 'backoff' | 'closed';
  /** Bumped whenever the slot gets a new worker: late events from an old one are ignored. */
  generation: number;
  tess?: Tesseract.Worker;
  thread?: NodeWorker;
  /** Set while a job runs: ends it (once) with an error, e.g. when the thread dies. */
  abort?: (err: Error) => void;
  failures: number;
  retryTimer?: NodeJS.Timeout;
  /** Set while a worker starts: close() uses it so that a start in progress ends at once. */
  cancelStart?: (err: Error) => void;
};

const BACKOFF_MS = [500, 2000, 5000, 15_000, 30_000];

export async function createOcrPool(opts: OcrPoolOptions = {}): Promise<OcrPool> {
  const pool = new Pool(opts, await prepareRuntime(opts.langs ?? ['eng', 'fra'], opts.model ?? '4.0.0_best_int', opts.workerScript));
  await pool.start();
  return pool;
}

/**
 * Resolves with the next Worker constructed after this call's synchronous part. Node emits
 * 'worker' from a nextTick queued in the Worker constructor, and nextTicks run in order, so a marker
 * queued just before the constructor runs tells our worker apart from any created before it.
 */
function captureNextWorker(): { worker: Promise<NodeWorker>; cancel: () => void } {
  let armed = false;
  let resolveFn: (w: NodeWorker) => void = () => {};
  const worker = new Promise<NodeWorker>((resolve) => {
    resolveFn = resolve;
  });
  const listener = (w: NodeWorker) => {
    if (!armed) return;
    process.off('worker', listener);
    resolveFn(w);
  };
  process.on('worker', listener);
  process.nextTick(() => {
    armed = true;
  });
  return { worker, cancel: () => process.off('worker', listener) };
}

class Pool implements OcrPool {
  readonly size: number;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly log: OcrLogger;
  private readonly timeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly maxQueue: number;
  private closed = false;
  private counters = { completed: 0, failed: 0, timedOut: 0, replaced: 0 };

  constructor(
    private readonly opts: OcrPoolOptions,
    private readonly runtime: OcrRuntime,
  ) {
    this.size = Math.max(1, Math.floor(opts.size ?? availableParallelism()));
    this.log = opts.log ?? silent;
    this.timeoutMs = opts.timeoutMs ?? 20_000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000;
    this.maxQueue = opts.maxQueue ?? 64;
    this.slots = Array.from({ length: this.size }, (_, index) => ({ index, state: 'starting', generation: 0, failures: 0 }));
  }

  /** Starts every worker in turn; resolves if at least one started (the others retry in the background). */
  async start(): Promise<void> {
    // One at a time: each start is CPU-bound (gunzip, wasm compile), so parallel starts finish no sooner.
    let started = 0;
    let lastError: unknown;
    for (const slot of this.slots) {
      try {
        await this.spawn(slot);
        started += 1;
      } catch (err) {
        lastError = err;
        this.scheduleRetry(slot);
      }
    }
    if (started === 0) {
      await this.close();
      throw new OcrUnavailableError(`no OCR worker could start: ${String(lastError)}`, { cause: lastError });
    }
  }

  recognize(image: Uint8Array, opts: { timeoutMs?: number } = {}): Promise<OcrResult> {
    if (this.closed) return Promise.reject(new OcrUnavailableError('OCR pool is closed'));
    if (this.queue.length >= this.maxQueue) return Promise.reject(new OcrUnavailableError(`OCR queue is full (${this.maxQueue} waiting)`));
    if (this.slots.every((s) => s.state === 'backoff')) return Promise.reject(new OcrUnavailableError('no OCR worker is running'));
    return new Promise<OcrResult>((resolve, reject) => {
      this.queue.push({ image, timeoutMs: opts.timeoutMs ?? this.timeoutMs, resolve, reject });
      this.dispatch();
    });
  }

  stats(): OcrPoolStats {
    const count = (state: Slot['state']) => this.slots.filter((s) => s.state === state).length;
    return { size: this.size, idle: count('idle'), busy: count('busy'), starting: count('starting'), queued: this.queue.length, ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new OcrUnavailableError('OCR pool closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.retryTimer) clearTimeout(slot.retryTimer);
        slot.cancelStart?.(new OcrUnavailableError('OCR pool closed'));
        slot.abort?.(new OcrUnavailableError('OCR pool closed'));
        await this.stop(slot);
        slot.state = 'closed';
      }),
    );
    await this.runtime.dispose().catch(() => {});
  }

  // ─── Workers ──────────────────────────────────────────────────────────────────────────────────

  private async spawn(slot: Slot): Promise<void> {
    slot.state = 'starting';
    const generation = ++slot.generation;
    const current = () => slot.generation === generation && !this.closed;
    let failStart: (err: Error) => void = () => {};
    const startFailed = new Promise<never>((_, reject) => {
      failStart = reject;
    });
    startFailed.catch(() => {});
    slot.cancelStart = failStart;

    const capture = captureNextWorker();
    const creating = Tesseract.createWorker([...(this.opts.langs ?? ['eng', 'fra'])], Tesseract.OEM.LSTM_ONLY, {
      langPath: this.runtime.langPath,
      workerPath: this.runtime.workerPath,
      gzip: true,
      // Never read or write a traineddata cache (by default: the working directory).
      cacheMethod: 'none',
      errorHandler: (data: unknown) => {
        // Called for every job tesseract.js rejects; the job's own promise carries the error.
        if (!current()) return;
        if (slot.state === 'starting') failStart(new OcrError(`worker failed to start: ${String(data)}`));
        else this.log.debug({ worker: slot.index, err: String(data) }, 'ocr: tesseract rejected a job');
      },
    });
    creating.catch(() => {});
    const died = (err: Error) => {
      if (!current()) return;
      if (slot.state === 'starting') failStart(err);
      else this.onThreadDeath(slot, err);
    };
    let ownThread: NodeWorker | undefined;
    capture.worker
      .then((thread) => {
        ownThread = thread;
        thread.on('error', (err) => {
          this.log.warn({ worker: slot.index, err: String(err) }, 'ocr: worker thread error');
          died(new OcrError(`worker thread error: ${String(err)}`));
        });
        thread.on('exit', (code) => died(new OcrError(`worker thread exited (code ${code})`)));
        thread.on('message', (msg: unknown) => {
          if (typeof msg === 'object' && msg !== null && 'status' in msg && msg.status === 'thread-error') {
            const data = 'data' in msg ? String(msg.data) : 'unknown';
            this.log.warn({ worker: slot.index, err: data }, 'ocr: uncaught error inside the worker thread');
            died(new OcrError(data));
          }
        });
        if (current()) slot.thread = thread;
        else void thread.terminate().catch(() => {});
      })
      .catch(() => {});

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OcrTimeoutError(`worker did not start within ${this.startTimeoutMs} ms`)), this.startTimeoutMs);
    });
    timeout.catch(() => {});
    try {
      const tess = await Promise.race([creating, startFailed, timeout]);
      await Promise.race([this.configure(tess), startFailed, timeout]);
      if (!current()) {
        // The pool closed (or replaced this slot) while the worker was starting.
        if (ownThread) await ownThread.terminate().catch(() => {});
        else await tess.terminate().catch(() => {});
        return;
      }
      slot.tess = tess;
      slot.state = 'idle';
      slot.failures = 0;
      this.log.debug({ worker: slot.index }, 'ocr: worker ready');
      this.dispatch();
    } catch (err) {
      slot.generation += 1;
      const thread = ownThread ?? (await Promise.race([capture.worker, new Promise<undefined>((r) => setTimeout(r, 100, undefined))]));
      await thread?.terminate().catch(() => {});
      if (slot.thread === thread) slot.thread = undefined;
      slot.tess = undefined;
      if (!this.closed) this.log.warn({ worker: slot.index, err: String(err) }, 'ocr: worker failed to start');
      throw err;
    } finally {
      capture.cancel();
      clearTimeout(timer);
      if (slot.cancelStart === failStart) slot.cancelStart = undefined;
    }
  }

  private async configure(tess: Tesseract.Worker): Promise<void> {
    const params: Record<string, string> = {
      tessedit_pageseg_mode: this.opts.pageSegMode ?? '3',
      // Tesseract's diagnostics ("Estimating resolution as …") would otherwise reach our stderr
      // once per image; /dev/null is in the wasm module's own filesystem.
      debug_file: '/dev/null',
      ...this.opts.parameters,
    };
    await tess.setParameters(params);
  }

  private scheduleRetry(slot: Slot): void {
    if (this.closed) return;
    slot.state = 'backoff';
    const delay = BACKOFF_MS[Math.min(slot.failures, BACKOFF_MS.length - 1)] ?? 30_000;
    slot.failures += 1;
    if (this.slots.every((s) => s.state === 'backoff')) {
      // Nothing will run the waiting jobs soon: fail them now rather than let them wait out a backoff.
      for (const job of this.queue.splice(0)) job.reject(new OcrUnavailableError('no OCR worker is running'));
    }
    slot.retryTimer = setTimeout(() => {
      slot.retryTimer = undefined;
      this.spawn(slot).catch(() => this.scheduleRetry(slot));
    }, delay);
    // A retry pending must not keep a CLI or a test process alive by itself.
    slot.retryTimer.unref();
  }

  private async stop(slot: Slot): Promise<void> {
    const { tess, thread } = slot;
    slot.generation += 1;
    slot.tess = undefined;
    slot.thread = undefined;
    // Terminating the Node Worker ends the thread even while wasm is running a recognition. Not
    // tesseract.js's terminate(): it nulls its worker, and a recognize() still inside its async
    // prelude then calls postMessage on null, an unhandled rejection nothing can catch.
    if (thread) await thread.terminate().catch(() => {});
    else await tess?.terminate().catch(() => {});
  }

  private replace(slot: Slot, reason: string): void {
    if (this.closed) return;
    this.counters.replaced += 1;
    this.log.warn({ worker: slot.index, reason }, 'ocr: replacing worker');
    void this.stop(slot).then(() => {
      if (this.closed) return;
      this.spawn(slot).catch(() => this.scheduleRetry(slot));
    });
  }

  private onThreadDeath(slot: Slot, err: Error): void {
    if (this.closed) return;
    if (slot.state === 'busy' && slot.abort) {
      slot.abort(err);
      return;
    }
    if (slot.state === 'idle') this.replace(slot, err.message);
  }

  // ─── Jobs ─────────────────────────────────────────────────────────────────────────────────────

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.state !== 'idle' || !slot.tess) continue;
      const job = this.queue.shift();
      if (job) this.run(slot, slot.tess, job);
    }
  }

  private run(slot: Slot, tess: Tesseract.Worker, job: Job): void {
    slot.state = 'busy';
    const started = performance.now();
    let done = false;
    const finish = (err: Error | undefined, result?: OcrResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      slot.abort = undefined;
      if (err) {
        this.counters.failed += 1;
        job.reject(err);
        // After a timeout or an error the worker's state is unknown: never reuse it.
        this.replace(slot, err.message);
      } else if (result) {
        this.counters.completed += 1;
        slot.state = 'idle';
        job.resolve(result);
      }
      this.dispatch();
    };
    slot.abort = (err) => finish(err);
    const timer = setTimeout(() => {
      this.counters.timedOut += 1;
      finish(new OcrTimeoutError(`recognition did not finish within ${job.timeoutMs} ms`));
    }, job.timeoutMs);
    tess.recognize(Buffer.from(job.image.buffer, job.image.byteOffset, job.image.byteLength), {}, { text: true }).then(
      (res) => finish(undefined, { text: res.data.text ?? '', confidence: res.data.confidence ?? 0, ms: Math.round(performance.now() - started) }),
      (err: unknown) => finish(new OcrError(`recognition failed: ${err instanceof Error ? err.message : String(err)}`)),
    );
  }
}
