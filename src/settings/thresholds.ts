import { sanitizeUserText } from '../text/sanitize.js';

// Moderators type milestone thresholds as free text; this turns it into the sorted, unique list
// the settings keep, or names the first thing wrong with it.
export const MAX_THRESHOLDS = 100;
export const MAX_THRESHOLD = 100_000_000;

export type ThresholdProblem =
  | { kind: 'empty' }
  | { kind: 'not-a-number'; entry: string }
  | { kind: 'not-positive'; entry: string }
  | { kind: 'too-big'; entry: string }
  | { kind: 'too-many'; count: number };

export type ThresholdResult = { ok: true; values: number[] | 'default' } | { ok: false; problem: ThresholdProblem };

export function parseThresholds(input: string): ThresholdResult {
  const trimmed = input.trim();
  if (/^(default|défaut|defaut)$/i.test(trimmed)) return { ok: true, values: 'default' };
  const entries = trimmed.split(/[\s,;]+/).filter(Boolean);
  if (entries.length === 0) return { ok: false, problem: { kind: 'empty' } };
  // Checked before parsing each entry so 10,000 values are refused without building anything large.
  if (entries.length > MAX_THRESHOLDS * 4) return { ok: false, problem: { kind: 'too-many', count: entries.length } };
  const values = new Set<number>();
  for (const entry of entries) {
    if (!/^[+-]?\d+$/.test(entry)) return { ok: false, problem: { kind: 'not-a-number', entry: sanitizeUserText(entry, 40, { maxLines: 1 }) } };
    const n = Number(entry);
    if (n <= 0) return { ok: false, problem: { kind: 'not-positive', entry } };
    if (n > MAX_THRESHOLD) return { ok: false, problem: { kind: 'too-big', entry: sanitizeUserText(entry, 40, { maxLines: 1 }) } };
    values.add(n);
  }
  if (values.size > MAX_THRESHOLDS) return { ok: false, problem: { kind: 'too-many', count: values.size } };
  return { ok: true, values: [...values].sort((a, b) => a - b) };
}
