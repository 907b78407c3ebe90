// Campaign-wide milestones end to end: several servers on one bot, the campaign total crossing 100
// (CAMPAIGN_MILESTONES starts there, and only code can change that list, so most pledges are
// written straight into the store first; the last ones go through /pledge submit). Each opted-in
// server with an announcements channel hears it once, in its own language; an opted-out one does not.
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAMPAIGN_MILESTONES, entryId, milestoneNonce, milestonesStrings } from '../../src/milestones/index.js';
import { impactField } from '../../src/render/impact.js';
import type { SimMessage } from '../../src/sim/index.js';
import {
  bodyOf,
  botMessages,
  configText,
  errorLogs,
  expectCleanWire,
  isPng,
  newMember,
  newWorld,
  pledgeAndSettle,
  postsTo,
  startOpsBot,
  until,
  type OpsBot,
  type OpsWorld,
} from './helpers/ops.js';

let env: OpsBot;

beforeAll(async () => {
  env = await startOpsBot();
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
  expect(errorLogs(env)).toEqual([]);
});

async function server(opts: { language?: 'fr'; campaign?: boolean } = {}): Promise<OpsWorld> {
  const world = await newWorld(env);
  await configText(env, world, 'channel', { purpose: 'announcements', channel: world.channels.announcements });
  // The servers' own thresholds stay out of reach: only the campaign's are crossed here.
  await configText(env, world, 'milestones', { thresholds: '1000' });
  if (opts.language) await configText(env, world, 'language', { value: opts.language });
  if (opts.campaign === false) await configText(env, world, 'campaign-milestones', { enabled: false });
  return world;
}

/** Pledges recorded straight in the store (no milestone decision), to bring the campaign near 100. */
async function seed(world: OpsWorld, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await env.h.bot.ctx.pledges.submit({
      guildId: world.guildId,
      userId: `${7_000_000_000 + Number(world.guildId.slice(-6)) * 1_000 + i}`,
      interactionId: `seed-${world.guildId}-${i}`,
      platform: 'web',
      note: '',
      evidence: null,
    });
    expect(r.outcome).toBe('created');
  }
}

const campaignTitle = (lang: 'en' | 'fr') => milestonesStrings[lang].announcement.campaignTitle('100');
const campaignPosts = (world: OpsWorld): SimMessage[] => botMessages(env, world.channels.announcements).filter((m) => m.embeds[0]?.title === campaignTitle('en') || m.embeds[0]?.title === campaignTitle('fr'));

describe('campaign-wide milestones', () => {
  it('GIVEN two opted-in servers, one opted out and one without pledges WHEN pledges in both cross 100 campaign-wide THEN each opted-in server with pledges hears it once, in its language', async () => {
    expect(CAMPAIGN_MILESTONES[0]).toBe(100);
    const a = await server();
    const b = await server({ language: 'fr' });
    const optedOut = await server({ campaign: false });
    const noPledges = await server();
    await seed(a, 40);
    await seed(b, 40);
    await seed(optedOut, 17);
    expect((await env.h.bot.ctx.pledges.campaignTotals()).counted).toBe(97);

    await pledgeAndSettle(env, a, newMember(env, a)); // 98
    await pledgeAndSettle(env, b, newMember(env, b)); // 99
    expect([a, b, optedOut, noPledges].flatMap(campaignPosts)).toEqual([]);
    await pledgeAndSettle(env, a, newMember(env, a)); // 100: crossed here
    const inA = await env.sim.waitForMessage(a.channels.announcements, (m) => m.embeds[0]?.title === campaignTitle('en'), 10_000);
    const inB = await env.sim.waitForMessage(b.channels.announcements, (m) => m.embeds[0]?.title === campaignTitle('fr'), 10_000);
    await pledgeAndSettle(env, b, newMember(env, b)); // 101: nothing more
    await until(async () => (await env.h.bot.ctx.milestones.outbox.pending()).length === 0, 'the outbox to drain');
    await env.h.bot.ctx.milestones.dispatcher.idle();

    expect(campaignPosts(a)).toEqual([inA]);
    expect(campaignPosts(b)).toEqual([inB]);
    expect(botMessages(env, optedOut.channels.announcements)).toEqual([]);
    // Documented limit (docs/milestones.md): servers are found through their pledges.
    expect(botMessages(env, noPledges.channels.announcements)).toEqual([]);
    // Nothing else was announced anywhere: the servers' own threshold (1000) is far away.
    expect(botMessages(env, a.channels.announcements)).toHaveLength(1);
    expect(botMessages(env, b.channels.announcements)).toHaveLength(1);

    for (const [world, message, lang] of [
      [a, inA, 'en'],
      [b, inB, 'fr'],
    ] as const) {
      const s = milestonesStrings[lang].announcement;
      expect(message.embeds[0]?.description).toBe(`${s.campaignBody('100')}\n\n${s.callToAction}`);
      // A campaign announcement is the campaign total already: no separate campaign field, the next
      // milestone, the campaign's breakdown by level (all 100 are strikes: submitted without level:),
      // then what 100 pledges mean in money (kb/campaign.yaml).
      const impact = impactField(100, lang, env.h.bot.ctx.kb.current.campaign);
      expect(message.embeds[0]?.fields).toEqual([
        { name: s.next, value: s.nextValue('250', '150'), inline: true },
        { name: s.byLevel, value: s.levelsValue('0', '100', '0'), inline: false },
        ...(impact ? [impact] : []),
      ]);
      expect(message.allowed_mentions).toEqual({ parse: [] });
      expect(message.attachments.map((f) => f.filename)).toEqual(['milestone-100.png']);
      expect(isPng(message.attachments[0]?.bytes)).toBe(true);
      const meta = await sharp(message.attachments[0]!.bytes).metadata();
      expect([meta.width, meta.height]).toEqual([800, 300]);
      const posts = postsTo(env, world.channels.announcements);
      expect(posts).toHaveLength(1);
      expect(bodyOf(posts[0]!)).toMatchObject({ nonce: milestoneNonce(entryId({ kind: 'campaign' }, 100, world.guildId)), enforce_nonce: true });
    }
    expect(await env.h.bot.ctx.milestones.outbox.announced({ kind: 'campaign' })).toEqual([100]);
  });
});
