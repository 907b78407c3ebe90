// Locations the benchmark needs whether it runs compiled (dist/bench/*.js, `npm run bench`) or from
// source (vitest imports bench/*.ts): both children always run from dist/, which the build produces.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
/** The bot exactly as `npm start` runs it. */
export const BOT_ENTRY = path.join(REPO_ROOT, 'dist', 'src', 'index.js');
export const BASELINE_ENTRY = path.join(REPO_ROOT, 'dist', 'bench', 'baseline.js');
export const GC_PROBE = path.join(REPO_ROOT, 'dist', 'bench', 'gc-probe.js');
export const HEAP_SAMPLER = path.join(REPO_ROOT, 'dist', 'bench', 'heap-sampler.js');
export const KB_DIR = path.join(REPO_ROOT, 'kb');
export const SCREENSHOT_PNG = path.join(REPO_ROOT, 'tests', 'fixtures', 'images', 'valid-screenshot.png');
