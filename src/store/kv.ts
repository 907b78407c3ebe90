// The one place that talks to keyv. Everything above it sees four promises that either resolve
// with decoded JSON or reject with StoreUnavailableError, each bounded by the operation timeout:
// keyv itself would hang as long as the driver hangs, and (without throwOnErrors) would turn a
// failed read into "not found", which for a pledge means "assign a second number".
import type Keyv from 'keyv';
import { StoreUnavailableError } from './errors.js';

export type KvOperationName = 'get' | 'getMany' | 'set' | 'setMany' | 'delete' | 'deleteMany';

export type KvOperation = { readonly op: KvOperationName; readonly keys: readonly string[] };

/** A value that exists but cannot be decoded (not JSON, or not the envelope keyv writes). */
export class UndecodableValue {
  constructor(
    readonly reason: string,
    readonly raw: unknown,
  ) {}
}

export type KvEntry = { key: string; value: unknown; ttlMs?: number };

export interface KV {
  /** `undefined` when the key does not exist (or its TTL passed); UndecodableValue when damaged. */
  get(key: string): Promise<unknown>;
  getMany(keys: readonly string[]): Promise<unknown[]>;
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  setMany(entries: readonly KvEntry[]): Promise<void>;
  delete(key: string): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
}

export type KeyvKvOptions = {
  timeoutMs: number;
  onOperation?: ((op: KvOperation) => void) | undefined;
  isClosed: () => boolean;
};

export class KeyvKV implements KV {
  constructor(
    private readonly keyv: Keyv<unknown>,
    private readonly opts: KeyvKvOptions,
  ) {}

  async get(key: string): Promise<unknown> {
    return this.call('get', [key], async () => {
      try {
        return unwrap(await this.keyv.getRaw(key));
      } catch (err) {
        if (err instanceof SyntaxError) return new UndecodableValue(`not JSON: ${err.message}`, undefined);
        throw err;
      }
    });
  }

  async getMany(keys: readonly string[]): Promise<unknown[]> {
    if (keys.length === 0) return [];
    const batch = await this.call('getMany', keys, async () => {
      try {
        const rows = await this.keyv.getManyRaw([...keys]);
        return rows.map(unwrap);
      } catch (err) {
        // One damaged row fails the whole batch decode; re-read one by one to isolate it.
        if (err instanceof SyntaxError) return undefined;
        throw err;
      }
    });
    if (batch !== undefined) return batch;
    const out: unknown[] = [];
    for (const key of keys) out.push(await this.get(key));
    return out;
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    await this.call('set', [key], async () => {
      const ok = await this.keyv.set(key, value, ttlMs);
      if (!ok) throw new Error(`backend refused to store ${key}`);
    });
  }

  async setMany(entries: readonly KvEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.call(
      'setMany',
      entries.map((e) => e.key),
      async () => {
        // A batch is all-or-nothing everywhere: one statement on PostgreSQL, one MULTI on Redis,
        // one transaction on SQLite (src/store/sqlite.ts).
        // Postgres refuses a batch that names a key twice: keep the last value, as sequential sets would.
        const unique = [...new Map(entries.map((e) => [e.key, e])).values()];
        await this.keyv.setMany(unique.map((e) => ({ key: e.key, value: e.value, ...(e.ttlMs === undefined ? {} : { ttl: e.ttlMs }) })));
      },
    );
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', [key], async () => {
      await this.keyv.delete(key);
    });
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.call('deleteMany', keys, async () => {
      await this.keyv.deleteMany([...keys]);
    });
  }

  private async call<T>(op: KvOperationName, keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    if (this.opts.isClosed()) throw new StoreUnavailableError(op, 'closed');
    try {
      this.opts.onOperation?.({ op, keys });
      return await withTimeout(fn(), this.opts.timeoutMs, `${op} ${keys[0] ?? ''}`);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`${op} ${keys[0] ?? ''}`, 'backend-error', err);
    }
  }
}

function unwrap(row: unknown): unknown {
  if (row === undefined || row === null) return undefined;
  if (typeof row !== 'object' || !('value' in row)) return new UndecodableValue('not a keyv envelope', row);
  return row.value;
}

/**
 * Races `work` against a timer. Promise.race keeps a handler on `work`, so a late rejection from a
 * backend that finally answers is observed and never becomes an unhandled rejection.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(operation, 'timeout')), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
