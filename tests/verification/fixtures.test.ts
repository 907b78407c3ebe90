// The labelled screenshot set itself: big and varied enough to measure with, and reproducible.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { generateScreenshots, screenshotCases } from '../fixtures/screenshots/generate.js';
import { tempDir } from './helpers.js';

describe('synthetic screenshot set', () => {
  const cases = screenshotCases();

  it('has at least 60 labelled cases covering every template, language, theme, size and degradation', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(cases.filter((c) => c.expected === 'verified').length).toBeGreaterThanOrEqual(30);
    expect(cases.filter((c) => c.expected !== 'verified').length).toBeGreaterThanOrEqual(25);
    const values = (k: 'lang' | 'theme' | 'device' | 'degrade' | 'template') => new Set(cases.map((c) => c[k]));
    expect(values('lang')).toEqual(new Set(['en', 'fr']));
    expect(values('theme')).toEqual(new Set(['light', 'dark']));
    expect(values('device')).toEqual(new Set(['iphone', 'android', 'desktop', 'desktop-hd', 'desktop-retina']));
    expect(values('degrade')).toEqual(new Set(['png', 'jpeg', 'downscale', 'crop', 'thumbnail']));
    for (const t of ['chat', 'streaming-cancelled', 'photo', 'blank', 'notes-pledge'] as const) expect(values('template').has(t)).toBe(true);
    // Positives in both languages and themes, on phones and desktops.
    const pos = cases.filter((c) => c.expected === 'verified');
    expect(new Set(pos.map((c) => `${c.lang}-${c.theme}`)).size).toBe(4);
    expect(pos.some((c) => c.device === 'iphone') && pos.some((c) => c.device.startsWith('desktop'))).toBe(true);
    expect(screenshotCases()).toEqual(cases);
  });

  it('renders real text with the packaged fonts, identically every time', async () => {
    const a = await generateScreenshots(tempDir('quitgpt-gen-a-'), { ids: ['notes-pledge-1', 'blank-1'] });
    const b = await generateScreenshots(tempDir('quitgpt-gen-b-'), { ids: ['notes-pledge-1'] });
    const [notesA, blank] = a;
    const [notesB] = b;
    if (!notesA || !blank || !notesB) throw new Error('missing output');
    expect(notesA).toMatchObject({ width: 1170, height: 2532, expected: 'review' });
    expect((await readFile(notesA.file)).equals(await readFile(notesB.file))).toBe(true);
    // Text draws dark pixels on the white note; the blank image has none.
    const dark = async (file: string) => {
      const { data } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
      return data.filter((v) => v < 100).length;
    };
    expect(await dark(notesA.file)).toBeGreaterThan(5000);
    expect(await dark(blank.file)).toBe(0);
  });

  it('refuses an unknown id rather than silently generating less', async () => {
    await expect(generateScreenshots(tempDir('quitgpt-gen-c-'), { ids: ['no-such-case'] })).rejects.toThrow(/unknown screenshot ids/);
  });
});
