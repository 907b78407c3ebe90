// Milestones and the levels of commitment: a decision freezes the scope's breakdown by level into
// its entries, announcements show it (English and French), entries decided before levels existed
// still parse and render without it, and /milestones shows the breakdown per scope.
import { describe, expect, it } from 'vitest';
import { buildAnnouncement, MilestoneOutbox } from '../../src/milestones/index.js';
import { outboxEntryDataSchema } from '../../src/milestones/outbox.js';
import { PledgeService } from '../../src/pledges/index.js';
import { renderMilestone, renderMilestonesOverview } from '../../src/render/milestones.js';
import { silentLogger } from '../../src/store/index.js';
import { limitViolations } from '../helpers/limits.js';
import { ix, submission, user } from '../pledges/helpers.js';
import { announceIn, GA, listOf, setup } from './helpers.js';

const LEVELS = { leave: 1234, strike: 56, share: 7 };

function levelsField(reply: ReturnType<typeof renderMilestone>, name: string): string | undefined {
  return reply.embeds[0]?.fields?.find((f) => f.name === name)?.value;
}

describe('milestone announcements with levels', () => {
  it('GIVEN a breakdown THEN the announcement has a "by level" field in English and French, within Discord limits', () => {
    for (const scope of ['guild', 'campaign'] as const) {
      const en = renderMilestone({ locale: 'en', scope, threshold: 1000, count: 1290, next: 2500, campaignCount: 5000, levels: LEVELS });
      const fr = renderMilestone({ locale: 'fr', scope, threshold: 1000, count: 1290, next: 2500, campaignCount: 5000, levels: LEVELS });
      expect(levelsField(en, 'By level of commitment')).toBe('Leave entirely: **1,234**\nFinancial strike: **56**\nShared the campaign: **7** (counted apart)');
      expect(levelsField(fr, 'Par niveau d’engagement')).toBe(
        'Départ complet : **1\u202f234**\nGrève financière : **56**\nPartage de la campagne : **7** (comptés à part)',
      );
      expect(limitViolations(en)).toEqual([]);
      expect(limitViolations(fr)).toEqual([]);
    }
  });

  it('GIVEN no breakdown (an entry decided before levels existed) THEN the announcement is as before', () => {
    const r = renderMilestone({ locale: 'en', scope: 'guild', threshold: 10, count: 10, next: 25, campaignCount: 10 });
    expect(r.embeds[0]?.fields?.map((f) => f.name)).toEqual(['Next milestone', 'Whole campaign']);
  });

  it('GIVEN pledges and shares through the service THEN the decision freezes each scope’s breakdown in its entries, and an old entry still parses', async () => {
    const { store, settings } = await setup();
    await announceIn(settings, GA);
    const pledges = new PledgeService({ store, log: silentLogger });
    const outbox = new MilestoneOutbox({ store, settings, campaignGuilds: () => listOf([GA]), log: silentLogger });
    await pledges.declareShare({ guildId: GA, userId: user(), interactionId: ix() });
    await pledges.submit(submission(GA, user(), { level: 'leave' }));
    const r = await pledges.submit(submission(GA, user()));
    if (r.outcome !== 'created') throw new Error(r.outcome);
    // Shares do not count toward pledge milestones: the second pledge crosses 2, not the share.
    expect(r.counts.guild).toEqual({ before: 1, after: 2 });
    const [guild, campaign] = await outbox.decideForChange({ guildId: GA, counts: r.counts, guildThresholds: [2], campaignThresholds: [2] });
    expect(guild?.entries[0]?.levels).toEqual({ leave: 1, strike: 1, share: 1 });
    expect(campaign?.entries[0]?.levels).toEqual({ leave: 1, strike: 1, share: 1 });
    const built = await buildAnnouncement(guild!.entries[0]!);
    expect(levelsField(built.reply, 'By level of commitment')).toBe('Leave entirely: **1**\nFinancial strike: **1**\nShared the campaign: **1** (counted apart)');

    const { levels: _dropped, ...old } = guild!.entries[0]!;
    expect(outboxEntryDataSchema.safeParse(old).success).toBe(true);
    await store.close();
  });
});

describe('/milestones overview with levels', () => {
  it('GIVEN totals with a breakdown THEN each scope shows it under its count, in English and French', () => {
    const input = {
      guild: { count: 1290, thresholds: [10, 100, 1000], levels: LEVELS },
      campaign: { count: 5000, servers: 3, thresholds: [100, 1000], levels: { leave: 10, strike: 4990, share: 20 } },
      timeline: [],
    };
    const en = renderMilestonesOverview({ ...input, locale: 'en' });
    const fr = renderMilestonesOverview({ ...input, locale: 'fr' });
    expect(en.embeds[0]?.fields?.[0]?.value.split('\n').slice(0, 2)).toEqual(['**1,290** pledges', '-# leave 1,234 · strike 56 · 7 shares']);
    expect(en.embeds[0]?.fields?.[1]?.value.split('\n')[1]).toBe('-# leave 10 · strike 4,990 · 20 shares');
    expect(fr.embeds[0]?.fields?.[0]?.value.split('\n')[1]).toBe('-# départ 1\u202f234 · grève 56 · 7 partages');
    expect(en.embeds[0]?.footer?.text).toMatch(/shares are counted apart/);
    expect(limitViolations(en)).toEqual([]);
    expect(limitViolations(fr)).toEqual([]);
  });
});
