// Load generation and the figures drawn from it. Latencies are measured in the simulator's own
// process with performance.now(): from the moment sim.slash() has written the INTERACTION_CREATE
// to the gateway socket, to the moment the simulator has applied the bot's callback (the
// acknowledgement) and the message the member finally sees (for a deferred reply, the PATCH of
// @original). Both ends are observed by the same event loop, so no clock is compared across processes.

export type Sample = {
  /** Dispatch → interaction callback received. NaN when it never came. */
  ackMs: number;
  /** Dispatch → the member's final answer visible. NaN when it never came. */
  finalMs: number;
  ok: boolean;
  error?: string;
};

export type LatencyStats = { count: number; p50: number; p95: number; p99: number; max: number; mean: number };

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? NaN;
}

export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

export type LoadResult = {
  samples: Sample[];
  wallMs: number;
  /** Interactions not started because the global deadline passed. */
  skipped: number;
};

export type Fire = (i: number) => Promise<Sample>;

/**
 * Closed loop: `concurrency` members each start an interaction, wait for its final answer, start
 * the next. Throughput is then what the bot sustains, latency what a member waits at that load.
 */
export async function closedLoop(opts: { n: number; concurrency: number; deadline: number; fire: Fire }): Promise<LoadResult> {
  const samples: Sample[] = [];
  let next = 0;
  let skipped = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= opts.n) return;
      if (Date.now() > opts.deadline) {
        skipped += 1;
        continue;
      }
      samples.push(await opts.fire(i));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, opts.n)) }, worker));
  return { samples, wallMs: performance.now() - started, skipped };
}

/**
 * Open loop: interactions arrive at a fixed rate whatever the bot's answers, as members do. A bot
 * that falls behind shows it as growing latency instead of quietly lowering the offered load.
 */
export async function openLoop(opts: { n: number; ratePerSecond: number; deadline: number; fire: Fire }): Promise<LoadResult> {
  const pending: Array<Promise<Sample>> = [];
  const intervalMs = 1000 / opts.ratePerSecond;
  const started = performance.now();
  let skipped = 0;
  for (let i = 0; i < opts.n; i++) {
    if (Date.now() > opts.deadline) {
      skipped = opts.n - i;
      break;
    }
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(opts.fire(i));
  }
  const samples = await Promise.all(pending);
  return { samples, wallMs: performance.now() - started, skipped };
}

export type RunFigures = {
  n: number;
  completed: number;
  failed: number;
  /** Interactions with a final answer per second of wall time. */
  throughput: number;
  ack: LatencyStats;
  final: LatencyStats;
  /** Acknowledgements slower than Discord's 3 s (or never received). */
  lateAcks: number;
  wallMs: number;
  skipped: number;
  errors: string[];
};

export function figures(result: LoadResult, ackDeadlineMs: number): RunFigures {
  const ok = result.samples.filter((s) => s.ok);
  const errors = [...new Set(result.samples.flatMap((s) => (s.error ? [s.error] : [])))].slice(0, 5);
  return {
    n: result.samples.length + result.skipped,
    completed: ok.length,
    failed: result.samples.length - ok.length,
    throughput: result.wallMs > 0 ? ok.length / (result.wallMs / 1000) : 0,
    ack: latencyStats(result.samples.map((s) => s.ackMs)),
    final: latencyStats(ok.map((s) => s.finalMs)),
    lateAcks: result.samples.filter((s) => !(s.ackMs <= ackDeadlineMs)).length,
    wallMs: result.wallMs,
    skipped: result.skipped,
    errors,
  };
}
