// Shared pieces of the fault suite (docs/faults.md): the real bot as a child process (`node
// dist/src/index.js`, built by tests/setup/build.ts), small unique screenshots, a TCP proxy that can
// cut a store's connections, and the "store is consistent" checks every fault test ends with.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { expect } from 'vitest';
import { PledgeService, isCounted, type PledgeRecord } from '../../src/pledges/index.js';
import { openStore, silentLogger, type Store } from '../../src/store/index.js';
import type { DiscordSimulator, InteractionHandle } from '../../src/sim/index.js';

export const ENTRY = path.resolve('dist/src/index.js');
export const KB_DIR = path.resolve('kb');

export type LogLine = { level: number; msg: string; [key: string]: unknown };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Splits JSON log lines (pino) into parsed objects; unparsable lines are kept as `msg`. */
function parseInto(lines: LogLine[]): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      if (process.env.DEBUG_E2E_LOGS) process.stderr.write(`${part}\n`);
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ level: 0, msg: part });
      }
    }
  };
}

/** A pino destination that keeps parsed lines in memory (for bots run in-process). */
export function logSink(lines: LogLine[]): Writable {
  const push = parseInto(lines);
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      push(chunk.toString());
      done();
    },
  });
}

// ─── The bot as a child process ──────────────────────────────────────────────────────────────────

export type ChildBot = {
  child: ChildProcess;
  logs: LogLine[];
  /** stderr text (start-up failures, crashes). */
  stderr(): string;
  /** Resolves with the exit code / signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running; resolves when gone. */
  kill(): Promise<void>;
};

/**
 * Starts `node dist/src/index.js` with `env` (simulatorEnv + LOG_LEVEL info) in a folder without a
 * .env, and resolves once it logged "ready" (the gateway's READY and every GUILD_CREATE are in).
 */
export async function spawnBot(env: Record<string, string>, cwd: string, readyTimeoutMs = 45_000): Promise<ChildBot> {
  const child = spawn(process.execPath, [ENTRY], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', parseInto(logs));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const bot: ChildBot = {
    child,
    logs,
    stderr: () => err,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await until(() => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the bot exited before it was ready (${child.exitCode ?? child.signalCode}):\n${err}`);
      return logs.some((l) => l.msg === 'ready');
    }, 'the child bot to be ready', readyTimeoutMs, 50);
  } catch (e) {
    await bot.kill();
    throw e;
  }
  return bot;
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// ─── Pledges ─────────────────────────────────────────────────────────────────────────────────────

/**
 * A small screenshot no other member uses: a random 9×8 grey grid scaled to 90×160, so its dHash
 * (computed on a 9×8 thumbnail) is random and far from every other one. Small keeps a burst of a
 * few hundred cheap to make, download and decode.
 */
export async function smallUniqueScreenshot(seed: number): Promise<Buffer> {
  const grid = Buffer.alloc(9 * 8);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < grid.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    grid[i] = 30 + (s % 200);
  }
  return sharp(grid, { raw: { width: 9, height: 8, channels: 1 } }).resize(90, 160, { kernel: 'nearest', fit: 'fill' }).png().toBuffer();
}

export function screenshots(n: number, from = 1): Promise<Buffer[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => smallUniqueScreenshot(from + i)));
}

export function pledgeSlash(sim: DiscordSimulator, where: { guildId: string; channelId: string }, userId: string, png: Buffer): InteractionHandle {
  return sim.slash({
    ...where,
    userId,
    name: 'pledge',
    subcommand: 'submit',
    options: { screenshot: { bytes: png, filename: 'cancelled.png', contentType: 'image/png' } },
  });
}

export type Tracked = {
  handle: InteractionHandle;
  /** The first visible answer's text (for a deferred reply: the edit that replaced "thinking…"). */
  text: string | undefined;
  /** Settles when the answer came, or after `timeoutMs` without one. */
  settled: Promise<void>;
};

/** Watches for the member's answer from now on, without failing if none ever comes (a killed bot). */
export function track(handle: InteractionHandle, timeoutMs = 60_000): Tracked {
  const t: Tracked = { handle, text: undefined, settled: Promise.resolve() };
  t.settled = handle.waitForReply(() => true, timeoutMs).then(
    (m) => void (t.text = m.content),
    () => undefined,
  );
  return t;
}

/** The pledge number the member was told ("… **pledge #12** …"), or null. */
export function recordedNumber(t: Tracked): number | null {
  const m = t.text === undefined ? null : /pledge #(\d+)/i.exec(t.text);
  return m ? Number(m[1]) : null;
}

// ─── Store checks ────────────────────────────────────────────────────────────────────────────────

export type GuildState = { records: PledgeRecord[]; counted: number; totals: number };

/** Every record of a server, and its maintained total next to a recount of the records. */
export async function guildState(pledges: PledgeService, guildId: string): Promise<GuildState> {
  const records: PledgeRecord[] = [];
  for await (const r of pledges.pledges(guildId)) records.push(r);
  const totals = await pledges.totals(guildId);
  return { records, counted: records.filter((r) => isCounted(r.status)).length, totals: totals.counted };
}

/** Opens the store at `url` for the duration of `fn` (a second process's view, as store:verify has). */
export async function withStore<T>(url: string, fn: (store: Store, pledges: PledgeService) => Promise<T>): Promise<T> {
  const store = await openStore(url, { log: silentLogger });
  try {
    return await fn(store, new PledgeService({ store }));
  } finally {
    await store.close();
  }
}

/** Nothing the bot sent broke Discord's schema or limits, could ping anyone, or hit an unknown route. */
export function expectCleanWire(sim: DiscordSimulator): void {
  expect(sim.violations, 'schema/limit violations').toEqual([]);
  expect(sim.mentionWarnings, 'messages that could ping').toEqual([]);
  expect(sim.unknownRoutes, 'unknown routes').toEqual([]);
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

// ─── A TCP proxy that can cut a store's connections ─────────────────────────────────────────────

export type CuttableProxy = {
  /** `host:port` of the listening side, on 127.0.0.1. */
  port: number;
  /** Connections accepted so far (refused ones included). */
  accepted: number;
  /** Destroys every proxied connection (RST) and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
};

/** A proxy between the bot and a real server: everything passes until cut(). */
export async function cuttableProxy(target: { host: string; port: number }): Promise<CuttableProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    proxy.accepted += 1;
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      open.delete(client);
      open.delete(upstream);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  const proxy: CuttableProxy = {
    port: address.port,
    accepted: 0,
    cut() {
      down = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    async close() {
      down = true;
      for (const s of open) s.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
