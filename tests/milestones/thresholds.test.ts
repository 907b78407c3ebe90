import { describe, expect, it } from 'vitest';
import { crossedThresholds, nextThreshold, normalizeThresholds, previousThreshold, reachedThresholds } from '../../src/milestones/index.js';

const T = [10, 25, 50, 100];

describe('crossedThresholds', () => {
  it('GIVEN a count rising past a threshold THEN that threshold is crossed (after included, before excluded)', () => {
    expect(crossedThresholds(9, 10, T)).toEqual([10]);
    expect(crossedThresholds(10, 11, T)).toEqual([]);
    expect(crossedThresholds(0, 60, T)).toEqual([10, 25, 50]);
  });

  it('GIVEN thresholds already announced THEN they are not crossed again', () => {
    expect(crossedThresholds(9, 10, T, [10])).toEqual([]);
    expect(crossedThresholds(0, 60, T, new Set([25]))).toEqual([10, 50]);
  });

  it('GIVEN a count that falls or stays THEN nothing is crossed', () => {
    expect(crossedThresholds(10, 9, T)).toEqual([]);
    expect(crossedThresholds(10, 10, T)).toEqual([]);
    expect(crossedThresholds(Number.NaN, 10, T)).toEqual([]);
  });

  it('GIVEN unsorted or odd threshold lists THEN they are read sorted, unique, positive whole numbers', () => {
    expect(crossedThresholds(0, 100, [50, 10, 10, -5, 0, 2.5, 100])).toEqual([10, 50, 100]);
    expect(normalizeThresholds([3, 1, 2, 2])).toEqual([1, 2, 3]);
  });
});

describe('reached / next / previous', () => {
  it('GIVEN a count THEN reached, next and previous thresholds follow from it', () => {
    expect(reachedThresholds(30, T)).toEqual([10, 25]);
    expect(nextThreshold(30, T)).toBe(50);
    expect(nextThreshold(25, T)).toBe(50);
    expect(nextThreshold(100, T)).toBeNull();
    expect(previousThreshold(30, T)).toBe(25);
    expect(previousThreshold(5, T)).toBe(0);
    expect(nextThreshold(0, [])).toBeNull();
  });
});
