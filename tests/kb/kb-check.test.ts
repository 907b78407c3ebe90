import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runKbCheck } from '../../src/scripts/kb-check.js';
import { NOW } from './tempKb.js';
import { REAL_KB_DIR } from './realKb.js';

const BROKEN = fileURLToPath(new URL('../fixtures/kb-broken/several-problems', import.meta.url));

function capture() {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  return { out, sink: { stdout: (l: string) => out.stdout.push(l), stderr: (l: string) => out.stderr.push(l) } };
}

describe('npm run kb:check', () => {
  it('GIVEN the real kb/ THEN exit 0 and a one-line summary with the computed total', async () => {
    const { out, sink } = capture();
    expect(await runKbCheck('kb/', sink)).toBe(0);
    expect(out.stderr).toEqual([]);
    expect(out.stdout).toHaveLength(1);
    expect(out.stdout[0]).toMatch(
      /^kb\/ is valid: \d+ topics, \d+ facts, 6 donors \(total more than \$98,000,000\), \d+ alternatives, \d+ timeline events$/,
    );
    expect(await runKbCheck(REAL_KB_DIR, capture().sink)).toBe(0);
  });

  it('GIVEN a broken kb THEN exit 1 and every problem on its own stderr line', async () => {
    const { out, sink } = capture();
    expect(await runKbCheck(BROKEN, sink, { now: NOW })).toBe(1);
    expect(out.stdout).toEqual([]);
    expect(out.stderr).toEqual([
      'facts.yaml: topics.0.facts.0.text.fr: the French text is missing',
      'facts.yaml: topics.0.facts.0.sources.0.url: expected an http(s) address',
      'donors.yaml: donors.1.id: duplicate id "alpha" (already used at donors.0.id)',
      'alternatives.yaml: alternatives.0.as_of: 2999-01-01 is in the future (today is 2026-11-27)',
      'alternatives.yaml: alternatives: no alternative has campaign_pick: true; mark the ones the campaign itself points to (Gemini, open-source options) so they are shown first',
      'timeline.yaml: (file): file is missing',
    ]);
  });
});

// As organizers run it: the compiled script from dist/ (built by the global test setup), as a process.
describe('node dist/src/scripts/kb-check.js', () => {
  const ROOT = fileURLToPath(new URL('../..', import.meta.url));
  const SCRIPT = 'dist/src/scripts/kb-check.js';
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, KB_DIR: '', ...env } });

  it('GIVEN no argument and no KB_DIR THEN it checks kb/ and exits 0', () => {
    const { status, stdout, stderr } = run([]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^kb\/ is valid: .*\n$/);
    expect(status).toBe(0);
  });

  it('GIVEN KB_DIR or an argument pointing at a broken kb THEN it exits 1 with one problem per stderr line', () => {
    const viaEnv = run([], { KB_DIR: 'tests/fixtures/kb-broken/several-problems' });
    expect(viaEnv.status).toBe(1);
    expect(viaEnv.stdout).toBe('');
    expect(viaEnv.stderr.split('\n')).toContain('donors.yaml: donors.1.id: duplicate id "alpha" (already used at donors.0.id)');
    expect(viaEnv.stderr.trimEnd().split('\n')).toHaveLength(6);

    const viaArg = run(['tests/fixtures/kb-broken/several-problems'], { KB_DIR: 'kb' });
    expect(viaArg.status).toBe(1);
    expect(viaArg.stderr).toBe(viaEnv.stderr);
  });
});
