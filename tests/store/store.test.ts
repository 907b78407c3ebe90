import { createServer, type Server, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  openStore,
  StoreConfigError,
  StoreUnavailableError,
  type KvOperation,
} from '../../src/store/index.js';
import { KeyedMutex } from '../../src/store/mutex.js';
import { allStoreCases, openTestStore, recordingLogger, tempSqliteUrl } from './cases.js';

const thing = z.object({ name: z.string(), n: z.number().int() });

describe('openStore', () => {
  it('refuses an unknown scheme with a message that names the supported ones', async () => {
    await expect(openStore('mongodb://localhost/x')).rejects.toThrow(StoreConfigError);
    await expect(openStore('mongodb://localhost/x')).rejects.toThrow(/sqlite:\/\/.*postgres:\/\/.*redis:\/\//);
    await expect(openStore('data/quitgpt.sqlite')).rejects.toThrow(/scheme \(none\)/);
  });

  it('a SQLite path that cannot be created or opened is a configuration error, not a crash', async () => {
    const { log } = recordingLogger();
    await expect(openStore('sqlite:///etc/hostname/quitgpt.sqlite', { log })).rejects.toThrow(StoreConfigError);
    await expect(openStore(`sqlite://${process.cwd()}`, { log })).rejects.toThrow(/cannot open SQLite database/);
  });

  it('refuses a namespace or table that could break keys or SQL', async () => {
    await expect(openStore('sqlite://:memory:', { namespace: 'a:b' })).rejects.toThrow(StoreConfigError);
    await expect(openStore('sqlite://:memory:', { table: 'x; drop table y' })).rejects.toThrow(StoreConfigError);
  });

  it('creates the parent directory of a SQLite file', async () => {
    const url = tempSqliteUrl();
    const store = await openTestStore(url);
    await store.kv.set('k', 1);
    expect(existsSync(fileURLToPath(`file://${url.slice('sqlite://'.length)}`))).toBe(true);
  });
});

for (const [name, url] of allStoreCases()) {
  describe.skipIf(!url)(`store on ${name}`, () => {
    const u = url ?? '';

    it('round-trips JSON and binary values, and reports missing keys as undefined', async () => {
      const store = await openTestStore(u);
      await store.kv.set('a', { x: 1, s: ':colon', nested: [1, 'two'] });
      expect(await store.kv.get('a')).toEqual({ x: 1, s: ':colon', nested: [1, 'two'] });
      expect(await store.kv.get('missing')).toBeUndefined();
      expect(await store.kv.getMany(['a', 'missing'])).toEqual([{ x: 1, s: ':colon', nested: [1, 'two'] }, undefined]);
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]);
      await store.blobs.put('kept:1:2', png);
      expect(await store.blobs.get('kept:1:2')).toEqual(png);
      await store.blobs.delete('kept:1:2');
      expect(await store.blobs.get('kept:1:2')).toBeUndefined();
    });

    it('serves operations issued together on a store that has not connected yet', async () => {
      const store = await openTestStore(u);
      const results = await Promise.all([store.kv.get('first'), store.kv.getMany(['a', 'b']), store.kv.set('c', 1), store.kv.get('d')]);
      expect(results).toEqual([undefined, [undefined, undefined], undefined, undefined]);
      expect(await store.kv.get('c')).toBe(1);
    });

    it('validates every read: a damaged record is reported as a typed error and logged, never thrown', async () => {
      const { log, entries } = recordingLogger();
      const store = await openTestStore(u, { log });
      const things = store.collection('thing', thing);
      await things.write('ok', { name: 'a', n: 1 });
      await store.kv.set('thing:bad', { name: 42 });
      expect(await things.read('ok')).toEqual({ ok: true, value: { name: 'a', n: 1 } });
      const bad = await things.read('bad');
      expect(bad.ok).toBe(false);
      if (!bad.ok) {
        expect(bad.error.key).toBe('thing:bad');
        expect(bad.error.issues.join(' ')).toMatch(/name/);
      }
      const many = await things.readMany(['ok', 'bad', 'none']);
      expect(many.map((r) => r.ok)).toEqual([true, false, true]);
      expect(entries.some((e) => e.level === 'warn' && JSON.stringify(e.obj).includes('thing:bad'))).toBe(true);
      // Writing something the schema refuses is a caller bug: it throws and stores nothing.
      await expect(things.write('x', { name: 'a', n: 1.5 })).rejects.toThrow();
      expect(await store.kv.get('thing:x')).toBeUndefined();
    });

    it('expires TTL entries, and purgeExpired removes them from SQL tables', async () => {
      const store = await openTestStore(u);
      await store.kv.set('ix:1', { a: 1 }, 30);
      await store.kv.set('ix:2', { a: 2 }, 60_000);
      await store.kv.set('keep', { a: 3 }, 30);
      await new Promise((r) => setTimeout(r, 80));
      const purged = await store.purgeExpired('ix:');
      expect(purged).toBe(name === 'redis' ? 0 : 1);
      expect(await store.kv.get('ix:1')).toBeUndefined();
      expect(await store.kv.get('ix:2')).toEqual({ a: 2 });
      expect(await store.kv.get('keep')).toBeUndefined(); // expired, and hidden even where not purged
    });

    it('ping reports health without throwing', async () => {
      const store = await openTestStore(u);
      const ping = await store.ping();
      expect(ping.ok).toBe(true);
      await store.close();
      const after = await store.ping();
      expect(after.ok).toBe(false);
      if (!after.ok) expect(after.error.reason).toBe('closed');
    });

    it('calls onOperation before each backend round trip (how tests count reads)', async () => {
      const ops: KvOperation[] = [];
      const store = await openTestStore(u, { onOperation: (op) => ops.push(op) });
      await store.kv.set('a', 1);
      await store.kv.getMany(['a', 'b']);
      expect(ops.map((o) => o.op)).toEqual(['set', 'getMany']);
    });
  });
}

describe('SQLite specifics', () => {
  it('reports a row that is not JSON at all as a damaged record', async () => {
    const url = tempSqliteUrl();
    const store = await openTestStore(url, { namespace: 'raw', log: recordingLogger().log });
    await store.kv.set('thing:a', { name: 'x', n: 1 });
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(url.slice('sqlite://'.length));
    db.prepare(`UPDATE quitgpt_kv SET value = '{not json' WHERE key = 'raw:thing:a'`).run();
    db.close();
    const r = await store.collection('thing', thing).read('a');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues[0]).toMatch(/not JSON/);
    expect(await store.kv.getMany(['thing:a', 'thing:none'])).toHaveLength(2);
  });

  it('uses WAL so a second process can read while the bot writes', async () => {
    const url = tempSqliteUrl();
    const a = await openTestStore(url);
    await a.kv.set('k', 1);
    const b = await openTestStore(url, { namespace: 'other' });
    expect(await b.kv.get('k')).toBeUndefined();
    expect(existsSync(`${url.slice('sqlite://'.length)}-wal`)).toBe(true);
  });
});

describe('unreachable or hanging backends', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  let hanging: Server;
  let hangingPort = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    // Accepts connections and never answers: what a wedged database looks like from the bot.
    hanging = createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const addr = hanging.address();
    hangingPort = typeof addr === 'object' && addr ? addr.port : 0;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    process.off('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    // Give late rejections from the drivers a chance to surface before checking.
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });

  const down = [
    ['postgres (connection refused)', 'postgres://postgres@127.0.0.1:1/x'],
    ['redis (connection refused)', 'redis://127.0.0.1:1'],
  ] as const;

  for (const [label, url] of down) {
    it(`${label}: StoreUnavailableError quickly, for reads and writes, and the store still closes`, async () => {
      const store = await openStore(url, { namespace: 'down', opTimeoutMs: 1500, connectTimeoutMs: 1000, log: recordingLogger().log });
      const started = Date.now();
      await expect(store.kv.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.kv.set('k', 1)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.collection('thing', thing).read('x')).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(4500);
      const ping = await store.ping();
      expect(ping.ok).toBe(false);
      await store.close();
    });
  }

  it('a backend that accepts but never answers fails within the operation timeout', async () => {
    for (const url of [`postgres://postgres@127.0.0.1:${hangingPort}/x`, `redis://127.0.0.1:${hangingPort}`]) {
      const store = await openStore(url, { namespace: 'hang', opTimeoutMs: 700, connectTimeoutMs: 400, log: recordingLogger().log });
      const started = Date.now();
      const err = await store.kv.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2000);
      await store.close();
    }
  });
});

describe('KeyedMutex', () => {
  it('runs holders of one name one at a time, in arrival order, and forgets released names', async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    let inside = 0;
    let maxInside = 0;
    const job = (tag: string) =>
      m.run(
        'g',
        async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 2));
          order.push(tag);
          inside -= 1;
        },
        1000,
      );
    await Promise.all(['a', 'b', 'c', 'd'].map(job));
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(maxInside).toBe(1);
    expect(m.size).toBe(0);
  });

  it('a holder that throws releases the lock', async () => {
    const m = new KeyedMutex();
    await expect(m.run('g', async () => Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
    await expect(m.run('g', async () => 'next', 1000)).resolves.toBe('next');
  });

  it('a waiter that times out gets StoreUnavailableError and does not strand the queue', async () => {
    const m = new KeyedMutex();
    let release!: () => void;
    const held = m.run('g', () => new Promise<void>((r) => (release = r)), 1000);
    const waiter = m.run('g', async () => 'never', 20);
    await expect(waiter).rejects.toMatchObject({ reason: 'lock-timeout' });
    const third = m.run('g', async () => 'third', 1000);
    release();
    await held;
    await expect(third).resolves.toBe('third');
  });

  it('runMany takes names in sorted order, so crossing sets cannot deadlock', async () => {
    const m = new KeyedMutex();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        m.runMany(i % 2 ? ['x', 'y'] : ['y', 'x'], async () => {
          await new Promise((r) => setTimeout(r, 1));
          return i;
        }, 2000),
      ),
    );
    expect(results).toHaveLength(20);
  });
});
