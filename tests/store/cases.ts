// Which backends a shared suite runs against: SQLite always; PostgreSQL and Redis when CI (or a
// developer) sets TEST_POSTGRES_URL / TEST_REDIS_URL. Every store opened here gets its own
// namespace so parallel files and repeated runs never see each other's keys.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStore, type OpenStoreOptions, type Store, type StoreLogger } from '../../src/store/index.js';

export type BackendName = 'sqlite' | 'postgres' | 'redis';

/** `[name, url]` for every backend configured in this environment. */
export function* storeCases(): Generator<[BackendName, string]> {
  for (const [name, url] of allStoreCases()) if (url) yield [name, url];
}

/** Every backend, with `undefined` for one that is not configured (for describe.skipIf). */
export function allStoreCases(): Array<[BackendName, string | undefined]> {
  return [
    ['sqlite', 'sqlite://:memory:'],
    ['postgres', process.env.TEST_POSTGRES_URL || undefined],
    ['redis', process.env.TEST_REDIS_URL || undefined],
  ];
}

export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh SQLite file (durability needs a file; :memory: dies with its connection). */
export function tempSqliteUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quitgpt-store-'));
  tempDirs.push(dir);
  return `sqlite://${join(dir, 'nested', 'quitgpt.sqlite')}`;
}

/** A URL whose data a second store instance can reopen: a file for SQLite, the server otherwise. */
export function persistentUrl(name: BackendName, url: string): string {
  return name === 'sqlite' ? tempSqliteUrl() : url;
}

export type LogEntry = { level: keyof StoreLogger; obj: object; msg: string | undefined };

export function recordingLogger(): { log: StoreLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: keyof StoreLogger) =>
    (obj: object, msg?: string): void => {
      entries.push({ level, obj, msg });
    };
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

/**
 * Opens a store in a namespace of its own and removes that namespace's keys when the file ends
 * (SQLite :memory: simply disappears on close).
 */
export async function openTestStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const namespace = opts.namespace ?? uniqueNamespace();
  const store = await openStore(url, { opTimeoutMs: 5000, ...opts, namespace });
  cleanups.push(async () => {
    if (!url.startsWith('sqlite:')) {
      const cleaner = await openStore(url, { namespace, log: opts.log ?? quiet });
      await cleaner.clearNamespace().catch(() => undefined);
      await cleaner.close();
    }
    await store.close();
  });
  return store;
}

const quiet: StoreLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});
