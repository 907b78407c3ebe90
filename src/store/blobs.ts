// Screenshot copies for servers that opted in (keepScreenshots). They live in the same database as
// the records so that erasing a member is one backend to clean, with no filesystem to keep in step.
import { UndecodableValue, type KV } from './kv.js';
import type { StoreLogger } from './logger.js';

/** Discord attachments can be larger, but evidence images are normalized well below this. */
export const MAX_BLOB_BYTES = 16 * 1024 * 1024;

const BLOB_KEY = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/;

export interface BlobStore {
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
}

export class KvBlobStore implements BlobStore {
  constructor(
    private readonly kv: KV,
    private readonly log: StoreLogger,
  ) {}

  async put(key: string, data: Buffer): Promise<void> {
    checkKey(key);
    if (!Buffer.isBuffer(data)) throw new TypeError('blob data must be a Buffer');
    if (data.length > MAX_BLOB_BYTES) throw new RangeError(`blob ${key} is ${data.length} bytes (max ${MAX_BLOB_BYTES})`);
    await this.kv.set(`blob:${key}`, data);
  }

  async get(key: string): Promise<Buffer | undefined> {
    checkKey(key);
    const value = await this.kv.get(`blob:${key}`);
    if (value === undefined) return undefined;
    if (Buffer.isBuffer(value)) return value;
    const reason = value instanceof UndecodableValue ? value.reason : `not binary (${typeof value})`;
    this.log.warn({ key, reason }, 'store: blob is damaged, treating it as missing');
    return undefined;
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.kv.delete(`blob:${key}`);
  }
}

function checkKey(key: string): void {
  if (!BLOB_KEY.test(key)) throw new TypeError(`invalid blob key ${JSON.stringify(key)}`);
}
