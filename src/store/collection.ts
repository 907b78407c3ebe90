// A typed view of one key prefix. Reads are validated every time: the database outlives the code
// that wrote it (older versions, hand edits, a half-restored backup), and a damaged record must
// surface as a value the caller can branch on, never as an exception deep inside a command.
import type { z } from 'zod';
import type { InvalidRecord } from './errors.js';
import { UndecodableValue, type KV, type KvEntry } from './kv.js';
import type { StoreLogger } from './logger.js';

export type ReadResult<T> = { ok: true; value: T | undefined } | { ok: false; error: InvalidRecord };

export class Collection<T> {
  constructor(
    readonly name: string,
    private readonly schema: z.ZodType<T>,
    private readonly kv: KV,
    private readonly log: StoreLogger,
  ) {}

  key(id: string): string {
    return `${this.name}:${id}`;
  }

  async read(id: string): Promise<ReadResult<T>> {
    return this.decode(this.key(id), await this.kv.get(this.key(id)));
  }

  async readMany(ids: readonly string[]): Promise<Array<ReadResult<T>>> {
    const keys = ids.map((id) => this.key(id));
    const raws = await this.kv.getMany(keys);
    return raws.map((raw, i) => this.decode(keys[i] ?? '', raw));
  }

  /**
   * Validates before writing: an invalid value here is a bug in the caller, so it throws (ZodError)
   * and the store is left untouched.
   */
  async write(id: string, value: T, ttlMs?: number): Promise<T> {
    const parsed = this.schema.parse(value);
    await this.kv.set(this.key(id), parsed, ttlMs);
    return parsed;
  }

  /**
   * A validated entry for `KV.setMany`, so that writes to several collections commit as one batch
   * (all or nothing on every backend). Throws on an invalid value, like write().
   */
  entry(id: string, value: T, ttlMs?: number): KvEntry {
    return { key: this.key(id), value: this.schema.parse(value), ...(ttlMs === undefined ? {} : { ttlMs }) };
  }

  async writeMany(entries: ReadonlyArray<{ id: string; value: T; ttlMs?: number }>): Promise<void> {
    await this.kv.setMany(entries.map((e) => this.entry(e.id, e.value, e.ttlMs)));
  }

  async delete(id: string): Promise<void> {
    await this.kv.delete(this.key(id));
  }

  async deleteMany(ids: readonly string[]): Promise<void> {
    await this.kv.deleteMany(ids.map((id) => this.key(id)));
  }

  private decode(key: string, raw: unknown): ReadResult<T> {
    if (raw === undefined) return { ok: true, value: undefined };
    if (raw instanceof UndecodableValue) return this.invalid(key, [raw.reason], raw.raw);
    const parsed = this.schema.safeParse(raw);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return this.invalid(key, issues, raw);
  }

  private invalid(key: string, issues: string[], raw: unknown): ReadResult<T> {
    const error: InvalidRecord = { kind: 'invalid-record', key, collection: this.name, issues, raw };
    this.log.warn({ key, collection: this.name, issues }, 'store: record failed validation');
    return { ok: false, error };
  }
}
