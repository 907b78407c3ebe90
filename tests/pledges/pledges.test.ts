import { describe, expect, it } from 'vitest';
import {
  COUNTED_STATUSES,
  MAX_DUPLICATE_REFS,
  PledgeInputError,
  PledgeService,
  type PledgeRecord,
} from '../../src/pledges/index.js';
import { dhashIndexEntries } from '../../src/pledges/hashing.js';
import { openStore, StoreUnavailableError, type KvOperation } from '../../src/store/index.js';
import { allStoreCases, openTestStore, persistentUrl, recordingLogger, uniqueNamespace } from '../store/cases.js';
import { evidence, flipBits, G1, G2, ix, manualClock, MOD, submission, user } from './helpers.js';

function recordOf(r: { ok: true; record: PledgeRecord | null } | { ok: false }): PledgeRecord {
  if (!r.ok || !r.record) throw new Error('expected a record');
  return r.record;
}

describe('COUNTED_STATUSES', () => {
  it('counts pending and verified, not rejected or withdrawn', () => {
    expect([...COUNTED_STATUSES]).toEqual(['pending', 'verified']);
  });
});

for (const [name, url] of allStoreCases()) {
  describe.skipIf(!url)(`pledges on ${name}`, () => {
    const u = url ?? '';
    const service = async (opts: Partial<ConstructorParameters<typeof PledgeService>[0]> = {}) => {
      const { log } = recordingLogger();
      const store = await openTestStore(u, { log });
      return { store, pledges: new PledgeService({ store, log, ...opts }) };
    };

    it('submit resolves only once the pledge is readable from a new store instance', async () => {
      const durableUrl = persistentUrl(name, u);
      const namespace = uniqueNamespace('durable');
      const a = await openTestStore(durableUrl, { namespace });
      const member = user();
      const res = await new PledgeService({ store: a }).submit(submission(G1, member));
      expect(res.outcome).toBe('created');
      // Not closed, no flush: a second connection must already see everything.
      const b = await openTestStore(durableUrl, { namespace });
      const fresh = new PledgeService({ store: b });
      expect(recordOf(await fresh.get(G1, member))).toMatchObject({ pledgeId: 1, status: 'pending' });
      expect((await fresh.totals(G1)).counted).toBe(1);
      expect((await fresh.campaignTotals()).counted).toBe(1);
    });

    it('a redelivered interaction changes nothing and returns the earlier outcome', async () => {
      const { pledges } = await service();
      const member = user();
      const first = submission(G1, member);
      expect((await pledges.submit(first)).outcome).toBe('created');
      const again = await pledges.submit({ ...first, evidence: evidence(), note: 'different' });
      expect(again).toMatchObject({ outcome: 'duplicate-interaction', previousOutcome: 'created' });
      const rec = recordOf(await pledges.get(G1, member));
      expect(rec.note).toBe('cancelled today');
      expect(rec.evidence?.sha256).toBe(first.evidence?.sha256);
      expect(rec.version).toBe(1);
      expect((await pledges.totals(G1)).counted).toBe(1);
    });

    it('still recognizes the redelivery after the memo expired, from the record itself', async () => {
      const { pledges } = await service({ interactionTtlMs: 1 });
      const member = user();
      const first = submission(G1, member);
      await pledges.submit(first);
      await new Promise((r) => setTimeout(r, 20));
      const again = await pledges.submit({ ...first, evidence: evidence() });
      expect(again).toMatchObject({ outcome: 'duplicate-interaction', previousOutcome: 'created' });
      expect(recordOf(await pledges.get(G1, member)).version).toBe(1);
    });

    it('50 concurrent pledges in one server lose no update', async () => {
      const { pledges } = await service();
      const members = Array.from({ length: 50 }, () => user());
      const results = await Promise.all(members.map((m) => pledges.submit(submission(G1, m))));
      expect(results.every((r) => r.outcome === 'created')).toBe(true);
      const numbers = results.map((r) => (r.outcome === 'created' ? r.record.pledgeId : 0)).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const totals = await pledges.totals(G1);
      expect(totals.counted).toBe(50);
      expect(totals.byStatus.pending).toBe(50);
      expect((await pledges.campaignTotals()).counted).toBe(50);
      for (const n of [1, 25, 50]) expect(recordOf(await pledges.getByNumber(G1, n)).pledgeId).toBe(n);
      // A recount agrees with what the concurrent updates produced.
      const report = await pledges.reconcile();
      expect(report.repaired).toBe(false);
    });

    it('two concurrent submissions by one member give one pledge, replaced once', async () => {
      const { pledges } = await service();
      const member = user();
      const [a, b] = await Promise.all([pledges.submit(submission(G1, member)), pledges.submit(submission(G1, member))]);
      expect([a.outcome, b.outcome].sort()).toEqual(['created', 'replaced']);
      expect((await pledges.totals(G1)).counted).toBe(1);
      expect(recordOf(await pledges.get(G1, member))).toMatchObject({ pledgeId: 1, version: 2 });
    });

    it('totals and campaignTotals are one read each, however many pledges there are', async () => {
      const ops: KvOperation[] = [];
      const store = await openTestStore(u, { onOperation: (op) => ops.push(op), log: recordingLogger().log });
      const pledges = new PledgeService({ store });
      for (let i = 0; i < 60; i++) await pledges.submit(submission(i % 3 ? G1 : G2, user()));

      // Then many more written straight into the store the way submit lays them out, and recounted.
      const bulk = 5000;
      const nowIso = new Date().toISOString();
      const entries: Array<{ key: string; value: unknown }> = [];
      for (let n = 1; n <= bulk; n++) {
        const member = String(500000000000000000n + BigInt(n));
        // Laid out as records stored before levels existed: no `level`, read as a strike.
        const rec: Omit<PledgeRecord, 'level'> = {
          pledgeId: n, guildId: '333333333333333333', userId: member, status: n % 10 ? 'verified' : 'rejected',
          platform: 'web', note: '', evidence: null, duplicateOf: [], createdAt: nowIso, updatedAt: nowIso,
          version: 1, interactionId: `bulk${n}`,
        };
        entries.push({ key: `pledge:333333333333333333:${member}`, value: rec });
        entries.push({ key: `pledge-num:333333333333333333:${n}`, value: { userId: member } });
      }
      for (let i = 0; i < entries.length; i += 1000) await store.kv.setMany(entries.slice(i, i + 1000));
      await store.kv.set('pledge-seq:333333333333333333', { last: bulk });
      const report = await pledges.reconcile('333333333333333333');
      expect(report.guilds[0]?.totals.counted).toBe(4500);

      ops.length = 0;
      const big = await pledges.totals('333333333333333333');
      expect(big.counted).toBe(4500);
      expect(big.byStatus.rejected).toBe(500);
      expect(ops).toEqual([{ op: 'get', keys: ['totals:333333333333333333'] }]);
      ops.length = 0;
      const campaign = await pledges.campaignTotals();
      expect(campaign.counted).toBe(4560);
      expect(campaign.servers).toBe(3);
      expect(ops).toEqual([{ op: 'get', keys: ['campaign-totals:all'] }]);
      // Reconciliation reads the server in batches of at most 200 keys, never as one value.
      ops.length = 0;
      await pledges.reconcile('333333333333333333');
      expect(ops.length).toBeGreaterThanOrEqual(50);
      expect(Math.max(...ops.map((o) => o.keys.length))).toBeLessThanOrEqual(200);
    });

    it('a crash between the record and the totals is repaired by reconcile', async () => {
      let failOn: ((op: KvOperation) => boolean) | null = null;
      const store = await openTestStore(u, {
        log: recordingLogger().log,
        onOperation: (op) => {
          if (failOn?.(op)) throw new Error('simulated crash');
        },
      });
      const pledges = new PledgeService({ store });
      await pledges.submit(submission(G1, user()));
      const member = user();
      await pledges.submit(submission(G1, member));

      // A withdrawal writes the record, then the totals (a submission commits both at once).
      failOn = (op) => op.op === 'set' && (op.keys[0] ?? '').startsWith('totals:');
      await expect(pledges.withdraw({ guildId: G1, userId: member, interactionId: ix() })).rejects.toBeInstanceOf(StoreUnavailableError);
      failOn = null;
      expect(recordOf(await pledges.get(G1, member)).status).toBe('withdrawn'); // the record made it
      expect((await pledges.totals(G1)).counted).toBe(2); // the count did not

      const report = await pledges.reconcile(G1);
      expect(report.guilds[0]?.fixes).toContain(`server ${G1} counted: 2 → 1`);
      expect((await pledges.totals(G1)).counted).toBe(1);
      expect((await pledges.campaignTotals()).counted).toBe(1);
      expect((await pledges.reconcile()).repaired).toBe(false);
    });

    it('a crash between server and campaign totals is repaired by a full reconcile', async () => {
      let failOn: ((op: KvOperation) => boolean) | null = null;
      const store = await openTestStore(u, {
        log: recordingLogger().log,
        onOperation: (op) => {
          if (failOn?.(op)) throw new Error('simulated crash');
        },
      });
      const pledges = new PledgeService({ store });
      const member = user();
      await pledges.submit(submission(G2, member));
      failOn = (op) => op.op === 'set' && (op.keys[0] ?? '').startsWith('campaign-totals:');
      await expect(pledges.withdraw({ guildId: G2, userId: member, interactionId: ix() })).rejects.toBeInstanceOf(StoreUnavailableError);
      failOn = null;
      expect((await pledges.totals(G2)).counted).toBe(0);
      expect((await pledges.campaignTotals()).counted).toBe(1);
      const report = await pledges.reconcile();
      expect(report.campaignFixes).toContain('campaign counted: 1 → 0');
      expect(await pledges.campaignTotals()).toMatchObject({ counted: 0, servers: 0 });
    });

    it('a submission cut off at its commit leaves nothing behind: no record, number, index entry or count', async () => {
      let failOn: ((op: KvOperation) => boolean) | null = null;
      const store = await openTestStore(u, {
        log: recordingLogger().log,
        onOperation: (op) => {
          if (failOn?.(op)) throw new Error('simulated crash');
        },
      });
      const pledges = new PledgeService({ store });
      const member = user();
      const shot = evidence();
      failOn = (op) => op.op === 'setMany' && op.keys.some((k) => k.startsWith('pledge:'));
      await expect(pledges.submit(submission(G1, member, { evidence: shot }))).rejects.toBeInstanceOf(StoreUnavailableError);
      failOn = null;
      expect((await pledges.get(G1, member)).ok && (await pledges.get(G1, member))).toMatchObject({ record: null });
      expect(await store.kv.get(`pledge-seq:${G1}`)).toBeUndefined();
      expect(await store.kv.get(`hash:sha:${shot.sha256}`)).toBeUndefined();
      expect((await pledges.totals(G1)).counted).toBe(0);

      const retry = await pledges.submit(submission(G1, member, { evidence: shot }));
      expect(retry.outcome === 'created' && retry.record.pledgeId).toBe(1); // no gap
      const report = await pledges.reconcile(G1);
      expect(report.guilds[0]).toMatchObject({ staleNumbers: [], pledgesCounted: 1, fixes: [], hashIndexEntriesRestored: 0 });
    });

    it('reconcile repairs a corrupted aggregate and a lost hash index', async () => {
      const { store, pledges } = await service();
      const a = await pledges.submit(submission(G1, user()));
      await pledges.submit(submission(G1, user()));
      await store.kv.set(`totals:${G1}`, {
        byStatus: { pending: 7, verified: 0, rejected: 0, withdrawn: 0 }, counted: 7, daily: { '2020-01-01': 7 }, updatedAt: null,
      });
      if (a.outcome !== 'created' || !a.record.evidence) throw new Error('setup');
      await store.kv.delete(`hash:sha:${a.record.evidence.sha256}`);

      const report = await pledges.reconcile(G1);
      const g = report.guilds[0];
      expect(g?.fixes).toEqual(expect.arrayContaining([`server ${G1} counted: 7 → 2`, `server ${G1} day 2020-01-01: 7 → 0`]));
      expect(g?.hashIndexEntriesRestored).toBe(1);
      expect((await pledges.totals(G1)).counted).toBe(2);
      const copy = await pledges.submit(submission(G1, user(), { evidence: { ...a.record.evidence } }));
      expect(copy.outcome === 'created' && copy.possibleDuplicate).toBe(true);
    });

    it('an aggregate that fails validation is rebuilt when read, not shown as zero', async () => {
      const { store, pledges } = await service();
      await pledges.submit(submission(G1, user()));
      await store.kv.set(`totals:${G1}`, { counted: 'lots' });
      expect((await pledges.totals(G1)).counted).toBe(1);
      await store.kv.set('campaign-totals:all', { nope: true });
      expect((await pledges.campaignTotals()).counted).toBe(1);
    });

    it('a submission onto damaged totals commits the pledge and counts it by a recount', async () => {
      const { store, pledges } = await service();
      await pledges.submit(submission(G1, user()));
      await store.kv.set(`totals:${G1}`, { counted: 'lots' });
      const second = await pledges.submit(submission(G1, user()));
      expect(second.outcome === 'created' && second.counts.guild).toEqual({ before: 2, after: 2 });
      expect((await pledges.totals(G1)).counted).toBe(2);
      await store.kv.set('campaign-totals:all', { nope: true });
      const third = await pledges.submit(submission(G1, user()));
      expect(third.outcome === 'created' && third.counts.guild).toEqual({ before: 2, after: 3 });
      expect((await pledges.campaignTotals()).counted).toBe(3);
      expect((await pledges.reconcile()).repaired).toBe(false);
    });

    it('a record that fails validation is reported, never thrown, and can still be withdrawn', async () => {
      const { log, entries } = recordingLogger();
      const store = await openTestStore(u, { log });
      const pledges = new PledgeService({ store, log });
      const ok = user();
      await pledges.submit(submission(G1, ok));
      const broken = user();
      await store.kv.set(`pledge:${G1}:${broken}`, { pledgeId: 2, guildId: G1, userId: broken, status: 'maybe' });
      await store.kv.set(`pledge-num:${G1}:2`, { userId: broken });
      await store.kv.set(`pledge-seq:${G1}`, { last: 2 });

      const got = await pledges.get(G1, broken);
      expect(got.ok).toBe(false);
      if (!got.ok) expect(got.error.issues.join()).toMatch(/status/);
      expect((await pledges.getByNumber(G1, 2)).ok).toBe(false);
      const again = await pledges.submit(submission(G1, broken));
      expect(again.outcome).toBe('invalid-record');
      const report = await pledges.reconcile(G1);
      expect(report.guilds[0]?.invalidRecords.map((e) => e.key)).toEqual([`pledge:${G1}:${broken}`]);
      expect(report.guilds[0]?.pledgesCounted).toBe(1);
      expect(entries.some((e) => e.level === 'warn' && JSON.stringify(e.obj).includes(broken))).toBe(true);

      const gone = await pledges.withdraw({ guildId: G1, userId: broken, interactionId: ix() });
      expect(gone.ok && gone.record).toMatchObject({ pledgeId: 2, status: 'withdrawn', evidence: null, note: '' });
      expect(recordOf(await pledges.get(G1, ok)).status).toBe('pending');
    });

    it('flags the same file used by another member (sha256), even with autoVerify, and says by whom', async () => {
      const { pledges } = await service();
      const first = user();
      const shared = evidence();
      await pledges.submit(submission(G1, first, { evidence: shared, autoVerify: true }));
      const second = user();
      const res = await pledges.submit(submission(G1, second, { evidence: { ...shared }, autoVerify: true }));
      if (res.outcome !== 'created') throw new Error(res.outcome);
      expect(res.possibleDuplicate).toBe(true);
      expect(res.record.status).toBe('pending');
      expect(res.record.duplicateOf).toEqual([{ pledgeId: 1, userId: first, reason: 'sha256' }]);
      expect((await pledges.totals(G1)).byStatus).toMatchObject({ verified: 1, pending: 1 });
    });

    it('flags a near-identical image (dHash distance ≤ 6), not a merely similar one (7)', async () => {
      const { pledges } = await service();
      const first = user();
      const base = evidence();
      await pledges.submit(submission(G1, first, { evidence: base }));
      const near = await pledges.submit(
        submission(G1, user(), { evidence: evidence({ dhash: flipBits(base.dhash, [0, 1, 16, 17, 32, 48]) }) }),
      );
      expect(near.outcome === 'created' && near.record.duplicateOf).toEqual([
        { pledgeId: 1, userId: first, reason: 'dhash', distance: 6 },
      ]);
      const far = await pledges.submit(
        submission(G1, user(), { evidence: evidence({ dhash: flipBits(base.dhash, [0, 1, 16, 17, 32, 33, 48]) }) }),
      );
      expect(far.outcome === 'created' && far.record.duplicateOf.filter((d) => d.userId === first)).toEqual([]);
    });

    it('ranks holders from the hash index and reads only the records it lists', async () => {
      const ops: KvOperation[] = [];
      const store = await openTestStore(u, { onOperation: (op) => ops.push(op) });
      const pledges = new PledgeService({ store });
      const shot = evidence();
      const holders = Array.from({ length: 15 }, () => user());
      for (const h of holders) await pledges.submit(submission(G1, h, { evidence: { ...shot } }));
      expect(((await store.kv.get(`hash:sha:${shot.sha256}`)) as { entries: unknown[] }).entries[0]).toEqual({ g: G1, u: holders[0], n: 1, d: shot.dhash });
      ops.length = 0;
      const res = await pledges.submit(submission(G1, user(), { evidence: { ...shot } }));
      expect(res.outcome === 'created' && res.record.duplicateOf).toEqual(
        holders.slice(0, MAX_DUPLICATE_REFS).map((h, i) => ({ pledgeId: i + 1, userId: h, reason: 'sha256' })),
      );
      const holderRecordsRead = ops
        .filter((op) => op.op === 'get' || op.op === 'getMany')
        .flatMap((op) => op.keys.filter((k) => holders.some((h) => k.endsWith(`pledge:${G1}:${h}`))));
      expect(holderRecordsRead).toHaveLength(MAX_DUPLICATE_REFS);
    });

    it('keeps the first holders of a full bucket, writes no bucket for a further copy, and lets a withdrawal free a place', async () => {
      const ops: KvOperation[] = [];
      const store = await openTestStore(u, { onOperation: (op) => ops.push(op) });
      const pledges = new PledgeService({ store });
      const shot = evidence();
      const cap = 2 * MAX_DUPLICATE_REFS;
      const holders = Array.from({ length: cap }, () => user());
      for (const h of holders) await pledges.submit(submission(G1, h, { evidence: { ...shot } }));
      const full = (await store.kv.get(`hash:sha:${shot.sha256}`)) as { entries: Array<{ u: string }> };
      expect(full.entries.map((e) => e.u)).toEqual(holders);

      ops.length = 0;
      const late = user();
      const res = await pledges.submit(submission(G1, late, { evidence: { ...shot } }));
      // Still flagged, by the first holders, and recorded, without rewriting any of its five buckets.
      expect(res.outcome === 'created' && res.record.duplicateOf.map((d) => d.pledgeId)).toEqual(
        Array.from({ length: MAX_DUPLICATE_REFS }, (_, i) => i + 1),
      );
      const written = ops.filter((op) => op.op === 'set' || op.op === 'setMany').flatMap((op) => op.keys);
      expect(written).toContain(`pledge:${G1}:${late}`);
      expect(written.filter((k) => k.startsWith('hash:'))).toEqual([]);
      expect(await store.kv.get(`hash:sha:${shot.sha256}`)).toEqual(full);

      expect((await pledges.withdraw({ guildId: G1, userId: holders[0] ?? '', interactionId: ix() })).ok).toBe(true);
      const next = user();
      await pledges.submit(submission(G1, next, { evidence: { ...shot } }));
      const after = (await store.kv.get(`hash:sha:${shot.sha256}`)) as { entries: Array<{ u: string }> };
      expect(after.entries.map((e) => e.u)).toEqual([...holders.slice(1), next]);
    });

    it('sweeps entries that outlived their pledge out of a full bucket, so they do not hold a place for good', async () => {
      const { store, pledges } = await service();
      const shot = evidence();
      const holders = Array.from({ length: 2 * MAX_DUPLICATE_REFS }, () => user());
      for (const h of holders) await pledges.submit(submission(G1, h, { evidence: { ...shot } }));
      // A damaged record erased on withdraw: its hashes cannot be read, so its entries stay behind.
      const gone = holders[0] ?? '';
      await store.kv.set(`pledge:${G1}:${gone}`, { garbage: true });
      expect((await pledges.withdraw({ guildId: G1, userId: gone, interactionId: ix() })).ok).toBe(true);
      expect(((await store.kv.get(`hash:sha:${shot.sha256}`)) as { entries: Array<{ u: string }> }).entries.map((e) => e.u)).toContain(gone);

      const next = user();
      const res = await pledges.submit(submission(G1, next, { evidence: { ...shot } }));
      expect(res.outcome === 'created' && res.record.duplicateOf.map((d) => d.userId)).not.toContain(gone);
      const after = (await store.kv.get(`hash:sha:${shot.sha256}`)) as { entries: Array<{ u: string }> };
      expect(after.entries.map((e) => e.u)).toEqual([...holders.slice(1), next]);
      for (const id of [`sha:${shot.sha256}`, ...dhashIndexEntries(shot.dhash).map((e) => `dh:${e.band}:${e.value}`)]) {
        const bucket = (await store.kv.get(`hash:${id}`)) as { entries: Array<{ u: string }> };
        expect(bucket.entries.map((e) => e.u)).not.toContain(gone);
      }
    });

    it('never names a member whose record no longer holds the image, even if an index entry outlived it', async () => {
      const { store, pledges } = await service();
      const gone = user();
      const kept = user();
      const shot = evidence();
      await pledges.submit(submission(G1, gone, { evidence: shot }));
      await pledges.submit(submission(G1, kept, { evidence: { ...shot } }));
      // A damaged record erased on withdraw: its hashes cannot be read, so its entries stay behind.
      await store.kv.set(`pledge:${G1}:${gone}`, { garbage: true });
      expect((await pledges.withdraw({ guildId: G1, userId: gone, interactionId: ix() })).ok).toBe(true);
      const res = await pledges.submit(submission(G1, user(), { evidence: { ...shot } }));
      expect(res.outcome === 'created' && res.record.duplicateOf).toEqual([{ pledgeId: 2, userId: kept, reason: 'sha256' }]);
    });

    it('reconcile leaves full buckets alone: a holder the cap pushed out is not a repair', async () => {
      const { store, pledges } = await service();
      const shot = evidence();
      const holders = Array.from({ length: 2 * MAX_DUPLICATE_REFS + 5 }, () => user());
      for (const h of holders) await pledges.submit(submission(G1, h, { evidence: { ...shot } }));
      const before = await store.kv.get(`hash:sha:${shot.sha256}`);
      for (let i = 0; i < 2; i++) {
        const report = await pledges.reconcile(G1);
        expect(report.repaired).toBe(false);
        expect(report.guilds[0]?.hashIndexEntriesRestored).toBe(0);
      }
      expect(await store.kv.get(`hash:sha:${shot.sha256}`)).toEqual(before); // still the first holders
    });

    it('index entries written before they carried the number and dHash still flag, and reconcile fills them in', async () => {
      const { store, pledges } = await service();
      const first = user();
      const shot = evidence();
      await pledges.submit(submission(G1, first, { evidence: shot }));
      const legacy = { entries: [{ g: G1, u: first }] };
      await store.kv.set(`hash:sha:${shot.sha256}`, legacy);
      const band0 = `hash:dh:0:${shot.dhash.slice(0, 4)}`;
      await store.kv.set(band0, legacy);
      const near = await pledges.submit(submission(G1, user(), { evidence: evidence({ dhash: flipBits(shot.dhash, [20]) }) }));
      expect(near.outcome === 'created' && near.record.duplicateOf).toEqual([{ pledgeId: 1, userId: first, reason: 'dhash', distance: 1 }]);
      const same = await pledges.submit(submission(G1, user(), { evidence: { ...shot } }));
      expect(same.outcome === 'created' && same.record.duplicateOf[0]).toEqual({ pledgeId: 1, userId: first, reason: 'sha256' });

      const report = await pledges.reconcile(G1);
      expect(report.guilds[0]?.hashIndexEntriesRestored).toBe(0); // upgraded, not missing
      expect(await store.kv.get(band0)).toMatchObject({ entries: expect.arrayContaining([{ g: G1, u: first, n: 1, d: shot.dhash }]) });
    });

    it('a replacement screenshot that shares a dHash band refreshes the entry it keeps', async () => {
      const { store, pledges } = await service();
      const member = user();
      const old = evidence();
      await pledges.submit(submission(G1, member, { evidence: old }));
      const fresh = evidence({ dhash: `${old.dhash.slice(0, 4)}${flipBits(old.dhash, [20, 24, 28, 32, 36, 40, 44, 48, 52]).slice(4)}` });
      await pledges.submit(submission(G1, member, { evidence: fresh }));
      expect(await store.kv.get(`hash:dh:0:${old.dhash.slice(0, 4)}`)).toEqual({ entries: [{ g: G1, u: member, n: 1, d: fresh.dhash }] });
    });

    it('across servers: another member is flagged (with the server), the same member is not', async () => {
      const { pledges } = await service();
      const member = user();
      const shot = evidence();
      await pledges.submit(submission(G1, member, { evidence: shot }));
      const self = await pledges.submit(submission(G2, member, { evidence: { ...shot }, autoVerify: true }));
      expect(self.outcome === 'created' && self.possibleDuplicate).toBe(false);
      expect(self.outcome === 'created' && self.record.status).toBe('verified');
      const other = await pledges.submit(submission(G2, user(), { evidence: { ...shot } }));
      expect(other.outcome === 'created' && other.record.duplicateOf).toEqual([
        // Same server first: that is what the reviewer can check.
        { pledgeId: 1, userId: member, reason: 'sha256' },
        { pledgeId: 1, userId: member, reason: 'sha256', guildId: G1 },
      ]);
    });

    it('a pending pledge gets its evidence replaced: same number and date, version + 1, counts unchanged', async () => {
      const clock = manualClock();
      const { pledges } = await service({ clock: clock.now });
      const member = user();
      const old = evidence();
      const created = await pledges.submit(submission(G1, member, { evidence: old }));
      clock.advance(3 * 86_400_000);
      const fresh = evidence();
      const res = await pledges.submit(submission(G1, member, { evidence: fresh, platform: 'android', note: 'new' }));
      if (res.outcome !== 'replaced' || created.outcome !== 'created') throw new Error(res.outcome);
      expect(res.record).toMatchObject({ pledgeId: 1, version: 2, status: 'pending', platform: 'android', note: 'new' });
      expect(res.record.evidence?.sha256).toBe(fresh.sha256);
      expect(res.record.createdAt).toBe(created.record.createdAt);
      expect(res.counts.guild).toEqual({ before: 1, after: 1 });
      // The old image is no longer indexed under this member; the new one is.
      const reuseOld = await pledges.submit(submission(G1, user(), { evidence: { ...old } }));
      expect(reuseOld.outcome === 'created' && reuseOld.possibleDuplicate).toBe(false);
      const reuseNew = await pledges.submit(submission(G1, user(), { evidence: { ...fresh } }));
      expect(reuseNew.outcome === 'created' && reuseNew.possibleDuplicate).toBe(true);
    });

    it('a verified pledge stays as it is and says so', async () => {
      const { pledges } = await service();
      const member = user();
      const first = await pledges.submit(submission(G1, member));
      await pledges.review({ guildId: G1, pledgeId: 1, expectedStatus: 'pending', decision: 'verified', reviewerId: MOD, interactionId: ix() });
      const again = await pledges.submit(submission(G1, member, { note: 'again' }));
      expect(again.outcome).toBe('unchanged-verified');
      const rec = recordOf(await pledges.get(G1, member));
      expect(rec).toMatchObject({ status: 'verified', note: 'cancelled today', version: 1, reviewerId: MOD });
      expect(first.outcome === 'created' && rec.evidence?.sha256).toBe(first.outcome === 'created' && first.record.evidence?.sha256);
      expect((await pledges.totals(G1)).counted).toBe(1);
    });

    it('withdraw erases personal data, the hash index entries and the kept copy, and adjusts counts', async () => {
      const clock = manualClock('2026-03-01T09:00:00.000Z');
      const { store, pledges } = await service({ clock: clock.now });
      const member = user();
      const shot = evidence();
      await pledges.submit(submission(G1, user()));
      await pledges.submit(submission(G1, member, { evidence: shot, keptCopy: Buffer.from('png bytes') }));
      const kept = `kept:${G1}:${member}`;
      expect(recordOf(await pledges.get(G1, member)).evidence?.keptCopyKey).toBe(kept);
      expect(await store.blobs.get(kept)).toEqual(Buffer.from('png bytes'));
      expect(await pledges.totals(G1)).toMatchObject({ counted: 2, daily: { '2026-03-01': 2 } });

      clock.advance(86_400_000);
      const res = await pledges.withdraw({ guildId: G1, userId: member, interactionId: ix() });
      if (!res.ok) throw new Error(res.reason);
      expect(res.keptCopyKey).toBe(kept);
      expect(res.counts?.guild).toEqual({ before: 2, after: 1 });
      expect(res.record).toEqual({
        pledgeId: 2, guildId: G1, userId: member, status: 'withdrawn', level: 'strike', platform: 'ios', note: '', evidence: null,
        duplicateOf: [], createdAt: '2026-03-01T09:00:00.000Z', updatedAt: '2026-03-02T09:00:00.000Z', version: 1,
        interactionId: expect.any(String),
      });
      expect(await store.blobs.get(kept)).toBeUndefined();
      expect(await store.kv.get(`hash:sha:${shot.sha256}`)).toBeUndefined();
      expect(await pledges.totals(G1)).toMatchObject({
        counted: 1, byStatus: { pending: 1, verified: 0, rejected: 0, withdrawn: 1 }, daily: { '2026-03-01': 1 },
      });
      const reuse = await pledges.submit(submission(G1, user(), { evidence: { ...shot } }));
      expect(reuse.outcome === 'created' && reuse.possibleDuplicate).toBe(false);

      expect(await pledges.withdraw({ guildId: G1, userId: member })).toMatchObject({ ok: false, reason: 'already-withdrawn' });
      expect(await pledges.withdraw({ guildId: G1, userId: user() })).toEqual({ ok: false, reason: 'not-found' });

      // Pledging again: a new pending pledge under the same number.
      const back = await pledges.submit(submission(G1, member));
      expect(back).toMatchObject({ outcome: 'created', previousStatus: 'withdrawn', record: { pledgeId: 2, version: 2 } });
      expect(await pledges.totals(G1)).toMatchObject({ counted: 3, byStatus: { withdrawn: 0 }, daily: { '2026-03-01': 1, '2026-03-02': 2 } });
    });

    it('a redelivered withdraw does not withdraw a pledge made again since', async () => {
      const { pledges } = await service();
      const member = user();
      await pledges.submit(submission(G1, member));
      const w = { guildId: G1, userId: member, interactionId: ix() };
      await pledges.withdraw(w);
      await pledges.submit(submission(G1, member));
      expect(await pledges.withdraw(w)).toMatchObject({ ok: true, duplicateInteraction: true, record: { status: 'pending' } });
      expect((await pledges.totals(G1)).counted).toBe(1);
    });

    it('review refuses a stale expectedStatus and keeps the first decision', async () => {
      const { pledges } = await service();
      const member = user();
      await pledges.submit(submission(G1, member));
      const modA = '888888888888888881';
      const modB = '888888888888888882';
      const [a, b] = await Promise.all([
        pledges.review({ guildId: G1, pledgeId: 1, expectedStatus: 'pending', decision: 'verified', reviewerId: modA, interactionId: ix() }),
        pledges.review({ guildId: G1, pledgeId: 1, expectedStatus: 'pending', decision: 'rejected', reviewerId: modB, reason: 'cropped', interactionId: ix() }),
      ]);
      expect(a).toMatchObject({ ok: true, previousStatus: 'pending', record: { status: 'verified', reviewerId: modA } });
      expect(b).toMatchObject({ ok: false, reason: 'status-changed', record: { status: 'verified' } });
      expect(await pledges.totals(G1)).toMatchObject({ counted: 1, byStatus: { pending: 0, verified: 1 } });

      const reject = await pledges.review({ guildId: G1, pledgeId: 1, expectedStatus: 'verified', decision: 'rejected', reviewerId: modB, reason: 'edited image' });
      expect(reject).toMatchObject({ ok: true, record: { status: 'rejected', rejectReason: 'edited image' }, counts: { guild: { before: 1, after: 0 } } });
      expect(await pledges.review({ guildId: G1, pledgeId: 1, expectedStatus: 'rejected', decision: 'rejected', reviewerId: modA })).toMatchObject({ ok: false, reason: 'no-change' });
      expect(await pledges.review({ guildId: G1, pledgeId: 99, expectedStatus: 'pending', decision: 'verified', reviewerId: modA })).toEqual({ ok: false, reason: 'not-found' });

      await pledges.withdraw({ guildId: G1, userId: member });
      expect(await pledges.review({ guildId: G1, pledgeId: 1, expectedStatus: 'rejected', decision: 'verified', reviewerId: modA })).toMatchObject({ ok: false, reason: 'status-changed', record: { status: 'withdrawn' } });
    });

    it('review with expectedVersion refuses a card drawn before the evidence was replaced', async () => {
      const { pledges } = await service();
      const member = user();
      await pledges.submit(submission(G1, member));
      await pledges.submit(submission(G1, member)); // replaced: version 2, still pending
      const decide = { guildId: G1, pledgeId: 1, expectedStatus: 'pending' as const, decision: 'verified' as const, reviewerId: MOD };
      expect(await pledges.review({ ...decide, expectedVersion: 1 })).toMatchObject({ ok: false, reason: 'evidence-changed', record: { version: 2 } });
      expect(await pledges.review({ ...decide, expectedVersion: 2 })).toMatchObject({ ok: true, record: { status: 'verified', version: 2 } });
    });

    it('a rejected member pledging again gets a new pending pledge under the same number', async () => {
      const { pledges } = await service();
      const member = user();
      await pledges.submit(submission(G1, member));
      await pledges.review({ guildId: G1, pledgeId: 1, expectedStatus: 'pending', decision: 'rejected', reviewerId: MOD, reason: 'blurry' });
      expect((await pledges.totals(G1)).counted).toBe(0);
      const again = await pledges.submit(submission(G1, member));
      expect(again).toMatchObject({ outcome: 'created', previousStatus: 'rejected', record: { pledgeId: 1, status: 'pending', version: 2 } });
      if (again.outcome !== 'created') throw new Error(again.outcome);
      expect(again.record.rejectReason).toBeUndefined();
      expect(again.record.reviewerId).toBeUndefined();
      expect(await pledges.totals(G1)).toMatchObject({ counted: 1, byStatus: { pending: 1, rejected: 0 } });
    });

    it('a redelivered review button press returns the first result', async () => {
      const { pledges } = await service();
      await pledges.submit(submission(G1, user()));
      const press = { guildId: G1, pledgeId: 1, expectedStatus: 'pending' as const, decision: 'verified' as const, reviewerId: MOD, interactionId: ix() };
      expect(await pledges.review(press)).toMatchObject({ ok: true, duplicateInteraction: false });
      expect(await pledges.review(press)).toMatchObject({ ok: true, duplicateInteraction: true, record: { status: 'verified' } });
    });

    it('campaign totals add servers up and count servers with a counted pledge', async () => {
      const { pledges } = await service();
      const a = user();
      await pledges.submit(submission(G1, a));
      await pledges.submit(submission(G2, user()));
      await pledges.submit(submission(G2, user()));
      expect(await pledges.campaignTotals()).toMatchObject({ counted: 3, servers: 2 });
      await pledges.withdraw({ guildId: G1, userId: a });
      expect(await pledges.campaignTotals()).toMatchObject({ counted: 2, servers: 1, byStatus: { withdrawn: 1 } });
      const seen: string[] = [];
      for await (const g of pledges.guilds()) seen.push(g);
      expect(seen).toEqual([G1, G2]);
      const inG2: number[] = [];
      for await (const p of pledges.pledges(G2)) inG2.push(p.pledgeId);
      expect(inG2).toEqual([1, 2]);
    });

    it('refuses malformed input before touching the store', async () => {
      const { pledges } = await service();
      await expect(pledges.submit(submission('not-a-guild', user()))).rejects.toThrow(PledgeInputError);
      await expect(pledges.submit(submission(G1, user(), { note: 'x'.repeat(501) }))).rejects.toThrow(PledgeInputError);
      await expect(pledges.submit(submission(G1, user(), { evidence: evidence({ dhash: 'XYZ' }) }))).rejects.toThrow(/dhash/);
      expect((await pledges.totals(G1)).counted).toBe(0);
    });
  });
}

describe('pledges with the backend down', () => {
  it('every operation fails fast with StoreUnavailableError', async () => {
    const store = await openStore('postgres://postgres@127.0.0.1:1/x', { opTimeoutMs: 1000, connectTimeoutMs: 500, log: recordingLogger().log });
    const pledges = new PledgeService({ store });
    const started = Date.now();
    await expect(pledges.submit(submission(G1, user()))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(pledges.totals(G1)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(pledges.review({ guildId: G1, pledgeId: 1, expectedStatus: 'pending', decision: 'verified', reviewerId: MOD })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
    await store.close();
  });
});
