// The sandbox end to end: the shipped demo script in-process (the real bot on the simulator), a
// moderator's rejection through a form, failing steps, and the built CLI as people run it.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runScript } from '../../src/sandbox/cli.js';
import { Sandbox } from '../../src/sandbox/session.js';

const CLI = 'dist/src/sandbox/cli.js';
const demoLines = () => readFileSync('sandbox/demo.txt', 'utf8').split('\n');

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function transcript(lines: readonly string[]): Promise<{ ok: boolean; failures: string[]; text: string; lines: string[] }> {
  const out: string[] = [];
  const result = await runScript(lines, { out: (l) => out.push(l), scriptDir: 'sandbox' });
  return { ...result, text: out.join('\n'), lines: out };
}

/** The lines printed for one typed line: runScript puts a blank line before each prompt. */
function answerTo(lines: string[], typed: string, nth = 0): string {
  const starts = lines.flatMap((l, i) => (l.endsWith(`> ${typed}`) ? [i] : []));
  const start = starts[nth];
  if (start === undefined) throw new Error(`"${typed}" was not typed ${nth + 1} time(s)`);
  const end = lines.indexOf('', start + 1);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

describe('the demo script', () => {
  it('answers every step, from the facts to a verified pledge', async () => {
    const started = Date.now();
    const t = await transcript(demoLines());
    expect(t.failures).toEqual([]);
    expect(t.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(20_000);

    expect(answerTo(t.lines, '/facts')).toContain('[only you] bot →');
    expect(answerTo(t.lines, '/facts')).toContain('QuitGPT: the facts');
    expect(answerTo(t.lines, 'Next')).toContain('[only you] bot (updated) →');
    expect(answerTo(t.lines, 'Next')).toContain('Page 2/2');
    expect(answerTo(t.lines, '/facts topic:don?')).toContain('→ /facts topic:donations');
    expect(answerTo(t.lines, '/facts topic:donations')).toContain('Donations and money in politics');
    expect(answerTo(t.lines, '/alternatives need:coding')).toContain('Alternatives to ChatGPT: coding');
    expect(answerTo(t.lines, '/donors donor:brockman')).toContain('Greg and Anna Brockman');
    expect(answerTo(t.lines, '/facts', 1)).toContain('QuitGPT : les faits');

    const submitted = answerTo(t.lines, '/pledge submit screenshot:my-screenshot.png platform:web');
    expect(submitted).toContain('pledge #1');
    // The card goes to #pledge-review, which the member cannot see.
    expect(submitted).not.toContain('[#pledge-review]');
    expect(answerTo(t.lines, '/pledge status')).toContain('Status: pending review');

    expect(answerTo(t.lines, 'as moderator')).toContain('1 new or updated post in #pledge-review');
    const card = answerTo(t.lines, 'channel review');
    expect(card).toContain('[#pledge-review] bot:');
    expect(card).toContain('Pledge #1');
    expect(card).toContain('[Approve] [Reject]');
    expect(card).toContain('[image: pledge-screenshot.png]');
    const approved = answerTo(t.lines, 'press Approve');
    expect(approved).toContain('[#pledge-review] bot (updated):');
    expect(approved).toContain('Status: verified by @moderator');
    expect(approved).not.toContain('[Approve]');

    expect(answerTo(t.lines, 'as member')).toContain('[DM] bot:\n  Your pledge #1 in QuitGPT Campaign was verified.');
    expect(answerTo(t.lines, '/pledge status', 1)).toContain('Status: verified');
    expect(t.text).not.toContain('!!!');
    expect(t.text).not.toContain('! bot');
  });
});

describe('scripts', () => {
  it('fill a form the bot opens from the lines that follow', async () => {
    const t = await transcript([
      '/pledge submit screenshot:my-screenshot.png note:"cancelled on the web"',
      'as moderator',
      'channel review',
      'Reject',
      'the screenshot is blurry',
      'as member',
      '/pledge status',
    ]);
    expect(t.failures).toEqual([]);
    expect(t.text).toContain('[form] Reject pledge');
    expect(t.text).toContain('Reason (sent to the member) (e.g. the screenshot does not show a cancelled subscription): the screenshot is blurry');
    expect(answerTo(t.lines, 'Reject')).toContain('Status: rejected by @moderator');
    expect(answerTo(t.lines, 'as member')).toContain('was not accepted (reason: the screenshot is blurry)');
    expect(answerTo(t.lines, '/pledge status')).toContain('Reason: the screenshot is blurry');
  });

  it('report the steps that failed, and still run the rest', async () => {
    const t = await transcript(['/fact', 'press Approve', '/pledge submit screenshot:missing.png', '/facts']);
    expect(t.ok).toBe(false);
    expect(t.failures).toEqual(['line 1: /fact', 'line 2: press Approve', 'line 3: /pledge submit screenshot:missing.png']);
    expect(answerTo(t.lines, '/fact')).toContain('Did you mean /facts?');
    expect(answerTo(t.lines, 'press Approve')).toContain('no button "Approve" on the messages member can see');
    expect(answerTo(t.lines, '/pledge submit screenshot:missing.png')).toContain('cannot read missing.png');
    expect(answerTo(t.lines, '/facts')).toContain('QuitGPT: the facts');
    expect(t.lines.at(-1)).toMatch(/^✗ 3 step\(s\) failed/);
  });

  it('keep what a member cannot see out of their view', async () => {
    const t = await transcript(['channel review', 'as camille', '/facts share:true', 'as member', '/facts topic:don?']);
    expect(answerTo(t.lines, 'channel review')).toContain('member cannot see #pledge-review. Try as moderator');
    // camille's locale is French, and a shared answer is a post in #general everyone sees.
    expect(answerTo(t.lines, '/facts share:true')).toContain('[#general] bot:\n  ┃ QuitGPT : les faits');
    expect(answerTo(t.lines, 'as member')).toContain('1 new or updated post in #general');
  });
});

describe('the built CLI', () => {
  const run = promisify(execFile);

  it('runs sandbox/demo.txt and exits 0', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--script', 'sandbox/demo.txt'], { timeout: 30_000 });
    expect(stdout).toContain('Status: verified by @moderator');
    expect(stdout).toMatch(/✓ all steps answered/);
  });

  it('exits 1 when a script step fails', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sandbox-test-'));
    try {
      await writeFile(path.join(dir, 'bad.txt'), '/fact\n/facts\n');
      const failed = await run(process.execPath, [CLI, '--script', path.join(dir, 'bad.txt')], { timeout: 30_000 }).catch((err: unknown) => err);
      expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining('✗ 1 step(s) failed: line 1: /fact') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads piped lines at the prompt and stops cleanly at the end of input', async () => {
    const child = spawn(process.execPath, [CLI], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end('/facts\nNext\n/nope\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(stdout).toContain('member> /facts');
    expect(stdout).toContain('QuitGPT: the facts');
    expect(stdout).toContain('Page 2/2');
    expect(stdout).toContain('Stopping the bot and the simulator…');
    expect(code).toBe(1);
  });
});

describe('a session', () => {
  it('flags loudly what Discord would reject, and fails the step', async () => {
    const out: string[] = [];
    const session = await Sandbox.start({ out: (l) => out.push(l) });
    try {
      // As if the bot had sent it: a title over Discord's 256 characters.
      const res = await fetch(`${session.sim.restUrl}/v10/channels/${session.world.channels.general}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${session.sim.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ embeds: [{ title: 'x'.repeat(300) }] }),
      });
      expect(res.status).toBe(400);
      const result = await session.run('/facts');
      expect(result.ok).toBe(false);
      expect(out.join('\n')).toMatch(/!!! DISCORD WOULD REJECT THIS \((schema|limit)\): POST \/channels\/\{channel_id\}\/messages\n!!! {3}embeds\.0\.title: /);
    } finally {
      await session.stop();
    }
  });
});
