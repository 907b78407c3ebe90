import { describe, expect, it } from 'vitest';
import {
  CAMPAIGN_MILESTONES,
  MilestoneOutbox,
  entryId,
  milestoneNonce,
  type MilestoneScope,
} from '../../src/milestones/index.js';
import { PledgeService } from '../../src/pledges/index.js';
import { openStore, silentLogger, type KvOperation } from '../../src/store/index.js';
import { submission, user } from '../pledges/helpers.js';
import { tempSqliteUrl, uniqueNamespace } from '../store/cases.js';
import { announceIn, CHANNEL, GA, GB, GC, listOf, manualClock, setup } from './helpers.js';

const guildScope = (guildId: string): MilestoneScope => ({ kind: 'guild', guildId });
const THRESHOLDS = [10, 25, 50];

async function outboxFor(opts: { guilds?: string[]; url?: string; namespace?: string; maxAttempts?: number } = {}) {
  const { store, settings } = await setup(opts.url, opts.namespace);
  const clock = manualClock();
  const outbox = new MilestoneOutbox({
    store,
    settings,
    campaignGuilds: () => listOf(opts.guilds ?? []),
    clock: clock.now,
    log: silentLogger,
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
  });
  return { store, settings, outbox, clock };
}

describe('milestone outbox: deciding', () => {
  it('GIVEN a server with an announcements channel WHEN its count goes 9 → 10 THEN one entry is recorded for that channel, in its language', async () => {
    const { settings, outbox } = await outboxFor();
    await announceIn(settings, GA, { publicLocale: 'fr' });
    const r = await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 120 });
    expect(r.threshold).toBe(10);
    expect(r.entries).toHaveLength(1);
    const [e] = r.entries;
    expect(e).toMatchObject({ guildId: GA, channelId: CHANNEL(GA), locale: 'fr', threshold: 10, count: 10, next: 25, campaignCount: 120 });
    expect(e?.nonce.length).toBeLessThanOrEqual(25);
    expect(e?.nonce).toBe(milestoneNonce(entryId(guildScope(GA), 10, GA)));
    expect(await outbox.pending()).toEqual(r.entries);
    expect(await outbox.announced(guildScope(GA))).toEqual([10]);
  });

  it('GIVEN a change that crosses nothing THEN nothing is written at all', async () => {
    const { store, settings } = await setup();
    const writes: KvOperation[] = [];
    const spied = await openStore('sqlite://:memory:', { log: silentLogger, namespace: uniqueNamespace(), onOperation: (op) => void writes.push(op) });
    const outbox = new MilestoneOutbox({ store: spied, settings, campaignGuilds: () => listOf([]), log: silentLogger });
    await outbox.decide({ scope: guildScope(GA), before: 10, count: 11, thresholds: THRESHOLDS, campaignCount: 11 });
    expect(writes.filter((w) => w.op !== 'get' && w.op !== 'getMany')).toEqual([]);
    await spied.close();
    await store.close();
  });

  it('GIVEN 20 concurrent decisions for the same crossing THEN exactly one entry exists and one call reports it', async () => {
    const { settings, outbox } = await outboxFor();
    await announceIn(settings, GA);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 })),
    );
    expect(results.filter((r) => r.threshold === 10)).toHaveLength(1);
    expect(results.flatMap((r) => r.entries)).toHaveLength(1);
    expect(await outbox.pending()).toHaveLength(1);
  });

  it('GIVEN 20 concurrent campaign decisions WHEN three servers opted in THEN each server gets exactly one entry', async () => {
    const { settings, outbox } = await outboxFor({ guilds: [GA, GB, GC] });
    await announceIn(settings, GA);
    await announceIn(settings, GB, { publicLocale: 'fr' });
    await announceIn(settings, GC);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        outbox.decide({ scope: { kind: 'campaign' }, before: 99, count: 100 + (i % 3), thresholds: CAMPAIGN_MILESTONES, campaignCount: 100 }),
      ),
    );
    expect(results.flatMap((r) => r.entries)).toHaveLength(3);
    const pending = await outbox.pending();
    expect(pending.map((e) => e.guildId).sort()).toEqual([GA, GB, GC]);
    expect(new Set(pending.map((e) => e.nonce)).size).toBe(3);
    expect(pending.find((e) => e.guildId === GB)?.locale).toBe('fr');
  });

  it('GIVEN a campaign crossing THEN only servers that opted in AND have a channel are told', async () => {
    const { settings, outbox } = await outboxFor({ guilds: [GA, GB, GC, GA] });
    await announceIn(settings, GA);
    await announceIn(settings, GB, { campaignMilestones: false });
    // GC: opted in by default but no announcements channel.
    const r = await outbox.decide({ scope: { kind: 'campaign' }, before: 99, count: 100, thresholds: CAMPAIGN_MILESTONES, campaignCount: 100 });
    expect(r.entries.map((e) => e.guildId)).toEqual([GA]);
    expect(r.entries[0]?.scope).toEqual({ kind: 'campaign' });
  });

  it('GIVEN a server without an announcements channel WHEN it crosses 10 THEN 10 is remembered and nothing is queued, not even after a channel is set', async () => {
    const { settings, outbox } = await outboxFor();
    const first = await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    expect(first).toMatchObject({ threshold: 10, entries: [] });
    await announceIn(settings, GA);
    const again = await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    expect(again.entries).toEqual([]);
    expect(await outbox.pending()).toEqual([]);
  });

  it('GIVEN a count that crosses 10, drops to 9 and rises to 10 again THEN 10 is announced once', async () => {
    const { settings, outbox } = await outboxFor();
    await announceIn(settings, GA);
    const up = await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    const down = await outbox.decide({ scope: guildScope(GA), before: 10, count: 9, thresholds: THRESHOLDS, campaignCount: 9 });
    const upAgain = await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    expect(up.entries).toHaveLength(1);
    expect(down.entries).toEqual([]);
    expect(upAgain.entries).toEqual([]);
    expect(await outbox.pending()).toHaveLength(1);
  });

  it('GIVEN a bulk change across several thresholds THEN all are remembered and only the highest is announced', async () => {
    const { settings, outbox } = await outboxFor();
    await announceIn(settings, GA);
    const r = await outbox.decide({ scope: guildScope(GA), before: 0, count: 30, thresholds: THRESHOLDS, campaignCount: 30 });
    expect(r.crossed).toEqual([10, 25]);
    expect(r.threshold).toBe(25);
    expect(r.entries.map((e) => e.threshold)).toEqual([25]);
    expect(await outbox.announced(guildScope(GA))).toEqual([10, 25]);
  });

  it('GIVEN a server scope and the campaign scope THEN each remembers its own thresholds', async () => {
    const { settings, outbox } = await outboxFor({ guilds: [GA] });
    await announceIn(settings, GA);
    await outbox.decide({ scope: guildScope(GA), before: 99, count: 100, thresholds: [100], campaignCount: 100 });
    const campaign = await outbox.decide({ scope: { kind: 'campaign' }, before: 99, count: 100, thresholds: [100], campaignCount: 100 });
    expect(campaign.entries).toHaveLength(1);
    expect(await outbox.pending()).toHaveLength(2);
  });
});

describe('milestone outbox: with real pledges', () => {
  it('GIVEN pledges submitted concurrently in two servers THEN each server announces 10 once and the campaign announces 25 once', async () => {
    const { store, settings } = await setup();
    const pledges = new PledgeService({ store, log: silentLogger });
    const outbox = new MilestoneOutbox({ store, settings, campaignGuilds: () => pledges.guilds(), log: silentLogger });
    await announceIn(settings, GA);
    await announceIn(settings, GB, { publicLocale: 'fr' });
    const submitAndDecide = async (guildId: string) => {
      const r = await pledges.submit(submission(guildId, user()));
      if (!('counts' in r)) throw new Error(`unexpected ${r.outcome}`);
      return outbox.decideForChange({ guildId, counts: r.counts, guildThresholds: [10], campaignThresholds: [25] });
    };
    await Promise.all([...Array.from({ length: 13 }, () => submitAndDecide(GA)), ...Array.from({ length: 13 }, () => submitAndDecide(GB))]);
    const pending = await outbox.pending();
    const key = (e: (typeof pending)[number]) => `${e.scope.kind}:${e.threshold}:${e.guildId}`;
    expect(pending.map(key).sort()).toEqual([`campaign:25:${GA}`, `campaign:25:${GB}`, `guild:10:${GA}`, `guild:10:${GB}`]);
  });

  it('GIVEN a pledge withdrawn below a threshold and a new one taking the count back THEN there is no second announcement', async () => {
    const { store, settings } = await setup();
    const pledges = new PledgeService({ store, log: silentLogger });
    const outbox = new MilestoneOutbox({ store, settings, campaignGuilds: () => pledges.guilds(), log: silentLogger });
    await announceIn(settings, GA);
    const decideOn = (counts: { guild: { before: number; after: number }; campaign: { before: number; after: number } }) =>
      outbox.decideForChange({ guildId: GA, counts, guildThresholds: [3], campaignThresholds: [] });
    const members = [user(), user(), user()];
    for (const m of members) {
      const r = await pledges.submit(submission(GA, m));
      if ('counts' in r) await decideOn(r.counts);
    }
    const w = await pledges.withdraw({ guildId: GA, userId: members[0] ?? '' });
    if (w.ok && w.counts) await decideOn(w.counts);
    expect((await pledges.totals(GA)).counted).toBe(2);
    const again = await pledges.submit(submission(GA, user()));
    if (!('counts' in again)) throw new Error('expected counts');
    expect(again.counts.guild).toEqual({ before: 2, after: 3 });
    const [guild] = await decideOn(again.counts);
    expect(guild?.entries).toEqual([]);
    expect(await outbox.pending()).toHaveLength(1);
  });
});

describe('milestone outbox: delivery bookkeeping', () => {
  it('GIVEN a pending entry WHEN the store is reopened THEN it is still pending (durable before any post)', async () => {
    const url = tempSqliteUrl();
    const namespace = uniqueNamespace('outbox');
    const a = await outboxFor({ url, namespace });
    await announceIn(a.settings, GA);
    await a.outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    await a.store.close();
    const b = await outboxFor({ url, namespace });
    const pending = await b.outbox.pending();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ guildId: GA, threshold: 10, attempts: 0 });
  });

  it('GIVEN markDelivered THEN the entry leaves pending, its outcome is kept, and a second markDelivered changes nothing', async () => {
    const { settings, outbox } = await outboxFor();
    await announceIn(settings, GA);
    const [entry] = (await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 })).entries;
    if (!entry) throw new Error('expected an entry');
    const started = await outbox.beginAttempt(entry);
    expect(started.attempts).toBe(1);
    await outbox.markDelivered(started, '123');
    await outbox.markDelivered(started, '456');
    expect(await outbox.pending()).toEqual([]);
    expect(await outbox.outcome(entry.id)).toMatchObject({ status: 'delivered', messageId: '123', attempts: 1 });
  });

  it('GIVEN a retryable failure THEN the entry waits until nextAttemptAt; GIVEN a permanent one THEN it is failed-permanent with the reason', async () => {
    const { settings, outbox, clock } = await outboxFor({ guilds: [GA] });
    await announceIn(settings, GA);
    const [entry] = (await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 })).entries;
    if (!entry) throw new Error('expected an entry');
    const at = new Date(clock.now().getTime() + 2000);
    expect(await outbox.markFailed(await outbox.beginAttempt(entry), { reason: 'HTTP 500', permanent: false }, at)).toBe('retry');
    const [waiting] = await outbox.pending();
    expect(waiting).toMatchObject({ attempts: 1, nextAttemptAt: at.toISOString(), lastError: 'HTTP 500' });
    if (!waiting) throw new Error('expected a pending entry');
    const outcome = await outbox.markFailed(await outbox.beginAttempt(waiting), { reason: 'HTTP 403 · code 50013 · Missing Permissions', permanent: true }, at);
    expect(outcome).toBe('failed-permanent');
    expect(await outbox.pending()).toEqual([]);
    expect(await outbox.outcome(entry.id)).toMatchObject({ status: 'failed-permanent', reason: 'HTTP 403 · code 50013 · Missing Permissions', attempts: 2 });
  });

  it('GIVEN maxAttempts retryable failures THEN the entry is given up as failed-permanent', async () => {
    const { settings, outbox, clock } = await outboxFor({ maxAttempts: 3 });
    await announceIn(settings, GA);
    await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [e] = await outbox.pending();
      if (!e) break;
      outcomes.push(await outbox.markFailed(await outbox.beginAttempt(e), { reason: 'HTTP 502', permanent: false }, clock.now()));
    }
    expect(outcomes).toEqual(['retry', 'retry', 'failed-permanent']);
    expect(await outbox.outcome(entryId(guildScope(GA), 10, GA))).toMatchObject({ status: 'failed-permanent', reason: 'gave up after 3 attempts: HTTP 502' });
  });

  it('GIVEN the announced set was not written (crash after the outbox commit) WHEN the same decision is repeated THEN no entry is duplicated', async () => {
    const { store, settings, outbox } = await outboxFor();
    await announceIn(settings, GA);
    await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    await store.kv.delete('milestone-scope:g' + GA);
    const again = await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    expect(again.entries).toEqual([]);
    expect(await outbox.pending()).toHaveLength(1);
    expect(await outbox.announced(guildScope(GA))).toEqual([10]);
  });

  it('GIVEN an unreadable announced set THEN nothing is decided (silence rather than a second announcement)', async () => {
    const { store, settings, outbox } = await outboxFor();
    await announceIn(settings, GA);
    await store.kv.set(`milestone-scope:g${GA}`, { announced: 'garbage' });
    const r = await outbox.decide({ scope: guildScope(GA), before: 9, count: 10, thresholds: THRESHOLDS, campaignCount: 10 });
    expect(r).toEqual({ crossed: [], threshold: null, entries: [] });
  });
});
