// Downloads an attachment without trusting the URL, the server or the size it claims: fixed host
// allowlist, no redirects (a redirect could point anywhere, including the internal network), a
// byte cap enforced while streaming and one deadline for the whole exchange.
import { errorText } from './header.js';
import { reject } from './rejection.js';
import type { ImageResult } from './rejection.js';

/** Where Discord serves attachments. Add the host of DISCORD_CDN_URL with allowedHostsFor. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = Object.freeze(['cdn.discordapp.com', 'media.discordapp.net']);
export const DEFAULT_FETCH_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

export interface FetchAttachmentOptions {
  /** Hostnames, or host:port for a non-default port (e.g. "127.0.0.1:8080" for a test CDN). */
  allowedHosts: readonly string[];
  maxBytes?: number;
  /** For the whole download: connecting, headers and body. */
  timeoutMs?: number;
  /** The size Discord reported for the attachment; lets an oversized one be refused without connecting. */
  declaredSize?: number;
  signal?: AbortSignal;
}

export type FetchResult = ImageResult<{ bytes: Buffer }>;

/** The default hosts plus the host (and port) of `cdnUrl`, e.g. DISCORD_CDN_URL. Throws on a malformed URL: that is a configuration error. */
export function allowedHostsFor(cdnUrl?: string, base: readonly string[] = DEFAULT_ALLOWED_HOSTS): string[] {
  const hosts = [...base];
  if (cdnUrl !== undefined && cdnUrl !== '') {
    const host = new URL(cdnUrl).host;
    if (!hosts.includes(host)) hosts.push(host);
  }
  return hosts;
}

function hostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((entry) => {
    try {
      // Parsing the entry under the URL's own scheme normalizes case, IDN and default ports the same way.
      return new URL(`${url.protocol}//${entry.trim()}`).host === url.host;
    } catch {
      return false;
    }
  });
}

class DownloadTimeout extends Error {
  constructor(ms: number) {
    super(`no complete response within ${ms} ms`);
    this.name = 'DownloadTimeout';
  }
}

function describeFailure(error: unknown): string {
  // undici hides the socket error (ECONNREFUSED, ECONNRESET…) in `cause`.
  const cause = error instanceof Error && error.cause !== undefined ? `: ${errorText(error.cause)}` : '';
  return `${errorText(error)}${cause}`;
}

export async function fetchAttachment(url: string, opts: FetchAttachmentOptions): Promise<FetchResult> {
  const maxBytes = opts.maxBytes ?? DEFAULT_FETCH_MAX_BYTES;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return reject('host-not-allowed', 'not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return reject('host-not-allowed', `scheme ${parsed.protocol} refused`);
  if (parsed.username !== '' || parsed.password !== '') return reject('host-not-allowed', 'URL carries credentials');
  if (!hostAllowed(parsed, opts.allowedHosts)) return reject('host-not-allowed', `host ${parsed.host} is not on the allowlist`);
  if (opts.declaredSize !== undefined && opts.declaredSize > maxBytes) {
    return reject('too-large', `declared ${opts.declaredSize} bytes exceeds ${maxBytes}`);
  }
  if (opts.signal?.aborted) return reject('download-failed', 'aborted by caller before start');

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DownloadTimeout(timeoutMs)), timeoutMs);
  const forwardAbort = (): void => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', forwardAbort, { once: true });

  try {
    const response = await fetch(parsed, {
      redirect: 'manual',
      signal: controller.signal,
      // Identity encoding keeps Content-Length meaningful; the streamed cap below still counts
      // decoded bytes if a server compresses anyway, so a gzip bomb stops at maxBytes too.
      headers: { accept: 'image/png, image/jpeg, image/webp', 'accept-encoding': 'identity' },
    });
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      return reject('download-failed', `redirect (HTTP ${response.status}) refused`);
    }
    if (!response.ok) return reject('download-failed', `HTTP ${response.status}`);

    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(length) && length > maxBytes) return reject('too-large', `Content-Length ${length} exceeds ${maxBytes}`);
    if (response.body === null) return reject('empty', 'response has no body');

    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        // The abort in `finally` closes the socket, so the rest is never transferred.
        return reject('too-large', `body exceeds ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
    if (total === 0) return reject('empty', 'response body is empty');
    return { ok: true, bytes: Buffer.concat(chunks, total) };
  } catch (error) {
    const reason: unknown = controller.signal.reason;
    if (reason instanceof DownloadTimeout) return reject('timeout', reason.message);
    if (opts.signal?.aborted) return reject('download-failed', 'aborted by caller');
    return reject('download-failed', describeFailure(error));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', forwardAbort);
    // Releases the connection on every early return; a no-op once the body was read to the end.
    controller.abort();
  }
}
