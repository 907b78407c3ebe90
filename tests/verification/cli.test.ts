// `verify-screenshot` as npm runs it (compiled, in its own process) and in-process.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runVerifyScreenshot } from '../../src/scripts/verify-screenshot.js';
import { SAMPLE_DIR } from '../fixtures/screenshots/generate.js';
import { tempDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'scripts', 'verify-screenshot.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('verify-screenshot CLI', () => {
  it('prints one JSON line per readable file and exits 2 when any input is unreadable', async () => {
    const dir = tempDir('quitgpt-cli-');
    const garbage = join(dir, 'garbage.png');
    writeFileSync(garbage, 'this is not an image');
    const good = join(SAMPLE_DIR, 'sample-ios-cancelled-en.png');
    const { code, stdout, stderr } = await run([good, garbage, join(dir, 'missing.png')]);
    expect(code).toBe(2);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['file', 'verdict', 'score', 'evidence', 'text_chars', 'ms']);
    expect(line).toMatchObject({ file: good, verdict: 'verified' });
    expect(stderr).toMatch(/garbage\.png: unreadable/);
    expect(stderr).toMatch(/missing\.png: unreadable/);
    // Tesseract's own diagnostics stay out of the output.
    expect(stderr).not.toMatch(/Estimating resolution/);
  });

  it('exits 0 with lines in the order given; --text adds the OCR text', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const files = ['sample-notes-pledge-en.png', 'sample-play-cancelled-fr-dark.png'].map((f) => join(SAMPLE_DIR, f));
    const code = await runVerifyScreenshot(files, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) }, { text: true });
    expect(code).toBe(0);
    expect(err).toEqual([]);
    const parsed = out.map((l) => JSON.parse(l) as { file: string; verdict: string; text: string });
    expect(parsed.map((p) => [p.file, p.verdict])).toEqual([
      [files[0], 'review'],
      [files[1], 'verified'],
    ]);
    expect(parsed[1]?.text).toMatch(/ChatGPT/);
  });

  it('without files: usage on stderr, exit 2', async () => {
    const err: string[] = [];
    expect(await runVerifyScreenshot([], { stdout: () => {}, stderr: (l) => err.push(l) })).toBe(2);
    expect(err[0]).toMatch(/^usage:/);
  });
});
