import { describe, expect, it } from 'vitest';
import { createMilestones, milestonesOverviewMessage } from '../../src/milestones/index.js';
import { progressPictures } from '../../src/milestones/service.js';
import { PledgeService } from '../../src/pledges/index.js';
import { silentLogger } from '../../src/store/index.js';
import { submission, user } from '../pledges/helpers.js';
import { announceIn, FakeDiscord, GA, GB, setup } from './helpers.js';

describe('createMilestones: the pledge flow end to end', () => {
  it('GIVEN members pledging concurrently in two servers THEN each threshold is posted once per server that should hear it', async () => {
    const { store, settings } = await setup();
    const pledges = new PledgeService({ store, log: silentLogger });
    await announceIn(settings, GA, { milestones: [5, 10] });
    await announceIn(settings, GB, { milestones: [5], publicLocale: 'fr', campaignMilestones: false });
    const discord = new FakeDiscord();
    const m = createMilestones({ store, settings, campaignGuilds: () => pledges.guilds(), post: discord.post, campaignThresholds: [12], log: silentLogger });
    m.dispatcher.start();

    const pledge = async (guildId: string) => {
      const r = await pledges.submit(submission(guildId, user()));
      await m.afterChange(guildId, 'counts' in r ? r.counts : null);
    };
    await Promise.all([...Array.from({ length: 10 }, () => pledge(GA)), ...Array.from({ length: 6 }, () => pledge(GB))]);
    await m.dispatcher.idle();
    await m.dispatcher.stop();

    const posted = discord.messages.map((msg) => `${msg.channelId.slice(-1)}:${msg.threshold}`).sort();
    // GA: 5 and 10 (its own) and 12 (campaign, 16 pledges in all); GB: only its own 5 (opted out of campaign).
    expect(posted).toEqual(['1:10', '1:12', '1:5', '2:5']);
    expect(await m.outbox.pending()).toEqual([]);
  });

  it('GIVEN no counts, a fall, or a store that is gone THEN afterChange resolves without throwing', async () => {
    const { store, settings } = await setup();
    const errors: string[] = [];
    const m = createMilestones({
      store,
      settings,
      campaignGuilds: async function* () {},
      post: async () => ({ messageId: '1' }),
      log: { ...silentLogger, error: (_o, msg) => void errors.push(msg ?? '') },
    });
    expect(await m.afterChange(GA, null)).toEqual([]);
    expect(await m.afterChange(GA, { guild: { before: 10, after: 9 }, campaign: { before: 10, after: 9 } })).toEqual([]);
    await store.close();
    expect(await m.afterChange(GA, { guild: { before: 9, after: 10 }, campaign: { before: 9, after: 10 } })).toEqual([]);
    expect(errors).toEqual(['milestones: could not record a milestone decision']);
  });
});

describe('milestonesOverviewMessage', () => {
  it('GIVEN totals THEN the reply names the progress image it carries', async () => {
    const { reply, files } = await milestonesOverviewMessage({
      guildTotals: { counted: 30 },
      campaignTotals: { counted: 300, servers: 3 },
      settings: { milestones: [10, 25, 50] },
      timeline: [],
      locale: 'en',
    });
    expect(files.map((f) => f.name)).toEqual(['milestones-progress.png']);
    expect(reply.embeds[0]?.image?.url).toBe('attachment://milestones-progress.png');
    expect(files[0]?.data.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('GIVEN the same count, thresholds and language again THEN the picture is reused; any of them changed THEN redrawn', async () => {
    const input = (counted: number, locale: 'en' | 'fr' = 'en') => ({
      guildTotals: { counted },
      campaignTotals: { counted: 300, servers: 3 },
      settings: { milestones: [10, 25, 50] },
      timeline: [],
      locale,
    });
    const before = progressPictures.stats();
    const first = (await milestonesOverviewMessage(input(31))).files[0]?.data;
    const again = (await milestonesOverviewMessage(input(31))).files[0]?.data;
    expect(again).toBe(first);
    expect(progressPictures.stats().hits).toBe(before.hits + 1);
    const more = (await milestonesOverviewMessage(input(32))).files[0]?.data;
    const french = (await milestonesOverviewMessage(input(31, 'fr'))).files[0]?.data;
    expect(more).not.toBe(first);
    expect(more?.equals(first ?? Buffer.alloc(0))).toBe(false);
    expect(french?.equals(first ?? Buffer.alloc(0))).toBe(false);
    expect(progressPictures.stats().misses).toBe(before.misses + 3);
  });
});
