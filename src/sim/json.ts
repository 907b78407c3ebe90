/** Narrowing helpers for request bodies, which arrive as `unknown` from JSON.parse. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Deep copy through JSON so snapshots handed to tests cannot alias simulator state. */
export function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

export function toJsonObject(value: unknown): JsonObject {
  const json = toJson(value);
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {};
}

export function toJsonArray(value: unknown): JsonObject[] {
  return asArray(value).map(toJsonObject);
}

/** Freezes `value` and everything in it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The objects of a list from a parsed request body, frozen in place instead of copied: the
 * simulator stores and serves them as they are (message state, snapshots, gateway events), and a
 * JSON round trip per read was the simulator's largest cost per answer in the benchmarks.
 */
export function frozenJsonArray(value: unknown): JsonObject[] {
  return deepFreeze(asArray(value).map((item) => (isRecord(item) ? (item as JsonObject) : {})));
}

/**
 * JSON request bodies by their exact bytes. A bot sends the same answer many times over (a cached
 * knowledge-base page, the baseline's fixed embed), and parsing, validating and copying each one anew
 * was most of the simulator's CPU per answer, growing with the answer's size: in bench/ the simulator
 * shares the two cores with the bot it measures, so that cost counted against richer answers (Discord's
 * own servers cost a real bot nothing). Equal bytes give the same deep-frozen value and the same text
 * string, so what is keyed by either (verdicts, numbered components) is worked out once per distinct body.
 */
export class ParsedJsonCache {
  readonly #entries = new Map<string, { value: JsonValue; text: string }>();

  constructor(
    private readonly maxEntries = 256,
    private readonly maxBytes = 16 * 1024,
  ) {}

  /** Parses `raw` (UTF-8 JSON); throws SyntaxError like JSON.parse. The value is frozen: never mutate it. */
  parse(raw: Buffer): { value: JsonValue; text: string } {
    if (raw.length > this.maxBytes) {
      const text = raw.toString('utf8');
      return { value: deepFreeze(JSON.parse(text) as JsonValue), text };
    }
    // Latin-1 maps each byte to one character: a cheap key that is equal exactly when the bytes are.
    const key = raw.toString('latin1');
    const hit = this.#entries.get(key);
    if (hit) return hit;
    const text = raw.toString('utf8');
    const entry = { value: deepFreeze(JSON.parse(text) as JsonValue), text };
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, entry);
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }
}
