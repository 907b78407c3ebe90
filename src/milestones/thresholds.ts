// Pure threshold arithmetic, shared by the outbox (what to announce), the announcement embed and
// /milestones (what was reached, what comes next). No store, no clock: easy to test exhaustively.

/**
 * Campaign-wide thresholds. Per-server lists live in the server settings (DEFAULT_MILESTONES);
 * the campaign adds up every server, so its list starts higher and goes further.
 */
export const CAMPAIGN_MILESTONES: readonly number[] = [
  100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
];

/** Positive whole numbers, ascending, without repeats (settings already store them so; this is a guard). */
export function normalizeThresholds(thresholds: Iterable<number>): number[] {
  return [...new Set([...thresholds].filter((t) => Number.isSafeInteger(t) && t > 0))].sort((a, b) => a - b);
}

/**
 * Thresholds t with before < t <= after that were never announced, ascending.
 * A count that falls and rises again crosses a threshold a second time; `alreadyAnnounced` is what
 * keeps that from being a second announcement.
 */
export function crossedThresholds(
  before: number,
  after: number,
  thresholds: Iterable<number>,
  alreadyAnnounced: Iterable<number> = [],
): number[] {
  if (!(after > before)) return [];
  const announced = new Set(alreadyAnnounced);
  return normalizeThresholds(thresholds).filter((t) => t > before && t <= after && !announced.has(t));
}

/** Thresholds at or below `count`, ascending. */
export function reachedThresholds(count: number, thresholds: Iterable<number>): number[] {
  return normalizeThresholds(thresholds).filter((t) => t <= count);
}

/** The smallest threshold above `count`, or null when every threshold is reached. */
export function nextThreshold(count: number, thresholds: Iterable<number>): number | null {
  return normalizeThresholds(thresholds).find((t) => t > count) ?? null;
}

/** The largest threshold at or below `count` (0 when none): where a progress bar starts. */
export function previousThreshold(count: number, thresholds: Iterable<number>): number {
  const reached = reachedThresholds(count, thresholds);
  return reached[reached.length - 1] ?? 0;
}
