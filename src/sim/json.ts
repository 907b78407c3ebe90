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
