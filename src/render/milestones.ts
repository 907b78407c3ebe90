// Milestone announcements (posted by the dispatcher in a server's announcements channel, in the
// server's language) and the /milestones overview with the campaign timeline.
import type { APIEmbedField } from 'discord-api-types/v10';
import type { Locale, TimelineEvent } from '../kb/schema.js';
import { milestonesStrings } from '../milestones/strings.js';
import { nextThreshold, reachedThresholds } from '../milestones/thresholds.js';
import { formatCount } from '../i18n/index.js';
import { LIMITS, truncate } from './limits.js';
import { embed, type Reply } from './reply.js';

export function milestoneImageName(threshold: number): string {
  return `milestone-${threshold}.png`;
}

export const MILESTONES_PROGRESS_NAME = 'milestones-progress.png';

export type MilestoneAnnouncementInput = {
  locale: Locale;
  scope: 'guild' | 'campaign';
  threshold: number;
  /** The scope's count when the threshold was crossed. */
  count: number;
  next: number | null;
  campaignCount: number;
  /** The scope's breakdown by level when decided (entries decided before levels existed have none). */
  levels?: { leave: number; strike: number; share: number };
};

export function renderMilestone(input: MilestoneAnnouncementInput): Reply {
  const s = milestonesStrings[input.locale].announcement;
  const fmt = (n: number): string => formatCount(n, input.locale);
  const fields: APIEmbedField[] = [
    {
      name: s.next,
      value: input.next === null ? s.allReached : s.nextValue(fmt(input.next), fmt(Math.max(input.next - input.count, 0))),
      inline: true,
    },
  ];
  // A campaign announcement already is the campaign total.
  if (input.scope === 'guild') fields.push({ name: s.campaignTotal, value: s.campaignTotalValue(fmt(input.campaignCount)), inline: true });
  if (input.levels) {
    const l = input.levels;
    fields.push({ name: s.byLevel, value: s.levelsValue(fmt(l.leave), fmt(l.strike), fmt(l.share)), inline: false });
  }
  const body = input.scope === 'guild' ? s.guildBody(fmt(input.count)) : s.campaignBody(fmt(input.count));
  return {
    embeds: [
      embed({
        title: input.scope === 'guild' ? s.guildTitle(fmt(input.threshold)) : s.campaignTitle(fmt(input.threshold)),
        description: `${body}\n\n${s.callToAction}`,
        fields,
        image: { url: `attachment://${milestoneImageName(input.threshold)}` },
      }),
    ],
    components: [],
  };
}

type Levels = { leave: number; strike: number; share: number };

export type MilestonesOverviewInput = {
  locale: Locale;
  guild: { count: number; thresholds: readonly number[]; levels?: Levels };
  campaign: { count: number; servers: number; thresholds: readonly number[]; levels?: Levels };
  /** kb.timeline; shown oldest first, the most recent kept when it does not all fit. */
  timeline: readonly TimelineEvent[];
  /** Set when the reply carries renderProgressPng() as an attachment of that name. */
  imageName?: string;
};

/** Reached thresholds beyond this many are summarized as "…, 250, 500, 1,000". */
const REACHED_SHOWN = 6;
/** Leaves room under the 4,096 description limit and the 6,000 embed total for the fields. */
const TIMELINE_BUDGET = 3400;

export function renderMilestonesOverview(input: MilestonesOverviewInput): Reply {
  const s = milestonesStrings[input.locale].overview;
  const fmt = (n: number): string => formatCount(n, input.locale);
  const progress = (count: number, thresholds: readonly number[]): string[] => {
    const reached = reachedThresholds(count, thresholds);
    const shown = reached.slice(-REACHED_SHOWN).map(fmt);
    const next = nextThreshold(count, thresholds);
    return [
      reached.length === 0 ? s.noneReached : s.reached(`${reached.length > REACHED_SHOWN ? '…, ' : ''}${shown.join(', ')}`),
      next === null ? s.allReached : s.next(fmt(next), fmt(next - count)),
    ];
  };
  const levels = (l: Levels | undefined): string[] => (l ? [`-# ${s.levels(fmt(l.leave), fmt(l.strike), fmt(l.share))}`] : []);
  const fields: APIEmbedField[] = [
    {
      name: s.server,
      value: [s.count(fmt(input.guild.count)), ...levels(input.guild.levels), ...progress(input.guild.count, input.guild.thresholds)].join('\n'),
      inline: true,
    },
    {
      name: s.campaign,
      value: [
        s.countServers(fmt(input.campaign.count), fmt(input.campaign.servers)),
        ...levels(input.campaign.levels),
        ...progress(input.campaign.count, input.campaign.thresholds),
      ].join('\n'),
      inline: true,
    },
  ];
  const timeline = timelineText(input.timeline, input.locale);
  return {
    embeds: [
      embed({
        title: s.title,
        ...(timeline ? { description: timeline } : {}),
        fields,
        ...(input.imageName ? { image: { url: `attachment://${input.imageName}` } } : {}),
        footer: { text: s.footer },
      }),
    ],
    components: [],
  };
}

/** Per knowledge-base timeline (a reload brings a new array), by locale and budget: the text is a function of the three. */
const timelineTexts = new WeakMap<readonly TimelineEvent[], Map<string, string>>();

/** "**Campaign timeline**" then one line per event; the oldest are dropped (and counted) to fit. */
export function timelineText(events: readonly TimelineEvent[], locale: Locale, budget = TIMELINE_BUDGET): string {
  let texts = timelineTexts.get(events);
  if (!texts) timelineTexts.set(events, (texts = new Map()));
  const key = `${locale}:${budget}`;
  let text = texts.get(key);
  if (text === undefined) texts.set(key, (text = drawTimeline(events, locale, budget)));
  return text;
}

function drawTimeline(events: readonly TimelineEvent[], locale: Locale, budget: number): string {
  if (events.length === 0) return '';
  const s = milestonesStrings[locale].overview;
  const sorted = [...events].sort((a, b) => a.date.localeCompare(b.date) || a.id.localeCompare(b.id));
  const lines = sorted.map((e) => {
    const url = e.sources.find((src) => src.url)?.url;
    const link = url ? ` ([${s.source}](<${url}>))` : '';
    return truncate(`\`${formatPartialDate(e.date, locale)}\` ${e.text[locale]}${link}`, LIMITS.fieldValue);
  });
  const header = `**${s.timeline}**`;
  const kept: string[] = [];
  let size = header.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    // Keep room for the "…and N earlier events" line.
    if (size + line.length + 1 > budget - 60) break;
    kept.unshift(line);
    size += line.length + 1;
  }
  const dropped = lines.length - kept.length;
  return [header, ...(dropped > 0 ? [`-# ${s.earlierEvents(dropped)}`] : []), ...kept].join('\n');
}

/**
 * One formatter per locale and precision, made when first needed. Building an Intl.DateTimeFormat
 * costs tens of microseconds and native (ICU) memory that V8's heap limits do not see: made per
 * timeline line, /milestones spent 0.4 ms of CPU per call on them and the bot's RSS climbed by
 * ~150 KB per call under load, 946 MiB after 12,000 calls, with the JS heap at ~100 MiB (bench,
 * 2026-11-28).
 */
const partialDateFormats = new Map<string, Intl.DateTimeFormat>();

function partialDateFormat(locale: Locale, precision: 'day' | 'month'): Intl.DateTimeFormat {
  const key = `${locale}:${precision}`;
  let format = partialDateFormats.get(key);
  if (!format) {
    const options: Intl.DateTimeFormatOptions =
      precision === 'day' ? { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' } : { month: 'long', year: 'numeric', timeZone: 'UTC' };
    format = new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-US', options);
    partialDateFormats.set(key, format);
  }
  return format;
}

/** YYYY, YYYY-MM or YYYY-MM-DD as written in the kb, spelled out for readers; never invents a day. */
export function formatPartialDate(date: string, locale: Locale): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(date)) return partialDateFormat(locale, 'day').format(new Date(`${date}T00:00:00Z`));
  if (/^\d{4}-\d{2}$/.test(date)) return partialDateFormat(locale, 'month').format(new Date(`${date}-01T00:00:00Z`));
  return date;
}
