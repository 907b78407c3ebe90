// What /stats replies with, ready to send: the embed and the chart it names, and the CSV export
// as a stream plus its file name.
import type { Readable } from 'node:stream';
import type { Locale } from '../kb/schema.js';
import type { CampaignTotals, PledgeRecord, Totals } from '../pledges/index.js';
import { renderStats, renderStatsChart } from '../render/stats.js';
import type { Reply } from '../render/reply.js';
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
};

export async function statsMessage(input: StatsMessageInput): Promise<{ reply: Reply; files: Array<{ name: string; data: Buffer }> }> {
  const summary = statsSummary(input.totals, input.campaign, input.now);
  const reply = renderStats({ summary, locale: input.locale, ...(input.guildName ? { guildName: input.guildName } : {}) });
  return { reply, files: [await renderStatsChart(summary, input.locale, input.now)] };
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
