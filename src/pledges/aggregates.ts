// Totals are a pure function of the records: every change applies contribution(after) −
// contribution(before), and reconciliation sums contribution(record) over all records. Using the
// same function for both is what makes a recount agree with incremental updates.
import {
  emptyTotals,
  isCounted,
  PLEDGE_LEVELS,
  PLEDGE_STATUSES,
  type CampaignTotals,
  type PledgeLevel,
  type PledgeRecord,
  type PledgeStatus,
  type Totals,
} from './schema.js';

/**
 * What one record adds to its server's totals. A share declaration adds to `byLevel.share` only
 * (while held); a pledge (strike or leave) adds to `byStatus`, and while counted to `counted`, its
 * level and its creation day.
 */
export type Contribution = { status: PledgeStatus; level: PledgeLevel; day: string | null };

export function utcDay(iso: string): string {
  return iso.slice(0, 10);
}

export function contribution(record: PledgeRecord | null | undefined): Contribution | null {
  if (!record) return null;
  const day = record.level !== 'share' && isCounted(record.status) ? utcDay(record.createdAt) : null;
  return { status: record.status, level: record.level, day };
}

function bump(totals: Totals, c: Contribution | null, sign: 1 | -1): void {
  if (!c) return;
  if (c.level === 'share') {
    if (isCounted(c.status)) totals.byLevel.share += sign;
    return;
  }
  totals.byStatus[c.status] += sign;
  if (isCounted(c.status)) {
    totals.counted += sign;
    totals.byLevel[c.level] += sign;
  }
  if (c.day !== null) {
    const next = (totals.daily[c.day] ?? 0) + sign;
    if (next === 0) delete totals.daily[c.day];
    else totals.daily[c.day] = next;
  }
}

export function applyChange<T extends Totals>(
  totals: T,
  before: Contribution | null,
  after: Contribution | null,
  nowIso: string,
): T {
  const next: T = structuredClone(totals);
  bump(next, before, -1);
  bump(next, after, 1);
  next.updatedAt = nowIso;
  return next;
}

export function sumContributions(contributions: Iterable<Contribution>, nowIso: string | null): Totals {
  const totals = emptyTotals();
  for (const c of contributions) bump(totals, c, 1);
  totals.updatedAt = nowIso;
  return totals;
}

/** `after − before`, field by field: what a repair of one server must also apply to the campaign. */
export function difference(after: Totals, before: Totals): Totals {
  const d = emptyTotals();
  for (const s of PLEDGE_STATUSES) d.byStatus[s] = after.byStatus[s] - before.byStatus[s];
  d.counted = after.counted - before.counted;
  for (const l of PLEDGE_LEVELS) d.byLevel[l] = after.byLevel[l] - before.byLevel[l];
  for (const day of new Set([...Object.keys(after.daily), ...Object.keys(before.daily)])) {
    const v = (after.daily[day] ?? 0) - (before.daily[day] ?? 0);
    if (v !== 0) d.daily[day] = v;
  }
  return d;
}

export function addTotals<T extends Totals>(base: T, delta: Totals, nowIso: string): T {
  const next: T = structuredClone(base);
  for (const s of PLEDGE_STATUSES) next.byStatus[s] += delta.byStatus[s];
  next.counted += delta.counted;
  for (const l of PLEDGE_LEVELS) next.byLevel[l] += delta.byLevel[l];
  for (const [day, v] of Object.entries(delta.daily)) {
    const n = (next.daily[day] ?? 0) + v;
    if (n === 0) delete next.daily[day];
    else next.daily[day] = n;
  }
  next.updatedAt = nowIso;
  return next;
}

/** Servers with a counted pledge change only when one crosses zero. */
export function serversDelta(guildCountedBefore: number, guildCountedAfter: number): number {
  if (guildCountedBefore <= 0 && guildCountedAfter > 0) return 1;
  if (guildCountedBefore > 0 && guildCountedAfter <= 0) return -1;
  return 0;
}

/** Lines like "counted: 3 → 4" for every field that differs; empty when equal. */
export function describeDifferences(label: string, stored: Totals, actual: Totals): string[] {
  const out: string[] = [];
  for (const s of PLEDGE_STATUSES) {
    if (stored.byStatus[s] !== actual.byStatus[s]) out.push(`${label} ${s}: ${stored.byStatus[s]} → ${actual.byStatus[s]}`);
  }
  if (stored.counted !== actual.counted) out.push(`${label} counted: ${stored.counted} → ${actual.counted}`);
  for (const l of PLEDGE_LEVELS) {
    if (stored.byLevel[l] !== actual.byLevel[l]) out.push(`${label} level ${l}: ${stored.byLevel[l]} → ${actual.byLevel[l]}`);
  }
  const days = [...new Set([...Object.keys(stored.daily), ...Object.keys(actual.daily)])].sort();
  for (const day of days) {
    const a = stored.daily[day] ?? 0;
    const b = actual.daily[day] ?? 0;
    if (a !== b) out.push(`${label} day ${day}: ${a} → ${b}`);
  }
  const servers = (t: Totals): number | undefined => ('servers' in t && typeof t.servers === 'number' ? t.servers : undefined);
  const sa = servers(stored);
  const sb = servers(actual);
  if (sa !== undefined && sb !== undefined && sa !== sb) out.push(`${label} servers: ${sa} → ${sb}`);
  return out;
}

export type { CampaignTotals };
