import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_HOSTS, allowedHostsFor, fetchAttachment } from '../../src/images/index.js';
import { fixture, okOf, rejectionOf } from './helpers.js';

const THIRTY_MB = 30 * 1024 * 1024;
const ONE_MB = 1024 * 1024;

interface Stream {
  path: string;
  written: number;
  finished: boolean;
}

let server: Server;
let base: string;
let host: string;
let requests: string[] = [];
let streams: Stream[] = [];
let big: Buffer;

/** Writes `total` bytes in 64 KiB chunks, honouring backpressure, and records how far it got. */
function streamBytes(req: IncomingMessage, res: ServerResponse, total: number): void {
  const record: Stream = { path: req.url ?? '', written: 0, finished: false };
  streams.push(record);
  const pump = (): void => {
    while (record.written < total && !res.destroyed) {
      const chunk = big.subarray(record.written, Math.min(total, record.written + 65_536));
      record.written += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (record.written >= total && !res.destroyed) {
      record.finished = true;
      res.end();
    }
  };
  pump();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  requests.push(req.url ?? '');
  const png = fixture('valid-screenshot.png');
  switch (req.url) {
    case '/ok.png':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
      return;
    case '/chunked.png':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(png.subarray(0, 100));
      res.end(png.subarray(100));
      return;
    case '/missing':
      res.writeHead(404).end('not found');
      return;
    case '/broken':
      res.writeHead(503).end('unavailable');
      return;
    case '/redirect':
      res.writeHead(302, { location: '/ok.png' }).end();
      return;
    case '/redirect-away':
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      return;
    case '/hang':
      // Never answers: the client's deadline must end it.
      return;
    case '/drip': {
      res.writeHead(200, { 'content-type': 'image/png' });
      const timer = setInterval(() => res.write(png.subarray(0, 1)), 20);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case '/stall':
      res.writeHead(200, { 'content-length': png.length });
      res.write(png.subarray(0, 200));
      return;
    case '/huge-stream':
      res.writeHead(200, { 'content-type': 'image/png' });
      streamBytes(req, res, THIRTY_MB);
      return;
    case '/huge-declared':
      res.writeHead(200, { 'content-length': THIRTY_MB });
      streamBytes(req, res, THIRTY_MB);
      return;
    case '/gzip-bomb':
      res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(THIRTY_MB)));
      return;
    case '/empty':
      res.writeHead(200, { 'content-length': 0 }).end();
      return;
    default:
      res.writeHead(404).end();
  }
}

beforeAll(async () => {
  big = Buffer.alloc(THIRTY_MB, 0x41);
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  base = `http://${host}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
  streams = [];
});

const allowed = (): string[] => allowedHostsFor(base);

describe('fetchAttachment', () => {
  it('downloads an allowed image, with or without Content-Length', async () => {
    const png = fixture('valid-screenshot.png');
    expect(okOf(await fetchAttachment(`${base}/ok.png`, { allowedHosts: allowed() })).bytes.equals(png)).toBe(true);
    expect(okOf(await fetchAttachment(`${base}/chunked.png`, { allowedHosts: allowed() })).bytes.equals(png)).toBe(true);
  });

  it('turns 404 and 5xx into download-failed', async () => {
    expect(rejectionOf(await fetchAttachment(`${base}/missing`, { allowedHosts: allowed() }), 'download-failed').detail).toContain('404');
    expect(rejectionOf(await fetchAttachment(`${base}/broken`, { allowedHosts: allowed() }), 'download-failed').detail).toContain('503');
  });

  it('refuses redirects without following them, even to an allowed URL', async () => {
    expect(rejectionOf(await fetchAttachment(`${base}/redirect`, { allowedHosts: allowed() }), 'download-failed').detail).toContain('redirect');
    expect(rejectionOf(await fetchAttachment(`${base}/redirect-away`, { allowedHosts: allowed() }), 'download-failed').detail).toContain('redirect');
    expect(requests).toEqual(['/redirect', '/redirect-away']);
  });

  it('times out on a server that never answers', async () => {
    const started = Date.now();
    rejectionOf(await fetchAttachment(`${base}/hang`, { allowedHosts: allowed(), timeoutMs: 200 }), 'timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out on a body that drips forever or stalls halfway, the deadline covering the whole download', async () => {
    const started = Date.now();
    rejectionOf(await fetchAttachment(`${base}/drip`, { allowedHosts: allowed(), timeoutMs: 300 }), 'timeout');
    rejectionOf(await fetchAttachment(`${base}/stall`, { allowedHosts: allowed(), timeoutMs: 200 }), 'timeout');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stops reading a 30 MB stream without Content-Length as soon as it passes the cap', async () => {
    rejectionOf(await fetchAttachment(`${base}/huge-stream`, { allowedHosts: allowed(), maxBytes: ONE_MB }), 'too-large');
    // Let the server notice the closed socket.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [stream] = streams;
    expect(stream?.finished).toBe(false);
    // Loopback socket buffers can absorb a few MB; what matters is that most of the 30 MB was never sent.
    expect(stream?.written).toBeLessThan(THIRTY_MB / 2);
  });

  it('refuses an oversized Content-Length without reading the body', async () => {
    rejectionOf(await fetchAttachment(`${base}/huge-declared`, { allowedHosts: allowed() }), 'too-large');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(streams[0]?.finished).toBe(false);
  });

  it('counts decompressed bytes, so a gzip bomb stops at the cap', async () => {
    const rejection = rejectionOf(await fetchAttachment(`${base}/gzip-bomb`, { allowedHosts: allowed(), maxBytes: ONE_MB }), 'too-large');
    expect(rejection.detail).toContain('body exceeds');
  });

  it('refuses an oversized declared size before connecting', async () => {
    rejectionOf(await fetchAttachment(`${base}/ok.png`, { allowedHosts: allowed(), declaredSize: 11 * ONE_MB }), 'too-large');
    rejectionOf(await fetchAttachment(`${base}/ok.png`, { allowedHosts: allowed(), declaredSize: 2_000, maxBytes: 1_000 }), 'too-large');
    expect(requests).toEqual([]);
  });

  it('refuses hosts, ports, schemes and URLs off the allowlist before connecting', async () => {
    const path = '/ok.png';
    const refused = [
      [`${base}${path}`, [...DEFAULT_ALLOWED_HOSTS]],
      // Same address, but the allowlist names a host and port, not an IP range.
      [`http://localhost:${host.split(':')[1]}${path}`, allowed()],
      [`${base}${path}`, ['127.0.0.1']],
      [`http://user:secret@${host}${path}`, allowed()],
      [`file:///etc/passwd`, allowed()],
      [`data:image/png;base64,iVBORw0KGgo=`, allowed()],
      [`ftp://cdn.discordapp.com/x.png`, allowed()],
      [`https://cdn.discordapp.com.evil.example/x.png`, allowed()],
      [`https://evil.example/cdn.discordapp.com/x.png`, allowed()],
      [`not a url`, allowed()],
    ] as const;
    for (const [url, hosts] of refused) {
      rejectionOf(await fetchAttachment(url, { allowedHosts: hosts }), 'host-not-allowed');
    }
    expect(requests).toEqual([]);
  });

  it('treats an empty body as empty', async () => {
    rejectionOf(await fetchAttachment(`${base}/empty`, { allowedHosts: allowed() }), 'empty');
  });

  it('gives up when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    rejectionOf(await fetchAttachment(`${base}/hang`, { allowedHosts: allowed(), signal: controller.signal, timeoutMs: 5_000 }), 'download-failed');
    rejectionOf(await fetchAttachment(`${base}/ok.png`, { allowedHosts: allowed(), signal: AbortSignal.abort() }), 'download-failed');
  });

  it('reports a refused connection as download-failed', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/x.png`;
    rejectionOf(await fetchAttachment(url, { allowedHosts: [`127.0.0.1:${port}`], timeoutMs: 2_000 }), 'download-failed');
  });
});

describe('allowedHostsFor', () => {
  it('adds the CDN override host with its port, once', () => {
    expect(allowedHostsFor('http://127.0.0.1:8080/attachments')).toEqual([...DEFAULT_ALLOWED_HOSTS, '127.0.0.1:8080']);
    expect(allowedHostsFor('https://cdn.discordapp.com')).toEqual([...DEFAULT_ALLOWED_HOSTS]);
    expect(allowedHostsFor(undefined)).toEqual([...DEFAULT_ALLOWED_HOSTS]);
  });

  it('throws on a malformed override, which is a configuration error', () => {
    expect(() => allowedHostsFor('not a url')).toThrow();
  });
});
