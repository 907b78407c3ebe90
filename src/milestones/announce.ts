// Turns an outbox entry into the message the app's `post` sends: the embed in the target server's
// language and its progress image. Everything comes from the entry, frozen at decision time, so
// every retry of one entry sends the same message.
import { renderProgressPng } from '../render/chart.js';
import { milestoneImageName, renderMilestone } from '../render/milestones.js';
import type { Reply } from '../render/reply.js';
import type { OutboxEntryData } from './outbox.js';
import { milestonesStrings } from './strings.js';

export type Announcement = { reply: Reply; files: Array<{ name: string; data: Buffer }> };

export async function buildAnnouncement(entry: OutboxEntryData): Promise<Announcement> {
  const scope = entry.scope.kind;
  const chart = milestonesStrings[entry.locale].chart;
  const reply = renderMilestone({
    locale: entry.locale,
    scope,
    threshold: entry.threshold,
    count: entry.count,
    next: entry.next,
    campaignCount: entry.campaignCount,
    ...(entry.levels ? { levels: entry.levels } : {}),
  });
  // From zero rather than from the threshold just reached: right after reaching it, a bar from
  // there would be empty; from zero it shows how far the next one is.
  const data = await renderProgressPng({
    count: entry.count,
    next: entry.next,
    previous: 0,
    locale: entry.locale,
    title: scope === 'guild' ? chart.guildTitle : chart.campaignTitle,
  });
  return { reply, files: [{ name: milestoneImageName(entry.threshold), data }] };
}
