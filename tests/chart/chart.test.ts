import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  DAILY_SIZE,
  dayRange,
  fontCovers,
  measureText,
  niceScale,
  PROGRESS_SIZE,
  renderDailyChartPng,
  renderProgressPng,
  textPath,
} from '../../src/render/chart.js';
import { milestonesStrings } from '../../src/milestones/strings.js';
import { statsStrings } from '../../src/stats/strings.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const END = new Date('2026-03-05T10:00:00Z');

async function expectPng(png: Buffer, size: { width: number; height: number }): Promise<void> {
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  const meta = await sharp(png).metadata();
  expect(meta.format).toBe('png');
  expect({ width: meta.width, height: meta.height }).toEqual(size);
}

type Region = { left: number; top: number; width: number; height: number };

/** The region's grey levels. (Cropped to a buffer first: sharp's stats() ignores a pending extract.) */
async function greyPixels(png: Buffer, region: Region): Promise<Buffer> {
  return sharp(png).extract(region).removeAlpha().greyscale().raw().toBuffer();
}

/** Standard deviation of the luminance in a region: ~0 for a flat background, high with text in it. */
async function regionStdev(png: Buffer, region: Region): Promise<number> {
  const px = await greyPixels(png, region);
  const mean = px.reduce((a, v) => a + v, 0) / px.length;
  return Math.sqrt(px.reduce((a, v) => a + (v - mean) ** 2, 0) / px.length);
}

/** Share of pixels in a region brighter than the dark background. */
async function brightShare(png: Buffer, region: Region): Promise<number> {
  const data = await greyPixels(png, region);
  let bright = 0;
  for (const v of data) if (v > 120) bright++;
  return bright / data.length;
}

function daily(days: number, perDay: (i: number) => number): Record<string, number> {
  return Object.fromEntries(dayRange(END, days).map((d, i) => [d, perDay(i)]));
}

describe('chart text', () => {
  it('GIVEN the shipped font THEN every character our chart strings use has a real glyph (no boxes)', () => {
    const samples = [
      ...Object.values(milestonesStrings).flatMap((s) => [s.chart.next('12 345'), s.chart.toGo('1 000'), s.chart.allReached, s.chart.guildTitle, s.chart.campaignTitle, s.chart.pledges(2)]),
      ...Object.values(statsStrings).flatMap((s) => [s.chart.title(30), s.chart.perDay, s.chart.total, s.chart.empty]),
      'févr. mars déc. août juil. 0123456789 ,.\u202f…',
    ];
    for (const text of samples) {
      expect(fontCovers(text), text).toBe(true);
      expect(fontCovers(text, true), text).toBe(true);
    }
  });

  it('GIVEN a string THEN it becomes a filled path, wider text measures wider, and blank text draws nothing', () => {
    expect(textPath('Next milestone: 100', 0, 20, { size: 20, fill: '#fff' })).toMatch(/^<path fill="#fff" d="M[\d.\- QLZM]+"\/>$/);
    expect(measureText('1,000', 20)).toBeGreaterThan(measureText('100', 20));
    expect(measureText('100', 40)).toBeCloseTo(2 * measureText('100', 20));
    expect(textPath('   ', 0, 20, { size: 20, fill: '#fff' })).toBe('');
  });

  it('GIVEN text longer than maxWidth THEN it is shrunk and cut to fit', () => {
    const long = 'A very long title that would never fit in the space given to it on the chart';
    const path = textPath(long, 0, 30, { size: 30, fill: '#fff', maxWidth: 300 });
    const xs = [...path.matchAll(/[MLQ ]?(-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]));
    expect(Math.max(...xs)).toBeLessThanOrEqual(301);
  });
});

describe('renderProgressPng', () => {
  it('GIVEN a count and a next threshold THEN an 800×300 PNG with visible text in the title and count areas', async () => {
    const png = await renderProgressPng({ count: 1234, next: 2500, previous: 1000, locale: 'en', title: 'QuitGPT · this server' });
    await expectPng(png, PROGRESS_SIZE);
    // Title band and big-number band: text pixels, not a flat background.
    expect(await regionStdev(png, { left: 40, top: 30, width: 360, height: 40 })).toBeGreaterThan(20);
    expect(await brightShare(png, { left: 40, top: 90, width: 240, height: 65 })).toBeGreaterThan(0.1);
    // Below the bar: "Next milestone: 2,500" at the right.
    expect(await regionStdev(png, { left: 480, top: 228, width: 280, height: 30 })).toBeGreaterThan(20);
    // The measure tells text from background: the same band is flat when the title is empty.
    const untitled = await renderProgressPng({ count: 1234, next: 2500, previous: 1000, locale: 'en', title: '' });
    expect(await regionStdev(untitled, { left: 40, top: 30, width: 360, height: 40 })).toBeLessThan(1);
  });

  it('GIVEN different counts THEN the images differ', async () => {
    const a = await renderProgressPng({ count: 10, next: 25, locale: 'en', title: 'T' });
    const b = await renderProgressPng({ count: 11, next: 25, locale: 'en', title: 'T' });
    expect(a.equals(b)).toBe(false);
    const ra = await sharp(a).raw().toBuffer();
    const rb = await sharp(b).raw().toBuffer();
    expect(ra.equals(rb)).toBe(false);
  });

  it('GIVEN zero, no next threshold, or nonsense numbers THEN it still renders', async () => {
    await expectPng(await renderProgressPng({ count: 0, next: 10, locale: 'fr', title: '' }), PROGRESS_SIZE);
    await expectPng(await renderProgressPng({ count: 20000, next: null, previous: 10000, locale: 'fr', title: 'QuitGPT' }), PROGRESS_SIZE);
    await expectPng(await renderProgressPng({ count: Number.NaN, next: 5, previous: 10, locale: 'en', title: '<script>&"' }), PROGRESS_SIZE);
  });

  it('GIVEN the same input twice THEN the same bytes (nothing depends on the machine or the clock)', async () => {
    const input = { count: 42, next: 50, previous: 25, locale: 'en' as const, title: 'Same' };
    expect((await renderProgressPng(input)).equals(await renderProgressPng(input))).toBe(true);
  });
});

describe('renderDailyChartPng', () => {
  it('GIVEN 30 days of data THEN an 800×400 PNG with bars, a line and labelled axes', async () => {
    const png = await renderDailyChartPng({ daily: daily(40, (i) => (i * 7) % 13), days: 30, locale: 'en', end: END });
    await expectPng(png, DAILY_SIZE);
    expect(await regionStdev(png, { left: 40, top: 25, width: 300, height: 35 })).toBeGreaterThan(20); // title
    expect(await regionStdev(png, { left: 20, top: 80, width: 45, height: 260 })).toBeGreaterThan(10); // left axis labels
    expect(await regionStdev(png, { left: 70, top: 340, width: 660, height: 30 })).toBeGreaterThan(10); // dates
    expect(await regionStdev(png, { left: 75, top: 95, width: 650, height: 230 })).toBeGreaterThan(20); // bars
  });

  it('GIVEN no data at all THEN it renders, with the "no pledges yet" notice', async () => {
    const png = await renderDailyChartPng({ daily: {}, days: 30, locale: 'fr', end: END });
    await expectPng(png, DAILY_SIZE);
    expect(await regionStdev(png, { left: 200, top: 170, width: 400, height: 50 })).toBeGreaterThan(15);
  });

  it('GIVEN different data THEN different images; GIVEN days before the window THEN the total line starts above zero', async () => {
    const a = await renderDailyChartPng({ daily: daily(30, () => 1), days: 30, locale: 'en', end: END });
    const b = await renderDailyChartPng({ daily: daily(30, (i) => (i === 29 ? 5 : 1)), days: 30, locale: 'en', end: END });
    expect(a.equals(b)).toBe(false);
    await expectPng(await renderDailyChartPng({ daily: { '2025-01-01': 500 }, days: 7, locale: 'en', end: END }), DAILY_SIZE);
  });

  it('GIVEN a day count out of range THEN it is clamped, not an error', async () => {
    await expectPng(await renderDailyChartPng({ daily: {}, days: 0, locale: 'en', end: END }), DAILY_SIZE);
    await expectPng(await renderDailyChartPng({ daily: {}, days: 5000, locale: 'en', end: END }), DAILY_SIZE);
  });
});

describe('chart helpers', () => {
  it('GIVEN maxima THEN axis tops are round whole-number steps at or above them', () => {
    expect(niceScale(0)).toEqual({ top: 4, step: 1 });
    expect(niceScale(3)).toEqual({ top: 4, step: 1 });
    expect(niceScale(25)).toEqual({ top: 32, step: 8 });
    expect(niceScale(600)).toEqual({ top: 600, step: 150 });
    for (const max of [1, 7, 99, 1234, 98765]) {
      const { top, step } = niceScale(max);
      expect(top).toBeGreaterThanOrEqual(max);
      expect(Number.isInteger(step)).toBe(true);
    }
  });

  it('GIVEN an end date THEN dayRange lists UTC days oldest first', () => {
    expect(dayRange(new Date('2026-03-01T23:59:59Z'), 3)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });
});
