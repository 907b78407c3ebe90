// The two "big server" cases: start-up with many guilds, and a server with 100,000 pledges.
import { randomBytes } from 'node:crypto';
import { BotChild, type BotKind } from './children.js';
import { latencyStats, type LatencyStats } from './load.js';
import { createMilestones } from '../src/milestones/index.js';
import { PledgeService } from '../src/pledges/index.js';
import { strippedCopy, takeScreenshot } from '../src/pledges/intake.js';
import { createSettings } from '../src/settings/index.js';
import { statsMessage } from '../src/stats/index.js';
import { openStore, silentLogger } from '../src/store/index.js';
import { DiscordSimulator } from '../src/sim/index.js';
import { keepConnectionsAlive } from './keepalive.js';

// ─── Start-up with many guilds ──────────────────────────────────────────────────────────────────

export type StartupRun = {
  /** Process spawn → "ready" line (modules, KB, store, gateway, every GUILD_CREATE). */
  readyMs: number;
  /** IDENTIFY received by the simulator → "ready" line: the gateway part alone. */
  identifyToReadyMs: number;
  /** IDENTIFY → the simulator has sent its last GUILD_CREATE: the simulator's own share of the above. */
  identifyToLastGuildCreateMs: number;
  /** VmRSS once the process has settled after ready. */
  rssAfterReadyKb: number;
  /** VmRSS right after a full GC (bench/gc-probe.ts): what the bot keeps, without start-up garbage. */
  rssAfterGcKb: number;
  /** VmHWM: the highest RSS the process reached, start-up included. */
  hwmKb: number;
};

export type StartupResult = {
  guilds: number;
  channelsPerGuild: number;
  /** Time the simulator took to create the guilds before any bot connected. */
  simCreateMs: number;
  bot: StartupRun;
  baseline: StartupRun;
};

export async function startupCase(opts: {
  guilds: number;
  channelsPerGuild: number;
  botEnv: (sim: DiscordSimulator) => Promise<Record<string, string>>;
  settleMs: number;
  readyTimeoutMs: number;
  log: (line: string) => void;
}): Promise<StartupResult> {
  const sim = keepConnectionsAlive(await DiscordSimulator.start({ heartbeatIntervalMs: 5_000 }));
  try {
    const t0 = performance.now();
    for (let g = 0; g < opts.guilds; g++) {
      // An owner per guild, as createGuild would make anyway; named so the log says which guild.
      sim.createGuild({
        name: `Campaign ${g + 1}`,
        channels: Array.from({ length: opts.channelsPerGuild }, (_, c) => ({ name: c === 0 ? 'general' : `channel-${c}` })),
      });
    }
    const simCreateMs = performance.now() - t0;
    opts.log(`startup: simulator created ${opts.guilds} guilds × ${opts.channelsPerGuild} channels in ${Math.round(simCreateMs)} ms`);
    const botEnv = await opts.botEnv(sim);
    const run = async (kind: BotKind): Promise<StartupRun> => {
      const identifiesBefore = sim.gateway.log.filter((e) => e.direction === 'in' && e.op === 2).length;
      const child = await BotChild.start({
        kind,
        env: kind === 'bot' ? botEnv : { DISCORD_TOKEN: sim.token, DISCORD_API_URL: sim.restUrl },
        readyTimeoutMs: opts.readyTimeoutMs,
        gcProbe: true,
      });
      try {
        const readyWall = performance.timeOrigin + child.readyAt;
        const identify = sim.gateway.log.filter((e) => e.direction === 'in' && e.op === 2)[identifiesBefore];
        const lastGuildCreate = sim.gateway.log.findLast((e) => e.direction === 'out' && e.t === 'GUILD_CREATE');
        await new Promise((resolve) => setTimeout(resolve, opts.settleMs));
        const mem = child.memory();
        const collected = await child.collectGarbage();
        await new Promise((resolve) => setTimeout(resolve, 500));
        const afterGc = collected ? child.memory() : null;
        const result = {
          readyMs: child.readyMs,
          identifyToReadyMs: identify ? readyWall - identify.at : NaN,
          identifyToLastGuildCreateMs: identify && lastGuildCreate ? lastGuildCreate.at - identify.at : NaN,
          rssAfterReadyKb: mem?.rssKb ?? NaN,
          rssAfterGcKb: afterGc?.rssKb ?? NaN,
          hwmKb: mem?.hwmKb ?? NaN,
        };
        opts.log(`startup: ${kind} ready in ${Math.round(result.readyMs)} ms, RSS ${Math.round(result.rssAfterReadyKb / 1024)} MiB, after a full GC ${Math.round(result.rssAfterGcKb / 1024)} MiB`);
        return result;
      } finally {
        await child.stop();
        sim.gateway.log.length = 0;
      }
    };
    const baseline = await run('baseline');
    const bot = await run('bot');
    return { guilds: opts.guilds, channelsPerGuild: opts.channelsPerGuild, simCreateMs, bot, baseline };
  } finally {
    await sim.stop();
  }
}

// ─── A server with many pledges ─────────────────────────────────────────────────────────────────

export type SeedPhase = { synchronous: 'FULL' | 'NORMAL'; pledges: number; ms: number; perSecond: number };

export type SeedResult = { requested: number; seeded: number; phases: SeedPhase[]; truncatedByDeadline: boolean };

/**
 * Fills one server through PledgeService.submit, as members would, with distinct screenshots
 * (random hashes: the duplicate check finds nothing, as for honest members). Submits for one server
 * run one at a time under its lock whatever the batch size; batches only keep the queue full.
 * The first `fullSample` go through synchronous=FULL (an fsync per commit) to measure that rate;
 * the rest use synchronous=NORMAL, the bot's default since group commit (docs/store.md), or seeding
 * 100,000 would take most of the bench's time.
 */
export async function seedPledges(opts: {
  storeUrl: string;
  guildId: string;
  count: number;
  fullSample: number;
  deadline: number;
  log: (line: string) => void;
}): Promise<SeedResult> {
  const phases: SeedPhase[] = [];
  let seeded = 0;
  let truncated = false;
  const BATCH = 50;
  const plan: Array<{ synchronous: 'FULL' | 'NORMAL'; count: number }> = [
    { synchronous: 'FULL', count: Math.min(opts.fullSample, opts.count) },
    { synchronous: 'NORMAL', count: Math.max(0, opts.count - opts.fullSample) },
  ];
  for (const step of plan) {
    if (step.count === 0 || truncated) continue;
    const store = await openStore(opts.storeUrl, { log: silentLogger, sqlite: { synchronous: step.synchronous } });
    const pledges = new PledgeService({ store, log: silentLogger });
    const t0 = performance.now();
    let done = 0;
    let lastReport = t0;
    try {
      while (done < step.count) {
        if (Date.now() > opts.deadline) {
          truncated = true;
          break;
        }
        const size = Math.min(BATCH, step.count - done);
        await Promise.all(
          Array.from({ length: size }, (_, k) => {
            const n = seeded + done + k;
            return pledges.submit({
              guildId: opts.guildId,
              userId: String(100_000_000_000_000_000n + BigInt(n)),
              interactionId: `seed-${n}`,
              platform: 'web',
              note: '',
              evidence: { sha256: randomBytes(32).toString('hex'), dhash: randomBytes(8).toString('hex'), width: 360, height: 640, format: 'png', bytes: 1514 },
              // Half verified, half waiting for review: /stats shows both.
              autoVerify: n % 2 === 0,
            });
          }),
        );
        done += size;
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          opts.log(`scale: seeded ${seeded + done} pledges (${step.synchronous}, ${Math.round(done / ((lastReport - t0) / 1000))}/s)`);
        }
      }
    } finally {
      await store.close();
    }
    const ms = performance.now() - t0;
    phases.push({ synchronous: step.synchronous, pledges: done, ms, perSecond: done / (ms / 1000) });
    seeded += done;
  }
  return { requested: opts.count, seeded, phases, truncatedByDeadline: truncated };
}

export type ReadLatencies = {
  /** PledgeService.totals(guild): the one read /stats and milestone checks rely on. */
  totals: LatencyStats;
  campaignTotals: LatencyStats;
  /** Both reads plus statsMessage(): the embed and its PNG chart, what /stats would send. */
  statsMessage: LatencyStats;
  /** createMilestones().afterChange for one more pledge that crosses nothing (the usual case). */
  milestoneCheck: LatencyStats;
  counted: number;
};

/** In-process timings on the seeded store: what /stats and the milestone check cost at that size. */
export async function measureReads(opts: { storeUrl: string; guildId: string; iterations: number }): Promise<ReadLatencies> {
  const store = await openStore(opts.storeUrl, { log: silentLogger });
  try {
    const pledges = new PledgeService({ store, log: silentLogger });
    const settings = createSettings(store, { log: silentLogger });
    const milestones = createMilestones({
      store,
      settings,
      campaignGuilds: () => pledges.guilds(),
      // Nothing is crossed in this measurement, so nothing is ever posted.
      post: async () => ({ messageId: '0' }),
      log: silentLogger,
    });
    const time = async (times: number, fn: () => Promise<unknown>): Promise<LatencyStats> => {
      const out: number[] = [];
      for (let i = 0; i < times; i++) {
        const t0 = performance.now();
        await fn();
        out.push(performance.now() - t0);
      }
      return latencyStats(out);
    };
    const guildTotals = await pledges.totals(opts.guildId);
    const campaign = await pledges.campaignTotals();
    // A count strictly between two thresholds: the check must read, decide, and record nothing.
    const c = guildTotals.counted;
    const counts = { guild: { before: c, after: c + 1 }, campaign: { before: campaign.counted, after: campaign.counted + 1 } };
    return {
      totals: await time(opts.iterations, () => pledges.totals(opts.guildId)),
      campaignTotals: await time(opts.iterations, () => pledges.campaignTotals()),
      statsMessage: await time(Math.max(1, Math.floor(opts.iterations / 5)), async () => {
        const [totals, camp] = await Promise.all([pledges.totals(opts.guildId), pledges.campaignTotals()]);
        return statsMessage({ totals, campaign: camp, now: new Date(), locale: 'en' });
      }),
      milestoneCheck: await time(Math.max(1, Math.floor(opts.iterations / 5)), () => milestones.afterChange(opts.guildId, counts)),
      counted: c,
    };
  } finally {
    await store.close();
  }
}

// ─── The store alone ────────────────────────────────────────────────────────────────────────────

export type StoreRate = {
  synchronous: 'FULL' | 'NORMAL';
  /** 'shared': every member sends the same screenshot (each pledge a possible duplicate of all before). */
  images: 'distinct' | 'shared';
  pledges: number;
  perSecond: number;
  /** Backend round trips per pledge, by kind (set and setMany are one SQLite commit per key each). */
  opsPerPledge: Record<string, number>;
};

export type StoreRates = { rates: StoreRate[]; commitMs: { FULL: LatencyStats; NORMAL: LatencyStats }; images?: IntakeRates };

/**
 * PledgeService.submit with nothing else around it, in one server, on a fresh SQLite file: the
 * ceiling for recorded pledges per second, whatever Discord, the images and the bot add. Also the
 * cost of one commit (one keyv set) at each synchronous setting.
 */
export async function storeSubmitRates(opts: { dir: string; guildId: string; count: number; deadline: number }): Promise<StoreRates> {
  const rates: StoreRate[] = [];
  let file = 0;
  const commitMs = { FULL: latencyStats([]), NORMAL: latencyStats([]) };
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    for (const images of ['distinct', 'shared'] as const) {
      if (Date.now() > opts.deadline) continue;
      const ops: Record<string, number> = {};
      const store = await openStore(`sqlite://${opts.dir}/store-${++file}.sqlite`, {
        log: silentLogger,
        sqlite: { synchronous },
        onOperation: (op) => {
          ops[op.op] = (ops[op.op] ?? 0) + 1;
          if (op.op === 'setMany') ops.setManyKeys = (ops.setManyKeys ?? 0) + op.keys.length;
        },
      });
      try {
        const pledges = new PledgeService({ store, log: silentLogger });
        const evidence = () =>
          images === 'shared'
            ? { sha256: 'a'.repeat(64), dhash: '0f0f0f0f0f0f0f0f', width: 360, height: 640, format: 'png' as const, bytes: 1514 }
            : { sha256: randomBytes(32).toString('hex'), dhash: randomBytes(8).toString('hex'), width: 360, height: 640, format: 'png' as const, bytes: 1514 };
        const t0 = performance.now();
        // Ten in flight: the per-server lock serializes them anyway, and a longer queue would
        // only run into the lock's 30 s timeout at the slowest setting.
        for (let done = 0; done < opts.count; done += 10) {
          await Promise.all(
            Array.from({ length: Math.min(10, opts.count - done) }, (_, k) =>
              pledges.submit({
                guildId: opts.guildId,
                userId: String(300_000_000_000_000_000n + BigInt(done + k)),
                interactionId: `store-${file}-${done + k}`,
                platform: 'web',
                note: '',
                evidence: evidence(),
                autoVerify: false,
              }),
            ),
          );
        }
        const ms = performance.now() - t0;
        rates.push({
          synchronous,
          images,
          pledges: opts.count,
          perSecond: opts.count / (ms / 1000),
          opsPerPledge: Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, Math.round((v / opts.count) * 100) / 100])),
        });
        if (images === 'distinct') {
          const times: number[] = [];
          for (let i = 0; i < 200; i++) {
            const t = performance.now();
            await store.kv.set(`bench:commit:${i}`, { i });
            times.push(performance.now() - t);
          }
          commitMs[synchronous] = latencyStats(times);
        }
      } finally {
        await store.close();
      }
    }
  }
  return { rates, commitMs };
}

export type IntakeRates = {
  /** takeScreenshot(): download from the simulator's CDN, header checks, decode, SHA-256 and dHash. */
  intake: { perSecond: number; latency: LatencyStats };
  /** strippedCopy(): the re-encoded copy a review card carries. */
  strippedCopy: { perSecond: number; latency: LatencyStats };
};

/** The image half of /pledge in-process, ten in flight (the bot allows two decodes at a time). */
export async function intakeRates(sim: DiscordSimulator, url: string, count: number): Promise<IntakeRates> {
  const hosts = [new URL(sim.cdnUrl).host];
  const bytes = await takeScreenshot(url, { allowedHosts: hosts });
  if (!bytes.ok) throw new Error(`the bench screenshot was refused: ${bytes.rejection.code}`);
  const timed = async (fn: () => Promise<unknown>): Promise<{ perSecond: number; latency: LatencyStats }> => {
    const times: number[] = [];
    const t0 = performance.now();
    for (let done = 0; done < count; done += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, count - done) }, async () => {
          const t = performance.now();
          await fn();
          times.push(performance.now() - t);
        }),
      );
    }
    return { perSecond: count / ((performance.now() - t0) / 1000), latency: latencyStats(times) };
  };
  return {
    intake: await timed(() => takeScreenshot(url, { allowedHosts: hosts })),
    strippedCopy: await timed(() => strippedCopy(bytes.bytes, 8 * 1024 * 1024)),
  };
}
