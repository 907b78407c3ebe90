// The verification job queue over the real store: SQLite always, PostgreSQL/Redis when configured.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Store } from '../../src/store/index.js';
import { jobId, VerificationJobInputError, VerificationJobs, type JobContext, type JobHandler } from '../../src/verification/jobs.js';
import type { VerificationResult } from '../../src/verification/verifier.js';
import { openTestStore, persistentUrl, recordingLogger, storeCases, uniqueNamespace } from '../store/cases.js';

const RESULT: VerificationResult = { verdict: 'verified', score: 0.9, evidence: ['product: ChatGPT Plus', 'cancelled: Expires 5 March 2026'], textChars: 120, ms: 800 };
const IMAGE = Buffer.from('png bytes of a screenshot');
const ref = (pledgeId: number, version = 1) => ({ guildId: '100', pledgeId, version });
const input = (pledgeId: number, version = 1, image: Buffer | null = IMAGE) => ({ ...ref(pledgeId, version), userId: String(200 + pledgeId), ...(image ? { imageBytes: image } : {}) });

/** A handler that records its calls and answers RESULT (or what `answer` returns). */
function recorder(answer: (ctx: JobContext) => Promise<VerificationResult> = async () => RESULT) {
  const calls: JobContext[] = [];
  const handler: JobHandler = async (ctx) => {
    calls.push(ctx);
    return answer(ctx);
  };
  return { calls, handler };
}

const blobKey = (pledgeId: number, version = 1) => `verify-job:${jobId(ref(pledgeId, version))}`;

for (const [backend, url] of storeCases()) {
  describe(`VerificationJobs on ${backend}`, () => {
    const open = async (u = url, namespace?: string): Promise<Store> => openTestStore(u, { log: recordingLogger().log, ...(namespace ? { namespace } : {}) });

    it('enqueue records the job and its image durably, once per (pledge, version)', async () => {
      const u = persistentUrl(backend, url);
      const ns = uniqueNamespace('vj');
      const store = await open(u, ns);
      const jobs = new VerificationJobs(store);
      const first = await jobs.enqueue(input(1));
      expect(first.created).toBe(true);
      expect(first.job).toMatchObject({ id: '100:1:1', state: 'pending', hasImage: true, userId: '201' });
      // Read back through a second store on the same database, without closing the first.
      const other = await open(u, ns);
      const seen = new VerificationJobs(other);
      expect(await seen.get(ref(1))).toMatchObject({ state: 'pending' });
      expect(await other.blobs.get(blobKey(1))).toEqual(IMAGE);
      expect(await seen.pendingIds()).toEqual(['100:1:1']);

      const again = await jobs.enqueue(input(1, 1, Buffer.from('another image')));
      expect(again.created).toBe(false);
      expect(await store.blobs.get(blobKey(1))).toEqual(IMAGE);
      expect((await jobs.enqueue(input(1, 2))).created).toBe(true);
      expect(await jobs.pendingIds()).toEqual(['100:1:1', '100:1:2']);
    });

    it('runPending runs each job exactly once, stores the result with the state, and deletes the image', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store);
      for (const n of [1, 2, 3]) await jobs.enqueue(input(n));
      await jobs.enqueue(input(4, 1, null));
      const { calls, handler } = recorder();
      // Two runners at once (a restart pass and a fresh enqueue's run) must not double a job.
      const [a, b] = await Promise.all([jobs.runPending(handler), jobs.runPending(handler)]);
      expect(a.done + b.done).toBe(4);
      expect(calls.map((c) => c.pledgeId).sort()).toEqual([1, 2, 3, 4]);
      expect(calls.find((c) => c.pledgeId === 1)?.image).toEqual(IMAGE);
      expect(calls.find((c) => c.pledgeId === 4)?.image).toBeUndefined();
      for (const n of [1, 2, 3, 4]) {
        const job = await jobs.get(ref(n));
        expect(job).toMatchObject({ state: 'done', result: RESULT });
        expect(job?.finishedAt).toBeDefined();
        expect(await store.blobs.get(blobKey(n))).toBeUndefined();
      }
      expect(await jobs.pendingIds()).toEqual([]);
      expect(await jobs.runPending(handler)).toEqual({ done: 0, failed: 0, interrupted: 0, cleaned: 0 });
      expect(calls).toHaveLength(4);
      // A finished job is never enqueued again for the same version.
      expect((await jobs.enqueue(input(1))).created).toBe(false);
      expect(await store.blobs.get(blobKey(1))).toBeUndefined();
    });

    it('run() does one job now; a second run() of it does nothing', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store);
      await jobs.enqueue(input(7));
      const { calls, handler } = recorder();
      expect(await jobs.run(ref(7), handler)).toMatchObject({ state: 'done', result: RESULT });
      expect(await jobs.run(ref(7), handler)).toMatchObject({ state: 'done' });
      expect(calls).toHaveLength(1);
      expect(await jobs.run(ref(8), handler)).toBeUndefined();
    });

    it('a handler that throws marks the job failed (pledge stays pending) and still deletes the image', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store);
      await jobs.enqueue(input(1));
      const { handler } = recorder(async () => {
        throw new Error('OCR worker crashed');
      });
      expect(await jobs.runPending(handler)).toMatchObject({ done: 0, failed: 1 });
      expect(await jobs.get(ref(1))).toMatchObject({ state: 'failed', error: 'OCR worker crashed' });
      expect(await store.blobs.get(blobKey(1))).toBeUndefined();
      expect(await jobs.pendingIds()).toEqual([]);
    });

    it('a handler that outlives the timeout marks the job failed; its late result is discarded', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store, { timeoutMs: 100 });
      await jobs.enqueue(input(1));
      let release: () => void = () => {};
      let aborted = false;
      const { handler } = recorder(
        (ctx) =>
          new Promise<VerificationResult>((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
            });
            release = () => resolve(RESULT);
          }),
      );
      expect(await jobs.runPending(handler)).toMatchObject({ failed: 1 });
      expect(aborted).toBe(true);
      release();
      await new Promise((r) => setTimeout(r, 20));
      expect(await jobs.get(ref(1))).toMatchObject({ state: 'failed', error: 'timeout' });
    });

    it('a result that does not fit the schema fails the job rather than storing it', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store);
      await jobs.enqueue(input(1));
      const { handler } = recorder(async () => ({ ...RESULT, score: 7 }));
      await jobs.runPending(handler);
      expect(await jobs.get(ref(1))).toMatchObject({ state: 'failed' });
    });

    it('cancel ends a waiting job and deletes its image; it is then never run', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store);
      await jobs.enqueue(input(1));
      expect(await jobs.cancel(ref(1))).toMatchObject({ state: 'failed', error: 'cancelled' });
      expect(await store.blobs.get(blobKey(1))).toBeUndefined();
      const { calls, handler } = recorder();
      await jobs.runPending(handler);
      expect(calls).toHaveLength(0);
      expect(await jobs.cancel(ref(2))).toBeUndefined();
    });

    it('forget erases a job in any state: its record (member id, OCR lines), image and index entry', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store);
      await jobs.enqueue(input(1)); // waiting
      await jobs.enqueue(input(2)); // finished below, with its OCR lines
      await jobs.run(ref(2), recorder().handler);
      expect(await jobs.get(ref(2))).toMatchObject({ state: 'done', result: { evidence: RESULT.evidence } });
      await jobs.forget(ref(1));
      await jobs.forget(ref(2));
      await jobs.forget(ref(3)); // never existed: nothing to do, no error
      for (const n of [1, 2]) {
        expect(await jobs.get(ref(n))).toBeUndefined();
        expect(await store.blobs.get(blobKey(n))).toBeUndefined();
      }
      expect(await jobs.pendingIds()).toEqual([]);
      const { calls, handler } = recorder();
      await jobs.runPending(handler);
      expect(calls).toHaveLength(0);
    });

    it('forget while the job runs: the run ends without writing its result back, and the image goes', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store);
      await jobs.enqueue(input(1));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const run = jobs.run(ref(1), async () => {
        started();
        await gate;
        return RESULT;
      });
      await running;
      expect(await jobs.get(ref(1))).toMatchObject({ state: 'running' });
      await jobs.forget(ref(1));
      release();
      expect(await run).toBeUndefined();
      expect(await jobs.get(ref(1))).toBeUndefined();
      expect(await store.blobs.get(blobKey(1))).toBeUndefined();
      expect(await jobs.pendingIds()).toEqual([]);
    });

    it('refuses invalid input before writing anything', async () => {
      const store = await open();
      const jobs = new VerificationJobs(store);
      await expect(jobs.enqueue({ guildId: 'x', userId: '1', pledgeId: 1, version: 1 })).rejects.toThrow(VerificationJobInputError);
      await expect(jobs.enqueue({ guildId: '1', userId: '1', pledgeId: 0, version: 1 })).rejects.toThrow(VerificationJobInputError);
      await expect(jobs.enqueue({ ...input(1), imageBytes: Buffer.alloc(16 * 1024 * 1024 + 1) })).rejects.toThrow(VerificationJobInputError);
      expect(await jobs.pendingIds()).toEqual([]);
    });
  });
}

describe('VerificationJobs across a restart (SQLite file)', () => {
  it('pending jobs run after a restart; a job the dead process was running is failed, not run twice', async () => {
    const url = persistentUrl('sqlite', 'sqlite://:memory:');
    const ns = uniqueNamespace('vj');
    const before = new VerificationJobs(await openTestStore(url, { namespace: ns, log: recordingLogger().log }));
    await before.enqueue(input(1));
    await before.enqueue(input(2));
    // The first process claims job 1 and "dies" inside the handler (it never returns).
    const started = new Promise<void>((resolve) => {
      void before.run(ref(1), () => {
        resolve();
        return new Promise<VerificationResult>(() => {});
      });
    });
    await started;

    const storeAfter = await openTestStore(url, { namespace: ns, log: recordingLogger().log });
    const after = new VerificationJobs(storeAfter);
    expect(await after.get(ref(1))).toMatchObject({ state: 'running', runner: before.runnerId });
    const { calls, handler } = recorder();
    expect(await after.runPending(handler)).toEqual({ done: 1, failed: 0, interrupted: 1, cleaned: 0 });
    expect(calls.map((c) => c.pledgeId)).toEqual([2]);
    expect(await after.get(ref(1))).toMatchObject({ state: 'failed', error: 'interrupted' });
    expect(await after.get(ref(2))).toMatchObject({ state: 'done', result: RESULT });
    expect(await storeAfter.blobs.get(blobKey(1))).toBeUndefined();
    expect(await after.pendingIds()).toEqual([]);
  });

  it('an enqueue that crashed before writing its record leaves nothing behind after runPending', async () => {
    const url = persistentUrl('sqlite', 'sqlite://:memory:');
    const ns = uniqueNamespace('vj');
    const store = await openTestStore(url, { namespace: ns, log: recordingLogger().log });
    // What enqueue writes first (index entry, then image), without the record that comes last.
    await store.collection('verify-jobs', z.object({ ids: z.array(z.string()) })).write('pending', { ids: ['100:9:1'] });
    await store.blobs.put(blobKey(9), IMAGE);
    const jobs = new VerificationJobs(store);
    const { calls, handler } = recorder();
    expect(await jobs.runPending(handler)).toEqual({ done: 0, failed: 0, interrupted: 0, cleaned: 1 });
    expect(calls).toHaveLength(0);
    expect(await store.blobs.get(blobKey(9))).toBeUndefined();
    expect(await jobs.pendingIds()).toEqual([]);
  });

  it('a job whose image vanished fails with a reason instead of verifying nothing', async () => {
    const store = await openTestStore('sqlite://:memory:', { namespace: uniqueNamespace('vj'), log: recordingLogger().log });
    const jobs = new VerificationJobs(store);
    await jobs.enqueue(input(3));
    await store.blobs.delete(blobKey(3));
    const { calls, handler } = recorder();
    await jobs.runPending(handler);
    expect(calls).toHaveLength(0);
    expect(await jobs.get(ref(3))).toMatchObject({ state: 'failed', error: 'image missing' });
  });
});
