// withImpact() on the replies the impact lines are meant for: /stats, /milestones and the
// milestone announcement. The embeds stay within Discord's limits with the field appended.
import { beforeAll, describe, expect, it } from 'vitest';
import type { KnowledgeBase } from '../../src/kb/schema.js';
import { emptyCampaignTotals, emptyTotals } from '../../src/pledges/schema.js';
import { impactField, impactLines, withImpact } from '../../src/render/impact.js';
import { embedLength, LIMITS } from '../../src/render/limits.js';
import { renderMilestone, renderMilestonesOverview } from '../../src/render/milestones.js';
import { renderStats } from '../../src/render/stats.js';
import { statsSummary } from '../../src/stats/summary.js';
import { loadRealKb } from '../kb/realKb.js';

let kb: KnowledgeBase;
beforeAll(async () => {
  kb = await loadRealKb();
});

const COUNT = 123_456;

describe.each(['en', 'fr'] as const)('withImpact in %s', (locale) => {
  it('the milestone announcement gets the field, within limits', () => {
    const reply = renderMilestone({ locale, scope: 'guild', threshold: 100_000, count: COUNT, next: 250_000, campaignCount: 999_999 });
    const out = withImpact(reply, COUNT, locale, kb.campaign);
    expect(out.embeds[0]?.fields?.at(-1)).toEqual(impactField(COUNT, locale, kb.campaign));
    expect(embedLength(out.embeds[0]!)).toBeLessThanOrEqual(LIMITS.embedTotal);
    expect(out.embeds[0]?.image).toEqual(reply.embeds[0]?.image);
  });

  it('the /milestones overview with the whole real timeline gets the field, within limits', () => {
    const reply = renderMilestonesOverview({
      locale,
      guild: { count: COUNT, thresholds: [10, 100, 1000, 10_000, 100_000, 1_000_000] },
      campaign: { count: 999_999, servers: 42, thresholds: [1000, 1_000_000] },
      timeline: kb.timeline,
    });
    const out = withImpact(reply, COUNT, locale, kb.campaign);
    expect(out.embeds[0]?.fields?.at(-1)?.value).toBe(impactLines(COUNT, locale, kb.campaign).join('\n'));
    expect(embedLength(out.embeds[0]!)).toBeLessThanOrEqual(LIMITS.embedTotal);
  });

  it('/stats gets the field; nothing changes with no pledges or no campaign.yaml', () => {
    const totals = { ...emptyTotals(), counted: COUNT, byStatus: { pending: 3, verified: COUNT - 3, rejected: 0, withdrawn: 0 } };
    const reply = renderStats({ summary: statsSummary(totals, { ...emptyCampaignTotals(), counted: COUNT, servers: 1 }, new Date('2026-11-27T12:00:00Z')), locale });
    const out = withImpact(reply, COUNT, locale, kb.campaign);
    expect(out.embeds[0]?.fields).toHaveLength((reply.embeds[0]?.fields?.length ?? 0) + 1);
    expect(withImpact(reply, 0, locale, kb.campaign)).toBe(reply);
    expect(withImpact(reply, COUNT, locale, undefined)).toBe(reply);
  });
});
