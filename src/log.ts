// One JSON line per event. Tokens never reach the log: pino redacts the fields that hold one, and
// errors are scrubbed of the interaction tokens Discord puts in webhook and callback URLs.
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Named paths, no wildcards: a wildcard path makes pino's redaction walk and clone every logged
 * object, ~3.5 µs of the bot's main thread on each routine line (measured: 5.1 µs per line with
 * `*.token` and `*.headers.authorization`, 1.4 µs with the same fields named). Where a token can be
 * is known: the bot's config, a request's headers, an interaction, an error (`serializeError`).
 */
export const REDACT_PATHS = [
  'token',
  'config.token',
  'headers.authorization',
  'interaction.token',
  'err.token',
  'err.headers.authorization',
];

/** `/webhooks/{application}/{token}` and `/interactions/{id}/{token}`: the token is a credential for 15 minutes. */
const TOKEN_IN_URL = /(\/(?:webhooks|interactions)\/\d+\/)[^/?\s"]+/g;

export function scrubTokens(text: string): string {
  return text.replace(TOKEN_IN_URL, '$1[redacted]');
}

/**
 * pino's error serializer, then the URL, message and stack of the error and of its causes scrubbed:
 * discord.js's DiscordAPIError and HTTPError carry the request's URL, which for an interaction's
 * answer holds its token. They also carry the request's body (`requestBody`): a review card's
 * upload is the member's screenshot, and the JSON holds what members wrote; only their sizes are kept.
 */
export function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error);
  scrubSerialized(out, 0);
  return out;
}

function scrubSerialized(value: unknown, depth: number): void {
  if (typeof value !== 'object' || value === null || depth > 4) return;
  const record = value as Record<string, unknown>;
  for (const key of ['url', 'message', 'stack']) {
    const text = record[key];
    if (typeof text === 'string') record[key] = scrubTokens(text);
  }
  if ('requestBody' in record) record.requestBody = describeRequestBody(record.requestBody);
  scrubSerialized(record.cause, depth + 1);
}

/** `{ files: [{ name, bytes }], json: "[omitted: N characters]" }` (or N bytes): enough to tell which request failed, nothing a member sent. */
function describeRequestBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return '[omitted]';
  const { files, json } = body as { files?: unknown; json?: unknown };
  const out: Record<string, unknown> = {};
  if (Array.isArray(files)) {
    out.files = files.map((f: unknown) => {
      const { name, data } = (typeof f === 'object' && f !== null ? f : {}) as { name?: unknown; data?: unknown };
      const bytes = Buffer.isBuffer(data) || data instanceof Uint8Array ? data.byteLength : typeof data === 'string' ? Buffer.byteLength(data) : undefined;
      return { ...(typeof name === 'string' ? { name } : {}), ...(bytes === undefined ? {} : { bytes }) };
    });
  }
  // A pre-serialized answer (src/render/callbackBody.ts) is passed through as bytes.
  if (json instanceof Uint8Array) out.json = `[omitted: ${json.byteLength} bytes]`;
  else if (json !== undefined) {
    let size: number | string = '?';
    try {
      size = JSON.stringify(json)?.length ?? 0;
    } catch {
      // a body that cannot be serialized was never sent as JSON; its size does not matter
    }
    out.json = `[omitted: ${size} characters]`;
  }
  return out;
}

/**
 * Lines logged during one turn of the event loop, written to `target` together at the end of that
 * turn (setImmediate), in order. Under load the bot handles many interactions per turn, each with its
 * line; writing them one by one (pino's default: one synchronous write(2) per line) cost ~0.1 ms of
 * the bot's main thread per interaction at 1,000 interactions/s (bench/: 7–10 % of its CPU profile,
 * most of it the switch to the process reading the pipe). A quiet bot's line still goes out at once.
 */
export class BatchedDestination implements pino.DestinationStream {
  #pending = '';
  #scheduled = false;

  constructor(private readonly target: { write(chunk: string): unknown }) {}

  write(line: string): void {
    this.#pending += line;
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  /** Writes what is pending now (process exit). */
  flushSync(): void {
    this.#flush();
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (!this.#pending) return;
    const chunk = this.#pending;
    this.#pending = '';
    this.target.write(chunk);
  };
}

let stdout: BatchedDestination | undefined;

/**
 * Standard output, batched per event-loop turn and written synchronously (sonic-boom: partial writes
 * and EAGAIN handled), so nothing is pending once a turn ends. On exit (process.exit, a crash, the
 * end of the event loop) what the last turn logged is written first; only a SIGKILL in the middle of
 * a turn can lose that turn's lines. One per process, so every logger's lines stay in order.
 */
export function stdoutDestination(): BatchedDestination {
  if (!stdout) {
    const dest = new BatchedDestination(pino.destination({ dest: 1, sync: true }));
    process.on('exit', () => dest.flushSync());
    stdout = dest;
  }
  return stdout;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream | pino.DestinationStream): Logger {
  const opts = { level, base: { app: 'quitgpt-bot' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } };
  return pino(opts, destination ? (destination as pino.DestinationStream) : stdoutDestination());
}
