// /stats figures from the maintained aggregates only (PledgeService.totals / campaignTotals): one
// read each, whatever the number of pledges. Nothing here walks the pledge records.
import type { CampaignTotals, LevelCounts, StatusCounts, Totals } from '../pledges/index.js';

export type StatsSummary = {
  byStatus: StatusCounts;
  /** Pledges that count toward totals and milestones: pending review + verified (COUNTED_STATUSES). */
  counted: number;
  /** `leave` + `strike` = counted; `share`: share declarations held, counted apart. */
  byLevel: LevelCounts;
  /** Counted pledges created today (UTC) that still count. */
  today: number;
  /** Same over the last 7 UTC days, today included. */
  last7Days: number;
  /**
   * verified / (pending + verified): how much of what counts has been confirmed (by a moderator or
   * autoVerify). Rejected and withdrawn pledges are left out: they no longer count, so they are
   * neither verified nor waiting. null when nothing counts yet (rather than a misleading 0 %).
   */
  verifiedShare: number | null;
  campaign: { counted: number; servers: number; byLevel: LevelCounts };
  /** Today's UTC day (YYYY-MM-DD): what "today" meant. */
  day: string;
  /** The per-day counts, passed through for the chart. */
  daily: Readonly<Record<string, number>>;
};

const DAY_MS = 86_400_000;

export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The `n` UTC days ending with `now`'s day, oldest first. */
export function lastUtcDays(now: Date, n: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: n }, (_, i) => utcDay(new Date(today - (n - 1 - i) * DAY_MS)));
}

export function statsSummary(totals: Totals, campaign: CampaignTotals, now: Date): StatsSummary {
  // A day's entry is net of withdrawals (it can reach zero and be dropped, never go below it in a
  // consistent store); clamp so a damaged aggregate never shows a negative figure.
  const on = (day: string): number => Math.max(0, totals.daily[day] ?? 0);
  const days = lastUtcDays(now, 7);
  const { pending, verified } = totals.byStatus;
  const base = pending + verified;
  return {
    byStatus: { ...totals.byStatus },
    counted: totals.counted,
    byLevel: { ...totals.byLevel },
    today: on(utcDay(now)),
    last7Days: days.reduce((sum, d) => sum + on(d), 0),
    verifiedShare: base > 0 ? verified / base : null,
    campaign: { counted: campaign.counted, servers: campaign.servers, byLevel: { ...campaign.byLevel } },
    day: utcDay(now),
    daily: totals.daily,
  };
}
