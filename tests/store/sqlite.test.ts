// The SQLite adapter's group commit (src/store/sqlite.ts): concurrent writes share transactions,
// each resolves only once committed, a batch is all or nothing, and one failing write never takes
// the others of its transaction down with it.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, StoreConfigError } from '../../src/store/index.js';
import { SqliteAdapter } from '../../src/store/sqlite.js';
import { openTestStore, tempSqliteUrl } from './cases.js';

async function openAdapter(file: string): Promise<SqliteAdapter> {
  mkdirSync(dirname(file), { recursive: true });
  const { adapter } = await SqliteAdapter.open({ file, table: 'quitgpt_kv', busyTimeoutMs: 5000, synchronous: 'FULL' });
  adapter.on('error', () => undefined);
  return adapter;
}

function fileOf(url: string): string {
  return url.slice('sqlite://'.length);
}

describe('SQLite adapter: group commit', () => {
  it('every resolved write is committed: a second connection sees all of them', async () => {
    const url = tempSqliteUrl();
    const store = await openTestStore(url);
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.kv.set(`k:${i}`, { i })));
    const other = await openAdapter(fileOf(url));
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `${'k'}:${i}`);
      const prefixed = await other.getMany(keys.map((k) => `${namespaceOf(store.description)}:${k}`));
      expect(prefixed.filter((v) => v !== undefined)).toHaveLength(300);
    } finally {
      await other.disconnect();
    }
  });

  it('a setMany is one transaction, and a bad write in a shared batch fails alone', async () => {
    const url = tempSqliteUrl();
    const a = await openAdapter(fileOf(url));
    try {
      const writes = [
        a.set('x:1', '"one"'),
        a.setMany([
          { key: 'x:2', value: '"two"' },
          { key: 'x:3', value: '"three"' },
        ]),
        a.writeQuery('INSERT INTO no_such_table VALUES (1)', []),
        a.set('x:4', '"four"'),
      ];
      const settled = await Promise.allSettled(writes);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(await a.getMany(['x:1', 'x:2', 'x:3', 'x:4'])).toEqual(['"one"', '"two"', '"three"', '"four"']);
      expect(await a.delete('x:1')).toBe(true);
      expect(await a.delete('x:1')).toBe(false);
      expect(await a.deleteMany(['x:2', 'x:9'])).toBe(true);
      expect(await a.has('x:3')).toBe(true);
      expect(await a.has('x:2')).toBe(false);
    } finally {
      await a.disconnect();
    }
  });

  it('writes of one batch apply in order: the last value of a key wins, a delete between upserts holds', async () => {
    const url = tempSqliteUrl();
    const a = await openAdapter(fileOf(url));
    try {
      await a.set('o:gone', '"old"');
      // Issued in one tick: one transaction whose upserts are merged around the delete.
      const writes = [
        a.setMany([
          { key: 'o:1', value: '"first"' },
          { key: 'o:2', value: '"two"' },
          { key: 'o:1', value: '"second"' },
        ]),
        a.delete('o:gone'),
        a.setMany([
          { key: 'o:gone', value: '"back"' },
          { key: 'o:3', value: '"three, with \\"quotes\\" and ünïcödé"' },
        ]),
        a.deleteMany(['o:2']),
      ];
      expect(await Promise.all(writes)).toEqual([[true, true, true], true, [true, true], true]);
      expect(await a.getMany(['o:1', 'o:2', 'o:gone', 'o:3'])).toEqual(['"second"', undefined, '"back"', '"three, with \\"quotes\\" and ünïcödé"']);
    } finally {
      await a.disconnect();
    }
  });

  it('clear() removes only its own namespace (a "_" in it is not a wildcard)', async () => {
    const url = tempSqliteUrl();
    const a = await openAdapter(fileOf(url));
    try {
      await a.setMany([
        { key: 'ns_1:k', value: '1' },
        { key: 'nsX1:k', value: '2' },
      ]);
      a.namespace = 'ns_1';
      await a.clear();
      expect(await a.getMany(['ns_1:k', 'nsX1:k'])).toEqual([undefined, '2']);
    } finally {
      await a.disconnect();
    }
  });

  it('close waits for queued writes, which are then on disk', async () => {
    const url = tempSqliteUrl();
    const a = await openAdapter(fileOf(url));
    const pending = Array.from({ length: 50 }, (_, i) => a.set(`c:${i}`, String(i)));
    await a.disconnect();
    await Promise.all(pending);
    const b = await openAdapter(fileOf(url));
    try {
      expect((await b.getMany(Array.from({ length: 50 }, (_, i) => `c:${i}`))).every((v) => v !== undefined)).toBe(true);
    } finally {
      await b.disconnect();
    }
  });
});

describe('SQLite adapter: another process holding the write lock', () => {
  it('waits without blocking the event loop, then writes once the lock is released', async () => {
    const url = tempSqliteUrl();
    const a = await openAdapter(fileOf(url));
    const other = new Database(fileOf(url));
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      let settled = false;
      const write = a.set('busy:1', '"waited"').finally(() => {
        settled = true;
      });
      // Timers still fire while the write waits: SQLite's busy handler would have frozen the thread.
      const ticks = await countTicks(60);
      expect(ticks).toBeGreaterThanOrEqual(3);
      expect(settled).toBe(false);
      other.prepare('COMMIT').run();
      await expect(write).resolves.toBe(true);
      expect(await a.get('busy:1')).toBe('"waited"');
    } finally {
      other.close();
      await a.disconnect();
    }
  });

  it('gives up after busyTimeoutMs with SQLITE_BUSY, and the next write goes through', async () => {
    const url = tempSqliteUrl();
    mkdirSync(dirname(fileOf(url)), { recursive: true });
    const { adapter: a } = await SqliteAdapter.open({ file: fileOf(url), table: 'quitgpt_kv', busyTimeoutMs: 80, synchronous: 'NORMAL' });
    a.on('error', () => undefined);
    const other = new Database(fileOf(url));
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      await expect(a.set('busy:2', '"no"')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      other.prepare('ROLLBACK').run();
      await expect(a.set('busy:3', '"yes"')).resolves.toBe(true);
      expect(await a.getMany(['busy:2', 'busy:3'])).toEqual([undefined, '"yes"']);
    } finally {
      other.close();
      await a.disconnect();
    }
  });
});

/** How many 10 ms timers fire in `ms`: a blocked event loop fires none until it is free. */
async function countTicks(ms: number): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 10);
  await new Promise((resolve) => setTimeout(resolve, ms));
  clearInterval(timer);
  return ticks;
}

describe('SQLite durability setting', () => {
  it('defaults to synchronous=NORMAL, takes ?synchronous= from the URL, and the option wins over it', async () => {
    const url = tempSqliteUrl();
    const a = await openTestStore(url);
    expect(a.description).toMatch(/synchronous NORMAL/);
    const b = await openTestStore(`${url}?synchronous=full`);
    expect(b.description).toMatch(/synchronous FULL/);
    const c = await openTestStore(`${url}?synchronous=FULL`, { sqlite: { synchronous: 'NORMAL' } });
    expect(c.description).toMatch(/synchronous NORMAL/);
    await expect(openStore(`${url}?synchronous=OFF`)).rejects.toBeInstanceOf(StoreConfigError);
  });

  it('at NORMAL, checkpoints the WAL into the database file shortly after writes', async () => {
    const url = tempSqliteUrl();
    const file = fileOf(url);
    mkdirSync(dirname(file), { recursive: true });
    const { adapter } = await SqliteAdapter.open({ file, table: 'quitgpt_kv', busyTimeoutMs: 5000, synchronous: 'NORMAL', syncIntervalMs: 50 });
    try {
      await adapter.set('k', '"v"');
      const walBefore = statSync(`${file}-wal`).size;
      expect(walBefore).toBeGreaterThan(0);
      const dbBefore = statSync(file).size;
      await new Promise((r) => setTimeout(r, 300));
      // The page holding the row is now in the database file itself (PASSIVE checkpoint ran).
      expect(statSync(file).size).toBeGreaterThan(dbBefore === 0 ? 0 : dbBefore - 1);
      expect(readFileSync(file).includes('"v"')).toBe(true);
    } finally {
      await adapter.disconnect();
    }
  });
});

function namespaceOf(description: string): string {
  return /namespace ([^,)]+)/.exec(description)?.[1] ?? '';
}
