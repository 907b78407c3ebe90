// Nothing tesseract.js or its worker thread does may take the bot down: every failure becomes a
// rejected job, the worker is replaced, and the next job works. Also proves the pool runs offline.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOcrPool, OcrError, OcrTimeoutError, OcrUnavailableError, type OcrPool } from '../../src/verification/pool.js';
import { prepareForOcr, UnreadableImageError } from '../../src/verification/preprocess.js';
import { createScreenshotVerifier, defaultPrepareOptions } from '../../src/verification/verifier.js';
import { FAULT, faultyWorkerScript, sample, watchProcess, type ProcessEvents } from './helpers.js';

let events: ProcessEvents;
let pool: OcrPool;
let samplePgm: Buffer;

beforeAll(async () => {
  events = watchProcess();
  samplePgm = (await prepareForOcr(sample('sample-ios-cancelled-en.png'), defaultPrepareOptions())).pgm;
  // English only and one worker: these tests are about failures, and start-up time is theirs.
  pool = await createOcrPool({ size: 1, langs: ['eng'], workerScript: faultyWorkerScript() });
});

afterAll(async () => {
  await pool.close();
  // Give late thread events a moment to arrive before looking.
  await new Promise((r) => setTimeout(r, 200));
  events.stop();
  for (const e of [...events.uncaught, ...events.unhandled]) console.error('PROCESS EVENT', e);
  expect(events.uncaught).toEqual([]);
  expect(events.unhandled).toEqual([]);
});

async function stillWorks(): Promise<void> {
  const r = await pool.recognize(samplePgm);
  expect(r.text).toMatch(/ChatGPT/);
}

describe('OCR pool under worker failures', () => {
  it('works offline: models and core load from node_modules with the network unreachable in the thread', async () => {
    // The worker script replaces fetch/http/https/net with functions that throw.
    await stillWorks();
    // tesseract.js's default cache would have written the models into the working directory.
    expect(existsSync(join(process.cwd(), 'eng.traineddata'))).toBe(false);
    expect(existsSync(join(process.cwd(), 'fra.traineddata'))).toBe(false);
  });

  it('garbage bytes: tesseract.js rejects (and would throw without errorHandler); the job fails, the process survives', async () => {
    const before = pool.stats().replaced;
    await expect(pool.recognize(Buffer.from('garbage: not an image at all'))).rejects.toThrow(OcrError);
    expect(pool.stats().replaced).toBe(before + 1);
    await stillWorks();
  });

  it('an exception thrown later inside the thread rejects the job and replaces the worker', async () => {
    const before = pool.stats().replaced;
    await expect(pool.recognize(FAULT.throwLater)).rejects.toThrow(/injected failure inside the worker thread/);
    expect(pool.stats().replaced).toBe(before + 1);
    await stillWorks();
  });

  it('an unhandled rejection inside the thread rejects the job and replaces the worker', async () => {
    await expect(pool.recognize(FAULT.rejectLater)).rejects.toThrow(/injected rejection/);
    await stillWorks();
  });

  it('a thread that exits rejects the job and is replaced', async () => {
    await expect(pool.recognize(FAULT.exit)).rejects.toThrow(/exited \(code 3\)/);
    await stillWorks();
  });

  it('a recognition that hangs times out; the worker is terminated and replaced, and the job queued behind it runs', async () => {
    const before = pool.stats();
    const started = Date.now();
    const hung = pool.recognize(FAULT.hang, { timeoutMs: 1000 });
    const next = pool.recognize(samplePgm);
    await expect(hung).rejects.toThrow(OcrTimeoutError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await next).text).toMatch(/ChatGPT/);
    const after = pool.stats();
    expect(after.timedOut).toBe(before.timedOut + 1);
    expect(after.replaced).toBe(before.replaced + 1);
  });
});

describe('OCR pool start-up and shutdown', () => {
  it('a worker that cannot start makes createOcrPool reject, without crashing the process', async () => {
    await expect(createOcrPool({ size: 1, langs: ['eng'], workerScript: faultyWorkerScript({ failAtLoad: true }), startTimeoutMs: 2000 })).rejects.toThrow(
      OcrUnavailableError,
    );
  });

  it('close() rejects jobs still waiting and refuses new ones', async () => {
    const p = await createOcrPool({ size: 1, langs: ['eng'] });
    const [running, waiting] = await Promise.allSettled([p.recognize(samplePgm), p.recognize(samplePgm), p.close()]);
    expect(running).toMatchObject({ status: 'rejected', reason: expect.any(OcrError) });
    expect(waiting).toMatchObject({ status: 'rejected', reason: expect.any(OcrUnavailableError) });
    await expect(p.recognize(samplePgm)).rejects.toThrow(OcrUnavailableError);
  });

  it('close() while a replacement worker is still starting ends at once', async () => {
    const p = await createOcrPool({ size: 1, langs: ['eng'], workerScript: faultyWorkerScript() });
    await expect(p.recognize(FAULT.exit)).rejects.toThrow(OcrError);
    const started = Date.now();
    await p.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(p.stats()).toMatchObject({ idle: 0, busy: 0, starting: 0 });
  });

  it('a full queue refuses at once instead of holding images in memory', async () => {
    const p = await createOcrPool({ size: 1, langs: ['eng'], maxQueue: 1 });
    const jobs = [p.recognize(samplePgm), p.recognize(samplePgm)];
    await expect(p.recognize(samplePgm)).rejects.toThrow(/queue is full/);
    await Promise.all(jobs);
    await p.close();
  });

  it('the verifier refuses what is not an image before any worker sees it', async () => {
    const verifier = await createScreenshotVerifier({ pool });
    const before = pool.stats().completed + pool.stats().failed;
    await expect(verifier.verify(Buffer.from('%PDF-1.4 not a screenshot'))).rejects.toThrow(UnreadableImageError);
    await expect(verifier.verify(Buffer.alloc(0))).rejects.toThrow(UnreadableImageError);
    expect(pool.stats().completed + pool.stats().failed).toBe(before);
    await verifier.close();
    // A verifier given a pool leaves it running.
    await stillWorks();
  });
});
