// What /stats replies with, ready to send: the embed and the chart it names, and the CSV export
// as a stream plus its file name.
import type { Readable } from 'node:stream';
import type { Locale } from '../kb/schema.js';
import type { CampaignTotals, PledgeRecord, Totals } from '../pledges/index.js';
import { dailyChartKey, drawDailyChart } from '../render/chart.js';
import { renderStats, STATS_CHART_NAME, statsChartData } from '../render/stats.js';
import type { Reply } from '../render/reply.js';
import { ChartCache } from './chartCache.js';
import { CSV_CONTENT_TYPE, csvStream } from './csv.js';
import { statsStrings } from './strings.js';
import { statsSummary, utcDay } from './summary.js';

export type StatsMessageInput = {
  /** PledgeService.totals(guildId) and campaignTotals(): two reads, no scan. */
  totals: Totals;
  campaign: CampaignTotals;
  now: Date;
  locale: Locale;
  guildName?: string;
  /** The server asked about: its chart is kept apart from other servers' (see ChartCache). */
  guildId?: string;
};

/** The charts of statsMessage() when no cache is given: one per process, a few MiB at most. */
export const statsCharts = new ChartCache();

/**
 * The /stats reply and its chart. The chart comes from `charts` when nothing it shows has changed
 * since it was last drawn for this server and language. The embed is rebuilt every time: it costs
 * microseconds, and shows figures the picture does not (statuses, levels, the whole campaign).
 */
export async function statsMessage(
  input: StatsMessageInput,
  charts: ChartCache = statsCharts,
): Promise<{ reply: Reply; files: Array<{ name: string; data: Buffer }> }> {
  const summary = statsSummary(input.totals, input.campaign, input.now);
  const reply = renderStats({ summary, locale: input.locale, ...(input.guildName ? { guildName: input.guildName } : {}) });
  const chart = statsChartData(summary, input.locale, input.now);
  const data = await charts.get(`${input.guildId ?? ''}/${input.locale}`, dailyChartKey(chart), () => drawDailyChart(chart));
  return { reply, files: [{ name: STATS_CHART_NAME, data }] };
}

/** `pledges` is PledgeService.pledges(guildId): read in batches as the upload consumes the stream. */
export function csvExport(
  pledges: AsyncIterable<PledgeRecord>,
  opts: { guildId: string; now: Date; locale: Locale },
): { name: string; contentType: string; stream: Readable } {
  return {
    name: statsStrings[opts.locale].export.filename(opts.guildId, utcDay(opts.now)),
    contentType: CSV_CONTENT_TYPE,
    stream: csvStream(pledges),
  };
}
