// keyv's own (de)serializer (@keyv/serialize) writes `{"value":…,"expires":…}` with two
// escapes: a string that starts with ':' is stored with one more ':' in front, and a Buffer as
// the string ':base64:<data>'. Its reader undoes them with a JSON.parse *reviver*, which calls back
// into JavaScript for every value of every row; its writer builds the JSON string by hand, key by
// key. Profiling /pledge (bench, 2026-11) put those two at ~17% of the bot's main-thread CPU, more
// than the pledge logic itself: the viral-screenshot path then read five hash-index buckets of up
// to 200 entries and up to 100 candidate records per pledge (now at most 20 holders per bucket and
// ten records, src/pledges/service.ts).
//
// These two functions produce and accept exactly the same text (tests/store/serialize.test.ts
// checks them against @keyv/serialize), so databases written before and after are interchangeable.
// They only take a shortcut when they can tell nothing needs escaping:
//  - writing: a walk over the value finds no string starting with ':', no Buffer and nothing that
//    JSON.stringify renders differently from keyv's writer → JSON.stringify (native);
//  - reading: the text contains no string *value* that starts with ':' (an opening quote followed
//    by ':'; in keyv's output an opening quote of a value follows ':', ',' or '[', or starts the
//    text) → JSON.parse without a reviver (native). Otherwise the reviver runs, exactly as keyv's.
import { Buffer } from 'node:buffer';

/** Deeper than this, the walk gives up and the exact (slow) writer decides. */
const MAX_DEPTH = 64;

/** True when JSON.stringify(value) is byte-for-byte what keyv's writer produces. */
function plainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return value.length === 0 || value.charCodeAt(0) !== 58; /* ':' */
    case 'number':
    case 'boolean':
      return true;
    case 'object': {
      if (value === null) return true;
      if (depth > MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false;
        for (let i = 0; i < value.length; i++) {
          // keyv's writer skips holes and undefined/functions in arrays; JSON.stringify writes null.
          if (!(i in value)) return false;
          const v: unknown = value[i];
          if (v === undefined || !plainJson(v, depth + 1)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false; // Buffer, Date, Map, class instances…
      if ('toJSON' in value) return false;
      for (const k in value) {
        if (!Object.hasOwn(value, k)) return false; // enumerable inherited keys: leave it to keyv's writer
        const v: unknown = (value as Record<string, unknown>)[k];
        if (v === undefined) continue; // both writers omit it
        if (!plainJson(v, depth + 1)) return false;
      }
      return true;
    }
    default:
      // undefined, function, symbol, bigint: rare and rendered differently; keyv's writer decides.
      return false;
  }
}

/** keyv's writer (@keyv/serialize `_serialize`), kept for values that need its escapes. */
function keyvSerialize(data: unknown, escapeColonStrings: boolean): string {
  if (data === undefined || data === null) return 'null';
  if (typeof data === 'string') {
    return JSON.stringify(escapeColonStrings && data.startsWith(':') ? `:${data}` : data);
  }
  if (Buffer.isBuffer(data)) return JSON.stringify(`:base64:${data.toString('base64')}`);
  let d: unknown = data;
  if (typeof d === 'object' && d !== null && 'toJSON' in d && typeof d.toJSON === 'function') {
    d = (d.toJSON as () => unknown).call(d);
  }
  if (typeof d === 'object' && d !== null) {
    const array = Array.isArray(d);
    const obj = d as Record<string, unknown>;
    let s = array ? '[' : '{';
    let first = true;
    for (const k in obj) {
      const v = obj[k];
      const ignore = typeof v === 'function' || (!array && v === undefined);
      if (!Object.hasOwn(obj, k) || ignore) continue;
      if (!first) s += ',';
      first = false;
      s += array ? keyvSerialize(v, escapeColonStrings) : `${keyvSerialize(k, false)}:${keyvSerialize(v, escapeColonStrings)}`;
    }
    return s + (array ? ']' : '}');
  }
  return JSON.stringify(d) as string;
}

export function serialize(data: unknown): string {
  if (typeof data === 'object' && data !== null && plainJson(data, 0)) return JSON.stringify(data);
  return keyvSerialize(data, true);
}

function revive(_key: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.startsWith(':base64:')) return Buffer.from(value.slice(8), 'base64');
    return value.startsWith(':') ? value.slice(1) : value;
  }
  return value;
}

/** An opening quote of a string value directly followed by ':' (whitespace tolerated, though keyv writes none). */
const ESCAPED_VALUE = /(?:^|[:,[])\s*":/;

export function deserialize<T>(data: string): T {
  return (ESCAPED_VALUE.test(data) ? JSON.parse(data, revive) : JSON.parse(data)) as T;
}
