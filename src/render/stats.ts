// /stats: the figures of statsSummary() as one embed, with the per-day chart as its image.
import type { APIEmbedField } from 'discord-api-types/v10';
import type { Locale } from '../kb/schema.js';
import type { StatsSummary } from '../stats/summary.js';
import { statsStrings } from '../stats/strings.js';
import { formatCount } from '../i18n/index.js';
import { dailyChartData, drawDailyChart, type DailyChartData } from './chart.js';
import { truncate } from './limits.js';
import { embed, type Reply } from './reply.js';

export const STATS_CHART_NAME = 'pledges-per-day.png';
export const STATS_CHART_DAYS = 30;

export type StatsViewInput = {
  summary: StatsSummary;
  locale: Locale;
  /** Shown in the title; plain text (embed titles render no mentions). */
  guildName?: string;
};

const percentFormats: Record<Locale, Intl.NumberFormat> = {
  en: new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 0 }),
  fr: new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 0 }),
};

export function renderStats(input: StatsViewInput): Reply {
  const s = statsStrings[input.locale];
  const { summary } = input;
  const fmt = (n: number): string => formatCount(n, input.locale);
  const st = summary.byStatus;
  const share =
    summary.verifiedShare === null
      ? s.noneToVerify
      : s.verifiedShareValue(percentFormats[input.locale].format(summary.verifiedShare), fmt(st.verified), fmt(st.pending + st.verified));
  const fields: APIEmbedField[] = [
    { name: s.counted, value: `**${fmt(summary.counted)}**\n-# ${s.countedHint}`, inline: true },
    { name: s.today, value: `**${fmt(summary.today)}**`, inline: true },
    { name: s.last7Days, value: `**${fmt(summary.last7Days)}**`, inline: true },
    {
      name: s.byStatus,
      value: (['pending', 'verified', 'rejected', 'withdrawn'] as const).map((k) => `${s.statuses[k]}: **${fmt(st[k])}**`).join('\n'),
      inline: true,
    },
    {
      name: s.byLevel,
      value: [...(['leave', 'strike', 'share'] as const).map((k) => `${s.levels[k]}: **${fmt(summary.byLevel[k])}**`), `-# ${s.sharesApart}`].join('\n'),
      inline: true,
    },
    { name: s.verifiedShare, value: share, inline: true },
    {
      name: s.campaign,
      value: [
        s.campaignValue(fmt(summary.campaign.counted), fmt(summary.campaign.servers)),
        s.campaignLevels(fmt(summary.campaign.byLevel.leave), fmt(summary.campaign.byLevel.strike), fmt(summary.campaign.byLevel.share)),
      ].join('\n'),
      inline: true,
    },
  ];
  const nothing = summary.counted === 0 && summary.byLevel.share === 0 && st.rejected === 0 && st.withdrawn === 0;
  return {
    embeds: [
      embed({
        title: input.guildName ? truncate(`${s.title} · ${input.guildName}`, 200) : s.title,
        ...(nothing ? { description: s.empty } : {}),
        fields,
        image: { url: `attachment://${STATS_CHART_NAME}` },
        footer: { text: s.footer(summary.day) },
      }),
    ],
    components: [],
  };
}

/** What the image renderStats() refers to shows: the last STATS_CHART_DAYS UTC days up to `now`. */
export function statsChartData(summary: StatsSummary, locale: Locale, now: Date): DailyChartData {
  return dailyChartData({ daily: summary.daily, days: STATS_CHART_DAYS, locale, end: now });
}

/** The image renderStats() refers to. */
export async function renderStatsChart(summary: StatsSummary, locale: Locale, now: Date): Promise<{ name: string; data: Buffer }> {
  return { name: STATS_CHART_NAME, data: await drawDailyChart(statsChartData(summary, locale, now)) };
}
