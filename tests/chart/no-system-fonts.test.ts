// A fresh server may have no fonts: SVG <text> then renders as nothing, silently. The charts draw
// text from the shipped font as paths, so they must come out byte-identical in a process whose
// fontconfig sees no font at all. Runs the compiled charts (dist/, built by the test setup).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDailyChartPng, renderProgressPng } from '../../src/render/chart.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'quitgpt-nofonts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROGRESS = { count: 1234, next: 2500, previous: 1000, locale: 'fr', title: 'QuitGPT · élan' } as const;
const DAILY = { daily: { '2026-03-01': 3, '2026-03-04': 8 }, days: 30, locale: 'en', end: new Date('2026-03-05T10:00:00Z') } as const;

const script = `
import sharp from 'sharp';
import { renderProgressPng, renderDailyChartPng } from './dist/src/render/chart.js';
const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><rect width="200" height="60" fill="#000"/>'
  + '<text x="10" y="40" font-size="30" fill="#fff" font-family="DejaVu Sans, sans-serif">Hello</text></svg>';
const textStdev = (await sharp(Buffer.from(svg)).greyscale().stats()).channels[0].stdev;
const progress = await renderProgressPng(${JSON.stringify(PROGRESS)});
const daily = await renderDailyChartPng({ ...${JSON.stringify({ ...DAILY, end: undefined })}, end: new Date(${JSON.stringify(DAILY.end.toISOString())}) });
process.stdout.write(JSON.stringify({ textStdev, progress: progress.toString('base64'), daily: daily.toString('base64') }));
`;

describe('charts on a machine without fonts', () => {
  it('GIVEN fontconfig with no fonts (where SVG <text> draws nothing) THEN the charts are identical to here', async () => {
    const conf = join(dir, 'fonts.conf');
    writeFileSync(conf, `<?xml version="1.0"?>\n<fontconfig><cachedir>${join(dir, 'cache')}</cachedir></fontconfig>\n`);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, FONTCONFIG_FILE: conf, FONTCONFIG_PATH: dir },
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const child = JSON.parse(out) as { textStdev: number; progress: string; daily: string };
    // The control: in that process, ordinary SVG text really is invisible.
    expect(child.textStdev).toBe(0);
    expect(Buffer.from(child.progress, 'base64').equals(await renderProgressPng(PROGRESS))).toBe(true);
    expect(Buffer.from(child.daily, 'base64').equals(await renderDailyChartPng(DAILY))).toBe(true);
  });
});
