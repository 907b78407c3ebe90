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
