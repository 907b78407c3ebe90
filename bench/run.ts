// `npm run bench [-- --n 2000 --concurrency 50 --only facts,pledge --guilds 1000 ...]`
// Flags and what each figure means: docs/benchmarks.md.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, DEFAULT_OPTIONS, runBench, type BenchOptions, type BenchReport, type CaseKey } from './harness.js';
import { REPO_ROOT } from './paths.js';
import { renderMarkdown, type Comparison } from './report.js';

const USAGE = `npm run bench -- [flags]
  --n N               measured interactions per command and bot (${DEFAULT_OPTIONS.n})
  --concurrency C     interactions in flight, closed loop (${DEFAULT_OPTIONS.concurrency})
  --warmup W          unmeasured interactions before each run (${DEFAULT_OPTIONS.warmup})
  --rounds R          baseline/bot rounds of each knowledge command and autocomplete; the median is reported (${DEFAULT_OPTIONS.rounds})
  --only a,b          cases: ${CASES.join(',')}
  --guilds G          guilds in the start-up case, 0 skips it (${DEFAULT_OPTIONS.guilds})
  --channels K        channels per guild in the start-up case (${DEFAULT_OPTIONS.channelsPerGuild})
  --pledges P         pledges in the big-server case, 0 skips it (${DEFAULT_OPTIONS.pledges})
  --pledge-rate R     arrivals per second of the open-loop /pledge run, 0 skips it (${DEFAULT_OPTIONS.pledgeRate})
  --deadline S        global time budget in seconds (${DEFAULT_OPTIONS.deadlineMs / 1000})
  --cpu-prof DIR      write a V8 CPU profile of each bot child into DIR/bot and DIR/baseline
  --heap-prof DIR     write an allocation profile (freed objects included) of each bot child into
                      DIR/bot and DIR/baseline; read one with node dist/bench/heap-top.js FILE
                      (profiling costs memory and time: such a run's figures are not comparable)
  --out FILE          markdown report (bench/RESULTS.md); the JSON goes next to it (.json)
  --render JSON       no run: rewrite the markdown from a report JSON (e.g. after editing bench/analysis.md)`;

function positiveInt(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} expects a whole number ≥ ${min}, got ${value}`);
  return n;
}

function parseOnly(value: string | undefined): CaseKey[] | null {
  if (value === undefined) return null;
  const keys = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = keys.filter((k) => !(CASES as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`--only: unknown case(s) ${unknown.join(', ')}; known: ${CASES.join(', ')}`);
  return keys as CaseKey[];
}

async function readJson<T>(file: string): Promise<T | undefined> {
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as T) : undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      guilds: { type: 'string' },
      channels: { type: 'string' },
      pledges: { type: 'string' },
      'pledge-rate': { type: 'string' },
      deadline: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'heap-prof': { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const started = Date.now();
  const log = (line: string): void => void process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
  const options: Partial<BenchOptions> = {
    n: positiveInt('n', values.n, DEFAULT_OPTIONS.n, 1),
    concurrency: positiveInt('concurrency', values.concurrency, DEFAULT_OPTIONS.concurrency, 1),
    warmup: positiveInt('warmup', values.warmup, DEFAULT_OPTIONS.warmup),
    rounds: positiveInt('rounds', values.rounds, DEFAULT_OPTIONS.rounds, 1),
    only: parseOnly(values.only),
    guilds: positiveInt('guilds', values.guilds, DEFAULT_OPTIONS.guilds),
    channelsPerGuild: positiveInt('channels', values.channels, DEFAULT_OPTIONS.channelsPerGuild, 1),
    pledges: positiveInt('pledges', values.pledges, DEFAULT_OPTIONS.pledges),
    pledgeRate: positiveInt('pledge-rate', values['pledge-rate'], DEFAULT_OPTIONS.pledgeRate),
    deadlineMs: positiveInt('deadline', values.deadline, DEFAULT_OPTIONS.deadlineMs / 1000, 1) * 1000,
    log,
  };
  if (values['cpu-prof']) {
    options.cpuProfDir = path.resolve(values['cpu-prof']);
    await mkdir(options.cpuProfDir, { recursive: true });
  }
  if (values['heap-prof']) {
    options.heapProfDir = path.resolve(values['heap-prof']);
  }
  const out = path.resolve(REPO_ROOT, values.out ?? 'bench/RESULTS.md');
  await mkdir(path.dirname(out), { recursive: true });
  const rendering = values.render ? path.resolve(values.render) : null;
  const report = rendering ? (JSON.parse(await readFile(rendering, 'utf8')) as BenchReport) : await runBench(options);
  const benchDir = path.join(REPO_ROOT, 'bench');
  const previous = existsSync(out) ? await readFile(out, 'utf8') : undefined;
  const comparison = await readJson<Comparison>(path.join(benchDir, 'limiter-comparison.json'));
  const analysisFile = path.join(benchDir, 'analysis.md');
  const analysis = existsSync(analysisFile) ? await readFile(analysisFile, 'utf8') : undefined;
  await writeFile(out, renderMarkdown(report, { ...(comparison ? { comparison } : {}), ...(analysis ? { analysis } : {}), ...(previous ? { previous } : {}) }));
  const json = out.replace(/\.md$/, '') + '.json';
  if (!rendering || path.resolve(json) !== rendering) await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(REPO_ROOT, out)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
