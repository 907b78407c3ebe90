// The keyv storage adapter for SQLite, on better-sqlite3 (Connection, below, says why not
// node-sqlite3). It replaces @keyv/sqlite (same table, same rows, so an existing database file keeps
// working) because profiling /pledge showed three costs there:
//  - every query built and compiled a new statement (`db.all(sql)`): here each SQL text is prepared
//    once per connection and reused;
//  - every write was its own transaction, i.e. its own commit and, at synchronous=FULL, its own
//    fsync; a keyv `setMany` (the 5 hash-index buckets of a pledge) was 5 commits: here writes go
//    through one queue and are committed together (group commit, below), and a `setMany` is one
//    transaction, all or nothing, as it already is on PostgreSQL and Redis;
//  - reads queued behind writes on its one node-sqlite3 connection.
//
// Group commit: a write is queued; when the writer is idle the queue is committed at once (next
// microtask, so writes issued in the same tick share a transaction); while a commit is in flight,
// new writes wait and go together in the next transaction. A write's promise resolves only after
// the COMMIT of the transaction that holds it returned, so "durable before acknowledged" holds as
// before (to disk at synchronous=FULL, to the OS at NORMAL: docs/store.md "Durability"). If a
// statement of a batch fails, the batch is rolled back and each write is retried in a transaction
// of its own, so one bad write never fails the others.
//
// One connection serves reads and writes. A transaction runs synchronously from BEGIN to COMMIT
// (Connection.transaction), so no read can run in the middle of one and see it half-done; WAL still
// lets another process (store:verify) read while the bot writes.
import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';

type Params = ReadonlyArray<string | number | null>;
type Row = Record<string, unknown>;
type Statement = { sql: string; params: Params };

type WriteOp = {
  statements: Statement[];
  resolve: (rows: Row[][]) => void;
  reject: (err: unknown) => void;
};

export type SqliteAdapterOptions = {
  /** A path, or ':memory:'. */
  file: string;
  table: string;
  busyTimeoutMs: number;
  synchronous: 'FULL' | 'NORMAL';
  /**
   * At synchronous=NORMAL, how long a committed write may stay in the OS cache only: this long after
   * a commit, a checkpoint fsyncs the WAL (and moves it into the database file). Default 1000 ms.
   */
  syncIntervalMs?: number;
};

/** Another connection (another process: store:verify, a backup) holds the lock SQLite needs. */
function isBusy(err: unknown): boolean {
  return err instanceof Database.SqliteError && (err.code === 'SQLITE_BUSY' || err.code.startsWith('SQLITE_BUSY_'));
}

/**
 * One SQLite connection through better-sqlite3, which runs each statement synchronously on the
 * calling thread. node-sqlite3 sent every statement through libuv's thread pool: on two cores the
 * wake-up of a pool thread preempted the main thread, and each answer waited for the event loop's
 * next turn while a submission held its server's lock. A point read here costs microseconds.
 *
 * SQLite's own busy timeout would wait *synchronously*, freezing the bot (gateway, every member's
 * interaction) while another process writes; so it is 0 and a busy statement is retried after
 * asynchronous pauses until `busyTimeoutMs`. Retrying is safe: a statement refused with SQLITE_BUSY
 * did nothing (BEGIN IMMEDIATE, an autocommit write, or a COMMIT that is retried by design).
 */
class Connection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  private constructor(
    readonly db: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
  ) {}

  static async open(file: string, busyTimeoutMs: number): Promise<Connection> {
    return new Connection(new Database(file, { timeout: 0 }), busyTimeoutMs);
  }

  /** Compiled once per SQL text. */
  private prepared(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** One statement with its compiled form reused; the rows it returns ([] for a plain write). */
  all(sql: string, params: Params = []): Promise<Row[]> {
    return this.patiently(() => run(this.prepared(sql), params));
  }

  /** Statements that are not worth keeping (PRAGMAs, BEGIN/COMMIT, DDL). */
  exec(sql: string): Promise<Row[]> {
    return this.patiently(() => run(this.db.prepare(sql), []));
  }

  /**
   * `steps` as one transaction, all or nothing, run synchronously: no other code on this thread can
   * run between its statements, so a read on this connection never sees it half-done.
   */
  transaction(steps: readonly Statement[]): Promise<Row[][]> {
    return this.patiently(() => {
      const [only] = steps;
      // One statement is one transaction by itself (autocommit).
      if (only && steps.length === 1) return [run(this.prepared(only.sql), only.params)];
      // IMMEDIATE takes the write lock up front, so a transaction never fails half-way because
      // another process (store:verify) began writing in between.
      this.prepared('BEGIN IMMEDIATE').run();
      try {
        const out = steps.map((st) => run(this.prepared(st.sql), st.params));
        this.prepared('COMMIT').run();
        return out;
      } catch (err) {
        if (this.db.inTransaction) this.prepared('ROLLBACK').run();
        throw err;
      }
    });
  }

  private async patiently<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 50)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || Date.now() >= deadline) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  async close(): Promise<void> {
    this.statements.clear();
    this.db.close();
  }
}

function run(stmt: BetterSqlite3.Statement, params: Params): Row[] {
  if (stmt.reader) return stmt.all(...params) as Row[];
  stmt.run(...params);
  return [];
}

export class SqliteAdapter extends EventEmitter {
  /** Set by keyv: the key prefix of this store (`<namespace>`), used by clear(). */
  namespace: string | undefined;
  readonly opts: { table: string; dialect: 'sqlite' };
  private readonly sql: {
    get: string;
    getMany: string;
    upsert: string;
    upsertMany: string;
    deleteReturning: string;
    deleteManyReturning: string;
    has: string;
    clear: string;
  };
  private queue: WriteOp[] = [];
  private flushing = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;
  private closed = false;
  /** Timer of the next checkpoint (NORMAL only); set when a commit happened since the last one. */
  private syncTimer: NodeJS.Timeout | undefined;
  private syncDue = false;

  private constructor(
    private readonly db: Connection,
    table: string,
    private readonly syncIntervalMs: number | null,
  ) {
    super();
    this.opts = { table, dialect: 'sqlite' };
    this.sql = {
      get: `SELECT value FROM ${table} WHERE key = ?`,
      getMany: `SELECT key, value FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`,
      upsert: `INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      // Rows in array order, so a key written twice keeps its last value, as the statements one by one
      // would. `WHERE true` is SQLite's required disambiguation of an upsert from a SELECT.
      upsertMany: `INSERT INTO ${table} (key, value) SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM json_each(?) AS j WHERE true ORDER BY j.key ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      deleteReturning: `DELETE FROM ${table} WHERE key = ? RETURNING key`,
      deleteManyReturning: `DELETE FROM ${table} WHERE key IN (SELECT value FROM json_each(?)) RETURNING key`,
      has: `SELECT EXISTS (SELECT 1 FROM ${table} WHERE key = ?) AS found`,
      clear: `DELETE FROM ${table} WHERE key LIKE ? ESCAPE '\\'`,
    };
  }

  /**
   * Opens the database (creating the table), sets WAL and `synchronous`, and returns the adapter
   * and the journal mode SQLite actually chose (some filesystems refuse WAL).
   */
  static async open(o: SqliteAdapterOptions): Promise<{ adapter: SqliteAdapter; journalMode: string }> {
    const memory = o.file === ':memory:';
    const db = await Connection.open(o.file, o.busyTimeoutMs);
    try {
      const mode = await db.exec('PRAGMA journal_mode=WAL');
      const journalMode = String(Object.values(mode[0] ?? {})[0] ?? '').toLowerCase();
      await db.exec(`PRAGMA synchronous=${o.synchronous}`);
      await db.exec(`CREATE TABLE IF NOT EXISTS ${o.table}(key VARCHAR(255) PRIMARY KEY, value TEXT )`);
      const syncEvery = !memory && journalMode === 'wal' && o.synchronous === 'NORMAL' ? (o.syncIntervalMs ?? 1000) : null;
      return { adapter: new SqliteAdapter(db, o.table, syncEvery), journalMode };
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  // ── keyv storage adapter ──

  async get(key: string): Promise<string | undefined> {
    const rows = await this.read(this.sql.get, [key]);
    const value = rows[0]?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    const rows = await this.read(this.sql.getMany, [JSON.stringify(keys)]);
    const byKey = new Map<unknown, unknown>(rows.map((r) => [r.key, r.value]));
    return keys.map((k) => {
      const v = byKey.get(k);
      return typeof v === 'string' ? v : undefined;
    });
  }

  async has(key: string): Promise<boolean> {
    const rows = await this.read(this.sql.has, [key]);
    return rows[0]?.found === 1;
  }

  async set(key: string, value: string): Promise<boolean> {
    await this.write([{ sql: this.sql.upsert, params: [key, value] }]);
    return true;
  }

  /** One transaction: every entry or none. */
  async setMany(entries: Array<{ key: string; value: string }>): Promise<boolean[]> {
    if (entries.length === 0) return [];
    await this.write(entries.map((e) => ({ sql: this.sql.upsert, params: [e.key, e.value] })));
    return entries.map(() => true);
  }

  async delete(key: string): Promise<boolean> {
    const [rows] = await this.write([{ sql: this.sql.deleteReturning, params: [key] }]);
    return (rows?.length ?? 0) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false;
    const [rows] = await this.write([{ sql: this.sql.deleteManyReturning, params: [JSON.stringify(keys)] }]);
    return (rows?.length ?? 0) > 0;
  }

  async clear(): Promise<void> {
    const prefix = this.namespace ? `${this.namespace}:` : '';
    await this.write([{ sql: this.sql.clear, params: [`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`] }]);
  }

  /** A write statement of the store's own (purgeExpired), committed like any other write. */
  async writeQuery(sql: string, params: Params): Promise<Row[]> {
    const [rows] = await this.write([{ sql, params }]);
    return rows ?? [];
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.syncTimer);
    await this.idle;
    // Closing the last connection checkpoints the WAL (and fsyncs) by itself.
    await this.db.close();
  }

  // ── reads and the write queue ──

  private async read(sql: string, params: Params): Promise<Row[]> {
    if (this.closed) throw new Error('SQLite store is closed');
    try {
      return await this.db.all(sql, params);
    } catch (err) {
      this.emit('error', err);
      throw err;
    }
  }

  private write(statements: Statement[]): Promise<Row[][]> {
    if (this.closed) return Promise.reject(new Error('SQLite store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ statements, resolve, reject });
      this.startFlush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.syncDue) {
        if (this.syncDue) {
          this.syncDue = false;
          await this.checkpoint();
        }
        const batch = this.queue;
        this.queue = [];
        if (batch.length > 0) {
          await this.commit(batch);
          this.scheduleSync();
        }
      }
    } finally {
      this.flushing = false;
      this.markIdle();
    }
  }

  private startFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    this.idle = new Promise((r) => {
      this.markIdle = r;
    });
    // Writes issued in this same tick join the first transaction.
    queueMicrotask(() => void this.flush());
  }

  /** NORMAL: a checkpoint syncIntervalMs after the first unsynced commit, in the write queue's turn. */
  private scheduleSync(): void {
    if (this.syncIntervalMs === null || this.syncTimer !== undefined) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      if (this.closed) return;
      this.syncDue = true;
      this.startFlush();
    }, this.syncIntervalMs);
    this.syncTimer.unref();
  }

  private async checkpoint(): Promise<void> {
    try {
      // PASSIVE never waits for readers; it fsyncs the WAL before copying frames into the database.
      await this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch (err) {
      this.emit('error', err);
    }
  }

  private async commit(batch: WriteOp[]): Promise<void> {
    try {
      const results = await this.transaction(batch.flatMap((op) => op.statements));
      let i = 0;
      for (const op of batch) {
        op.resolve(results.slice(i, i + op.statements.length));
        i += op.statements.length;
      }
    } catch (err) {
      if (batch.length === 1) {
        this.emit('error', err);
        (batch[0] as WriteOp).reject(err);
        return;
      }
      // Isolate the write that failed: each one alone, in order.
      for (const op of batch) {
        try {
          op.resolve(await this.transaction(op.statements));
        } catch (e) {
          this.emit('error', e);
          op.reject(e);
        }
      }
    }
  }

  /** Runs `statements` all or nothing and returns each one's rows. */
  private async transaction(statements: Statement[]): Promise<Row[][]> {
    return this.expand(statements, await this.db.transaction(this.merged(statements)));
  }

  /**
   * Consecutive upserts become one statement over a JSON array: one VM run for a pledge's dozen rows.
   * (Under node-sqlite3 each statement was also a thread-pool round trip waiting for the event loop's
   * next turn while the server's lock was held; that is what made this worth doing first.)
   */
  private merged(statements: Statement[]): Statement[] {
    const steps: Statement[] = [];
    let run: Array<Params> = [];
    const close = (): void => {
      const [first] = run;
      if (first && run.length === 1) steps.push({ sql: this.sql.upsert, params: first });
      else if (run.length > 1) steps.push({ sql: this.sql.upsertMany, params: [JSON.stringify(run)] });
      run = [];
    };
    for (const st of statements) {
      if (st.sql === this.sql.upsert) run.push(st.params);
      else {
        close();
        steps.push(st);
      }
    }
    close();
    return steps;
  }

  /** Rows per original statement: upserts return none; the others have their step's rows, in order. */
  private expand(statements: Statement[], stepRows: Row[][]): Row[][] {
    const out: Row[][] = [];
    let i = 0;
    let inRun = false;
    for (const st of statements) {
      if (st.sql === this.sql.upsert) {
        if (!inRun) i += 1;
        inRun = true;
        out.push([]);
      } else {
        inRun = false;
        out.push(stepRows[i] ?? []);
        i += 1;
      }
    }
    return out;
  }
}
