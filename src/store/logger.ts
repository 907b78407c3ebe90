// The store is a plain module: it takes whatever logger the app injects (pino in production)
// and needs only these four methods, so tests can pass a recorder.

export type LogFn = (obj: object, msg?: string) => void;

export interface StoreLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => undefined;

export const silentLogger: StoreLogger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * Used when nothing is injected: a damaged record or a lost connection must still be visible
 * somewhere, so warnings and errors go to stderr rather than nowhere.
 */
export const stderrLogger: StoreLogger = {
  debug: noop,
  info: noop,
  warn: (obj, msg) => console.warn(`[store] ${msg ?? ''}`, obj),
  error: (obj, msg) => console.error(`[store] ${msg ?? ''}`, obj),
};

/** Error objects are not enumerable: turn one into fields a JSON logger keeps. */
export function errorFields(err: unknown): { err: { name: string; message: string; code?: string } } {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return { err: { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) } };
  }
  return { err: { name: 'NonError', message: String(err) } };
}

/**
 * While a backend is down every operation and every reconnect attempt emits an error; one line
 * per `intervalMs` (with a count of what was folded into it) keeps the log readable.
 */
export function throttled(fn: LogFn, intervalMs = 30_000, now: () => number = Date.now): LogFn {
  let last = -Infinity;
  let suppressed = 0;
  return (obj, msg) => {
    const t = now();
    if (t - last < intervalMs) {
      suppressed += 1;
      return;
    }
    last = t;
    fn(suppressed > 0 ? { ...obj, suppressed } : obj, msg);
    suppressed = 0;
  };
}
