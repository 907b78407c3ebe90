// The campaign's three levels of commitment in the pledge service: what each records, how a member
// moves up (share → strike → leave, never down), how shares are counted apart, and records and
// aggregates written before levels existed (they read as "financial strike", and a recount agrees).
import { describe, expect, it } from 'vitest';
import { PledgeService, type PledgeRecord } from '../../src/pledges/index.js';
import { recordId } from '../../src/pledges/keys.js';
import { runStoreVerify } from '../../src/scripts/store-verify.js';
import { allStoreCases, openTestStore, recordingLogger, tempSqliteUrl } from '../store/cases.js';
import { evidence, G1, G2, ix, manualClock, MOD, submission, user } from './helpers.js';

function recordOf(r: { ok: true; record: PledgeRecord | null } | { ok: false }): PledgeRecord {
  if (!r.ok || !r.record) throw new Error('expected a record');
  return r.record;
}

for (const [name, url] of allStoreCases()) {
  describe.skipIf(!url)(`pledge levels on ${name}`, () => {
    const u = url ?? '';
    const service = async () => {
      const clock = manualClock('2026-03-01T09:00:00.000Z');
      const store = await openTestStore(u, { log: recordingLogger().log });
      return { store, clock, pledges: new PledgeService({ store, clock: clock.now, log: recordingLogger().log }) };
    };

    it('GIVEN a submit with level leave, one with strike and one without THEN each record holds its level, and the totals break counted down by level', async () => {
      const { pledges } = await service();
      const [a, b, c] = [user(), user(), user()];
      expect((await pledges.submit(submission(G1, a, { level: 'leave' }))).outcome).toBe('created');
      expect((await pledges.submit(submission(G1, b, { level: 'strike' }))).outcome).toBe('created');
      const third = await pledges.submit(submission(G1, c));
      if (third.outcome !== 'created') throw new Error(third.outcome);
      expect(third.record.level).toBe('strike');
      expect(third.counts.levels?.guild).toEqual({ leave: 1, strike: 2, share: 0 });
      expect(recordOf(await pledges.get(G1, a)).level).toBe('leave');
      const t = await pledges.totals(G1);
      expect(t).toMatchObject({ counted: 3, byLevel: { leave: 1, strike: 2, share: 0 } });
      expect((await pledges.campaignTotals()).byLevel).toMatchObject({ leave: 1, strike: 2 });
    });

    it('GIVEN a share declaration THEN it takes a number, needs no image, is counted apart and not in counted, daily, byStatus or the servers count', async () => {
      const { pledges } = await service();
      const before = await pledges.campaignTotals();
      const member = user();
      const res = await pledges.declareShare({ guildId: G2, userId: member, interactionId: ix() });
      if (res.outcome !== 'created') throw new Error(res.outcome);
      expect(res.record).toMatchObject({ pledgeId: 1, level: 'share', status: 'verified', evidence: null, version: 1 });
      expect(res.record.reviewedAt).toBeUndefined();
      expect(res.counts.guild).toEqual({ before: 0, after: 0 });
      expect(await pledges.totals(G2)).toMatchObject({
        counted: 0,
        byStatus: { pending: 0, verified: 0, rejected: 0, withdrawn: 0 },
        byLevel: { leave: 0, strike: 0, share: 1 },
        daily: {},
      });
      const after = await pledges.campaignTotals();
      expect(after.byLevel.share - before.byLevel.share).toBe(1);
      expect(after.counted).toBe(before.counted);
      expect(after.servers).toBe(before.servers);

      // Declaring again changes nothing; the same interaction delivered twice neither.
      expect((await pledges.declareShare({ guildId: G2, userId: member, interactionId: ix() })).outcome).toBe('unchanged');
      const again = ix();
      const other = user();
      expect((await pledges.declareShare({ guildId: G2, userId: other, interactionId: again })).outcome).toBe('created');
      expect((await pledges.declareShare({ guildId: G2, userId: other, interactionId: again })).outcome).toBe('duplicate-interaction');
      expect((await pledges.totals(G2)).byLevel.share).toBe(2);
      expect((await pledges.reconcile(G2)).guilds[0]?.fixes).toEqual([]);
    });

    it('GIVEN a share THEN a screenshot raises it to a pledge: same number, a new pledge date, counted from then on', async () => {
      const { pledges, clock } = await service();
      const member = user();
      await pledges.declareShare({ guildId: G1, userId: member, interactionId: ix() });
      const share = recordOf(await pledges.get(G1, member));
      clock.advance(86_400_000);
      const t0 = await pledges.totals(G1);
      const res = await pledges.submit(submission(G1, member));
      if (res.outcome !== 'created') throw new Error(res.outcome);
      expect(res.record).toMatchObject({ pledgeId: share.pledgeId, level: 'strike', status: 'pending', version: 2, createdAt: '2026-03-02T09:00:00.000Z' });
      expect(res.previousLevel).toBe('share');
      // A share is not a pledge: this is the member's first pledge.
      expect(res.previousStatus).toBeNull();
      expect(res.counts.guild).toEqual({ before: t0.counted, after: t0.counted + 1 });
      const t1 = await pledges.totals(G1);
      expect(t1.byLevel.share).toBe(t0.byLevel.share - 1);
      expect(t1.byLevel.strike).toBe(t0.byLevel.strike + 1);
      expect(t1.daily['2026-03-02']).toBe((t0.daily['2026-03-02'] ?? 0) + 1);
      expect((await pledges.reconcile(G1)).guilds[0]?.fixes).toEqual([]);
    });

    it('GIVEN a verified strike THEN level leave with a new screenshot raises it: same pledge and date, back to review, still counted', async () => {
      const { pledges, clock } = await service();
      const member = user();
      const first = await pledges.submit(submission(G1, member));
      if (first.outcome !== 'created') throw new Error(first.outcome);
      await pledges.review({ guildId: G1, pledgeId: first.record.pledgeId, expectedStatus: 'pending', decision: 'verified', reviewerId: MOD });
      clock.advance(3_600_000);
      const t0 = await pledges.totals(G1);
      const raised = await pledges.submit(submission(G1, member, { level: 'leave' }));
      if (raised.outcome !== 'replaced') throw new Error(raised.outcome);
      expect(raised.record).toMatchObject({ level: 'leave', status: 'pending', version: 2, createdAt: first.record.createdAt });
      expect(raised.previousLevel).toBe('strike');
      expect(raised.previousStatus).toBe('verified');
      expect(raised.counts.guild).toEqual({ before: t0.counted, after: t0.counted });
      const t1 = await pledges.totals(G1);
      expect(t1.byLevel.leave - t0.byLevel.leave).toBe(1);
      expect(t1.byLevel.strike - t0.byLevel.strike).toBe(-1);

      // Without a level, or with a lower one, a new screenshot keeps the level held: never lowered.
      for (const level of [undefined, 'strike'] as const) {
        const res = await pledges.submit(submission(G1, member, level ? { level } : {}));
        if (res.outcome !== 'replaced') throw new Error(res.outcome);
        expect(res.record.level).toBe('leave');
      }
      // And a verified leave stays as it is when the same level is sent again.
      const rec = recordOf(await pledges.get(G1, member));
      await pledges.review({ guildId: G1, pledgeId: rec.pledgeId, expectedStatus: 'pending', decision: 'verified', reviewerId: MOD });
      expect((await pledges.submit(submission(G1, member, { level: 'leave' }))).outcome).toBe('unchanged-verified');
      expect((await pledges.reconcile(G1)).guilds[0]?.fixes).toEqual([]);
    });

    it('GIVEN a pledge THEN declaring a share changes nothing; after a withdrawal or a rejection it records the share and erases the screenshot data', async () => {
      const { pledges, store } = await service();
      const member = user();
      const sub = submission(G1, member);
      const first = await pledges.submit(sub);
      if (first.outcome !== 'created') throw new Error(first.outcome);
      const refused = await pledges.declareShare({ guildId: G1, userId: member, interactionId: ix() });
      expect(refused).toMatchObject({ outcome: 'already-pledged', record: { level: 'strike', status: 'pending' } });

      await pledges.review({ guildId: G1, pledgeId: first.record.pledgeId, expectedStatus: 'pending', decision: 'rejected', reviewerId: MOD, reason: 'blurry' });
      expect(await store.kv.get(`hash:sha:${sub.evidence?.sha256}`)).toBeDefined();
      const shared = await pledges.declareShare({ guildId: G1, userId: member, interactionId: ix() });
      if (shared.outcome !== 'created') throw new Error(shared.outcome);
      expect(shared.previousStatus).toBe('rejected');
      expect(shared.record).toMatchObject({ pledgeId: first.record.pledgeId, level: 'share', evidence: null, note: '', version: 2 });
      expect(shared.record.rejectReason).toBeUndefined();
      expect(await store.kv.get(`hash:sha:${sub.evidence?.sha256}`)).toBeUndefined();

      // Withdrawn, then declared again: the same number.
      expect((await pledges.withdraw({ guildId: G1, userId: member })).ok).toBe(true);
      expect(recordOf(await pledges.get(G1, member))).toMatchObject({ status: 'withdrawn', level: 'share' });
      const back = await pledges.declareShare({ guildId: G1, userId: member, interactionId: ix() });
      expect(back).toMatchObject({ outcome: 'created', previousStatus: 'withdrawn', record: { pledgeId: first.record.pledgeId, version: 3 } });
      expect((await pledges.reconcile(G1)).guilds[0]?.fixes).toEqual([]);
    });

    it('GIVEN a share declaration THEN no review decision can touch it', async () => {
      const { pledges } = await service();
      const member = user();
      const res = await pledges.declareShare({ guildId: G1, userId: member, interactionId: ix() });
      if (res.outcome !== 'created') throw new Error(res.outcome);
      for (const [expectedStatus, decision] of [['verified', 'rejected'], ['pending', 'verified']] as const) {
        expect(await pledges.review({ guildId: G1, pledgeId: res.record.pledgeId, expectedStatus, decision, reviewerId: MOD })).toEqual({ ok: false, reason: 'not-found' });
      }
      expect(recordOf(await pledges.get(G1, member))).toMatchObject({ status: 'verified', level: 'share' });
    });

    it('GIVEN records and totals stored before levels existed THEN records read as strike, totals as all-strike, and a recount finds nothing to fix', async () => {
      const { pledges, store } = await service();
      const g = '444444444444444444';
      const nowIso = '2026-01-10T10:00:00.000Z';
      const members = [user(), user(), user()];
      for (const [i, member] of members.entries()) {
        // Exactly as an older version wrote them: no `level`.
        await store.kv.set(`pledge:${recordId(g, member)}`, {
          pledgeId: i + 1, guildId: g, userId: member, status: i === 2 ? 'withdrawn' : 'verified', platform: 'web', note: '',
          evidence: null, duplicateOf: [], createdAt: nowIso, updatedAt: nowIso, version: 1, interactionId: `old${i}`,
        });
        await store.kv.set(`pledge-num:${g}:${i + 1}`, { userId: member });
      }
      await store.kv.set(`pledge-seq:${g}`, { last: 3 });
      await store.kv.set(`guild-seq:all`, { last: 1 });
      await store.kv.set(`guild-idx:1`, { guildId: g });
      await store.kv.set(`guild-reg:${g}`, { n: 1 });
      const oldTotals = { byStatus: { pending: 0, verified: 2, rejected: 0, withdrawn: 1 }, counted: 2, daily: { '2026-01-10': 2 }, updatedAt: nowIso };
      await store.kv.set(`totals:${g}`, oldTotals);
      await store.kv.set('campaign-totals:all', { ...oldTotals, servers: 1 });

      expect(recordOf(await pledges.get(g, members[0]!)).level).toBe('strike');
      expect(recordOf(await pledges.get(g, members[2]!)).level).toBe('strike');
      expect((await pledges.totals(g)).byLevel).toEqual({ leave: 0, strike: 2, share: 0 });
      expect((await pledges.campaignTotals()).byLevel).toEqual({ leave: 0, strike: 2, share: 0 });
      const report = await pledges.reconcile();
      expect(report.guilds.flatMap((r) => r.fixes)).toEqual([]);
      expect(report.campaignFixes).toEqual([]);
      expect(report.repaired).toBe(false);

      // Such a member raising to leave moves one count from strike to leave, and the recount agrees.
      const raised = await pledges.submit(submission(g, members[0]!, { level: 'leave', evidence: evidence() }));
      expect(raised).toMatchObject({ outcome: 'replaced', previousLevel: 'strike', record: { level: 'leave', pledgeId: 1 } });
      expect((await pledges.totals(g)).byLevel).toEqual({ leave: 1, strike: 1, share: 0 });
      expect((await pledges.reconcile()).repaired).toBe(false);
    });

    it('GIVEN a damaged breakdown THEN reconcile names and fixes each level, and moves the campaign by the same difference', async () => {
      const { pledges, store } = await service();
      const g = '555555555555555555';
      await pledges.submit(submission(g, user(), { level: 'leave' }));
      await pledges.declareShare({ guildId: g, userId: user(), interactionId: ix() });
      const good = await pledges.totals(g);
      const campaign = await pledges.campaignTotals();
      await store.kv.set(`totals:${g}`, { ...good, byLevel: { leave: 0, strike: 3, share: 7 } });
      const report = await pledges.reconcile(g);
      expect(report.guilds[0]?.fixes).toEqual([`server ${g} level strike: 3 → 0`, `server ${g} level leave: 0 → 1`, `server ${g} level share: 7 → 1`].sort((a, b) => order(a) - order(b)));
      expect((await pledges.totals(g)).byLevel).toEqual({ leave: 1, strike: 0, share: 1 });
      const after = await pledges.campaignTotals();
      expect(after.byLevel.leave - campaign.byLevel.leave).toBe(1);
      expect(after.byLevel.strike - campaign.byLevel.strike).toBe(-3);
      expect(after.byLevel.share - campaign.byLevel.share).toBe(-6);
      // The campaign now carries the damage difference; the full recount puts it right again.
      expect((await pledges.reconcile()).campaign.byLevel).toEqual(campaign.byLevel);
    });
  });
}

/** describeDifferences lists levels in PLEDGE_LEVELS order: share, strike, leave. */
function order(line: string): number {
  return ['share', 'strike', 'leave'].findIndex((l) => line.includes(`level ${l}:`));
}

describe('store:verify with levels', () => {
  it('GIVEN pledges at every level THEN it prints the breakdown per server and for the campaign, and finds nothing to repair', async () => {
    const storeUrl = tempSqliteUrl();
    const store = await openTestStore(storeUrl, { namespace: 'quitgpt' });
    const pledges = new PledgeService({ store });
    await pledges.submit(submission(G1, user(), { level: 'leave' }));
    await pledges.submit(submission(G1, user()));
    await pledges.declareShare({ guildId: G1, userId: user(), interactionId: ix() });
    await store.close();
    const lines: string[] = [];
    const res = await runStoreVerify({ url: storeUrl, out: (l) => lines.push(l), log: recordingLogger().log });
    expect(res.exitCode).toBe(0);
    expect(lines).toContain(`server ${G1}: 2 counted, 3 pledges, 3 numbers: ok`);
    expect(lines).toContain('  by level: leave 1, strike 1; shares declared 1');
    expect(lines.at(-1)).toBe('nothing to repair');
  });
});
