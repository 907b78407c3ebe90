// The simulator's cache of parsed request bodies (src/sim/json.ts ParsedJsonCache).
import { describe, expect, it } from 'vitest';
import { ParsedJsonCache } from '../../src/sim/json.js';

const bytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

describe('ParsedJsonCache', () => {
  it('GIVEN the same bytes twice THEN the same deep-frozen value and the same text', () => {
    const cache = new ParsedJsonCache();
    const a = cache.parse(bytes({ embeds: [{ title: 'Faits · été ★' }] }));
    const b = cache.parse(bytes({ embeds: [{ title: 'Faits · été ★' }] }));
    expect(b.value).toBe(a.value);
    expect(b.text).toBe(a.text);
    expect(a.value).toEqual({ embeds: [{ title: 'Faits · été ★' }] });
    expect(Object.isFrozen((a.value as { embeds: object[] }).embeds[0])).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('GIVEN bytes that decode alike but differ THEN each is parsed for itself', () => {
    const cache = new ParsedJsonCache();
    const plain = cache.parse(Buffer.from('{"t":"é"}', 'utf8'));
    const escaped = cache.parse(Buffer.from('{"t":"\\u00e9"}', 'utf8'));
    expect(escaped.value).toEqual(plain.value);
    expect(escaped.value).not.toBe(plain.value);
    expect(cache.size).toBe(2);
  });

  it('GIVEN more distinct bodies than it keeps THEN the oldest go and the rest stay', () => {
    const cache = new ParsedJsonCache(3);
    const first = cache.parse(bytes({ n: 0 }));
    for (let n = 1; n <= 3; n++) cache.parse(bytes({ n }));
    expect(cache.size).toBe(3);
    expect(cache.parse(bytes({ n: 0 })).value).not.toBe(first.value);
    expect(cache.parse(bytes({ n: 3 })).value).toEqual({ n: 3 });
  });

  it('GIVEN a body over the size kept THEN it is parsed and frozen but not kept', () => {
    const cache = new ParsedJsonCache(10, 64);
    const big = bytes({ content: 'x'.repeat(100) });
    const a = cache.parse(big);
    expect(Object.isFrozen(a.value)).toBe(true);
    expect(cache.parse(big).value).not.toBe(a.value);
    expect(cache.size).toBe(0);
  });

  it('GIVEN invalid JSON THEN a SyntaxError, and nothing kept', () => {
    const cache = new ParsedJsonCache();
    expect(() => cache.parse(Buffer.from('{"content":'))).toThrow(SyntaxError);
    expect(cache.size).toBe(0);
  });
});
