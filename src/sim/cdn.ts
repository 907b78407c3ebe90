/**
 * The attachment CDN: serves bytes that tests registered and files the bot uploaded, with
 * signed-looking, expiring URLs and misbehaviours on demand (404, hang, slow trickle).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimClock } from './clock.js';
import type { SnowflakeGenerator } from './snowflake.js';

/** `ok` serves the bytes; `404` answers Not Found; `hang` never answers; an object trickles slowly. */
export type CdnBehavior =
  | 'ok'
  | '404'
  | 'hang'
  | {
      /** Wait before sending headers. */
      delayMs?: number;
      /** Then send the body in chunks of this many bytes... */
      chunkBytes?: number;
      /** ...waiting this long between chunks. */
      chunkDelayMs?: number;
    };

export interface CdnRegisterOptions {
  filename?: string;
  contentType?: string;
  behavior?: CdnBehavior;
  /** Channel id placed in the URL path, like Discord's attachment URLs. */
  channelId?: string;
  width?: number;
  height?: number;
  /** Signed URLs stop working after this long (simulated time). Default 24 h. */
  expiresInMs?: number;
}

/** What `sim.cdn.register` returns: the fields of an attachment object, plus the bytes. */
export interface CdnAsset {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number;
  height?: number;
  bytes: Buffer;
}

export interface CdnRequest {
  method: string;
  path: string;
  assetId?: string;
  status: number | 'hung';
  at: number;
}

interface CdnEntry {
  asset: CdnAsset;
  behavior: CdnBehavior;
  expiresAt: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class SimCdn {
  readonly requests: CdnRequest[] = [];
  private readonly entries = new Map<string, CdnEntry>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly open = new Set<ServerResponse>();
  private baseUrl = '';

  constructor(
    private readonly ids: SnowflakeGenerator,
    private readonly clock: SimClock,
  ) {}

  /** @internal */
  setBaseUrl(url: string): void {
    this.baseUrl = url;
  }

  get url(): string {
    return this.baseUrl;
  }

  register(bytes: Uint8Array | string, options: CdnRegisterOptions = {}): CdnAsset {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
    const id = this.ids.next();
    const filename = options.filename ?? 'file.bin';
    const channelId = options.channelId ?? '0';
    const now = this.clock.now();
    const expiresAt = now + (options.expiresInMs ?? DAY_MS);
    const query = `?ex=${Math.floor(expiresAt / 1000).toString(16)}&is=${Math.floor(now / 1000).toString(16)}&hm=${randomBytes(32).toString('hex')}&`;
    const path = `/attachments/${channelId}/${id}/${encodeURIComponent(filename)}`;
    const asset: CdnAsset = {
      id,
      filename,
      size: buffer.length,
      url: `${this.baseUrl}${path}${query}`,
      proxy_url: `${this.baseUrl}/media${path}${query}`,
      bytes: buffer,
    };
    if (options.contentType !== undefined) asset.content_type = options.contentType;
    if (options.width !== undefined) asset.width = options.width;
    if (options.height !== undefined) asset.height = options.height;
    this.entries.set(id, { asset, behavior: options.behavior ?? 'ok', expiresAt });
    return asset;
  }

  /** A URL that misbehaves from the start (no meaningful bytes behind it). */
  registerUrl(behavior: CdnBehavior, options: Omit<CdnRegisterOptions, 'behavior'> = {}): CdnAsset {
    return this.register(Buffer.alloc(0), { ...options, behavior });
  }

  setBehavior(idOrUrl: string, behavior: CdnBehavior): void {
    const entry = this.entries.get(this.idFrom(idOrUrl) ?? idOrUrl);
    if (!entry) throw new Error(`no CDN asset ${idOrUrl}`);
    entry.behavior = behavior;
  }

  get(idOrUrl: string): CdnAsset | undefined {
    return this.entries.get(this.idFrom(idOrUrl) ?? idOrUrl)?.asset;
  }

  private idFrom(url: string): string | undefined {
    const match = /\/attachments\/[^/]+\/(\d+)\//.exec(url);
    return match?.[1];
  }

  /** @internal Handles `/cdn/...`; `path` excludes the `/cdn` prefix. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    const method = req.method ?? 'GET';
    const record: CdnRequest = { method, path, status: 404, at: this.clock.now() };
    this.requests.push(record);
    const match = /^(?:\/media)?\/attachments\/[^/]+\/(\d+)\/([^/]+)$/.exec(path);
    const entry = match?.[1] ? this.entries.get(match[1]) : undefined;
    if (entry) record.assetId = entry.asset.id;
    if (!entry || !match || decodeURIComponent(match[2] ?? '') !== entry.asset.filename || (method !== 'GET' && method !== 'HEAD')) {
      this.finish(res, 404, 'Not Found');
      return;
    }
    if (this.clock.now() > entry.expiresAt) {
      this.finish(res, 404, 'This content is no longer available.');
      return;
    }
    const behavior = entry.behavior;
    if (behavior === '404') {
      this.finish(res, 404, 'Not Found');
      return;
    }
    if (behavior === 'hang') {
      record.status = 'hung';
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      return;
    }
    record.status = 200;
    const { bytes } = entry.asset;
    const headers = {
      'content-type': entry.asset.content_type ?? 'application/octet-stream',
      'content-length': String(bytes.length),
      'cache-control': 'public, max-age=31536000',
    };
    if (behavior === 'ok') {
      res.writeHead(200, headers);
      res.end(method === 'HEAD' ? undefined : bytes);
      return;
    }
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    this.later(behavior.delayMs ?? 0, () => {
      res.writeHead(200, headers);
      if (method === 'HEAD') {
        res.end();
        return;
      }
      const chunk = Math.max(1, behavior.chunkBytes ?? bytes.length);
      let offset = 0;
      const pump = (): void => {
        if (res.destroyed) return;
        if (offset >= bytes.length) {
          res.end();
          return;
        }
        res.write(bytes.subarray(offset, offset + chunk));
        offset += chunk;
        this.later(behavior.chunkDelayMs ?? 0, pump);
      };
      pump();
    });
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private finish(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
  }

  /** @internal */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.open) res.destroy();
    this.open.clear();
  }
}
