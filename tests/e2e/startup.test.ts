// The bot as `npm start` runs it (node dist/src/index.js, built by tests/setup/build.ts), in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCommands } from '../../src/scripts/deploy.js';
import { loadConfig } from '../../src/config.js';
import { createDemoWorld, simulatorEnv } from '../../src/sandbox/harness.js';
import { DiscordSimulator } from '../../src/sim/index.js';

const ENTRY = path.resolve('dist/src/index.js');
const KB = path.resolve('kb');
let cwd: string;

beforeAll(async () => {
  // A folder without .env, so only the variables each test passes count.
  cwd = await mkdtemp(path.join(os.tmpdir(), 'quitgpt-start-'));
});
afterAll(async () => rm(cwd, { recursive: true, force: true }));

type Run = { code: number | null; stdout: string; stderr: string };

function runToExit(env: Record<string, string>, timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bot did not exit: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('start-up mistakes get one clear line and exit code 2', () => {
  it('GIVEN no DISCORD_TOKEN THEN it says how to get one and how to try the sandbox', async () => {
    const r = await runToExit({ KB_DIR: KB });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('DISCORD_TOKEN is missing');
    expect(r.stderr).toContain('npm run sandbox');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['DISCORD_API_URL', 'not-a-url'],
    ['STORE_URL', 'mysql://localhost/db'],
    ['LOG_LEVEL', 'chatty'],
  ])('GIVEN a bad %s THEN the line names it', async (name, value) => {
    const r = await runToExit({ DISCORD_TOKEN: 'x.y.z', KB_DIR: KB, [name]: value });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^${name} is invalid: .*${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });

  it('GIVEN an invalid knowledge base THEN the bot refuses to start with the kb:check report', async () => {
    const kb = await mkdtemp(path.join(os.tmpdir(), 'quitgpt-kb-'));
    await cp(KB, kb, { recursive: true });
    const facts = await readFile(path.join(kb, 'facts.yaml'), 'utf8');
    await writeFile(path.join(kb, 'facts.yaml'), facts.replace(/^(\s+)as_of:.*$/m, '$1as_of: someday'));
    const r = await runToExit({ DISCORD_TOKEN: 'x.y.z', KB_DIR: kb });
    await rm(kb, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('npm run kb:check');
    expect(r.stderr).toMatch(/facts\.yaml: topics\.\d+\.facts\.\d+\.as_of: /);
  });

  it('GIVEN a store that is down THEN it says so and exits without a stack', async () => {
    const r = await runToExit({ DISCORD_TOKEN: 'x.y.z', KB_DIR: KB, STORE_URL: 'redis://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The store (STORE_URL) could not be reached');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('GIVEN Discord cannot be reached THEN it names the address it tried', async () => {
    const r = await runToExit({ DISCORD_TOKEN: 'x.y.z', KB_DIR: KB, STORE_URL: `sqlite://${path.join(cwd, 'unreachable.sqlite')}`, DISCORD_API_URL: 'http://127.0.0.1:1/api' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('could not connect to Discord at http://127.0.0.1:1/api');
  });
});

describe('the real entry point against the simulator', () => {
  let sim: DiscordSimulator;
  let child: ChildProcess;
  let out = '';
  let kbDir: string;

  beforeAll(async () => {
    // A child process on a busy 2-core CI box can take longer than Discord's 3 s to answer its first
    // interaction; this suite is about the entry point, not latency (the benchmarks measure that).
    sim = await DiscordSimulator.start({ heartbeatIntervalMs: 500, ackDeadlineMs: 15_000 });
    kbDir = await mkdtemp(path.join(os.tmpdir(), 'quitgpt-kb-'));
    await cp(KB, kbDir, { recursive: true });
    const env = { ...simulatorEnv(sim, `sqlite://${path.join(cwd, 'bot.sqlite')}`, { kbDir, logLevel: 'info' }) };
    await deployCommands(loadConfig(env, { requireToken: true }));
    child = spawn(process.execPath, [ENTRY], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!out.includes('"msg":"ready"')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`bot did not become ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sim.stop();
    await rm(kbDir, { recursive: true, force: true });
  });

  it('GIVEN a member runs /facts THEN the child-process bot answers', async () => {
    const w = createDemoWorld(sim);
    const i = sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts', options: { topic: 'galloway' } });
    const reply = await i.waitForReply(undefined, 10_000);
    expect(reply.embeds[0]?.title).toBeTruthy();
    expect(sim.violations).toEqual([]);
  });

  it('GIVEN SIGHUP with a broken file THEN the old knowledge base stays; with a fixed one THEN the new one is used', async () => {
    const file = path.join(kbDir, 'facts.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, `${original}\n  - this is: [not valid`);
    child.kill('SIGHUP');
    await expect.poll(() => out.includes('knowledge base NOT reloaded'), { timeout: 10_000 }).toBe(true);
    const w = createDemoWorld(sim, { name: 'After reload' });
    const still = await sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts' }).waitForReply();
    expect(still.embeds[0]?.title).toBe('QuitGPT: the facts');

    const renamed = original.replace('en: "Donations and money in politics"', 'en: "Donations (updated)"');
    expect(renamed).not.toBe(original);
    await writeFile(file, renamed);
    child.kill('SIGHUP');
    await expect.poll(() => out.includes('"msg":"knowledge base reloaded"'), { timeout: 10_000 }).toBe(true);
    const fresh = await sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts', options: { topic: 'donations' } }).waitForReply();
    expect(fresh.embeds[0]?.title).toBe('Donations (updated)');
  });

  it('GIVEN SIGTERM THEN it finishes, closes the store and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('"msg":"stopped"');
  });
});
