// The money the pledges withdraw, shown with /stats and /milestones, computed from the knowledge base.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { impactLines } from '../../src/render/impact.js';
import { newMember, pledge, startPledgeBot, uniqueScreenshot, upload, type PledgeBot } from './helpers/pledge.js';
import { embedText } from './helpers/messages.js';

let env: PledgeBot;

beforeAll(async () => {
  env = await startPledgeBot();
  await env.h.bot.ctx.settings.update(env.guildId, { organizerRoleId: env.world.roles.organizers });
});
afterAll(async () => env?.stop());
afterEach(() => {
  expect(env.sim.violations).toEqual([]);
  expect(env.sim.mentionWarnings).toEqual([]);
});

describe('impact in money', () => {
  it.each([
    ['en-US', 'en'],
    ['fr', 'fr'],
  ] as const)('GIVEN pledges WHEN an organizer runs /stats show and anyone runs /milestones in %s THEN the figures match the count', async (discordLocale, locale) => {
    for (let n = 0; n < 2; n++) await pledge(env, newMember(env), upload(await uniqueScreenshot(), 'shot.png'));
    const counted = (await env.h.bot.ctx.pledges.totals(env.guildId)).counted;
    const campaign = env.h.bot.ctx.kb.current.campaign;
    expect(campaign, 'kb/campaign.yaml holds the price and the estimate').toBeDefined();
    const expected = impactLines(counted, locale, campaign);
    expect(expected[0]).toContain(String(counted));

    const stats = env.sim.slash({ guildId: env.guildId, channelId: env.world.channels.general, userId: env.world.users.organizer.id, name: 'stats', subcommand: 'show', locale: discordLocale });
    const statsReply = await stats.waitForReply((m) => m.embeds.length > 0, 10_000);
    for (const line of expected.slice(0, 2)) expect(embedText(statsReply)).toContain(line);

    const milestones = env.sim.slash({ guildId: env.guildId, channelId: env.world.channels.general, userId: env.world.users.member.id, name: 'milestones', locale: discordLocale });
    const milestonesReply = await milestones.waitForReply((m) => m.embeds.length > 0, 10_000);
    for (const line of expected.slice(0, 2)) expect(embedText(milestonesReply)).toContain(line);
  });
});
