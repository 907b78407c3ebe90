// The /switch wizard keeps all its state in custom_ids, so a button pressed after a restart
// (or days later) carries everything needed: who started it and the answers so far, each
// answer set as a small bitmask over USES / PRIORITIES.
import { PRIORITIES, USES, type Priority, type Use } from './rank.js';

export type WizardState = { owner: string; uses: number; priorities: number };

const SNOWFLAKE = /^\d{15,21}$/;
const MASK = /^\d{1,2}$/;

export const USES_ALL = (1 << USES.length) - 1;
export const PRIORITIES_ALL = (1 << PRIORITIES.length) - 1;

export function toMask<T extends string>(all: readonly T[], chosen: readonly string[]): number {
  return all.reduce((mask, value, i) => (chosen.includes(value) ? mask | (1 << i) : mask), 0);
}

export function fromMask<T extends string>(all: readonly T[], mask: number): T[] {
  return all.filter((_, i) => (mask & (1 << i)) !== 0);
}

export const usesMask = (uses: readonly string[]): number => toMask(USES, uses);
export const prioritiesMask = (priorities: readonly string[]): number => toMask(PRIORITIES, priorities);
export const usesOf = (mask: number): Use[] => fromMask(USES, mask);
export const prioritiesOf = (mask: number): Priority[] => fromMask(PRIORITIES, mask);

/** A mask argument, or null when it is missing, not a number, or has bits no answer uses. */
export function parseMask(arg: string | undefined, all: number): number | null {
  if (arg === undefined || !MASK.test(arg)) return null;
  const n = Number(arg);
  return n <= all ? n : null;
}

export function parseOwner(arg: string | undefined): string | null {
  return arg !== undefined && SNOWFLAKE.test(arg) ? arg : null;
}
