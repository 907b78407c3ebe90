import { describe, expect, it } from 'vitest';
import {
  DHASH_BANDS,
  DHASH_MAX_DISTANCE,
  dhashIndexEntries,
  dhashProbes,
  hammingHex,
} from '../../src/pledges/index.js';
import { flipBits, randomDhash } from './helpers.js';

const key = (e: { band: number; value: string }): string => `${e.band}:${e.value}`;

function randomBits(n: number): number[] {
  const bits = new Set<number>();
  while (bits.size < n) bits.add(Math.floor(Math.random() * 64));
  return [...bits];
}

describe('dHash banding', () => {
  it('measures Hamming distance bit by bit', () => {
    expect(hammingHex('0000000000000000', '0000000000000000')).toBe(0);
    expect(hammingHex('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingHex('f0f0f0f0f0f0f0f0', '0ff0f0f0f0f0f0f1')).toBe(9);
    const h = randomDhash();
    expect(hammingHex(h, flipBits(h, [0, 13, 63]))).toBe(3);
  });

  it('indexes each hash under one key per band and probes a bounded number of keys', () => {
    const h = randomDhash();
    expect(dhashIndexEntries(h)).toHaveLength(DHASH_BANDS);
    expect(dhashProbes(h)).toHaveLength(68);
    expect(new Set(dhashProbes(h).map(key)).size).toBe(68);
  });

  it('finds every hash within the threshold, including when no band is identical', () => {
    // 2 + 2 + 1 + 1 differing bits: every 16-bit band differs, yet the 1-bit bands are probed.
    const a = randomDhash();
    const b = flipBits(a, [0, 1, 16, 17, 32, 48]);
    expect(hammingHex(a, b)).toBe(DHASH_MAX_DISTANCE);
    const indexedB = new Set(dhashIndexEntries(b).map(key));
    expect(dhashIndexEntries(a).some((e) => indexedB.has(key(e)))).toBe(false);
    expect(dhashProbes(a).some((p) => indexedB.has(key(p)))).toBe(true);
  });

  it('holds for thousands of random pairs at every distance up to the threshold', () => {
    for (let i = 0; i < 3000; i++) {
      const a = randomDhash();
      const d = i % (DHASH_MAX_DISTANCE + 1);
      const b = flipBits(a, randomBits(d));
      const indexedB = new Set(dhashIndexEntries(b).map(key));
      expect(dhashProbes(a).some((p) => indexedB.has(key(p)))).toBe(true);
    }
  });
});
