// The automatic check's core over a real store (SQLite): how a verdict lands on a pledge
// (PledgeService.recordCheck), and PledgeChecks' handling of re-runs, failures, a disabled check and
// cancellation. The OCR itself is tested in verifier/pool tests and end to end in
// tests/e2e/pledge-verification.test.ts; here a scripted verifier stands in for it.
import { describe, expect, it } from 'vitest';
import { PledgeService, type PledgeCheck, type PledgeRecord } from '../../src/pledges/index.js';
import {
  CHECK_MAX_ATTEMPTS,
  OcrTimeoutError,
  PledgeChecks,
  VerificationJobs,
  jobId,
  type CheckNotice,
  type ScreenshotVerifier,
  type VerificationResult,
} from '../../src/verification/index.js';
import { openTestStore, persistentUrl, recordingLogger, uniqueNamespace } from '../store/cases.js';

const G = '100000000000000001';
const EVIDENCE = { sha256: 'a'.repeat(64), dhash: '0f0f0f0f0f0f0f0f', width: 585, height: 1266, format: 'png', bytes: 1000 };
const IMAGE = Buffer.from('png bytes');
const CLEAR: VerificationResult = { verdict: 'verified', score: 0.95, evidence: ['product: ChatGPT Plus', 'cancelled: Expires on 5 March 2026'], textChars: 300, ms: 700 };
const check = (verdict: PledgeCheck['verdict']): PledgeCheck => ({ verdict, score: 0.5, evidence: ['product: ChatGPT'], at: new Date().toISOString() });

let userSeq = 1;
async function setup(url = 'sqlite://:memory:', namespace = uniqueNamespace('pc')) {
  const store = await openTestStore(url, { namespace, log: recordingLogger().log });
  const pledges = new PledgeService({ store });
  const submit = async (evidence = EVIDENCE): Promise<PledgeRecord> => {
    const userId = `20000000000000${String(userSeq++).padStart(4, '0')}`;
    const r = await pledges.submit({ guildId: G, userId, interactionId: `ix${userSeq}`, platform: 'ios', note: '', evidence });
    if (r.outcome !== 'created') throw new Error(r.outcome);
    return r.record;
  };
  return { store, pledges, submit };
}

function scripted(answer: () => Promise<VerificationResult>): { verifier: ScreenshotVerifier; calls: number } {
  const state = { calls: 0 };
  const verifier = {
    pool: {} as ScreenshotVerifier['pool'],
    verify: async () => {
      state.calls += 1;
      return answer();
    },
    close: async () => undefined,
  };
  return {
    verifier,
    get calls() {
      return state.calls;
    },
  };
}

describe('PledgeService.recordCheck', () => {
  it('a clear verdict verifies a pending pledge with auto-verify on: reviewed, no moderator, counted as verified', async () => {
    const { pledges, submit } = await setup();
    const rec = await submit();
    const r = await pledges.recordCheck({ guildId: G, pledgeId: rec.pledgeId, version: 1, check: check('verified'), autoVerify: true });
    expect(r).toMatchObject({ ok: true, autoVerified: true, record: { status: 'verified', check: { verdict: 'verified' } } });
    expect(r.ok && r.record.reviewerId).toBeUndefined();
    expect(r.ok && r.record.reviewedAt).toBeDefined();
    const totals = await pledges.totals(G);
    expect(totals.byStatus).toMatchObject({ pending: 0, verified: 1 });
    expect(totals.counted).toBe(1);
  });

  it('with auto-verify off, or a doubtful verdict, the pledge stays pending and keeps the evidence for moderators', async () => {
    const { pledges, submit } = await setup();
    const a = await submit();
    const b = await submit({ ...EVIDENCE, sha256: 'b'.repeat(64), dhash: 'f0f0f0f0f0f0f0f0' });
    expect(await pledges.recordCheck({ guildId: G, pledgeId: a.pledgeId, version: 1, check: check('verified'), autoVerify: false })).toMatchObject({
      ok: true,
      autoVerified: false,
      record: { status: 'pending', check: { verdict: 'verified' } },
    });
    expect(await pledges.recordCheck({ guildId: G, pledgeId: b.pledgeId, version: 1, check: check('review'), autoVerify: true })).toMatchObject({
      ok: true,
      autoVerified: false,
      record: { status: 'pending', check: { verdict: 'review' } },
    });
    expect((await pledges.totals(G)).byStatus).toMatchObject({ pending: 2, verified: 0 });
  });

  it('a "leave" pledge is never verified automatically: the check reads cancellations, not account deletions', async () => {
    const { pledges, store } = await setup();
    const r = await pledges.submit({ guildId: G, userId: '200000000000009999', interactionId: 'ixleave', platform: 'web', note: '', evidence: EVIDENCE, level: 'leave' });
    if (r.outcome !== 'created') throw new Error(r.outcome);
    const checked = await pledges.recordCheck({ guildId: G, pledgeId: r.record.pledgeId, version: 1, check: check('verified'), autoVerify: true });
    expect(checked).toMatchObject({ ok: true, autoVerified: false, record: { status: 'pending', level: 'leave', check: { verdict: 'verified' } } });
    await store.close();
  });

  it('a possible duplicate is never verified automatically', async () => {
    const { pledges, submit } = await setup();
    await submit();
    const copy = await submit();
    expect(copy.duplicateOf.length).toBeGreaterThan(0);
    const r = await pledges.recordCheck({ guildId: G, pledgeId: copy.pledgeId, version: 1, check: check('verified'), autoVerify: true });
    expect(r).toMatchObject({ ok: true, autoVerified: false, record: { status: 'pending' } });
  });

  it('applies once, and never to a pledge that changed since the check began', async () => {
    const { pledges, submit } = await setup();
    const rec = await submit();
    expect(await pledges.recordCheck({ guildId: G, pledgeId: rec.pledgeId, version: 2, check: check('verified'), autoVerify: true })).toMatchObject({ ok: false, reason: 'changed' });
    expect(await pledges.recordCheck({ guildId: G, pledgeId: rec.pledgeId, version: 1, check: check('review'), autoVerify: true })).toMatchObject({ ok: true });
    expect(await pledges.recordCheck({ guildId: G, pledgeId: rec.pledgeId, version: 1, check: check('verified'), autoVerify: true })).toMatchObject({ ok: false, reason: 'already-checked' });
    expect(await pledges.recordCheck({ guildId: G, pledgeId: 999, version: 1, check: check('verified'), autoVerify: true })).toMatchObject({ ok: false, reason: 'not-found' });
    const decided = await submit({ ...EVIDENCE, sha256: 'c'.repeat(64), dhash: '3c3c3c3c3c3c3c3c' });
    await pledges.review({ guildId: G, pledgeId: decided.pledgeId, expectedStatus: 'pending', decision: 'rejected', reviewerId: '300000000000000001' });
    expect(await pledges.recordCheck({ guildId: G, pledgeId: decided.pledgeId, version: 1, check: check('verified'), autoVerify: true })).toMatchObject({ ok: false, reason: 'changed', record: { status: 'rejected' } });
  });
});

describe('PledgeChecks', () => {
  const options = (deps: Awaited<ReturnType<typeof setup>>, verifier: ScreenshotVerifier | null, notices: CheckNotice[], workers = 1) =>
    new PledgeChecks({
      store: deps.store,
      pledges: deps.pledges,
      workers,
      autoVerify: async () => true,
      onChecked: async (n) => void notices.push(n),
      log: recordingLogger().log as never,
      ...(verifier ? { startVerifier: async () => verifier } : {}),
    });

  it('enqueue + schedule: the verdict lands on the pledge, the member and card are told once, the image is deleted', async () => {
    const deps = await setup();
    const notices: CheckNotice[] = [];
    const v = scripted(async () => CLEAR);
    const checks = options(deps, v.verifier, notices);
    const rec = await deps.submit();
    const ref = await checks.enqueue(rec, IMAGE);
    checks.schedule(ref);
    await expect.poll(async () => (await checks.job(ref))?.state).toBe('done');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ autoVerified: true, record: { status: 'verified' }, check: { verdict: 'verified' } });
    expect(await deps.store.blobs.get(`verify-job:${jobId(ref)}`)).toBeUndefined();
    await checks.close();
  });

  it('an OCR timeout leaves the pledge pending with a "failed" check for the moderators, and the job failed', async () => {
    const deps = await setup();
    const notices: CheckNotice[] = [];
    const checks = options(deps, scripted(async () => Promise.reject(new OcrTimeoutError('recognition took longer than 20000 ms'))).verifier, notices);
    const rec = await deps.submit();
    const ref = await checks.enqueue(rec, IMAGE);
    checks.schedule(ref);
    await expect.poll(async () => (await checks.job(ref))?.state).toBe('failed');
    const found = await deps.pledges.get(G, rec.userId);
    expect(found.ok && found.record).toMatchObject({ status: 'pending', check: { verdict: 'failed', evidence: ['timeout'] } });
    expect(notices.map((n) => n.check.verdict)).toEqual(['failed']);
    await checks.close();
  });

  it('a job re-run after a crash that followed the verdict writes nothing new and only repeats the notice', async () => {
    const deps = await setup();
    const rec = await deps.submit();
    // The dead process stored the verdict, then died before marking its job done.
    await deps.pledges.recordCheck({ guildId: G, pledgeId: rec.pledgeId, version: 1, check: check('review'), autoVerify: true });
    const notices: CheckNotice[] = [];
    const v = scripted(async () => CLEAR);
    const checks = options(deps, v.verifier, notices);
    const ref = await checks.enqueue(rec, IMAGE);
    expect(await checks.runPending()).toMatchObject({ done: 1 });
    expect(v.calls, 'no second OCR').toBe(0);
    expect(notices).toMatchObject([{ check: { verdict: 'review' }, counts: null }]);
    const found = await deps.pledges.get(G, rec.userId);
    expect(found.ok && found.record).toMatchObject({ status: 'pending', check: { verdict: 'review' } });
    expect((await checks.job(ref))?.state).toBe('done');
  });

  it('with the check turned off (OCR_WORKERS=0), jobs left from before end as failed and their screenshots are deleted', async () => {
    const deps = await setup();
    const rec = await deps.submit();
    const ref = await options(deps, null, [], 1).enqueue(rec, IMAGE);
    const notices: CheckNotice[] = [];
    const off = options(deps, null, notices, 0);
    expect(off.enabled).toBe(false);
    expect(await off.runPending()).toMatchObject({ failed: 1 });
    expect(await deps.store.blobs.get(`verify-job:${jobId(ref)}`)).toBeUndefined();
    const found = await deps.pledges.get(G, rec.userId);
    expect(found.ok && found.record).toMatchObject({ status: 'pending', check: { verdict: 'failed', evidence: ['ocr-unavailable'] } });
  });

  it('cancel drops a queued job and its screenshot before it runs', async () => {
    const deps = await setup();
    const v = scripted(async () => CLEAR);
    const checks = options(deps, v.verifier, []);
    const rec = await deps.submit();
    const ref = await checks.enqueue(rec, IMAGE);
    await checks.cancel(ref);
    expect(await checks.job(ref)).toMatchObject({ state: 'failed', error: 'cancelled' });
    expect(await deps.store.blobs.get(`verify-job:${jobId(ref)}`)).toBeUndefined();
    checks.schedule(ref);
    await checks.close();
    expect(v.calls).toBe(0);
  });
});

describe('VerificationJobs with maxAttempts (the pledge flow’s idempotent handler)', () => {
  it('a job a dead process was running is run again, up to CHECK_MAX_ATTEMPTS claims, then failed as interrupted', async () => {
    const url = persistentUrl('sqlite', 'sqlite://:memory:');
    const ns = uniqueNamespace('vj');
    const ref = { guildId: G, pledgeId: 1, version: 1 };
    const hang = () => new Promise<VerificationResult>(() => {});
    // Each "process" claims the job and dies inside the handler.
    for (let attempt = 1; attempt <= CHECK_MAX_ATTEMPTS; attempt++) {
      const jobs = new VerificationJobs(await openTestStore(url, { namespace: ns, log: recordingLogger().log }), { maxAttempts: CHECK_MAX_ATTEMPTS });
      if (attempt === 1) await jobs.enqueue({ ...ref, userId: '200000000000000001', imageBytes: IMAGE });
      const started = new Promise<void>((resolve) => {
        void jobs.runPending(() => {
          resolve();
          return hang();
        });
      });
      await started;
      expect(await jobs.get(ref)).toMatchObject({ state: 'running', attempts: attempt, runner: jobs.runnerId });
    }
    const last = new VerificationJobs(await openTestStore(url, { namespace: ns, log: recordingLogger().log }), { maxAttempts: CHECK_MAX_ATTEMPTS });
    let called = false;
    expect(await last.runPending(async () => ((called = true), CLEAR))).toMatchObject({ interrupted: 1, done: 0 });
    expect(called).toBe(false);
    expect(await last.get(ref)).toMatchObject({ state: 'failed', error: 'interrupted' });
  });
});
