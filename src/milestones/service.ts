// The wiring the app needs, in one place: an outbox and a dispatcher over the same store, the call
// the pledge flow makes after every change, and the /milestones message.
import type { TimelineEvent } from '../kb/schema.js';
import type { CampaignTotals, Totals } from '../pledges/index.js';
import { renderProgressPng } from '../render/chart.js';
import { ChartCache } from '../stats/chartCache.js';
import { MILESTONES_PROGRESS_NAME, renderMilestonesOverview } from '../render/milestones.js';
import type { GuildSettings } from '../settings/index.js';
import type { Store, StoreLogger } from '../store/index.js';
import { errorFields } from '../store/logger.js';
import type { Announcement } from './announce.js';
import { MilestoneDispatcher, type MilestoneDispatcherOptions } from './dispatcher.js';
import { MilestoneOutbox, type DecideResult, type MilestoneLevels } from './outbox.js';
import { milestonesStrings } from './strings.js';
import { CAMPAIGN_MILESTONES, nextThreshold, previousThreshold } from './thresholds.js';

export type CountChangeLike = {
  guild: { before: number; after: number };
  campaign: { before: number; after: number };
  /** Breakdown by level after the change: announcements show it when present. */
  levels?: { guild: MilestoneLevels; campaign: MilestoneLevels };
};

export type MilestonesOptions = {
  store: Store;
  settings: { get(guildId: string): Promise<GuildSettings> };
  /** Usually `() => pledges.guilds()`. */
  campaignGuilds: () => AsyncIterable<string>;
  post: MilestoneDispatcherOptions['post'];
  campaignThresholds?: readonly number[];
  clock?: () => Date;
  log?: StoreLogger;
  dispatcher?: Pick<MilestoneDispatcherOptions, 'setTimer' | 'baseDelayMs' | 'maxDelayMs' | 'postTimeoutMs'>;
  maxAttempts?: number;
};

export type Milestones = {
  outbox: MilestoneOutbox;
  dispatcher: MilestoneDispatcher;
  /**
   * Call after every submit/review/withdraw that returned `counts`. Records what was crossed, then
   * wakes the dispatcher. Never throws: the pledge is already saved, and a member must not see an
   * error for an announcement; a failure is logged with the counts so it can be replayed.
   */
  afterChange(guildId: string, counts: CountChangeLike | null | undefined): Promise<DecideResult[]>;
};

export function createMilestones(opts: MilestonesOptions): Milestones {
  const log = opts.log ?? opts.store.log;
  const clock = opts.clock;
  const outbox = new MilestoneOutbox({
    store: opts.store,
    settings: opts.settings,
    campaignGuilds: opts.campaignGuilds,
    log,
    ...(clock ? { clock } : {}),
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
  });
  const dispatcher = new MilestoneDispatcher({ outbox, post: opts.post, log, ...(clock ? { clock } : {}), ...opts.dispatcher });
  const campaignThresholds = opts.campaignThresholds ?? CAMPAIGN_MILESTONES;

  return {
    outbox,
    dispatcher,
    async afterChange(guildId, counts) {
      if (!counts) return [];
      // Only a rise can cross anything; this also spares the store a read on most withdrawals.
      if (counts.guild.after <= counts.guild.before && counts.campaign.after <= counts.campaign.before) return [];
      try {
        const settings = await opts.settings.get(guildId);
        const results = await outbox.decideForChange({ guildId, counts, guildThresholds: settings.milestones, campaignThresholds });
        if (results.some((r) => r.entries.length > 0)) dispatcher.kick();
        return results;
      } catch (err) {
        log.error({ ...errorFields(err), guildId, counts }, 'milestones: could not record a milestone decision');
        return [];
      }
    },
  };
}

export type OverviewInput = {
  /** With `byLevel` (PledgeService.totals gives it), the overview breaks the counts down by level. */
  guildTotals: Pick<Totals, 'counted'> & Partial<Pick<Totals, 'byLevel'>>;
  campaignTotals: Pick<CampaignTotals, 'counted' | 'servers'> & Partial<Pick<CampaignTotals, 'byLevel'>>;
  settings: Pick<GuildSettings, 'milestones'>;
  timeline: readonly TimelineEvent[];
  locale: 'en' | 'fr';
  campaignThresholds?: readonly number[];
};

/**
 * The progress picture is a function of the count, the thresholds around it and the language, and
 * drawing it (SVG → PNG) was most of /milestones' cost: ~14 ms of CPU per call, 3.5 ms with this
 * (bench/RESULTS.md). Pictures are kept by exactly what they show.
 */
export const progressPictures = new ChartCache({ maxEntries: 64, maxBytes: 2 * 1024 * 1024 });

/** The /milestones reply and its progress image (the server's progress toward its next threshold). */
export async function milestonesOverviewMessage(input: OverviewInput): Promise<Announcement> {
  const thresholds = input.settings.milestones;
  const count = input.guildTotals.counted;
  const reply = renderMilestonesOverview({
    locale: input.locale,
    guild: { count, thresholds, ...(input.guildTotals.byLevel ? { levels: input.guildTotals.byLevel } : {}) },
    campaign: {
      count: input.campaignTotals.counted,
      servers: input.campaignTotals.servers,
      thresholds: input.campaignThresholds ?? CAMPAIGN_MILESTONES,
      ...(input.campaignTotals.byLevel ? { levels: input.campaignTotals.byLevel } : {}),
    },
    timeline: input.timeline,
    imageName: MILESTONES_PROGRESS_NAME,
  });
  const picture = {
    count,
    next: nextThreshold(count, thresholds),
    previous: previousThreshold(count, thresholds),
    locale: input.locale,
    title: milestonesStrings[input.locale].chart.guildTitle,
  };
  // The content is its own slot: servers at the same count share a picture, and the LRU bounds the rest.
  const key = JSON.stringify(picture);
  const data = await progressPictures.get(key, key, () => renderProgressPng(picture));
  return { reply, files: [{ name: MILESTONES_PROGRESS_NAME, data }] };
}
