// STORE_URL → a keyv instance plus what the adapters get wrong for a long-running bot.
// Each workaround below was read off the adapter's source (node_modules/@keyv/*/dist/index.js).
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import Keyv from 'keyv';
// @keyv/postgres (with pg) and @keyv/redis (with its client) are imported only when STORE_URL names
// them: together ~8.5 MiB of RSS after start-up that a SQLite bot never uses (bench: start-up RSS).
import { StoreConfigError } from './errors.js';
import { deserialize, serialize } from './serialize.js';
import { SqliteAdapter } from './sqlite.js';
import { errorFields, throttled, type StoreLogger } from './logger.js';

export type BackendKind = 'sqlite' | 'postgres' | 'redis';

export type BackendOptions = {
  namespace: string;
  table: string;
  connectTimeoutMs: number;
  opTimeoutMs: number;
  log: StoreLogger;
  /** `synchronous` undefined: the URL's `?synchronous=`, else NORMAL. */
  sqlite: { busyTimeoutMs: number; synchronous: 'FULL' | 'NORMAL' | undefined };
  postgres: { schema: string; maxConnections: number };
};

export type Backend = {
  readonly kind: BackendKind;
  readonly keyv: Keyv<unknown>;
  /** Same database + table + namespace ⇒ same identity: in-process locks are shared by identity. */
  readonly identity: string;
  /** Human-readable location without credentials, for logs and the store:verify report. */
  readonly description: string;
  /** Deletes expired keyv entries whose key starts with `prefix` (SQL backends never expire rows by themselves). */
  purgeExpired(prefix: string, nowMs: number): Promise<number>;
  close(): Promise<void>;
};

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

export function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  return m?.[1]?.toLowerCase() ?? '';
}

export async function createBackend(url: string, opts: BackendOptions): Promise<Backend> {
  if (!NAME.test(opts.table)) throw new StoreConfigError(`invalid table name ${JSON.stringify(opts.table)}`);
  if (!NAME.test(opts.postgres.schema)) {
    throw new StoreConfigError(`invalid schema name ${JSON.stringify(opts.postgres.schema)}`);
  }
  const scheme = schemeOf(url);
  switch (scheme) {
    case 'sqlite':
      return createSqlite(url, opts);
    case 'postgres':
    case 'postgresql':
      return createPostgres(url, opts);
    case 'redis':
    case 'rediss':
      return createRedis(url, opts);
    default:
      throw new StoreConfigError(
        `STORE_URL scheme ${scheme ? `"${scheme}://"` : '(none)'} is not supported: ` +
          'use sqlite://path/to/file.sqlite, postgres://user@host/db or redis://host:6379',
      );
  }
}

function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** keyv writes `{"value":…,"expires":…}`; these are the rows it prefixes with `namespace:`. */
function keyvKey(opts: BackendOptions, key: string): string {
  return `${opts.namespace}:${key}`;
}

// ─── SQLite ──────────────────────────────────────────────────────────────────────────────────────

async function createSqlite(url: string, opts: BackendOptions): Promise<Backend> {
  const [location = '', query = ''] = url.slice('sqlite://'.length).split('?');
  const fromUrl = new URLSearchParams(query).get('synchronous')?.toUpperCase();
  if (fromUrl !== undefined && fromUrl !== 'FULL' && fromUrl !== 'NORMAL') {
    throw new StoreConfigError(`sqlite://…?synchronous= must be FULL or NORMAL, not ${JSON.stringify(fromUrl)}`);
  }
  const synchronous = opts.sqlite.synchronous ?? fromUrl ?? 'NORMAL';
  if (location === '') throw new StoreConfigError('sqlite:// needs a file path, e.g. sqlite://data/quitgpt.sqlite');
  const memory = location === ':memory:';
  const file = memory ? ':memory:' : resolve(location);
  if (!memory) {
    await mkdir(dirname(file), { recursive: true }).catch((err: unknown) => {
      throw new StoreConfigError(`cannot create the directory for SQLite database ${file}: ${errorFields(err).err.message}`);
    });
  }

  let opened: Awaited<ReturnType<typeof SqliteAdapter.open>>;
  try {
    opened = await SqliteAdapter.open({ file, table: opts.table, busyTimeoutMs: opts.sqlite.busyTimeoutMs, synchronous });
  } catch (err) {
    throw new StoreConfigError(`cannot open SQLite database ${file}: ${errorFields(err).err.message}`);
  }
  const { adapter, journalMode } = opened;
  // WAL lets a second process (store:verify) read while the bot writes; some filesystems refuse it.
  if (!memory && journalMode !== 'wal') {
    opts.log.warn({ file, mode: journalMode }, 'sqlite: WAL journal mode unavailable, using the default journal');
  }
  const logError = throttled((o, m) => opts.log.error(o, m));
  adapter.on('error', (err: unknown) => logError(errorFields(err), 'sqlite adapter error'));
  const keyv = new Keyv<unknown>({ store: adapter, namespace: opts.namespace, throwOnErrors: true, serialize, deserialize });
  keyv.on('error', () => undefined); // already logged by the adapter listener above

  return {
    kind: 'sqlite',
    keyv,
    identity: memory ? `sqlite:memory:${randomUUID()}` : `sqlite:${file}|${opts.table}|${opts.namespace}`,
    description: `sqlite ${file} (table ${opts.table}, namespace ${opts.namespace}, synchronous ${synchronous})`,
    async purgeExpired(prefix, nowMs) {
      const rows = await adapter.writeQuery(
        `DELETE FROM ${opts.table} WHERE key LIKE ? ESCAPE '\\' ` +
          `AND (CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END) < ? RETURNING key`,
        [likePrefix(keyvKey(opts, prefix)), nowMs],
      );
      return rows.length;
    },
    close: () => adapter.disconnect(),
  };
}

// ─── PostgreSQL ──────────────────────────────────────────────────────────────────────────────────

type PgRows = { rows: unknown[] };
type PgPool = {
  query(text: string, values?: readonly unknown[]): Promise<PgRows>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
};
type PgPoolConstructor = new (config: Record<string, unknown>) => PgPool;

/**
 * @keyv/postgres keeps ONE module-global pg.Pool keyed by URI: a second store on the same URI shares
 * it, closing either ends it for both, a store on another URI silently replaces it, and the pool
 * gets no 'error' listener (an idle connection dropped by a Postgres restart would crash the
 * process). So each store brings its own pool, built from the very `pg` the adapter depends on
 * (not a dependency of ours; @types/pg is not installed, hence the local structural type).
 */
function loadPgPool(): PgPoolConstructor {
  const here = createRequire(import.meta.url);
  const fromAdapter = createRequire(here.resolve('@keyv/postgres'));
  const pg: unknown = fromAdapter('pg');
  const Pool = typeof pg === 'object' && pg !== null && 'Pool' in pg ? pg.Pool : undefined;
  if (typeof Pool !== 'function') throw new StoreConfigError('the pg driver used by @keyv/postgres was not found');
  return Pool as PgPoolConstructor;
}

function sqlState(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

async function createPostgres(url: string, opts: BackendOptions): Promise<Backend> {
  const { default: KeyvPostgres } = await import('@keyv/postgres');
  const Pool = loadPgPool();
  const { schema, maxConnections } = opts.postgres;
  const table = `${schema}.${opts.table}`;
  const pool = new Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    // Client-side cap: a query stuck behind a lock or a dead socket errors instead of hanging.
    query_timeout: opts.opTimeoutMs,
    idleTimeoutMillis: 30_000,
    // A script that forgets close() still exits.
    allowExitOnIdle: true,
    application_name: 'quitgpt-bot',
  });
  const createTable =
    (schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS ${schema}; `) +
    `CREATE TABLE IF NOT EXISTS ${table}(key VARCHAR(255) PRIMARY KEY, value TEXT)`;

  const query = async (text: string, values?: readonly unknown[]): Promise<unknown[]> => {
    try {
      return (await pool.query(text, values)).rows;
    } catch (err) {
      // The adapter creates its table once, at construction; if Postgres was down then, the table
      // may never have been made. Create it on first use instead of failing forever.
      if (sqlState(err) !== '42P01') throw err;
      await pool.query(createTable).catch((e: unknown) => {
        if (sqlState(e) !== '23505') throw e; // another store created it concurrently
      });
      return (await pool.query(text, values)).rows;
    }
  };

  class OwnPoolPostgres extends KeyvPostgres {
    override async connect(): Promise<(sql: string, values?: readonly unknown[]) => Promise<unknown[]>> {
      return query;
    }
    override async disconnect(): Promise<void> {
      await pool.end();
    }
  }

  const adapter = new OwnPoolPostgres({ uri: url, table: opts.table, schema, keySize: 255 });
  const logError = throttled((o, m) => opts.log.error(o, m));
  adapter.on('error', (err: unknown) => logError(errorFields(err), 'postgres adapter error'));
  pool.on('error', (err) => logError(errorFields(err), 'postgres idle connection error (will reconnect)'));
  const keyv = new Keyv<unknown>({ store: adapter, namespace: opts.namespace, throwOnErrors: true, serialize, deserialize });
  keyv.on('error', () => undefined);
  const where = redactUrl(url);
  let closed = false;

  return {
    kind: 'postgres',
    keyv,
    identity: `postgres:${url}|${table}|${opts.namespace}`,
    description: `postgres ${where} (table ${table}, namespace ${opts.namespace})`,
    async purgeExpired(prefix, nowMs) {
      const rows = await query(
        `DELETE FROM ${table} WHERE key LIKE $1 AND (value::jsonb->>'expires')::bigint < $2 RETURNING key`,
        [likePrefix(keyvKey(opts, prefix)), nowMs],
      );
      return rows.length;
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

// ─── Redis ───────────────────────────────────────────────────────────────────────────────────────

async function createRedis(url: string, opts: BackendOptions): Promise<Backend> {
  const { default: KeyvRedis } = await import('@keyv/redis');
  const adapter = new KeyvRedis<unknown>(
    {
      url,
      // Without this, commands issued while disconnected wait in an offline queue and may run
      // minutes later, after the caller was already told the write failed.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: opts.connectTimeoutMs,
        // A few quick retries ride out a blip; then the client closes and the next operation
        // reconnects from scratch, instead of every operation hanging on an endless backoff.
        reconnectStrategy: (retries: number) => (retries >= 3 ? false : Math.min(50 * 2 ** retries, 500)),
      },
    },
    {
      namespace: opts.namespace,
      // The default (false) turns a failed GET into "not found": never acceptable here.
      throwOnErrors: true,
      throwOnConnectError: true,
      connectionTimeout: opts.connectTimeoutMs,
    },
  );
  // @keyv/redis connects on the first command; two commands issued together before that (or after
  // a reconnect) each call connect(), the second fails and its cleanup closes the first's socket:
  // "The client is offline". One connection attempt at a time, shared by whoever is waiting.
  const connect = adapter.getClient.bind(adapter);
  let connecting: ReturnType<typeof connect> | null = null;
  adapter.getClient = () => {
    connecting ??= connect().finally(() => {
      connecting = null;
    });
    return connecting;
  };
  const logError = throttled((o, m) => opts.log.warn(o, m));
  adapter.on('error', (err: unknown) => logError(errorFields(err), 'redis error'));
  // The adapter prefixes keys with its own namespace ("ns::key"); a keyv prefix on top would double it.
  const keyv = new Keyv<unknown>({ store: adapter, namespace: opts.namespace, useKeyPrefix: false, throwOnErrors: true, serialize, deserialize });
  keyv.on('error', () => undefined);

  return {
    kind: 'redis',
    keyv,
    identity: `redis:${url}|${opts.namespace}`,
    description: `redis ${redactUrl(url)} (namespace ${opts.namespace})`,
    // Redis expires keys itself (keyv passes the TTL as PX).
    purgeExpired: async () => 0,
    async close() {
      await adapter.disconnect().catch(() => undefined);
    },
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:\/\/[^@/]*@/, '://***@');
  }
}
