// Each bot runs in its own process so its memory is its own (RSS read from /proc, not guessed from
// the heap) and the simulator's CPU is not charged to it. The parent waits for the same "ready"
// JSON line from both: the real bot's pino line (LOG_LEVEL=info, as deployed) and baseline.ts's.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { BASELINE_ENTRY, BOT_ENTRY, GC_PROBE, HEAP_SAMPLER, REPO_ROOT } from './paths.js';

export type BotKind = 'bot' | 'baseline';

export type MemorySample = { rssKb: number; hwmKb: number };

/** VmRSS (now) and VmHWM (peak since start) of a live process, or null once it is gone. */
export function readMemory(pid: number): MemorySample | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const rssKb = kb('VmRSS');
  const hwmKb = kb('VmHWM');
  return Number.isFinite(rssKb) && Number.isFinite(hwmKb) ? { rssKb, hwmKb } : null;
}

export type ChildOptions = {
  kind: BotKind;
  /** Merged over the parent's environment (the simulator's token and URLs, STORE_URL, ...). */
  env: Record<string, string>;
  readyTimeoutMs: number;
  /** Write a V8 CPU profile of the child here when it exits (node --cpu-prof). */
  cpuProfDir?: string;
  /** Write an allocation profile of the child here when it is stopped (bench/heap-sampler.ts). */
  heapProfDir?: string;
  /** RSS sampling period; peaks between samples are caught by VmHWM. */
  sampleMs?: number;
  /** Preload bench/gc-probe.js so collectGarbage() can ask for a full GC. */
  gcProbe?: boolean;
};

const MAX_KEPT_PROBLEMS = 20;

/** User + system CPU time a live process has used, in ms (from /proc/<pid>/stat), or NaN once it is gone. */
export function readCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN;
  }
  // Fields after the command name (which may contain spaces) start at state; utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux the bot targets (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100;

export class BotChild {
  readonly kind: BotKind;
  /** performance.now() at spawn and when the ready line arrived. */
  readonly spawnedAt: number;
  readyAt = 0;
  /** warn/error/fatal log lines and stderr output, the first few kept for the report. */
  readonly problems: string[] = [];
  problemCount = 0;
  private windowPeakKb = 0;
  private readonly sampler: NodeJS.Timeout;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(
    private readonly proc: ChildProcess,
    opts: ChildOptions,
  ) {
    this.kind = opts.kind;
    this.spawnedAt = performance.now();
    this.exited = once(proc, 'exit').then(([code, signal]) => {
      this.exitInfo = { code: code as number | null, signal: signal as NodeJS.Signals | null };
      return this.exitInfo;
    });
    this.sampler = setInterval(() => this.sample(), opts.sampleMs ?? 100);
    this.sampler.unref();
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get readyMs(): number {
    return this.readyAt - this.spawnedAt;
  }

  static async start(opts: ChildOptions): Promise<BotChild> {
    const entry = opts.kind === 'bot' ? BOT_ENTRY : BASELINE_ENTRY;
    const nodeArgs = [
      ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
      ...(opts.gcProbe ? ['--expose-gc', '--import', pathToFileURL(GC_PROBE).href] : []),
      ...(opts.heapProfDir ? ['--import', pathToFileURL(HEAP_SAMPLER).href] : []),
    ];
    const proc = spawn(process.execPath, [...nodeArgs, entry], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env, ...(opts.heapProfDir ? { BENCH_HEAP_PROF_DIR: opts.heapProfDir } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = new BotChild(proc, opts);
    await child.waitReady(opts.readyTimeoutMs);
    return child;
  }

  private waitReady(timeoutMs: number): Promise<void> {
    const proc = this.proc;
    return new Promise<void>((resolve, reject) => {
      let buffered = '';
      let ready = false;
      const timer = setTimeout(() => {
        void this.kill();
        reject(new Error(`${this.kind} not ready after ${timeoutMs} ms: ${this.problems.slice(0, 3).join(' | ') || 'no output'}`));
      }, timeoutMs);
      proc.stdout?.setEncoding('utf8');
      proc.stdout?.on('data', (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          // Cheap string tests: at load, the bot logs every interaction and this runs in the parent.
          if (!ready && line.includes('"msg":"ready"')) {
            ready = true;
            this.readyAt = performance.now();
            clearTimeout(timer);
            resolve();
          } else if (/"level":(4|5|6)0/.test(line)) this.problem(line);
          nl = buffered.indexOf('\n');
        }
      });
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (chunk: string) => this.problem(chunk.trim()));
      void this.exited.then(({ code, signal }) => {
        if (ready) return;
        clearTimeout(timer);
        reject(new Error(`${this.kind} exited before ready (code ${code}, signal ${signal}): ${this.problems.slice(0, 3).join(' | ') || 'no output'}`));
      });
    });
  }

  private problem(text: string): void {
    if (!text || text.startsWith('gc-probe:')) return;
    this.problemCount += 1;
    if (this.problems.length < MAX_KEPT_PROBLEMS) this.problems.push(text.slice(0, 500));
  }

  private sample(): void {
    const m = readMemory(this.pid);
    if (m && m.rssKb > this.windowPeakKb) this.windowPeakKb = m.rssKb;
  }

  memory(): MemorySample | null {
    return readMemory(this.pid);
  }

  cpuMs(): number {
    return readCpuMs(this.pid);
  }

  /** Asks a child started with gcProbe for a full collection and waits for it to say it is done. */
  async collectGarbage(timeoutMs = 5_000): Promise<boolean> {
    const stderr = this.proc.stderr;
    if (!stderr) return false;
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const onData = (chunk: string): void => {
        if (chunk.includes('gc-probe: collected')) finish(true);
      };
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        stderr.off('data', onData);
        resolve(ok);
      };
      stderr.on('data', onData);
    });
    this.proc.kill('SIGUSR2');
    return done;
  }

  /** Starts a new window for windowPeakKb (e.g. one command's run). */
  resetWindow(): void {
    this.windowPeakKb = readMemory(this.pid)?.rssKb ?? 0;
  }

  /** Highest sampled VmRSS since resetWindow(). */
  windowPeak(): number {
    this.sample();
    return this.windowPeakKb;
  }

  /** SIGTERM: the real bot drains in-flight work and closes its gateway session (code 1000) and store. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    clearInterval(this.sampler);
    if (this.exitInfo) return this.exitInfo;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  private async kill(): Promise<void> {
    clearInterval(this.sampler);
    if (!this.exitInfo) this.proc.kill('SIGKILL');
    await this.exited;
  }
}
