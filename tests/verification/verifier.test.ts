// The whole path on rendered screenshots: sharp normalization, the worker pool, scoring. A handful
// of images from the labelled set (bench/ocr.ts runs all of them).
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareForOcr } from '../../src/verification/preprocess.js';
import { createScreenshotVerifier, defaultPrepareOptions, type ScreenshotVerifier } from '../../src/verification/verifier.js';
import { generateScreenshots, type GeneratedScreenshot } from '../fixtures/screenshots/generate.js';
import { sample, tempDir, watchProcess, type ProcessEvents } from './helpers.js';

const IDS = ['ios-list-cancelled-4', 'web-cancelled-3', 'play-cancelled-1', 'web-active-1', 'notes-claim-2', 'blank-2'];

let shots: GeneratedScreenshot[];
let verifier: ScreenshotVerifier;
let events: ProcessEvents;

beforeAll(async () => {
  events = watchProcess();
  [shots, verifier] = await Promise.all([generateScreenshots(tempDir('quitgpt-shots-'), { ids: IDS }), createScreenshotVerifier({ size: 2 })]);
});

afterAll(async () => {
  await verifier?.close();
  events.stop();
  expect(events.uncaught).toEqual([]);
  expect(events.unhandled).toEqual([]);
});

describe('screenshot verifier', () => {
  it('gives each labelled screenshot its verdict (EN/FR, light/dark, phone/desktop, crop/JPEG/downscale)', async () => {
    expect(shots.map((s) => s.id).sort()).toEqual([...IDS].sort());
    const results = await Promise.all(shots.map(async (s) => ({ s, r: await verifier.verify(await readFile(s.file)) })));
    for (const { s, r } of results) {
      expect(r.verdict, `${s.id}: ${JSON.stringify(r.evidence)}`).toBe(s.expected);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      expect(r.ms).toBeGreaterThan(0);
    }
    const byId = new Map(results.map(({ s, r }) => [s.id, r]));
    expect(byId.get('blank-2')?.textChars).toBe(0);
    expect(byId.get('ios-list-cancelled-4')?.evidence).toEqual(expect.arrayContaining([expect.stringMatching(/^product: ChatGPT/), expect.stringMatching(/^cancelled: Expire le/)]));
    expect(byId.get('web-active-1')?.evidence).toEqual(expect.arrayContaining([expect.stringMatching(/^renewing: /)]));
  });

  it('a duplicate is never verified, however strong the evidence', async () => {
    const img = sample('sample-ios-cancelled-en.png');
    expect((await verifier.verify(img)).verdict).toBe('verified');
    const dup = await verifier.verify(img, { duplicate: true });
    expect(dup.verdict).toBe('review');
    expect(dup.evidence).toContain('duplicate: flagged by the caller');
  });

  it('detects dark screenshots by mean luminance and inverts them; scales to the working widths', async () => {
    const dark = await prepareForOcr(sample('sample-play-cancelled-fr-dark.png'), defaultPrepareOptions());
    const light = await prepareForOcr(sample('sample-ios-cancelled-en.png'), defaultPrepareOptions());
    expect(dark.inverted).toBe(true);
    expect(light.inverted).toBe(false);
    // 585 px phone captures are below the minimum width and scaled up to it.
    expect(light.width).toBe(600);
    const phone = shots.find((s) => s.id === 'play-cancelled-1');
    const desktop = shots.find((s) => s.id === 'web-active-1');
    if (!phone || !desktop) throw new Error('missing generated screenshots');
    expect((await prepareForOcr(await readFile(phone.file), defaultPrepareOptions())).width).toBe(700);
    expect((await prepareForOcr(await readFile(desktop.file), defaultPrepareOptions())).width).toBe(1440);
    expect(light.pgm.subarray(0, 2).toString()).toBe('P5');
  });
});
