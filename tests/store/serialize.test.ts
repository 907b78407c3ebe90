// The store's (de)serializer must write and read exactly what keyv's own does, so that databases
// written by either are interchangeable (src/store/serialize.ts).
import { defaultDeserialize, defaultSerialize } from '@keyv/serialize';
import { describe, expect, it } from 'vitest';
import { deserialize, serialize } from '../../src/store/serialize.js';

function envelope(value: unknown, expires: number | undefined = undefined): unknown {
  return { value, expires };
}

/** A small deterministic generator of JSON-ish values, biased towards the escapes. */
function makeRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STRINGS = ['', 'a', ':', '::', ':x', '::x', ':base64:', ':base64:AAEC', 'x:"', '",":', '[":', '\\":', 'é', '\u0000', 'a b', '{}', '"'];

function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth > 3 || r < 0.35) {
    const k = Math.floor(rnd() * 6);
    if (k === 0) return STRINGS[Math.floor(rnd() * STRINGS.length)];
    if (k === 1) return Math.floor(rnd() * 1e6) - 5e5;
    if (k === 2) return rnd() < 0.5;
    if (k === 3) return null;
    if (k === 4) return rnd() * 10;
    return Buffer.from([Math.floor(rnd() * 256), 1, 2]);
  }
  if (r < 0.65) {
    const n = Math.floor(rnd() * 5);
    return Array.from({ length: n }, () => randomValue(rnd, depth + 1));
  }
  const o: Record<string, unknown> = {};
  const n = Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) {
    const key = rnd() < 0.2 ? (STRINGS[Math.floor(rnd() * STRINGS.length)] ?? 'k') : `k${i}`;
    o[key] = rnd() < 0.1 ? undefined : randomValue(rnd, depth + 1);
  }
  return o;
}

describe('store serializer', () => {
  it("writes the same text as keyv's serializer", () => {
    const cases: unknown[] = [
      { pledgeId: 1, guildId: '123', note: ':)', evidence: null, duplicateOf: [] },
      { entries: Array.from({ length: 200 }, (_, i) => ({ g: '1', u: String(i) })) },
      { s: ':colon', nested: [1, 'two', ':three'] },
      Buffer.from('hello'),
      { when: new Date(0) },
      { f: () => 1, u: undefined, n: null },
      [1, () => 2, undefined, 3],
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
      Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 }),
      { nan: Number.NaN, inf: Infinity, neg: -0 },
      'top',
      ':top',
      42,
      null,
      undefined,
    ];
    for (const value of cases) {
      expect(serialize(envelope(value, 5))).toBe(defaultSerialize(envelope(value, 5)));
    }
    const rnd = makeRandom(7);
    for (let i = 0; i < 3000; i++) {
      const value = randomValue(rnd, 0);
      expect(serialize(envelope(value))).toBe(defaultSerialize(envelope(value)));
    }
  });

  it("reads keyv's text to the same value, including escaped strings and Buffers", () => {
    const rnd = makeRandom(11);
    for (let i = 0; i < 3000; i++) {
      const text = defaultSerialize(envelope(randomValue(rnd, 0), i));
      expect(deserialize(text)).toEqual(defaultDeserialize(text));
    }
    for (const text of ['"::x"', '[":x"]', '{"a": "::x"}', '{"a":[1, ":base64:AAEC"]}', '{":k":1}', '"plain"', '{"s":"a\\":b"}']) {
      expect(deserialize(text)).toEqual(defaultDeserialize(text));
    }
  });

  it('throws SyntaxError on text that is not JSON, as keyv does', () => {
    expect(() => deserialize('{not json')).toThrow(SyntaxError);
    expect(() => deserialize('{"a":":x"')).toThrow(SyntaxError);
  });
});
