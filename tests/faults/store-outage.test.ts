// Fault 5: the connections to PostgreSQL / Redis are cut under load. A TCP proxy (node:net) sits
// between the bot (in-process, STORE_URL pointing at the proxy) and the real server; it is cut in
// the middle of a burst of pledges and refuses new connections for a few seconds (docs/faults.md).
// Needs TEST_POSTGRES_URL / TEST_REDIS_URL, as CI sets them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { createDemoWorld, startSimulatedBot, type SimulatedBot } from '../../src/sandbox/harness.js';
import { openStore, silentLogger, StoreUnavailableError } from '../../src/store/index.js';
import type { SimUser } from '../../src/sim/index.js';
import {
  cuttableProxy,
  expectCleanWire,
  guildState,
  logSink,
  pledgeSlash,
  recordedNumber,
  screenshots,
  sleep,
  track,
  until,
  type CuttableProxy,
  type LogLine,
  type Tracked,
} from './helpers.js';

type Backend = {
  name: 'postgres' | 'redis';
  url: string | undefined;
  /** Prepares an isolated database and returns its URL (host:port replaced by the proxy's) and a cleanup. */
  prepare(url: string): Promise<{ target: { host: string; port: number }; storeUrl: (proxyPort: number) => string; cleanup(): Promise<void> }>;
};

const BACKENDS: Backend[] = [
  {
    name: 'postgres',
    url: process.env.TEST_POSTGRES_URL || undefined,
    async prepare(url) {
      // A database of its own: the bot always uses table quitgpt_kv and namespace quitgpt.
      const db = `quitgpt_faults_${process.pid}_${randomBytes(3).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${db}`);
      await admin.end();
      const u = new URL(url);
      return {
        target: { host: u.hostname, port: Number(u.port || 5432) },
        storeUrl: (port) => {
          const p = new URL(url);
          p.hostname = '127.0.0.1';
          p.port = String(port);
          p.pathname = `/${db}`;
          return p.toString();
        },
        async cleanup() {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
          await c.end();
        },
      };
    },
  },
  {
    name: 'redis',
    url: process.env.TEST_REDIS_URL || undefined,
    async prepare(url) {
      // A logical database other tests do not use (they use db 0 with their own namespaces); the
      // bot's namespace is cleared in it before and after.
      const u = new URL(url);
      const dbIndex = 1 + (process.pid % 15);
      const direct = new URL(url);
      direct.pathname = `/${dbIndex}`;
      const clear = async () => {
        const store = await openStore(direct.toString(), { log: silentLogger });
        await store.clearNamespace();
        await store.close();
      };
      await clear();
      return {
        target: { host: u.hostname, port: Number(u.port || 6379) },
        storeUrl: (port) => {
          const p = new URL(url);
          p.hostname = '127.0.0.1';
          p.port = String(port);
          p.pathname = `/${dbIndex}`;
          return p.toString();
        },
        cleanup: clear,
      };
    },
  },
];

for (const backend of BACKENDS) {
  describe.skipIf(!backend.url)(`${backend.name} connections cut under load`, () => {
    let h: SimulatedBot;
    let proxy: CuttableProxy;
    let cleanup: (() => Promise<void>) | undefined;
    const logs: LogLine[] = [];

    beforeAll(async () => {
      const prepared = await backend.prepare(backend.url!);
      cleanup = prepared.cleanup;
      proxy = await cuttableProxy(prepared.target);
      h = await startSimulatedBot({
        storeUrl: prepared.storeUrl(proxy.port),
        simOptions: { heartbeatIntervalMs: 300, ackDeadlineMs: 15_000 },
        logLevel: 'info',
        logDestination: logSink(logs),
      });
    }, 60_000);
    afterAll(async () => {
      await h?.stop();
      await proxy?.close();
      await cleanup?.();
    }, 30_000);

    it('GIVEN pledges flowing WHEN every store connection is cut and refused for 3 s THEN members are told to try again later, nothing is half-written, and after recovery pledges succeed and counts equal a recount', async () => {
      const world = createDemoWorld(h.sim, { name: `Outage ${backend.name}` });
      const guildId = world.guild.id;
      const where = { guildId, channelId: world.channels.general };
      await until(() => h.bot.client.guilds.cache.has(guildId), 'the bot to receive the server');
      let n = 0;
      const member = (): SimUser => {
        n += 1;
        const u = h.sim.createUser({ username: `${backend.name}${n}`, globalName: `${backend.name} ${n}`, locale: 'en-US' });
        h.sim.addMember(guildId, u.id);
        return u;
      };
      const pngs = await screenshots(50, backend.name === 'postgres' ? 60_000 : 70_000);
      const submit = (u: SimUser, i: number): Tracked => track(pledgeSlash(h.sim, where, u.id, pngs[i]!), 30_000);

      // Under load: 10 members, then 10 more whose burst is cut in the middle.
      const before = Array.from({ length: 10 }, () => member());
      const calm = before.map((u, i) => submit(u, i));
      await Promise.all(calm.map((t) => t.settled));
      for (const t of calm) expect(recordedNumber(t), t.text).not.toBeNull();

      const cutMembers = Array.from({ length: 10 }, () => member());
      const cutBurst: Tracked[] = [];
      for (const [i, u] of cutMembers.entries()) cutBurst.push(submit(u, 10 + i));
      // Cut once a few are through: the others are queued or half-way when the connections die.
      await until(() => cutBurst.filter((t) => recordedNumber(t) !== null).length >= 3, 'three of the burst to be recorded', 20_000, 5);
      proxy.cut();
      const down = Array.from({ length: 6 }, () => member());
      const duringOutage = down.map((u, i) => submit(u, 20 + i));
      const statusDuringOutage = h.sim.slash({ ...where, userId: before[0]!.id, name: 'pledge', subcommand: 'status' });
      await Promise.all([...duringOutage, ...cutBurst].map((t) => t.settled));
      const statusReply = await statusDuringOutage.waitForReply(() => true, 15_000);
      await sleep(1_000);
      proxy.restore();
      // Recovery needs no restart: the store answers again once its clients reconnect (Redis may
      // refuse for a moment while a reconnect attempt is still under way: "The client is offline").
      await until(async () => (await h.bot.ctx.store.ping()).ok, 'the store to answer again', 15_000, 100);

      // While down: the clear "try again later", privately, and nothing written for them.
      for (const t of duringOutage) {
        expect(t.text, t.handle.describe()).toBe(en.pledge.storeDown);
        expect(t.handle.ephemeral).toBe(true);
      }
      expect(statusReply.content).toBe(en.pledge.storeDown);
      // Caught mid-burst: either told "recorded" (and then it is stored under that number) or "try again later".
      for (const t of cutBurst) if (recordedNumber(t) === null) expect(t.text, t.handle.describe()).toBe(en.pledge.storeDown);

      const afterOutage = await guildState(h.bot.ctx.pledges, guildId);
      const byUser = new Map(afterOutage.records.map((r) => [r.userId, r]));
      for (const u of down) expect(byUser.get(u.id), `${u.username} pledged while the store was down`).toBeUndefined();
      for (const [i, t] of cutBurst.entries()) {
        const told = recordedNumber(t);
        if (told !== null) expect(byUser.get(cutMembers[i]!.id)?.pledgeId, `${cutMembers[i]!.username} was told #${told}`).toBe(told);
      }
      // A member whose submission was cut after its record was written is told the pledge "could not
      // be confirmed" (en.pledge.storeDown, never "not recorded": the describe below), and their
      // retry keeps the number.
      const unconfirmedButRecorded = cutMembers.filter((u, i) => recordedNumber(cutBurst[i]!) === null && byUser.has(u.id));
      // Such a half-finished write leaves the totals behind the records: the bot reconciles the
      // server once the store answers again (src/app.ts, InterruptedWriteRepair).
      await until(async () => {
        const s = await guildState(h.bot.ctx.pledges, guildId).catch(() => null);
        return s !== null && s.totals === s.counted;
      }, 'the counts to equal a recount after the outage', 20_000, 200);

      // After recovery: everyone who was told to try again does, and succeeds.
      const retryMembers = [...cutMembers.filter((_, i) => recordedNumber(cutBurst[i]!) === null), ...down];
      const retries = retryMembers.map((u, i) => submit(u, 26 + i));
      await Promise.all(retries.map((t) => t.settled));
      for (const t of retries) expect(recordedNumber(t), `after recovery: ${t.text ?? t.handle.describe()}`).not.toBeNull();

      const after = await guildState(h.bot.ctx.pledges, guildId);
      const everyone = [...before, ...cutMembers, ...down];
      expect(after.records.map((r) => r.userId).sort()).toEqual(everyone.map((u) => u.id).sort());
      expect(after.counted).toBe(everyone.length);
      expect(after.totals, 'counts equal a recount').toBe(everyone.length);
      const report = await h.bot.ctx.pledges.reconcile(guildId);
      expect(report.guilds.flatMap((g) => g.fixes), 'a recount finds nothing to fix').toEqual([]);
      expect(logs.filter((l) => l.msg === 'interaction handler failed'), 'no member got "something went wrong"').toEqual([]);
      expectCleanWire(h.sim);
      for (const u of unconfirmedButRecorded) expect(after.records.find((r) => r.userId === u.id)?.pledgeId, 'the retry keeps the number').toBe(byUser.get(u.id)?.pledgeId);
      console.log(
        `[faults] store outage (${backend.name}): ${cutBurst.filter((t) => recordedNumber(t) !== null).length}/10 of the cut burst recorded, ` +
          `${unconfirmedButRecorded.length} told "could not be confirmed" although their record was written, ` +
          `${retryMembers.length} told to try again and succeeded after recovery; proxy accepted ${proxy.accepted} connections`,
      );
    }, 120_000);
  });
}

/**
 * The same half-finished write, made deterministic on SQLite (always runs): the store becomes
 * unreachable exactly when a submission writes the server totals, i.e. after its record was written.
 */
describe('a submission whose commit landed but whose answer was lost', () => {
  let h: SimulatedBot;
  const logs: LogLine[] = [];
  let n = 0;

  beforeAll(async () => {
    h = await startSimulatedBot({ simOptions: { heartbeatIntervalMs: 300, ackDeadlineMs: 10_000 }, logLevel: 'info', logDestination: logSink(logs) });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  async function server(name: string) {
    const world = createDemoWorld(h.sim, { name });
    await until(() => h.bot.client.guilds.cache.has(world.guild.id), 'the bot to receive the server');
    const member = (): SimUser => {
      n += 1;
      const u = h.sim.createUser({ username: `half${n}`, globalName: `Half ${n}`, locale: 'en-US' });
      h.sim.addMember(world.guild.id, u.id);
      return u;
    };
    return { guildId: world.guild.id, where: { guildId: world.guild.id, channelId: world.channels.general }, member };
  }

  type Op = 'get' | 'getMany' | 'set' | 'setMany' | 'delete' | 'deleteMany';

  /**
   * The first write of `totals:<guildId>` (the batch that commits a pledge: number, record, index,
   * totals, memo) reaches the store, and then its answer is lost as when a connection drops right
   * after a commit; with `lasting`, every store operation after it fails until end(): an outage that
   * outlasts the bot's immediate read-back (src/pledges/recover.ts).
   */
  function outageAtTotalsWrite(guildId: string, lasting: boolean): { started: () => boolean; end(): void } {
    const kv = h.bot.ctx.store.kv as unknown as Record<Op, (...args: unknown[]) => Promise<unknown>>;
    const ops: Op[] = ['get', 'getMany', 'set', 'setMany', 'delete', 'deleteMany'];
    const originals = Object.fromEntries(ops.map((op) => [op, kv[op]])) as Record<Op, (...args: unknown[]) => Promise<unknown>>;
    let started = false;
    let ended = false;
    const keysOf = (op: Op, args: unknown[]): string[] =>
      op === 'setMany' ? (args[0] as Array<{ key: string }>).map((e) => e.key) : op === 'getMany' || op === 'deleteMany' ? [...(args[0] as string[])] : [String(args[0])];
    for (const op of ops) {
      kv[op] = async (...args: unknown[]) => {
        const hit = !started && (op === 'set' || op === 'setMany') && keysOf(op, args).includes(`totals:${guildId}`);
        if (hit) {
          started = true;
          await originals[op].apply(h.bot.ctx.store.kv, args);
        }
        if (hit || (started && lasting && !ended)) {
          throw new StoreUnavailableError(`${op} ${keysOf(op, args)[0] ?? ''}`, 'backend-error', new Error('injected by the fault suite'));
        }
        return originals[op].apply(h.bot.ctx.store.kv, args);
      };
    }
    return {
      started: () => started,
      end() {
        ended = true;
        for (const op of ops) kv[op] = originals[op];
      },
    };
  }

  it('GIVEN the store answers again at once WHEN a submission’s commit answer is lost THEN the member is told "recorded" with the number and counts equal a recount', async () => {
    const s = await server('Half-written, brief');
    const [png] = await screenshots(1, 90_000);
    const member = s.member();
    const outage = outageAtTotalsWrite(s.guildId, false);
    let t: Tracked;
    try {
      t = track(pledgeSlash(h.sim, s.where, member.id, png!), 20_000);
      await t.settled;
    } finally {
      outage.end();
    }
    expect(outage.started()).toBe(true);
    expect(t.text).toBe(en.pledge.created(1));
    const state = await guildState(h.bot.ctx.pledges, s.guildId);
    expect([state.records.length, state.counted, state.totals]).toEqual([1, 1, 1]);
  }, 60_000);

  it('GIVEN the store stays down past the read-back WHEN it answers again THEN the running bot reconciles the server (counts equal a recount, no restart) and the member’s retry keeps the number', async () => {
    const s = await server('Half-written, lasting');
    const [png, other] = await screenshots(2, 91_000);
    await track(pledgeSlash(h.sim, s.where, s.member().id, other!), 20_000).settled;
    const member = s.member();
    const outage = outageAtTotalsWrite(s.guildId, true);
    let t: Tracked;
    try {
      t = track(pledgeSlash(h.sim, s.where, member.id, png!), 20_000);
      await t.settled;
      expect(t.text, 'the read-back could not reach the store either').toBe(en.pledge.storeDown);
    } finally {
      outage.end();
    }
    const stored = await h.bot.ctx.pledges.get(s.guildId, member.id);
    expect(stored.ok && stored.record?.pledgeId, 'the pledge was committed before the outage').toBe(2);
    // Without a restart: the bot reconciles the server once the store answers again (src/app.ts).
    await until(async () => {
      const now = await guildState(h.bot.ctx.pledges, s.guildId);
      return now.totals === now.counted;
    }, 'the counts to equal a recount again', 15_000, 100);
    const state = await guildState(h.bot.ctx.pledges, s.guildId);
    expect(state.totals).toBe(2);
    const recount = await h.bot.ctx.pledges.reconcile();
    expect(recount.repaired, `nothing left to repair: ${JSON.stringify([...recount.campaignFixes, ...recount.guilds.flatMap((g) => g.fixes)])}`).toBe(false);

    const retry = track(pledgeSlash(h.sim, s.where, member.id, png!), 20_000);
    await retry.settled;
    expect(recordedNumber(retry), retry.text).toBe(2);
    expect((await guildState(h.bot.ctx.pledges, s.guildId)).totals).toBe(2);
  }, 60_000);

  // While the store stays down the bot cannot know whether the record landed, so the member is told
  // it could not be *confirmed* (never "not recorded"), that retrying is safe, and where to check.
  it('GIVEN the store stays down past the read-back THEN the member is told the pledge could not be confirmed, and status shows it once the store is back', async () => {
    const s = await server('Half-written, the answer');
    const [png] = await screenshots(1, 92_000);
    const member = s.member();
    const outage = outageAtTotalsWrite(s.guildId, true);
    let t: Tracked;
    try {
      t = track(pledgeSlash(h.sim, s.where, member.id, png!), 20_000);
      await t.settled;
    } finally {
      outage.end();
    }
    const stored = await h.bot.ctx.pledges.get(s.guildId, member.id);
    expect(stored.ok && stored.record?.pledgeId).toBe(1);
    expect(t.text).toBeDefined();
    expect(t.text).toBe(en.pledge.storeDown);
    expect(en.pledge.storeDown).toContain('could not be confirmed');
    expect(en.pledge.storeDown).not.toMatch(/not (been )?recorded|nothing was recorded/);
  }, 60_000);
});
