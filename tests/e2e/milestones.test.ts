// Milestone announcements and /milestones end to end: the real bot on the simulator, pledges made
// with /pledge submit by distinct members, thresholds and channel set with /config. Each test has
// its own server, so thresholds and "already announced" never leak between tests; every server's
// thresholds are low so a handful of pledges cross them. (Campaign-wide milestones and restarts:
// milestones-restart.test.ts, which has its own store.)
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { entryId, milestoneNonce, milestonesStrings } from '../../src/milestones/index.js';
import { timelineText } from '../../src/render/milestones.js';
import type { SimMessage, SimUser } from '../../src/sim/index.js';
import {
  bodyOf,
  botMessages,
  configText,
  errorLogs,
  expectCleanWire,
  handled,
  isPng,
  newMember,
  newWorld,
  pledgeAndSettle,
  postsTo,
  startOpsBot,
  submit,
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
  env.sim.faults.clear();
  expectCleanWire(env.sim);
  expect(errorLogs(env), 'no handler or dispatcher error').toEqual([]);
});

const S = milestonesStrings;

/** A server whose admin set an announcements channel and thresholds with /config (and the language). */
async function announcingServer(thresholds: string, opts: { language?: 'fr' } = {}): Promise<OpsWorld> {
  const world = await newWorld(env);
  await configText(env, world, 'channel', { purpose: 'announcements', channel: world.channels.announcements });
  await configText(env, world, 'milestones', { thresholds });
  if (opts.language) await configText(env, world, 'language', { value: opts.language });
  return world;
}

function members(world: OpsWorld, n: number): SimUser[] {
  return Array.from({ length: n }, () => newMember(env, world));
}

const announcements = (world: OpsWorld): SimMessage[] => botMessages(env, world.channels.announcements);

function waitForAnnouncement(world: OpsWorld, title: string, timeoutMs = 8_000): Promise<SimMessage> {
  return env.sim.waitForMessage(world.channels.announcements, (m) => m.embeds[0]?.title === title, timeoutMs);
}

/** Nothing is left for the dispatcher: every decided announcement was delivered or given up. */
async function settled(): Promise<void> {
  await until(async () => (await env.h.bot.ctx.milestones.outbox.pending()).length === 0, 'the outbox to drain', 10_000);
  await env.h.bot.ctx.milestones.dispatcher.idle();
}

const guildNonce = (world: OpsWorld, threshold: number): string => milestoneNonce(entryId({ kind: 'guild', guildId: world.guildId }, threshold, world.guildId));

function field(message: SimMessage, name: string): string | undefined {
  return message.embeds[0]?.fields?.find((f) => f.name === name)?.value;
}

describe('milestone announcements', () => {
  it('GIVEN thresholds 2, 3, 5 WHEN five members pledge one after another THEN each threshold is announced exactly once, in order, with its picture, a nonce and no pings', async () => {
    const world = await announcingServer('5, 3, 2');
    for (const member of members(world, 5)) await pledgeAndSettle(env, world, member);
    const titles = [2, 3, 5].map((n) => S.en.announcement.guildTitle(String(n)));
    await waitForAnnouncement(world, titles[2]!);
    await settled();

    const posted = announcements(world);
    expect(posted.map((m) => m.embeds[0]?.title)).toEqual(titles);
    for (const [i, threshold] of [2, 3, 5].entries()) {
      const message = posted[i]!;
      expect(message.content).toBe('');
      expect(message.allowed_mentions).toEqual({ parse: [] });
      expect(message.embeds[0]?.description).toBe(`${S.en.announcement.guildBody(String(threshold))}\n\n${S.en.announcement.callToAction}`);
      const next = { 2: S.en.announcement.nextValue('3', '1'), 3: S.en.announcement.nextValue('5', '2'), 5: S.en.announcement.allReached }[threshold];
      expect(field(message, S.en.announcement.next)).toBe(next);
      expect(field(message, S.en.announcement.campaignTotal)).toMatch(/^\*\*\d+\*\* pledges$/);
      // The picture: a real PNG of the chart's size, under the name the embed shows.
      expect(message.attachments).toHaveLength(1);
      const png = message.attachments[0]!;
      expect(png.filename).toBe(`milestone-${threshold}.png`);
      expect(message.embeds[0]?.image?.url).toMatch(new RegExp(`^(attachment://milestone-${threshold}\\.png|${png.url.replace(/[.?*+^$[\]\\(){}|-]/g, '\\$&')})$`));
      expect(isPng(png.bytes), 'PNG signature').toBe(true);
      const meta = await sharp(png.bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 800, 300]);
      // Sent once, with the entry's nonce and enforce_nonce, so a retry could never post twice.
      const requests = postsTo(env, world.channels.announcements).filter((r) => bodyOf(r).nonce === guildNonce(world, threshold));
      expect(requests).toHaveLength(1);
      expect(bodyOf(requests[0]!)).toMatchObject({ nonce: guildNonce(world, threshold), enforce_nonce: true, allowed_mentions: { parse: [] } });
      expect(requests[0]!.status).toBe(200);
    }
    expect(postsTo(env, world.channels.announcements)).toHaveLength(3);
    expect(await env.h.bot.ctx.milestones.outbox.announced({ kind: 'guild', guildId: world.guildId })).toEqual([2, 3, 5]);
  });

  it('GIVEN a server whose public language is French WHEN its threshold is crossed THEN the announcement is in French', async () => {
    const world = await announcingServer('1', { language: 'fr' });
    await pledgeAndSettle(env, world, newMember(env, world));
    const message = await waitForAnnouncement(world, S.fr.announcement.guildTitle('1'));
    expect(message.embeds[0]?.description).toBe(`${S.fr.announcement.guildBody('1')}\n\n${S.fr.announcement.callToAction}`);
    expect(field(message, S.fr.announcement.next)).toBe(S.fr.announcement.allReached);
    expect(field(message, S.fr.announcement.campaignTotal)).toMatch(/^\*\*[\d\u202f\u00a0 ]+\*\* engagements$/);
    expect(isPng(message.attachments[0]?.bytes)).toBe(true);
  });

  it('GIVEN four members pledging at the same moment WHEN together they cross threshold 3 THEN it is announced once', async () => {
    const world = await announcingServer('3');
    const handles = await Promise.all(members(world, 4).map((m) => submit(env, world, m)));
    const replies = await Promise.all(handles.map((h) => h.waitForReply(() => true, 10_000)));
    for (const r of replies) expect(r.content).toMatch(/pledge #\d+/);
    await until(async () => (await env.h.bot.ctx.pledges.totals(world.guildId)).counted === 4, 'four counted pledges');
    await Promise.all(handles.map((h) => handled(env, h)));
    await waitForAnnouncement(world, S.en.announcement.guildTitle('3'));
    await settled();
    expect(announcements(world)).toHaveLength(1);
    expect(postsTo(env, world.channels.announcements)).toHaveLength(1);
  });

  it('GIVEN Discord answering 429 then 500 five times WHEN a threshold is announced THEN the post is retried and the message exists exactly once', async () => {
    const world = await announcingServer('1');
    const route = `/channels/${world.channels.announcements}/messages`;
    env.sim.faults.add({ method: 'POST', route, status: 429, retryAfter: 0.05 });
    const fivexx = env.sim.faults.add({ method: 'POST', route, status: 500, count: 5 });
    await pledgeAndSettle(env, world, newMember(env, world));
    await waitForAnnouncement(world, S.en.announcement.guildTitle('1'), 10_000);
    await settled();

    expect(fivexx.hits).toBe(5);
    expect(announcements(world)).toHaveLength(1);
    const requests = postsTo(env, world.channels.announcements);
    expect(requests.map((r) => r.status)).toEqual([429, 500, 500, 500, 500, 500, 200]);
    // (The simulator answers a fault before reading the body, so only the last one shows its nonce.)
    expect(bodyOf(requests.at(-1)!)).toMatchObject({ nonce: guildNonce(world, 1), enforce_nonce: true });
    // discord.js retried the 429 and three 500s itself; the dispatcher retried once after that.
    const failed = env.logs.filter((l) => l.msg === 'milestones: announcement attempt failed' && String(l.id).startsWith(`g${world.guildId}:`));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toMatch(/HTTP 500/);
    expect(await env.h.bot.ctx.milestones.outbox.outcome(`g${world.guildId}:1:${world.guildId}`)).toMatchObject({ status: 'delivered', attempts: 2, messageId: announcements(world)[0]!.id });
  });

  it('GIVEN the bot lost Attach Files in the announcements channel after it was set WHEN a threshold is crossed THEN the announcement is posted without its picture', async () => {
    const world = await announcingServer('1');
    env.sim.setChannelOverwrites(world.channels.announcements, [{ id: env.sim.applicationId, type: 'member', deny: ['AttachFiles'] }]);
    await pledgeAndSettle(env, world, newMember(env, world));
    const message = await waitForAnnouncement(world, S.en.announcement.guildTitle('1'));
    await settled();
    expect(announcements(world)).toEqual([message]);
    expect(message.attachments).toEqual([]);
    expect(message.embeds[0]?.image).toBeUndefined();
    expect(message.embeds[0]?.description).toBe(`${S.en.announcement.guildBody('1')}\n\n${S.en.announcement.callToAction}`);
    expect(bodyOf(postsTo(env, world.channels.announcements).at(-1)!)).toMatchObject({ nonce: guildNonce(world, 1), enforce_nonce: true });
    expect(await env.h.bot.ctx.milestones.outbox.outcome(`g${world.guildId}:1:${world.guildId}`)).toMatchObject({ status: 'delivered', messageId: message.id });
  });

  it('GIVEN the bot can no longer send in the announcements channel WHEN a threshold is crossed THEN the entry is given up (not retried forever) and the pledge flow is unaffected', async () => {
    const world = await announcingServer('1');
    env.sim.setChannelOverwrites(world.channels.announcements, [{ id: env.sim.applicationId, type: 'member', deny: ['SendMessages'] }]);
    await pledgeAndSettle(env, world, newMember(env, world));
    await settled();
    expect(announcements(world)).toEqual([]);
    expect(await env.h.bot.ctx.milestones.outbox.outcome(`g${world.guildId}:1:${world.guildId}`)).toMatchObject({ status: 'failed-permanent' });
    expect(postsTo(env, world.channels.announcements).every((r) => r.status === 403)).toBe(true);
  });

  it('GIVEN threshold 2 announced WHEN a pledge is withdrawn and another member pledges (2 again) THEN nothing is announced a second time', async () => {
    const world = await announcingServer('2');
    const [a, b, c] = members(world, 3) as [SimUser, SimUser, SimUser];
    await pledgeAndSettle(env, world, a);
    await pledgeAndSettle(env, world, b);
    await waitForAnnouncement(world, S.en.announcement.guildTitle('2'));
    await settled();

    const ask = env.sim.slash({ guildId: world.guildId, channelId: world.channels.general, userId: a.id, name: 'pledge', subcommand: 'withdraw' });
    const prompt = await ask.waitForReply();
    const withdraw = prompt.components.flatMap((row) => row.components ?? []).find((c) => c.custom_id?.startsWith('pledge:withdraw:'));
    const press = env.sim.pressButton({ message: prompt, customId: withdraw?.custom_id ?? '', userId: a.id });
    expect((await press.waitForReply((m) => m.content === en.pledge.withdrawn)).content).toBe(en.pledge.withdrawn);
    await handled(env, press);
    expect((await env.h.bot.ctx.pledges.totals(world.guildId)).counted).toBe(1);

    await pledgeAndSettle(env, world, c);
    expect((await env.h.bot.ctx.pledges.totals(world.guildId)).counted).toBe(2);
    await settled();
    expect(announcements(world)).toHaveLength(1);
    expect(postsTo(env, world.channels.announcements)).toHaveLength(1);
  });

  it('GIVEN a server without an announcements channel WHEN its threshold is crossed THEN nothing is posted anywhere, and setting a channel later does not post the stale milestone', async () => {
    const world = await newWorld(env);
    await configText(env, world, 'milestones', { thresholds: '1' });
    await pledgeAndSettle(env, world, newMember(env, world));
    await settled();
    expect(await env.h.bot.ctx.milestones.outbox.announced({ kind: 'guild', guildId: world.guildId })).toEqual([1]);
    await configText(env, world, 'channel', { purpose: 'announcements', channel: world.channels.announcements });
    await pledgeAndSettle(env, world, newMember(env, world));
    await settled();
    expect(announcements(world)).toEqual([]);
    expect(env.sim.requests.filter((r) => r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path) && r.path.includes(world.channels.general))).toEqual([]);
  });
});

describe('/milestones', () => {
  it('GIVEN thresholds 1, 3 and two pledges WHEN a member runs /milestones (en, then fr) THEN it shows what is reached, what comes next, the campaign and the timeline, with a progress picture', async () => {
    const world = await announcingServer('1, 3');
    for (const member of members(world, 2)) await pledgeAndSettle(env, world, member);
    const campaign = await env.h.bot.ctx.pledges.campaignTotals();
    const timeline = env.h.bot.ctx.kb.current.timeline;

    for (const [locale, lang] of [
      ['en-US', 'en'],
      ['fr', 'fr'],
    ] as const) {
      const s = S[lang].overview;
      const fmt = (n: number) => new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-US').format(n);
      const handle = env.sim.slash({ guildId: world.guildId, channelId: world.channels.general, userId: world.users.member.id, name: S.en.name, locale });
      expect((await handle.acknowledged()).type).toBe(5);
      const reply = await handle.waitForReply(() => true, 10_000);
      expect(handle.ephemeral).toBe(true);
      expect(reply.allowed_mentions).toEqual({ parse: [] });
      const embed = reply.embeds[0]!;
      expect(embed.title).toBe(s.title);
      // With the breakdown by level under each count (shares apart; these two are strikes).
      expect(field(reply, s.server)).toBe([s.count('2'), `-# ${s.levels('0', '2', '0')}`, s.reached('1'), s.next('3', '1')].join('\n'));
      const cl = campaign.byLevel;
      expect(field(reply, s.campaign)).toBe(
        [s.countServers(fmt(campaign.counted), fmt(campaign.servers)), `-# ${s.levels(fmt(cl.leave), fmt(cl.strike), fmt(cl.share))}`, s.noneReached, s.next('100', fmt(100 - campaign.counted))].join('\n'),
      );
      expect(embed.description).toBe(timelineText(timeline, lang));
      expect(embed.description?.startsWith(`**${s.timeline}**`)).toBe(true);
      const latest = [...timeline].sort((x, y) => x.date.localeCompare(y.date)).at(-1)!;
      expect(embed.description).toContain(latest.text[lang]);
      expect(embed.footer?.text).toBe(s.footer);
      expect(reply.attachments.map((a) => a.filename)).toEqual(['milestones-progress.png']);
      const meta = await sharp(reply.attachments[0]!.bytes).metadata();
      expect(isPng(reply.attachments[0]!.bytes)).toBe(true);
      expect([meta.width, meta.height]).toEqual([800, 300]);
    }
  });
});
