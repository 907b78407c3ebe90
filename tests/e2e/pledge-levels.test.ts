// The campaign's three levels of commitment end to end: the real bot on the simulator, members in
// English and French. Submitting with each level, declaring a share without an image, raising a
// level (share → strike → leave) and refusing to lower one, /stats and the CSV breaking counts down,
// a milestone announcement carrying the breakdown, and pledges stored before levels existed reading
// as "financial strike". Every payload is checked against Discord's schemas and limits (afterEach).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { milestonesStrings } from '../../src/milestones/index.js';
import { recordId } from '../../src/pledges/keys.js';
import type { PledgeLevel, PledgeRecord } from '../../src/pledges/index.js';
import { CSV_COLUMNS, statsStrings } from '../../src/stats/index.js';
import type { InteractionHandle, SimMessage, SimUser } from '../../src/sim/index.js';
import {
  configText,
  errorLogs,
  expectCleanWire,
  handled,
  newMember,
  newWorld,
  startOpsBot,
  uniqueScreenshot,
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

const M = { en, fr } as const;
type Lang = keyof typeof M;
const LOCALE: Record<Lang, string> = { en: 'en-US', fr: 'fr' };

function member(world: OpsWorld, lang: Lang): SimUser {
  return newMember(env, world, { locale: LOCALE[lang] });
}

/** `/pledge submit screenshot:<unique image> [level:]` as the member's client sends it. */
async function submitAt(world: OpsWorld, user: SimUser, lang: Lang, level?: 'leave' | 'strike'): Promise<InteractionHandle> {
  const png = await uniqueScreenshot();
  return env.sim.slash({
    guildId: world.guildId,
    channelId: world.channels.general,
    userId: user.id,
    name: 'pledge',
    subcommand: 'submit',
    options: { screenshot: { bytes: png, filename: 'proof.png', contentType: 'image/png' }, ...(level ? { level } : {}) },
    locale: LOCALE[lang],
  });
}

/** Submits and waits until the bot is done with it (answer, milestones, card); returns the answer. */
async function submitted(world: OpsWorld, user: SimUser, lang: Lang, level?: 'leave' | 'strike'): Promise<string> {
  const handle = await submitAt(world, user, lang, level);
  const reply = await handle.waitForReply(() => true, 15_000);
  expect(handle.ephemeral).toBe(true);
  await handled(env, handle, 20_000);
  return reply.content;
}

function pledgeSub(world: OpsWorld, user: SimUser, lang: Lang, subcommand: 'share' | 'status'): InteractionHandle {
  return env.sim.slash({ guildId: world.guildId, channelId: world.channels.general, userId: user.id, name: 'pledge', subcommand, locale: LOCALE[lang] });
}

async function share(world: OpsWorld, user: SimUser, lang: Lang): Promise<string> {
  const handle = pledgeSub(world, user, lang, 'share');
  const reply = await handle.waitForReply();
  expect(handle.acknowledgement?.type, 'answered at once: nothing to download').toBe(4);
  expect(handle.ephemeral).toBe(true);
  expect(reply.attachments).toEqual([]);
  await handled(env, handle);
  return reply.content;
}

async function statusOf(world: OpsWorld, user: SimUser, lang: Lang): Promise<SimMessage> {
  const handle = pledgeSub(world, user, lang, 'status');
  const reply = await handle.waitForReply();
  expect(handle.ephemeral).toBe(true);
  return reply;
}

function field(message: SimMessage, name: string): string | undefined {
  return message.embeds[0]?.fields?.find((f) => f.name === name)?.value;
}

async function record(world: OpsWorld, user: SimUser): Promise<PledgeRecord> {
  const found = await env.h.bot.ctx.pledges.get(world.guildId, user.id);
  if (!found.ok || !found.record) throw new Error('expected a pledge record');
  return found.record;
}

async function verify(world: OpsWorld, user: SimUser): Promise<void> {
  const r = await record(world, user);
  if (r.status === 'verified') return;
  const res = await env.h.bot.ctx.pledges.review({ guildId: world.guildId, pledgeId: r.pledgeId, expectedStatus: 'pending', decision: 'verified', reviewerId: world.users.moderator.id });
  expect(res.ok).toBe(true);
}

describe('/pledge submit with a level', () => {
  for (const lang of ['en', 'fr'] as const) {
    it(`GIVEN members (${lang}) submitting with level leave, level strike and no level THEN each pledge records its level and /pledge status shows it`, async () => {
      const m = M[lang];
      const world = await newWorld(env);
      const cases: Array<[SimUser, 'leave' | 'strike' | undefined, PledgeLevel]> = [
        [member(world, lang), 'leave', 'leave'],
        [member(world, lang), 'strike', 'strike'],
        [member(world, lang), undefined, 'strike'],
      ];
      for (const [user, asked, stored] of cases) {
        const text = await submitted(world, user, lang, asked);
        const r = await record(world, user);
        expect(text.startsWith(m.pledge.created(r.pledgeId))).toBe(true);
        expect(r.level).toBe(stored);
        const status = await statusOf(world, user, lang);
        expect(status.embeds[0]?.title).toBe(m.pledge.statusTitle(r.pledgeId));
        expect(field(status, m.pledge.statusLevel)).toBe(m.pledge.levels[stored]);
        // A strike shows how to move up to leave; leave is the top.
        expect(status.embeds[0]?.description).toBe(stored === 'strike' ? m.pledge.nextLevel.strike : undefined);
      }
      expect((await env.h.bot.ctx.pledges.totals(world.guildId)).byLevel).toEqual({ leave: 1, strike: 2, share: 0 });
    });
  }
});

describe('/pledge share', () => {
  for (const lang of ['en', 'fr'] as const) {
    it(`GIVEN a member (${lang}) declaring a share THEN it needs no image, gets a number, is counted apart, and a second declaration changes nothing`, async () => {
      const m = M[lang];
      const world = await newWorld(env);
      const user = member(world, lang);
      expect(await share(world, user, lang)).toBe(m.pledge.shareCreated(1));
      const r = await record(world, user);
      expect(r).toMatchObject({ pledgeId: 1, level: 'share', evidence: null });
      const totals = await env.h.bot.ctx.pledges.totals(world.guildId);
      expect(totals).toMatchObject({ counted: 0, byLevel: { leave: 0, strike: 0, share: 1 } });

      const status = await statusOf(world, user, lang);
      expect(status.embeds[0]?.title).toBe(m.pledge.shareTitle(1));
      expect(field(status, m.pledge.statusFields.status)).toBe(m.pledge.shareStatus);
      expect(field(status, m.pledge.statusLevel)).toBe(m.pledge.levels.share);
      expect(field(status, m.pledge.statusFields.platform)).toBeUndefined();
      expect(status.embeds[0]?.description).toBe(m.pledge.nextLevel.share);

      expect(await share(world, user, lang)).toBe(m.pledge.shareUnchanged);
      // No review card is posted for a share: there is nothing to check.
      expect(env.sim.channelMessages(world.channels.review)).toEqual([]);
    });
  }

  it('GIVEN a member holding a pledge WHEN they declare a share THEN the pledge stays at its level', async () => {
    const world = await newWorld(env);
    const user = member(world, 'fr');
    await submitted(world, user, 'fr', 'leave');
    expect(await share(world, user, 'fr')).toBe(fr.pledge.shareAlreadyPledged(fr.pledge.levels.leave));
    expect((await record(world, user)).level).toBe('leave');
  });
});

describe('raising a level', () => {
  for (const lang of ['en', 'fr'] as const) {
    it(`GIVEN a member (${lang}) who shared THEN cancelling and sending the screenshot makes it a pledge with the same number; deleting the account and sending that screenshot raises it to leave; a lower level is refused`, async () => {
      const m = M[lang];
      const world = await newWorld(env);
      const user = member(world, lang);
      await share(world, user, lang);
      const n = (await record(world, user)).pledgeId;

      // share → strike: the member's first pledge, same number.
      const first = await submitted(world, user, lang);
      expect(first.startsWith(m.pledge.created(n))).toBe(true);
      expect(await record(world, user)).toMatchObject({ pledgeId: n, level: 'strike', status: 'pending' });
      expect((await env.h.bot.ctx.pledges.totals(world.guildId)).byLevel).toEqual({ leave: 0, strike: 1, share: 0 });

      // verified strike → leave, with a new screenshot: same pledge, checked again, still counted.
      await verify(world, user);
      const before = await record(world, user);
      expect(await submitted(world, user, lang, 'leave')).toBe(m.pledge.raised(n, m.pledge.levels.leave));
      const raised = await record(world, user);
      expect(raised).toMatchObject({ pledgeId: n, level: 'leave', createdAt: before.createdAt, version: before.version + 1, status: 'pending' });
      const totals = await env.h.bot.ctx.pledges.totals(world.guildId);
      expect(totals).toMatchObject({ counted: 1, byLevel: { leave: 1, strike: 0, share: 0 } });

      // leave → strike: refused before anything is downloaded or written.
      const handle = await submitAt(world, user, lang, 'strike');
      const reply = await handle.waitForReply(() => true, 10_000);
      expect(reply.content).toBe(m.pledge.lowerRefused(m.pledge.levels.leave, m.pledge.levels.strike));
      await handled(env, handle);
      expect(await record(world, user)).toMatchObject({ pledgeId: n, level: 'leave', version: raised.version, createdAt: raised.createdAt });
    });
  }
});

/** The organizer's view of a server with one pledge at each level and one share. */
async function mixedServer(opts: { language?: 'fr'; thresholds?: string } = {}): Promise<{ world: OpsWorld; users: SimUser[] }> {
  const world = await newWorld(env);
  if (opts.thresholds) {
    await configText(env, world, 'channel', { purpose: 'announcements', channel: world.channels.announcements });
    await configText(env, world, 'milestones', { thresholds: opts.thresholds });
  }
  if (opts.language) await configText(env, world, 'language', { value: opts.language });
  const users = [member(world, 'en'), member(world, 'fr'), member(world, 'en')];
  await share(world, users[0]!, 'en');
  await submitted(world, users[1]!, 'fr', 'leave');
  await submitted(world, users[2]!, 'en');
  return { world, users };
}

function stats(world: OpsWorld, sub: 'show' | 'export', lang: Lang): InteractionHandle {
  return env.sim.slash({ guildId: world.guildId, channelId: world.channels.general, userId: world.admin.id, name: 'stats', subcommand: sub, locale: LOCALE[lang] });
}

describe('/stats and the CSV export by level', () => {
  it('GIVEN a share, a leave and a strike THEN /stats (en, fr) shows the breakdown with shares apart, and the money figure counts the two pledges only', async () => {
    const { world } = await mixedServer();
    const campaign = await env.h.bot.ctx.pledges.campaignTotals();
    for (const lang of ['en', 'fr'] as const) {
      const s = statsStrings[lang];
      const tag = lang === 'fr' ? 'fr-FR' : 'en-US';
      const fmt = (n: number) => new Intl.NumberFormat(tag).format(n);
      const reply = await stats(world, 'show', lang).waitForReply(() => true, 10_000);
      expect(field(reply, s.counted)).toBe(`**2**\n-# ${s.countedHint}`);
      expect(field(reply, s.byLevel)).toBe([`${s.levels.leave}: **1**`, `${s.levels.strike}: **1**`, `${s.levels.share}: **1**`, `-# ${s.sharesApart}`].join('\n'));
      expect(field(reply, s.campaign)).toBe(
        `${s.campaignValue(fmt(campaign.counted), fmt(campaign.servers))}\n${s.campaignLevels(fmt(campaign.byLevel.leave), fmt(campaign.byLevel.strike), fmt(campaign.byLevel.share))}`,
      );
      // Money: two pledges (the share is not a cancelled subscription).
      const impact = reply.embeds[0]?.fields?.find((f) => f.name === M[lang].impact.fieldName)?.value ?? '';
      expect(impact).toContain(lang === 'en' ? '**2 pledges ≈' : '**2 engagements ≈');
    }
  });

  it('GIVEN a share, a leave and a strike THEN the CSV has a level column with each (en) and the same rows in French', async () => {
    const { world, users } = await mixedServer();
    for (const lang of ['en', 'fr'] as const) {
      const reply = await stats(world, 'export', lang).waitForReply(() => true, 10_000);
      const text = reply.attachments[0]!.bytes.toString('utf8');
      const rows = text.split('\r\n').filter(Boolean).map((l) => l.split(','));
      expect(rows[0]).toEqual([...CSV_COLUMNS]);
      expect(rows[0]?.at(-1)).toBe('level');
      const byMember = new Map(rows.slice(1).map((r) => [r[1], r.at(-1)]));
      expect(byMember.get(users[0]!.id)).toBe('share');
      expect(byMember.get(users[1]!.id)).toBe('leave');
      expect(byMember.get(users[2]!.id)).toBe('strike');
    }
  });
});

describe('milestone announcements by level', () => {
  for (const lang of ['en', 'fr'] as const) {
    it(`GIVEN a server posting in ${lang} with a threshold of 2 THEN the share does not cross it, the second pledge does, and the announcement breaks the count down`, async () => {
      const s = milestonesStrings[lang].announcement;
      const world = await newWorld(env);
      await configText(env, world, 'channel', { purpose: 'announcements', channel: world.channels.announcements });
      await configText(env, world, 'milestones', { thresholds: '2' });
      if (lang === 'fr') await configText(env, world, 'language', { value: 'fr' });
      const [a, b, c] = [member(world, 'en'), member(world, 'fr'), member(world, 'en')];
      await share(world, a, 'en');
      await submitted(world, b, 'fr', 'leave');
      await env.h.bot.ctx.milestones.dispatcher.idle();
      expect(env.sim.channelMessages(world.channels.announcements)).toEqual([]);
      await submitted(world, c, 'en');
      const post = await env.sim.waitForMessage(world.channels.announcements, (msg) => msg.embeds[0]?.title === s.guildTitle('2'), 10_000);
      expect(field(post, s.byLevel)).toBe(s.levelsValue('1', '1', '1'));
      expect(post.embeds[0]?.description).toContain(s.guildBody('2'));
    });
  }
});

describe('pledges stored before levels existed', () => {
  it('GIVEN a record and totals written without a level THEN /pledge status, /stats and the CSV read them as financial strike, and a recount finds nothing to fix', async () => {
    const world = await newWorld(env);
    const user = member(world, 'fr');
    await submitted(world, user, 'fr');
    const current = await record(world, user);
    // Rewrite them as the previous version laid them out: no `level` on the record, no `byLevel` on the totals.
    const raw = env.h.bot.ctx.store.collection('pledge', z.unknown());
    const { level: _r, ...oldRecord } = current;
    await raw.write(recordId(world.guildId, user.id), oldRecord);
    const totals = await env.h.bot.ctx.pledges.totals(world.guildId);
    const { byLevel: _t, ...oldTotals } = totals;
    await env.h.bot.ctx.store.collection('totals', z.unknown()).write(world.guildId, oldTotals);
    expect(await env.h.bot.ctx.store.kv.get(`pledge:${recordId(world.guildId, user.id)}`)).not.toHaveProperty('level');

    const status = await statusOf(world, user, 'fr');
    expect(field(status, fr.pledge.statusLevel)).toBe(fr.pledge.levels.strike);
    const reply = await stats(world, 'show', 'en').waitForReply(() => true, 10_000);
    const st = statsStrings.en;
    expect(field(reply, st.byLevel)).toBe([`${st.levels.leave}: **0**`, `${st.levels.strike}: **1**`, `${st.levels.share}: **0**`, `-# ${st.sharesApart}`].join('\n'));
    const csv = (await stats(world, 'export', 'en').waitForReply(() => true, 10_000)).attachments[0]!.bytes.toString('utf8');
    expect(csv.split('\r\n')[1]?.split(',').at(-1)).toBe('strike');
    const report = await env.h.bot.ctx.pledges.reconcile(world.guildId);
    expect(report.guilds[0]?.fixes).toEqual([]);
    // Raising such a pledge works like any other.
    await submitted(world, user, 'fr', 'leave');
    expect((await env.h.bot.ctx.pledges.totals(world.guildId)).byLevel).toEqual({ leave: 1, strike: 0, share: 0 });
    expect((await env.h.bot.ctx.pledges.reconcile(world.guildId)).guilds[0]?.fixes).toEqual([]);
  });
});
