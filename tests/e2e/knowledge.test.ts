// /facts, /donors and /alternatives as members use them, through the simulator and the real bot.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, startSimulatedBot, type DemoWorld, type SimulatedBot } from '../../src/sandbox/harness.js';
import { loadKnowledgeBase } from '../../src/kb/load.js';
import { donorsByAmount, donorTotal } from '../../src/kb/donors.js';
import { formatUsd } from '../../src/i18n/index.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { factPages } from '../../src/render/facts.js';
import { filterAlternatives } from '../../src/render/alternatives.js';
import type { KnowledgeBase } from '../../src/kb/schema.js';
import { buttonByLabel, customIds, embedText, EPHEMERAL, selectMenu } from './helpers/messages.js';

let h: SimulatedBot;
let w: DemoWorld;
let kb: KnowledgeBase;

beforeAll(async () => {
  const loaded = await loadKnowledgeBase('kb');
  if (!loaded.ok) throw new Error('kb/ must be valid');
  kb = loaded.kb;
  h = await startSimulatedBot();
  w = createDemoWorld(h.sim);
});
afterAll(async () => h?.stop());
afterEach(() => {
  expect(h.sim.violations).toEqual([]);
  expect(h.sim.mentionWarnings).toEqual([]);
  expect(h.sim.unknownRoutes).toEqual([]);
});

const LOCALES = [
  ['en-US', en, 'en'],
  ['fr', fr, 'fr'],
] as const;

function slash(name: string, options: Record<string, string | boolean> = {}, locale = 'en-US', userId?: string) {
  return h.sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId: userId ?? w.users.member.id, name, options, locale });
}

describe.each(LOCALES)('/facts in %s', (locale, m, lang) => {
  it('GIVEN no topic THEN a private overview with a menu listing every topic', async () => {
    const i = slash('facts', {}, locale);
    expect((await i.acknowledged()).type).toBe(4);
    const reply = await i.waitForReply();
    expect(reply.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.embeds[0]?.title).toBe(m.facts.overviewTitle);
    expect(selectMenu(reply).options?.map((o) => o.value)).toEqual(kb.topics.map((t) => t.id));
    expect(selectMenu(reply).options?.map((o) => o.label)).toEqual(kb.topics.map((t) => t.name[lang]));
    expect(buttonByLabel(reply, m.common.share)).toBeDefined();
  });

  it('GIVEN topic donations THEN its facts with sources, in the member’s language', async () => {
    const topic = kb.topics.find((t) => t.id === 'donations')!;
    const i = slash('facts', { topic: 'donations' }, locale);
    const reply = await i.waitForReply();
    expect(reply.embeds[0]?.title).toBe(topic.name[lang]);
    const firstPage = factPages(topic, lang)[0]!;
    for (const idx of firstPage) expect(reply.embeds[0]?.description).toContain(topic.facts[idx]!.text[lang]);
    expect(reply.embeds[0]?.description).toContain(topic.facts[0]!.sources[0]!.title);
  });

  it('GIVEN a menu choice THEN the same message turns to that topic', async () => {
    const i = slash('facts', {}, locale);
    const overview = await i.waitForReply();
    const target = kb.topics[2]!;
    const pick = h.sim.selectMenu({ message: overview, customId: selectMenu(overview).custom_id!, userId: w.users.member.id, values: [target.id], locale });
    expect((await pick.acknowledged()).type).toBe(7);
    const updated = await pick.waitForReply();
    expect(updated.id).toBe(overview.id);
    expect(updated.embeds[0]?.title).toBe(target.name[lang]);
  });

  it('GIVEN an unknown topic THEN it says so and suggests the closest topics', async () => {
    const reply = await slash('facts', { topic: 'donatoins' }, locale).waitForReply();
    expect(reply.content).toContain(m.facts.unknownTopic('donatoins'));
    expect(reply.content).toContain('donations');
  });

  it('GIVEN a partial, accent-less or misspelt topic THEN autocomplete offers it, at most 25 choices', async () => {
    for (const typed of ['don', 'DONATION', 'donatoins']) {
      const choices = await h.sim.autocomplete({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts', options: { topic: typed }, focused: 'topic', locale });
      expect(choices.length).toBeLessThanOrEqual(25);
      expect(choices.map((c) => c.value)).toContain('donations');
    }
    const all = await h.sim.autocomplete({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts', options: { topic: '' }, focused: 'topic', locale });
    expect(all.map((c) => c.name)).toEqual(kb.topics.map((t) => t.name[lang]));
  });
});

describe('paging and sharing', () => {
  it('GIVEN a topic longer than a page THEN Next and Previous turn pages in place', async () => {
    const topic = kb.topics.find((t) => factPages(t, 'en').length > 1);
    expect(topic, 'the KB should have at least one topic spanning two pages').toBeDefined();
    const pages = factPages(topic!, 'en');
    const first = await slash('facts', { topic: topic!.id }).waitForReply();
    expect(first.embeds[0]?.footer?.text).toContain(en.common.page(1, pages.length));
    const next = h.sim.pressButton({ message: first, customId: buttonByLabel(first, en.common.next).custom_id!, userId: w.users.member.id });
    const second = await next.waitForReply((msg) => msg.embeds[0]?.footer?.text?.includes(en.common.page(2, pages.length)) ?? false);
    expect(second.id).toBe(first.id);
    expect(second.embeds[0]?.description).toContain(topic!.facts[pages[1]![0]!]!.text.en);
    const back = h.sim.pressButton({ message: second, customId: buttonByLabel(second, en.common.previous).custom_id!, userId: w.users.member.id });
    const again = await back.waitForReply((msg) => msg.embeds[0]?.footer?.text?.includes(en.common.page(1, pages.length)) ?? false);
    expect(again.embeds[0]?.description).toBe(first.embeds[0]?.description);
  });

  it('GIVEN "Post in channel" THEN everyone sees the answer, credited, and nobody is pinged', async () => {
    const mine = await slash('facts', { topic: 'galloway' }).waitForReply();
    const share = h.sim.pressButton({ message: mine, customId: buttonByLabel(mine, en.common.share).custom_id!, userId: w.users.member.id });
    const posted = await share.waitForReply();
    expect(posted.flags & EPHEMERAL).toBe(0);
    expect(posted.embeds[0]?.title).toBe(mine.embeds[0]?.title);
    expect(posted.embeds[0]?.footer?.text).toContain(en.common.sharedBy('Sam Member'));
    expect(posted.allowed_mentions).toEqual({ parse: [] });
    expect(customIds(posted).some((id) => id.includes(':share:'))).toBe(false);
  });

  it('GIVEN share:true THEN the answer is posted for everyone directly', async () => {
    const reply = await slash('alternatives', { need: 'privacy', share: true }).waitForReply();
    expect(reply.flags & EPHEMERAL).toBe(0);
    expect(reply.embeds[0]?.title).toBe(en.alternatives.titleFor(en.needs.privacy));
    expect(reply.embeds[0]?.fields?.map((f) => f.name.split(' · ')[0])).toEqual(filterAlternatives(kb, 'privacy').slice(0, 5).map((a) => a.name));
    expect(reply.allowed_mentions).toEqual({ parse: [] });
    expect(customIds(reply).some((id) => id.includes(':share:')), 'nothing left to share').toBe(false);
  });

  it('GIVEN every alternative (more than a page) THEN Next shows the next five in place, and Share posts that page', async () => {
    const all = filterAlternatives(kb, null);
    expect(all.length, 'the KB should list more alternatives than fit a page').toBeGreaterThan(5);
    const first = await slash('alternatives').waitForReply();
    expect(first.embeds[0]?.fields?.map((f) => f.name.split(' · ')[0])).toEqual(all.slice(0, 5).map((a) => a.name));
    const next = h.sim.pressButton({ message: first, customId: buttonByLabel(first, en.common.next).custom_id!, userId: w.users.member.id });
    expect((await next.acknowledged()).type).toBe(7);
    const second = await next.waitForReply((msg) => msg.embeds[0]?.fields?.[0]?.name.startsWith(all[5]!.name) ?? false);
    expect(second.id).toBe(first.id);
    expect(second.embeds[0]?.fields?.map((f) => f.name.split(' · ')[0])).toEqual(all.slice(5, 10).map((a) => a.name));
    const links = second.components.flatMap((r) => r.components ?? []).filter((c) => c.style === 5).map((c) => c.url);
    expect(links).toEqual(all.slice(5, 10).map((a) => a.link));

    const share = h.sim.pressButton({ message: second, customId: buttonByLabel(second, en.common.share).custom_id!, userId: w.users.member.id });
    const posted = await share.waitForReply();
    expect(posted.flags & EPHEMERAL).toBe(0);
    expect(posted.embeds[0]?.fields?.map((f) => f.name)).toEqual(second.embeds[0]?.fields?.map((f) => f.name));
    expect(posted.embeds[0]?.footer?.text).toContain(en.common.sharedBy('Sam Member'));
    expect(posted.allowed_mentions).toEqual({ parse: [] });
  });

  it('GIVEN the donors list THEN Share posts it for everyone, credited, without pinging', async () => {
    const mine = await slash('donors').waitForReply();
    expect(mine.flags & EPHEMERAL).toBe(EPHEMERAL);
    const share = h.sim.pressButton({ message: mine, customId: buttonByLabel(mine, en.common.share).custom_id!, userId: w.users.member.id });
    const posted = await share.waitForReply();
    expect(posted.flags & EPHEMERAL).toBe(0);
    expect(posted.embeds[0]?.fields?.map((f) => f.name)).toEqual(donorsByAmount(kb).map((d) => d.name));
    expect(posted.embeds[0]?.footer?.text).toContain(en.common.sharedBy('Sam Member'));
    expect(posted.allowed_mentions).toEqual({ parse: [] });
  });

  it('GIVEN a page button pressed on a public post THEN the presser gets the page privately and the post stays', async () => {
    const topic = kb.topics.find((t) => factPages(t, 'en').length > 1)!;
    const posted = await slash('facts', { topic: topic.id, share: true }).waitForReply();
    const press = h.sim.pressButton({ message: posted, customId: buttonByLabel(posted, en.common.next).custom_id!, userId: w.users.francophone.id, locale: 'fr' });
    expect((await press.acknowledged()).type).toBe(4);
    const privateCopy = await press.waitForReply();
    expect(privateCopy.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(privateCopy.embeds[0]?.title).toBe(topic.name.fr);
    expect(h.sim.message(posted.id)?.embeds[0]?.footer?.text).toBe(posted.embeds[0]?.footer?.text);
  });

  it('GIVEN the bot restarted THEN buttons on earlier answers still work (state lives in the custom_id)', async () => {
    const topic = kb.topics.find((t) => factPages(t, 'en').length > 1)!;
    const before = await slash('facts', { topic: topic.id }).waitForReply();
    await h.bot.stop(1_000);
    const restarted = await startSimulatedBot({ sim: h.sim, storeUrl: h.env.STORE_URL!, deploy: false });
    const stopFirst = h.stop;
    h = { ...restarted, stop: async () => (await restarted.stop(), await stopFirst()) };
    const press = h.sim.pressButton({ message: before, customId: buttonByLabel(before, en.common.next).custom_id!, userId: w.users.member.id });
    const after = await press.waitForReply((msg) => msg.embeds[0]?.footer?.text?.includes(en.common.page(2, factPages(topic, 'en').length)) ?? false);
    expect(after.id).toBe(before.id);
  });
});

describe.each(LOCALES)('/donors in %s', (locale, m, lang) => {
  it('GIVEN no donor THEN all donors by amount with the computed total', async () => {
    const reply = await slash('donors', {}, locale).waitForReply();
    const names = reply.embeds[0]?.fields?.map((f) => f.name);
    expect(names).toEqual(donorsByAmount(kb).map((d) => d.name));
    const total = donorTotal(kb);
    expect(reply.embeds[0]?.description).toContain(formatUsd(total.amount_usd, lang, { moreThan: total.is_minimum }));
  });

  it('GIVEN one donor by autocomplete THEN its detail with sources', async () => {
    const choices = await h.sim.autocomplete({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'donors', options: { donor: 'brock' }, focused: 'donor', locale });
    const brockman = kb.donors.find((d) => /brockman/i.test(d.name))!;
    expect(choices.map((c) => c.value)).toContain(brockman.id);
    const reply = await slash('donors', { donor: brockman.id }, locale).waitForReply();
    expect(reply.embeds[0]?.title).toBe(brockman.name);
    expect(embedText(reply)).toContain(formatUsd(brockman.amount_usd, lang));
    expect(embedText(reply)).toContain(m.common.sources);
  });

  it('GIVEN a donor picked in the menu THEN the message shows that donor', async () => {
    const list = await slash('donors', {}, locale).waitForReply();
    const target = donorsByAmount(kb)[1]!;
    const pick = h.sim.selectMenu({ message: list, customId: selectMenu(list).custom_id!, userId: w.users.member.id, values: [target.id], locale });
    const updated = await pick.waitForReply();
    expect(updated.embeds[0]?.title).toBe(target.name);
  });
});

describe.each(LOCALES)('/alternatives in %s', (locale, m, lang) => {
  it.each(['coding', 'privacy', 'free', 'local', 'open-source'] as const)('GIVEN need %s THEN only matching alternatives, campaign picks first, with links', async (need) => {
    const reply = await slash('alternatives', { need }, locale).waitForReply();
    const expected = filterAlternatives(kb, need).slice(0, 5);
    expect(reply.embeds[0]?.title).toBe(m.alternatives.titleFor(m.needs[need]));
    expect(reply.embeds[0]?.fields?.map((f) => f.name)).toEqual(expected.map((a) => `${a.name} · ${a.maker} (${a.country[lang]})`));
    const links = reply.components.flatMap((r) => r.components ?? []).filter((c) => c.style === 5).map((c) => c.url);
    expect(links).toEqual(expected.map((a) => a.link));
  });
});
