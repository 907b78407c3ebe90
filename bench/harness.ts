// `npm run bench`: the real bot against a bare discord.js baseline on the Discord simulator.
// Each bot runs in a child process; the simulator and the load generator run here. For each
// command the baseline runs first and the bot right after, so both see the same machine load.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BotChild, type BotKind } from './children.js';
import { closedLoop, figures, openLoop, type LoadResult, type RunFigures } from './load.js';
import { loadAverage, machineInfo, speedProbe, type MachineInfo } from './machine.js';
import { KB_DIR, SCREENSHOT_PNG } from './paths.js';
import { intakeRates, measureReads, seedPledges, startupCase, storeSubmitRates, type ReadLatencies, type SeedResult, type StartupResult, type StoreRates } from './scale.js';
import { SCENARIOS, observe, statsUnavailable, uniqueScreenshots, type Cast, type CommandKey, type Scenario, type World } from './scenarios.js';
import { loadConfig } from '../src/config.js';
import { PledgeService } from '../src/pledges/index.js';
import { createDemoWorld, simulatorEnv } from '../src/sandbox/harness.js';
import { deployCommands } from '../src/scripts/deploy.js';
import { createSettings } from '../src/settings/index.js';
import { DiscordSimulator } from '../src/sim/index.js';
import { keepConnectionsAlive } from './keepalive.js';
import { openStore, silentLogger } from '../src/store/index.js';

/** Everything --only accepts: the commands, the fixed-rate /pledge run, the store alone, and the two scale cases. */
export const CASES = [
  'facts',
  'donors',
  'alternatives',
  'autocomplete',
  'pledge',
  'pledge-review',
  'pledge-memory',
  'pledge-rate',
  'limiter',
  'stats',
  'milestones',
  'store',
  'startup',
  'scale',
] as const;
export type CaseKey = (typeof CASES)[number];

export type BenchOptions = {
  /** Measured interactions per command and bot. */
  n: number;
  concurrency: number;
  /** Unmeasured interactions first, so both bots are compared warm (JIT, caches, connections). */
  warmup: number;
  /**
   * Baseline/bot pairs run per knowledge command and autocomplete. Each of those runs lasts about a
   * second, and one run's ratio swings by ±0.1–0.2× with the machine; the report gives the round
   * with the median throughput ratio and lists every round's ratios.
   */
  rounds: number;
  /** null: every case. */
  only: readonly CaseKey[] | null;
  /** Guilds in the start-up case (0 skips it). */
  guilds: number;
  channelsPerGuild: number;
  /** Pledges in the one big server (0 skips the case). */
  pledges: number;
  /** Arrival rate of the open-loop /pledge run. */
  pledgeRate: number;
  /** Wall-clock budget for the whole run; cases that would start after it are skipped. */
  deadlineMs: number;
  /** Write a V8 CPU profile of every real-bot child here. */
  cpuProfDir?: string;
  /** Write an allocation profile (collected objects included) of every real-bot child here. */
  heapProfDir?: string;
  log: (line: string) => void;
};

export const DEFAULT_OPTIONS: BenchOptions = {
  n: 2000,
  concurrency: 50,
  warmup: 200,
  rounds: 5,
  only: null,
  guilds: 1000,
  channelsPerGuild: 50,
  pledges: 100_000,
  pledgeRate: 200,
  deadlineMs: 60 * 60_000,
  log: () => undefined,
};

export type BotRun = RunFigures & {
  /** CPU the bot's process used per measured interaction (user + system). */
  cpuMsPerInteraction: number;
  /** CPU the bench's own process (simulator and load generator) used per measured interaction. */
  simCpuMsPerInteraction: number;
  /** Highest VmRSS sampled during the measured interactions. */
  peakRssKb: number;
  /** VmHWM when the run ended: the process's peak since it started. */
  hwmKb: number;
  readyMs: number;
  /** warn/error lines the child logged during the run (first few), and how many. */
  problems: string[];
  problemCount: number;
};

export type CommandResult = {
  key: CaseKey;
  label: string;
  mode: 'closed' | 'open';
  /** concurrency (closed loop) or arrivals per second (open loop). */
  load: number;
  bot?: BotRun;
  baseline?: BotRun;
  ratios?: { throughput: number; ackP99: number; finalP99: number };
  /** Every alternated round's ratios, in run order, when the case ran more than once (BenchOptions.rounds). */
  rounds?: Array<{ throughput: number; finalP99: number }>;
  skipped?: string;
};

/** The cases short enough to run several rounds of (BenchOptions.rounds). */
const ROUNDED_KEYS: ReadonlySet<CaseKey> = new Set<CaseKey>(['facts', 'donors', 'alternatives', 'autocomplete']);

/** The round with the median throughput ratio (the lower middle of an even count), with every round's ratios. */
/**
 * Which bot runs first in a round: the baseline in even rounds, the bot in odd ones (AB, BA, AB…).
 * The simulator shares the bench's process and keeps warming up over the first rounds (the baseline
 * went 1,700 → 3,200/s over five rounds of /alternatives on 2026-11-28), so a fixed order would
 * hand one side the warmer simulator in every round.
 */
export function roundOrder(round: number): readonly BotKind[] {
  return round % 2 === 0 ? ['baseline', 'bot'] : ['bot', 'baseline'];
}

export function medianRound(results: readonly CommandResult[]): CommandResult | undefined {
  const measured = results.filter((r) => r.ratios !== undefined);
  if (measured.length === 0) return results[0];
  const rounds = measured.map((r) => ({ throughput: r.ratios?.throughput ?? NaN, finalP99: r.ratios?.finalP99 ?? NaN }));
  const sorted = [...measured].sort((a, b) => (a.ratios?.throughput ?? 0) - (b.ratios?.throughput ?? 0));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return median && measured.length > 1 ? { ...median, rounds } : median;
}

export type ScaleResult = {
  guildId: string;
  seed: SeedResult;
  reads?: ReadLatencies;
  /** The real bot's start-up on this store (it reconciles every pledge before connecting). */
  botReadyMs?: number;
  /** /stats and /milestones through the simulator, when those commands exist. */
  commands?: CommandResult[];
  notes: string[];
};

export type BenchReport = {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  loadBefore: [number, number, number];
  loadAfter: [number, number, number];
  /** speedProbe() before and after the run, µs per unit of fixed work (lower is faster); absent in reports before it existed. */
  speedBefore?: number;
  speedAfter?: number;
  options: Omit<BenchOptions, 'log'>;
  commands: CommandResult[];
  /** Pledges the store holds after the /pledge runs, against the answers that said "pledge #N". */
  pledgeCheck?: { answeredRecorded: number; storeCounted: number };
  /** The bare baseline on /pledge with discord.js's global limiter as shipped, then with the bot's exemption. */
  limiter?: { concurrency: number; limited: BotRun; exempt: BotRun };
  limiterSkipped?: string;
  /** PledgeService.submit alone, in-process: what the store allows whatever the bot does. */
  store?: StoreRates;
  storeSkipped?: string;
  startup?: StartupResult;
  startupSkipped?: string;
  scale?: ScaleResult;
  scaleSkipped?: string;
  /** Highest RSS the real bot reached in any command run. */
  botPeakRssKb: number;
  notes: string[];
};

const ACK_DEADLINE_MS = 3000;
const READY_TIMEOUT_MS = 120_000;
/** A case is not started with less time than this left before the deadline. */
const MIN_CASE_BUDGET_MS = 15_000;

function wants(opts: BenchOptions, key: CaseKey): boolean {
  return opts.only === null || opts.only.includes(key);
}

type CommandWorld = {
  sim: DiscordSimulator;
  storeUrl: string;
  main: World;
  /** A second campaign server whose review channel is configured: /pledge posts a card there. */
  review: World;
  /** Members send screenshots of their own (the bot runs on an in-memory store for this one). */
  fresh: World;
  /** Where the 100,000 pledges go: its own server, so its numbers are not mixed with the runs above. */
  big: World;
  /** Settings written to the store before any bot starts (also into the big server's own store). */
  setups: GuildSetup[];
};

/** Organizer settings every campaign server of the bench gets: /stats answers organizers only. */
type GuildSetup = { guildId: string; settings: Parameters<ReturnType<typeof createSettings>['update']>[1] };

async function applySettings(storeUrl: string, setups: readonly GuildSetup[]): Promise<void> {
  const store = await openStore(storeUrl, { log: silentLogger });
  try {
    const settings = createSettings(store, { log: silentLogger });
    for (const s of setups) await settings.update(s.guildId, s.settings);
  } finally {
    await store.close();
  }
}

/**
 * The real bot's environment: the sandbox's, with the automatic screenshot check (OCR) off.
 * `npm run bench:ocr` measures OCR on its own; here its threads would take the two cores the
 * /pledge figures are about, and at 200 pledges/s (40× what OCR reads per second) its queue
 * would only grow. The store is the bot's default (synchronous=NORMAL, docs/store.md).
 */
export function benchBotEnv(sim: DiscordSimulator, storeUrl: string, extra: { kbDir?: string; logLevel?: string } = {}): Record<string, string> {
  return { ...simulatorEnv(sim, storeUrl, extra), OCR_WORKERS: '0' };
}

async function buildWorld(tempDir: string, opts: BenchOptions): Promise<CommandWorld> {
  const sim = keepConnectionsAlive(await DiscordSimulator.start({ heartbeatIntervalMs: 5_000, ackDeadlineMs: ACK_DEADLINE_MS }));
  const storeUrl = `sqlite://${path.join(tempDir, 'bench.sqlite')}`;
  const env = benchBotEnv(sim, storeUrl, { kbDir: KB_DIR });
  const deployed = await deployCommands(loadConfig(env, { requireToken: true }));
  opts.log(`registered ${deployed.count} commands (${deployed.scope})`);
  const screenshot = sim.cdn.register(await readFile(SCREENSHOT_PNG), { filename: 'cancelled.png', contentType: 'image/png', width: 360, height: 640 });

  let serial = 0;
  const setups: GuildSetup[] = [];
  const makeWorld = (name: string, uniqueImages = false): World => {
    const demo = createDemoWorld(sim, { name });
    const guildId = demo.guild.id;
    setups.push({ guildId, settings: { organizerRoleId: demo.roles.organizers } });
    // Readers repeat commands; as organizers they may also run /stats.
    const members = Array.from({ length: 50 }, () => {
      const user = sim.createUser({ username: `reader-${++serial}` });
      sim.addMember(guildId, user.id, { roles: [demo.roles.organizers] });
      return user.id;
    });
    return {
      sim,
      guildId,
      channelId: demo.channels.general,
      members,
      newMember() {
        const user = sim.createUser({ username: `member-${++serial}` });
        sim.addMember(guildId, user.id);
        return user.id;
      },
      screenshot,
      uniqueImages,
    };
  };
  const main = makeWorld('QuitGPT Bench');
  const review = makeWorld('QuitGPT Review Desk');
  const reviewDemo = { channel: sim.createChannel(review.guildId, { name: 'bench-review' }) };
  // As an organizer would: a review channel the bot may post in, named in the settings.
  setups.push({ guildId: review.guildId, settings: { reviewChannelId: reviewDemo.channel } });
  const fresh = makeWorld('QuitGPT Fresh Screenshots', true);
  const big = makeWorld('QuitGPT Big Server');
  await applySettings(storeUrl, setups);
  return { sim, storeUrl, main, review, fresh, big, setups };
}

/** `n` overrides --n (e.g. a short run at concurrency 1 to time one request without queueing). */
type RunSpec = { mode: 'closed' | 'open'; load: number; n?: number };

async function castFor(world: World, scenario: Scenario, count: number): Promise<Cast[]> {
  if (!scenario.freshMember) return world.members.map((userId) => ({ userId, screenshot: world.screenshot }));
  const images = world.uniqueImages ? await uniqueScreenshots(world.sim, count, Math.floor(Math.random() * 2 ** 31)) : [];
  return Array.from({ length: count }, (_, i) => ({ userId: world.newMember(), screenshot: images[i] ?? world.screenshot }));
}

async function startChild(cw: CommandWorld, kind: BotKind, storeUrl: string, opts: BenchOptions, readyTimeoutMs = READY_TIMEOUT_MS): Promise<BotChild> {
  const sim = cw.sim;
  const env = kind === 'bot' ? benchBotEnv(sim, storeUrl, { kbDir: KB_DIR, logLevel: 'info' }) : { DISCORD_TOKEN: sim.token, DISCORD_API_URL: sim.restUrl };
  return BotChild.start({
    kind,
    env,
    readyTimeoutMs,
    ...(opts.cpuProfDir ? { cpuProfDir: path.join(opts.cpuProfDir, kind) } : {}),
    ...(opts.heapProfDir ? { heapProfDir: path.join(opts.heapProfDir, kind) } : {}),
  });
}

async function stopChild(cw: CommandWorld, child: BotChild): Promise<void> {
  await child.stop();
  // The simulator keeps every gateway payload, request and interaction for tests; kept over a whole
  // bench they grew its heap to ~850 MiB by the end of the knowledge rounds (2026-11-28), and its
  // garbage collector took CPU from whichever bot was running, the more so the larger its answers.
  cw.sim.gateway.log.length = 0;
  cw.sim.clearRecords();
  cw.sim.expireInteractions();
}

/** Warm-up, then the measured interactions, against a running child. */
async function measure(child: BotChild, world: World, scenario: Scenario, spec: RunSpec, opts: BenchOptions, deadline: number): Promise<BotRun> {
  const kind = child.kind;
  const fireFor = (cast: readonly Cast[]) => async (i: number) => {
    const who = cast[i % cast.length] ?? { userId: world.members[0] ?? '', screenshot: world.screenshot };
    const handle = scenario.start(world, who, i);
    return observe(handle, performance.now(), kind, scenario);
  };
  if (opts.warmup > 0) {
    await closedLoop({ n: opts.warmup, concurrency: Math.min(opts.concurrency, opts.warmup), deadline, fire: fireFor(await castFor(world, scenario, opts.warmup)) });
  }
  const n = spec.n ?? opts.n;
  const cast = await castFor(world, scenario, n);
  world.sim.clearRecords();
  child.resetWindow();
  const problemsBefore = child.problemCount;
  const childCpuBefore = child.cpuMs();
  const simCpuBefore = process.cpuUsage();
  const result: LoadResult =
    spec.mode === 'closed'
      ? await closedLoop({ n, concurrency: spec.load, deadline, fire: fireFor(cast) })
      : await openLoop({ n, ratePerSecond: spec.load, deadline, fire: fireFor(cast) });
  const mem = child.memory();
  const simCpu = process.cpuUsage(simCpuBefore);
  const count = Math.max(1, result.samples.length);
  return {
    ...figures(result, ACK_DEADLINE_MS),
    cpuMsPerInteraction: (child.cpuMs() - childCpuBefore) / count,
    simCpuMsPerInteraction: (simCpu.user + simCpu.system) / 1000 / count,
    peakRssKb: child.windowPeak(),
    hwmKb: mem?.hwmKb ?? NaN,
    readyMs: child.readyMs,
    problems: child.problems.slice(0, 5),
    problemCount: child.problemCount - problemsBefore,
  };
}

function ratios(bot: BotRun, baseline: BotRun): CommandResult['ratios'] {
  return {
    throughput: bot.throughput / baseline.throughput,
    ackP99: bot.ack.p99 / baseline.ack.p99,
    finalP99: bot.final.p99 / baseline.final.p99,
  };
}

function caseLabel(scenario: Scenario, spec: RunSpec): string {
  return spec.mode === 'open' ? `${scenario.label} at ${spec.load}/s` : spec.load === 1 ? `${scenario.label}, one at a time` : scenario.label;
}

type CaseSpec = { key: CaseKey; world: World; scenario: Scenario; spec: RunSpec };

/**
 * Runs the cases on one baseline child, then the same cases on one bot child started on
 * `storeUrl`. Per command, baseline and bot therefore run minutes apart at most.
 */
async function runCases(
  cw: CommandWorld,
  cases: readonly CaseSpec[],
  storeUrl: string,
  opts: BenchOptions,
  deadline: number,
  readyTimeoutMs = READY_TIMEOUT_MS,
  order: readonly BotKind[] = roundOrder(0),
): Promise<{ results: CommandResult[]; botReadyMs: number }> {
  const runs: Record<BotKind, Array<BotRun | undefined>> = { baseline: [], bot: [] };
  let botReadyMs = NaN;
  for (const kind of order) {
    if (deadline - Date.now() < MIN_CASE_BUDGET_MS) break;
    const child = await startChild(cw, kind, storeUrl, opts, readyTimeoutMs);
    if (kind === 'bot') botReadyMs = child.readyMs;
    try {
      for (const c of cases) {
        if (deadline - Date.now() < MIN_CASE_BUDGET_MS) break;
        const label = caseLabel(c.scenario, c.spec);
        const run = await measure(child, c.world, c.scenario, c.spec, opts, deadline);
        opts.log(`${label}: ${kind} ${run.throughput.toFixed(0)}/s, ack p99 ${run.ack.p99.toFixed(1)} ms, final p99 ${run.final.p99.toFixed(1)} ms${run.failed ? `, ${run.failed} failed` : ''}`);
        runs[kind].push(run);
      }
    } finally {
      await stopChild(cw, child);
    }
  }
  const results = cases.map((c, i): CommandResult => {
    const base = { key: c.key, label: caseLabel(c.scenario, c.spec), mode: c.spec.mode, load: c.spec.load };
    const baseline = runs.baseline[i];
    const bot = runs.bot[i];
    if (!baseline || !bot) return { ...base, skipped: 'global deadline reached' };
    return { ...base, bot, baseline, ratios: ratios(bot, baseline) };
  });
  return { results, botReadyMs };
}

async function countedPledges(storeUrl: string, guildIds: readonly string[]): Promise<number> {
  const store = await openStore(storeUrl, { log: silentLogger });
  try {
    const pledges = new PledgeService({ store, log: silentLogger });
    let sum = 0;
    for (const g of guildIds) sum += (await pledges.totals(g)).counted;
    return sum;
  } finally {
    await store.close();
  }
}

/** A bot with an in-memory store (STORE_URL=sqlite://:memory:): the same code without the disk. */
const MEMORY_STORE = 'sqlite://:memory:';

export async function runBench(options: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const opts: BenchOptions = { ...DEFAULT_OPTIONS, ...options };
  const startedAt = new Date();
  const deadline = Date.now() + opts.deadlineMs;
  const loadBefore = loadAverage();
  const speedBefore = speedProbe();
  const notes: string[] = [];
  const commands: CommandResult[] = [];
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'quitgpt-bench-'));
  const { log: _log, ...recordedOptions } = opts;
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    machine: machineInfo(),
    loadBefore,
    loadAfter: loadBefore,
    speedBefore,
    speedAfter: speedBefore,
    options: recordedOptions,
    commands,
    botPeakRssKb: 0,
    notes,
  };

  const cw = await buildWorld(tempDir, opts);
  try {
    const closed: RunSpec = { mode: 'closed', load: opts.concurrency };
    // One child pair per command: a long run of one command must not warm the next one's caches.
    const perCommand: Array<{ key: CommandKey; world: World; storeUrl: string }> = [
      { key: 'facts', world: cw.main, storeUrl: cw.storeUrl },
      { key: 'donors', world: cw.main, storeUrl: cw.storeUrl },
      { key: 'alternatives', world: cw.main, storeUrl: cw.storeUrl },
      { key: 'autocomplete', world: cw.main, storeUrl: cw.storeUrl },
      { key: 'pledge', world: cw.main, storeUrl: cw.storeUrl },
      { key: 'pledge-review', world: cw.review, storeUrl: cw.storeUrl },
      { key: 'pledge-memory', world: cw.fresh, storeUrl: MEMORY_STORE },
    ];
    for (const c of perCommand) {
      if (!wants(opts, c.key)) continue;
      const rounds = ROUNDED_KEYS.has(c.key) ? Math.max(1, opts.rounds) : 1;
      const results: CommandResult[] = [];
      for (let round = 0; round < rounds; round++) {
        if (round > 0 && deadline - Date.now() < MIN_CASE_BUDGET_MS) break;
        if (rounds > 1) opts.log(`${SCENARIOS[c.key].label}: round ${round + 1} of ${rounds}`);
        const run = await runCases(cw, [{ key: c.key, world: c.world, scenario: SCENARIOS[c.key], spec: closed }], c.storeUrl, opts, deadline, READY_TIMEOUT_MS, rounds > 1 ? roundOrder(round) : roundOrder(0));
        results.push(...run.results);
      }
      const chosen = medianRound(results);
      if (chosen) commands.push(chosen);
    }
    if (wants(opts, 'pledge-rate') && opts.pledgeRate > 0) {
      const { results } = await runCases(cw, [{ key: 'pledge-rate', world: cw.main, scenario: SCENARIOS.pledge, spec: { mode: 'open', load: opts.pledgeRate } }], cw.storeUrl, opts, deadline);
      commands.push(...results);
    }
    if (!wants(opts, 'limiter')) report.limiterSkipped = 'not requested';
    else if (deadline - Date.now() < MIN_CASE_BUDGET_MS) report.limiterSkipped = 'global deadline reached';
    else {
      const variant = async (exempt: boolean): Promise<BotRun> => {
        const env = { DISCORD_TOKEN: cw.sim.token, DISCORD_API_URL: cw.sim.restUrl, ...(exempt ? { BENCH_EXEMPT_WEBHOOKS: '1' } : {}) };
        const child = await BotChild.start({ kind: 'baseline', env, readyTimeoutMs: READY_TIMEOUT_MS });
        try {
          const run = await measure(child, cw.main, SCENARIOS.pledge, closed, opts, deadline);
          opts.log(`limiter: baseline${exempt ? ' with the exemption' : ''} ${run.throughput.toFixed(0)} final answers/s, final p99 ${run.final.p99.toFixed(1)} ms`);
          return run;
        } finally {
          await stopChild(cw, child);
        }
      };
      report.limiter = { concurrency: opts.concurrency, limited: await variant(false), exempt: await variant(true) };
    }
    const pledgeRuns = commands.filter((c) => c.key === 'pledge' || c.key === 'pledge-review' || c.key === 'pledge-rate');
    if (pledgeRuns.some((c) => c.bot)) {
      // Every bot run also did `warmup` unmeasured pledges.
      const answered = pledgeRuns.reduce((s, c) => s + (c.bot ? c.bot.completed + opts.warmup : 0), 0);
      report.pledgeCheck = { answeredRecorded: answered, storeCounted: await countedPledges(cw.storeUrl, [cw.main.guildId, cw.review.guildId]) };
    }
    for (const key of ['stats', 'milestones'] as const) {
      if (!wants(opts, key)) continue;
      const why = key === 'stats' ? statsUnavailable(cw.sim, cw.main.guildId) : commandMissing(cw.sim, 'milestones');
      if (why) commands.push({ key, label: SCENARIOS[key].label, mode: 'closed', load: opts.concurrency, skipped: why });
      else commands.push(...(await runCases(cw, [{ key, world: cw.main, scenario: SCENARIOS[key], spec: closed }], cw.storeUrl, opts, deadline)).results);
    }

    if (wants(opts, 'store')) {
      if (deadline - Date.now() < MIN_CASE_BUDGET_MS) report.storeSkipped = 'global deadline reached';
      else {
        opts.log('store: PledgeService.submit rates in-process…');
        report.store = await storeSubmitRates({ dir: tempDir, guildId: cw.main.guildId, count: Math.min(300, opts.n), deadline });
        report.store.images = await intakeRates(cw.sim, cw.main.screenshot.url, Math.min(500, opts.n));
      }
    } else report.storeSkipped = 'not requested';

    if (!wants(opts, 'startup') || opts.guilds <= 0) report.startupSkipped = 'not requested';
    else if (deadline - Date.now() < MIN_CASE_BUDGET_MS) report.startupSkipped = 'global deadline reached';
    else {
      report.startup = await startupCase({
        guilds: opts.guilds,
        channelsPerGuild: opts.channelsPerGuild,
        botEnv: async (sim) => {
          const env = benchBotEnv(sim, `sqlite://${path.join(tempDir, 'startup.sqlite')}`, { kbDir: KB_DIR, logLevel: 'info' });
          await deployCommands(loadConfig(env, { requireToken: true }));
          return env;
        },
        settleMs: 2_000,
        readyTimeoutMs: READY_TIMEOUT_MS * 2,
        log: opts.log,
      });
    }

    if (!wants(opts, 'scale') || opts.pledges <= 0) report.scaleSkipped = 'not requested';
    else if (deadline - Date.now() < MIN_CASE_BUDGET_MS) report.scaleSkipped = 'global deadline reached';
    else report.scale = await scaleCase(cw, tempDir, opts, deadline);

    report.botPeakRssKb = Math.max(0, ...commands.flatMap((c) => (c.bot ? [c.bot.peakRssKb, c.bot.hwmKb] : [])).filter(Number.isFinite));
    return report;
  } finally {
    await cw.sim.stop();
    await rm(tempDir, { recursive: true, force: true });
    report.loadAfter = loadAverage();
    report.speedAfter = speedProbe();
    report.finishedAt = new Date().toISOString();
  }
}

function commandMissing(sim: DiscordSimulator, name: string): string | null {
  return sim.registeredCommands().some((c) => c.name === name) ? null : `no /${name} command is registered`;
}

async function scaleCase(cw: CommandWorld, tempDir: string, opts: BenchOptions, deadline: number): Promise<ScaleResult> {
  const storeUrl = `sqlite://${path.join(tempDir, 'scale.sqlite')}`;
  const notes: string[] = [];
  const guildId = cw.big.guildId;
  await applySettings(storeUrl, cw.setups.filter((s) => s.guildId === guildId));
  opts.log(`scale: seeding ${opts.pledges} pledges in one server…`);
  const seed = await seedPledges({ storeUrl, guildId, count: opts.pledges, fullSample: Math.min(2000, opts.pledges), deadline, log: opts.log });
  if (seed.truncatedByDeadline) notes.push(`seeding stopped at ${seed.seeded} pledges: global deadline`);
  const result: ScaleResult = { guildId, seed, notes };
  result.reads = await measureReads({ storeUrl, guildId, iterations: 1000 });
  opts.log(`scale: totals() p99 ${result.reads.totals.p99.toFixed(2)} ms at ${result.reads.counted} counted pledges`);

  if (deadline - Date.now() < MIN_CASE_BUDGET_MS) {
    notes.push('the bot on the big store: skipped, global deadline');
    return result;
  }
  // The real bot on that store: its start-up reconciles every pledge; then the two read commands.
  const cases: CaseSpec[] = [];
  const count = seed.seeded.toLocaleString('en-US');
  // One at a time: what one organizer waits. Then at --concurrency: what the bot sustains.
  const specs: RunSpec[] = [
    { mode: 'closed', load: 1, n: Math.min(opts.n, 300) },
    { mode: 'closed', load: opts.concurrency },
  ];
  const statsWhy = statsUnavailable(cw.sim, guildId);
  if (statsWhy) notes.push(`/stats through the simulator skipped: ${statsWhy}; statsMessage() was timed in-process instead`);
  else for (const spec of specs) cases.push({ key: 'stats', world: cw.big, scenario: { ...SCENARIOS.stats, label: `/stats show at ${count} pledges` }, spec });
  const milestonesWhy = commandMissing(cw.sim, 'milestones');
  if (milestonesWhy) notes.push(`/milestones skipped: ${milestonesWhy}`);
  else for (const spec of specs) cases.push({ key: 'milestones', world: cw.big, scenario: { ...SCENARIOS.milestones, label: `/milestones at ${count} pledges` }, spec });
  if (cases.length === 0) {
    const child = await startChild(cw, 'bot', storeUrl, opts, Math.max(READY_TIMEOUT_MS, deadline - Date.now()));
    result.botReadyMs = child.readyMs;
    await stopChild(cw, child);
    return result;
  }
  const { results, botReadyMs } = await runCases(cw, cases, storeUrl, opts, deadline, Math.max(READY_TIMEOUT_MS, deadline - Date.now()));
  result.commands = results;
  result.botReadyMs = botReadyMs;
  return result;
}
