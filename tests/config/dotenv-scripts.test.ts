// `npm run kb:check` and `npm run store:verify` must check what `npm start` would load: the bot
// reads `.env`, so they do too. Run as programs (dist/, built by tests/setup/build.ts) from a
// folder holding only a `.env`, the way an operator runs them next to their own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BROKEN_KB = join(ROOT, 'tests/fixtures/kb-broken/several-problems');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folderWithEnv(dotenv: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'quitgpt-dotenv-'));
  dirs.push(dir);
  writeFileSync(join(dir, '.env'), dotenv);
  return dir;
}

function run(script: string, cwd: string) {
  // Only what a shell gives: none of the bot's variables leak in from the test's own environment.
  const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' };
  return spawnSync(process.execPath, [join(ROOT, 'dist/src/scripts', script)], { cwd, env, encoding: 'utf8', timeout: 20_000 });
}

describe('the maintenance scripts read .env like the bot', () => {
  it('GIVEN KB_DIR only in .env WHEN kb:check runs THEN it checks that folder, not ./kb', () => {
    const cwd = folderWithEnv(`KB_DIR=${BROKEN_KB}\n`);
    const res = run('kb-check.js', cwd);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('facts.yaml: topics.0.facts.0.text.fr: the French text is missing');
    expect(res.stderr).toContain('donors.yaml: donors.1.id: duplicate id "alpha" (already used at donors.0.id)');
  });

  it('GIVEN STORE_URL only in .env WHEN store:verify runs THEN it opens that store, not the default file', () => {
    const dbDir = mkdtempSync(join(tmpdir(), 'quitgpt-dotenv-store-'));
    dirs.push(dbDir);
    const db = join(dbDir, 'real.sqlite');
    const cwd = folderWithEnv(`STORE_URL=sqlite://${db}\n`);
    const res = run('store-verify.js', cwd);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout.split('\n')[0]).toContain(db);
    expect(res.stdout).toContain('nothing to repair');
    expect(existsSync(join(cwd, 'data')), 'the default sqlite://data/quitgpt.sqlite was not created').toBe(false);
  });

  it('GIVEN an unreadable .env WHEN either script runs THEN it says so and exits 1', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'quitgpt-dotenv-'));
    dirs.push(cwd);
    mkdirSync(join(cwd, '.env')); // a folder where the file should be: EISDIR, not ENOENT
    for (const script of ['kb-check.js', 'store-verify.js']) {
      const res = run(script, cwd);
      expect(res.status, script).toBe(1);
      expect(res.stderr, script).toMatch(/\.env could not be read/);
    }
  });
});
