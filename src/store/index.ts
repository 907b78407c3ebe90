// The bot's only persistence entry point: `openStore(STORE_URL)`. Layout, guarantees and the
// multi-process caveat are written down in docs/store.md.
import type { z } from 'zod';
import { createBackend, type Backend, type BackendKind } from './backends.js';
import { KvBlobStore, type BlobStore } from './blobs.js';
import { Collection } from './collection.js';
import { StoreConfigError, StoreUnavailableError } from './errors.js';
import { KeyvKV, withTimeout, type KV, type KvOperation } from './kv.js';
import { stderrLogger, type StoreLogger } from './logger.js';
import { sharedMutex, type KeyedMutex } from './mutex.js';

export { StoreUnavailableError, StoreConfigError, type InvalidRecord, type UnavailableReason } from './errors.js';
export { Collection, type ReadResult } from './collection.js';
export { UndecodableValue, type KV, type KvEntry, type KvOperation, type KvOperationName } from './kv.js';
export { MAX_BLOB_BYTES, type BlobStore } from './blobs.js';
export { silentLogger, stderrLogger, type StoreLogger, type LogFn } from './logger.js';
export type { BackendKind } from './backends.js';

export const DEFAULT_STORE_URL = 'sqlite://data/quitgpt.sqlite';

export type OpenStoreOptions = {
  /** Key prefix; lets several deployments or test runs share one database. Default 'quitgpt'. */
  namespace?: string;
  /** SQLite / PostgreSQL table. Default 'quitgpt_kv'. */
  table?: string;
  /** Upper bound for one backend round trip. Default 5000 ms. */
  opTimeoutMs?: number;
  /** Upper bound for establishing a connection (PostgreSQL, Redis). Default 3000 ms. */
  connectTimeoutMs?: number;
  /** How long an operation waits for a concurrent one on the same server. Default 30000 ms. */
  lockTimeoutMs?: number;
  log?: StoreLogger;
  /** Called before every backend operation (tests count reads with it; throwing fails the operation). */
  onOperation?: (op: KvOperation) => void;
  /**
   * `synchronous`: NORMAL (default) makes a write durable against a crash of the process as soon as
   * it resolves, and fsyncs about once a second; FULL fsyncs every commit (power-loss safe, ~3× fewer
   * pledges/s on the development machine). Also settable as `sqlite://file?synchronous=FULL`; this
   * option wins over the URL. See docs/store.md "Durability".
   */
  sqlite?: { busyTimeoutMs?: number; synchronous?: 'FULL' | 'NORMAL' };
  postgres?: { schema?: string; maxConnections?: number };
};

export type PingResult =
  | { ok: true; backend: BackendKind; latencyMs: number }
  | { ok: false; backend: BackendKind; error: StoreUnavailableError };

export interface Store {
  readonly backend: BackendKind;
  /** Where the data lives, without credentials. */
  readonly description: string;
  readonly kv: KV;
  readonly blobs: BlobStore;
  readonly log: StoreLogger;
  collection<T>(name: string, schema: z.ZodType<T>): Collection<T>;
  /** Runs `fn` while holding in-process locks on every name (acquired in sorted order). */
  withLock<T>(names: string | readonly string[], fn: () => Promise<T>): Promise<T>;
  /** Never throws: a health check reports, it does not fail. */
  ping(): Promise<PingResult>;
  /** Removes expired TTL entries under `prefix` on SQL backends (Redis expires them itself). */
  purgeExpired(prefix: string): Promise<number>;
  /** Deletes every key of this store's namespace. For tests and tooling; never called by the bot. */
  clearNamespace(): Promise<void>;
  close(): Promise<void>;
}

const NAMESPACE = /^[A-Za-z0-9_-]{1,40}$/;

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const namespace = opts.namespace ?? 'quitgpt';
  if (!NAMESPACE.test(namespace)) {
    throw new StoreConfigError(`invalid store namespace ${JSON.stringify(namespace)} (letters, digits, _ and -)`);
  }
  const log = opts.log ?? stderrLogger;
  const opTimeoutMs = opts.opTimeoutMs ?? 5000;
  const backend = await createBackend(url, {
    namespace,
    table: opts.table ?? 'quitgpt_kv',
    connectTimeoutMs: opts.connectTimeoutMs ?? 3000,
    opTimeoutMs,
    log,
    sqlite: { busyTimeoutMs: opts.sqlite?.busyTimeoutMs ?? 5000, synchronous: opts.sqlite?.synchronous },
    postgres: { schema: opts.postgres?.schema ?? 'public', maxConnections: opts.postgres?.maxConnections ?? 4 },
  });
  return new KeyvStore(backend, { log, opTimeoutMs, lockTimeoutMs: opts.lockTimeoutMs ?? 30_000, onOperation: opts.onOperation });
}

class KeyvStore implements Store {
  readonly kv: KV;
  readonly blobs: BlobStore;
  readonly log: StoreLogger;
  private closed = false;
  private readonly mutex: KeyedMutex;
  private readonly releaseMutex: () => void;

  constructor(
    private readonly backendImpl: Backend,
    private readonly opts: {
      log: StoreLogger;
      opTimeoutMs: number;
      lockTimeoutMs: number;
      onOperation: ((op: KvOperation) => void) | undefined;
    },
  ) {
    this.log = opts.log;
    this.kv = new KeyvKV(backendImpl.keyv, {
      timeoutMs: opts.opTimeoutMs,
      onOperation: opts.onOperation,
      isClosed: () => this.closed,
    });
    this.blobs = new KvBlobStore(this.kv, this.log);
    const shared = sharedMutex(backendImpl.identity);
    this.mutex = shared.mutex;
    this.releaseMutex = shared.release;
  }

  get backend(): BackendKind {
    return this.backendImpl.kind;
  }

  get description(): string {
    return this.backendImpl.description;
  }

  collection<T>(name: string, schema: z.ZodType<T>): Collection<T> {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new TypeError(`invalid collection name ${name}`);
    return new Collection(name, schema, this.kv, this.log);
  }

  async withLock<T>(names: string | readonly string[], fn: () => Promise<T>): Promise<T> {
    if (typeof names === 'string') return this.mutex.run(names, fn, this.opts.lockTimeoutMs);
    return this.mutex.runMany(names, fn, this.opts.lockTimeoutMs);
  }

  async ping(): Promise<PingResult> {
    const started = performance.now();
    try {
      await this.kv.get('health:ping');
      return { ok: true, backend: this.backend, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      const error = err instanceof StoreUnavailableError ? err : new StoreUnavailableError('ping', 'backend-error', err);
      return { ok: false, backend: this.backend, error };
    }
  }

  async purgeExpired(prefix: string): Promise<number> {
    if (this.closed) throw new StoreUnavailableError('purgeExpired', 'closed');
    try {
      return await withTimeout(this.backendImpl.purgeExpired(prefix, Date.now()), this.opts.opTimeoutMs * 4, 'purgeExpired');
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError('purgeExpired', 'backend-error', err);
    }
  }

  async clearNamespace(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('clearNamespace', 'closed');
    try {
      await withTimeout(this.backendImpl.keyv.clear(), this.opts.opTimeoutMs * 4, 'clearNamespace');
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError('clearNamespace', 'backend-error', err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.releaseMutex();
    try {
      await withTimeout(this.backendImpl.close(), this.opts.opTimeoutMs, 'close');
    } catch (err) {
      // Closing is best effort: the process is usually on its way out.
      this.log.warn({ err: String(err) }, 'store: close did not complete cleanly');
    }
  }
}
