// The member's way out, end to end through the simulator and the real bot: /quit's guides and
// its hand-off to /pledge, and the /switch wizard (ownership, damaged buttons, a restart in the
// middle), in English and in French.
import { ComponentType, Routes } from 'discord.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, startSimulatedBot, type DemoWorld, type SimulatedBot } from '../../src/sandbox/harness.js';
import { loadKnowledgeBase } from '../../src/kb/load.js';
import { GUIDE_IDS, numberedSteps } from '../../src/kb/guides.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { reasons } from '../../src/render/switch.js';
import { rankAlternatives, type Priority, type Use } from '../../src/switch/rank.js';
import type { KnowledgeBase } from '../../src/kb/schema.js';
import type { SimMessage } from '../../src/sim/index.js';
import { buttonByLabel, customIds, EPHEMERAL, flatComponents, selectMenu } from './helpers/messages.js';

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

function slash(name: string, options: Record<string, string | boolean> = {}, locale = 'en-US', userId = w.users.member.id) {
  return h.sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId, name, options, locale });
}

function press(message: SimMessage, label: string, locale = 'en-US', userId = w.users.member.id) {
  return h.sim.pressButton({ message, customId: buttonByLabel(message, label).custom_id!, userId, locale });
}

function choose(message: SimMessage, values: string[], locale = 'en-US', userId = w.users.member.id) {
  return h.sim.selectMenu({ message, customId: selectMenu(message).custom_id!, userId, values, locale });
}

/** Presses, expects the message to change in place, and returns it. */
async function inPlace(handle: ReturnType<typeof press>, before: SimMessage): Promise<SimMessage> {
  expect((await handle.acknowledged()).type).toBe(7);
  const after = await handle.waitForReply();
  expect(after.id).toBe(before.id);
  return after;
}

const guide = (id: string) => kb.guides!.find((g) => g.id === id)!;

describe.each(LOCALES)('/quit in %s', (locale, m, lang) => {
  it('GIVEN no guide THEN a private overview with a button per guide, the pledge hand-off and "post in channel"', async () => {
    const i = slash('quit', {}, locale);
    expect((await i.acknowledged()).type).toBe(4);
    const reply = await i.waitForReply();
    expect(reply.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.embeds[0]?.title).toBe(m.quit.overviewTitle);
    const labels = flatComponents(reply).map((c) => c.label);
    expect(labels).toEqual([...GUIDE_IDS.map((id) => m.quit.guides[id]), m.quit.pledgeButton, m.common.share]);
  });

  it('GIVEN each guide by the option THEN its numbered steps, sources and check date, in the member’s language', async () => {
    for (const id of GUIDE_IDS) {
      const reply = await slash('quit', { guide: id }, locale).waitForReply();
      const g = guide(id);
      const e = reply.embeds[0];
      expect(e?.title, id).toBe(g.title[lang]);
      expect(e?.description).toContain(numberedSteps(g, lang));
      expect(e?.description).toContain(g.sources[0]!.title);
      expect(e?.footer?.text).toBe(m.quit.footer(g.as_of));
      expect(buttonByLabel(reply, m.quit.guides[id]).disabled, `${id} is the current guide`).toBe(true);
      expect(buttonByLabel(reply, m.quit.pledgeButton)).toBeDefined();
    }
  });

  it('GIVEN the overview WHEN the member presses each guide button in turn THEN the same message shows that guide', async () => {
    let message = await slash('quit', {}, locale).waitForReply();
    for (const id of GUIDE_IDS) {
      message = await inPlace(press(message, m.quit.guides[id], locale), message);
      expect(message.embeds[0]?.title, id).toBe(guide(id).title[lang]);
      expect(message.embeds[0]?.description).toContain(numberedSteps(guide(id), lang));
    }
  });

  it('GIVEN a cancellation guide WHEN "I’ve cancelled" is pressed THEN a private answer shows the exact /pledge command, and the guide stays', async () => {
    const ios = await slash('quit', { guide: 'ios' }, locale).waitForReply();
    const handoff = press(ios, m.quit.pledgeButton, locale);
    expect((await handoff.acknowledged()).type).toBe(4);
    const answer = await handoff.waitForReply();
    expect(answer.flags & EPHEMERAL).toBe(EPHEMERAL);
    const command = lang === 'en' ? '`/pledge submit screenshot:`' : '`/engagement envoyer capture:`';
    expect(answer.content).toContain(command);
    expect(answer.content).toContain(`\`${m.pledge.platformName}:\` ${m.pledge.platforms.ios}`);
    expect(answer.content).toContain(lang === 'en' ? 'A button can’t ask you for a file' : 'Un bouton ne peut pas vous demander de fichier');
    expect(answer.allowed_mentions).toEqual({ parse: [] });
    expect(h.sim.message(ios.id)?.embeds[0]?.title).toBe(guide('ios').title[lang]);
  });
});

describe('/quit in the channel', () => {
  it('GIVEN "post in channel" THEN everyone sees the guide, credited; another member’s guide button answers them privately', async () => {
    const mine = await slash('quit', { guide: 'web' }).waitForReply();
    const posted = await press(mine, en.common.share).waitForReply();
    expect(posted.flags & EPHEMERAL).toBe(0);
    expect(posted.embeds[0]?.title).toBe(guide('web').title.en);
    expect(posted.embeds[0]?.footer?.text).toContain(en.common.sharedBy('Sam Member'));
    expect(customIds(posted).some((id) => id.includes(':share:'))).toBe(false);

    const other = press(posted, en.quit.guides.android, 'fr', w.users.francophone.id);
    expect((await other.acknowledged()).type).toBe(4);
    const privateCopy = await other.waitForReply();
    expect(privateCopy.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(privateCopy.embeds[0]?.title).toBe(guide('android').title.fr);
    expect(h.sim.message(posted.id)?.embeds[0]?.title).toBe(guide('web').title.en);
  });
});

/** The shortlist as the ranking computes it. */
function expectShortlist(message: SimMessage, uses: Use[], priorities: Priority[], lang: 'en' | 'fr') {
  const ranked = rankAlternatives(kb.alternatives, { uses, priorities });
  const fields = message.embeds[0]?.fields ?? [];
  expect(fields.map((f) => f.name)).toEqual(ranked.map((r, i) => `${i + 1}. ${r.alternative.name} · ${r.alternative.maker} (${r.alternative.country[lang]})`));
  fields.forEach((f, i) => expect(f.value.startsWith(reasons(ranked[i]!, lang))).toBe(true));
  const links = flatComponents(message).filter((c) => c.style === 5).map((c) => c.url);
  expect(links).toEqual(ranked.map((r) => r.alternative.link));
  expect(ranked.length).toBeGreaterThanOrEqual(3);
}

describe.each(LOCALES)('/switch in %s', (locale, m, lang) => {
  it('GIVEN two answers THEN a ranked shortlist with why each was picked and links to each site', async () => {
    const i = slash('switch', {}, locale);
    const step1 = await i.waitForReply();
    expect(step1.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(step1.embeds[0]?.title).toBe(m.switch.step1Title);
    const menu1 = selectMenu(step1);
    expect([menu1.min_values, menu1.max_values, menu1.options?.map((o) => o.label)]).toEqual([1, 5, Object.values(m.switch.uses)]);

    const step2 = await inPlace(choose(step1, ['coding', 'writing'], locale), step1);
    expect(step2.embeds[0]?.title).toBe(m.switch.step2Title);
    expect(selectMenu(step2).options?.map((o) => o.label)).toEqual(Object.values(m.switch.priorities));

    const results = await inPlace(choose(step2, ['local', 'europe'], locale), step2);
    expect(results.embeds[0]?.title).toBe(m.switch.resultsTitle);
    expectShortlist(results, ['coding', 'writing'], ['local', 'europe'], lang);
    expect(results.embeds[0]?.fields?.[0]?.name).toContain('Mistral');
  });

  it('GIVEN the wizard WHEN the member goes back, skips, changes what matters and starts again THEN each step keeps or clears the answers', async () => {
    const step1 = await slash('switch', {}, locale).waitForReply();
    const step2 = await inPlace(choose(step1, ['images'], locale), step1);
    const back = await inPlace(press(step2, m.switch.back, locale), step2);
    expect(selectMenu(back).options?.filter((o) => o.default).map((o) => o.value)).toEqual(['images']);
    const again = await inPlace(press(back, m.switch.next, locale), back);
    const skipped = await inPlace(press(again, m.switch.skip, locale), again);
    expect(skipped.embeds[0]?.description).toContain(m.switch.youWant(m.switch.nothingInParticular));
    expectShortlistLoose(skipped, ['images'], []);
    const edit = await inPlace(press(skipped, m.switch.edit, locale), skipped);
    expect(edit.embeds[0]?.title).toBe(m.switch.step2Title);
    const free = await inPlace(choose(edit, ['free', 'privacy'], locale), edit);
    expectShortlist(free, ['images'], ['free', 'privacy'], lang);
    const restart = await inPlace(press(free, m.switch.restart, locale), free);
    expect(restart.embeds[0]?.title).toBe(m.switch.step1Title);
    expect(selectMenu(restart).options?.some((o) => o.default)).toBe(false);
    expect(() => buttonByLabel(restart, m.switch.next)).toThrow();
  });
});

/** Fewer than three may fit (only two assistants in the kb do images): the list is still the ranking's. */
function expectShortlistLoose(message: SimMessage, uses: Use[], priorities: Priority[]) {
  const ranked = rankAlternatives(kb.alternatives, { uses, priorities });
  expect(message.embeds[0]?.fields?.map((f) => f.name.replace(/^\d+\. /, '').split(' · ')[0])).toEqual(ranked.map((r) => r.alternative.name));
}

describe('/switch: whose wizard it is', () => {
  it('GIVEN a shortlist posted in the channel THEN it is credited and another member’s "find mine" opens their own private wizard', async () => {
    const step1 = await slash('switch').waitForReply();
    const step2 = await inPlace(choose(step1, ['research']), step1);
    const results = await inPlace(choose(step2, ['free']), step2);
    const posted = await press(results, en.common.share).waitForReply();
    expect(posted.flags & EPHEMERAL).toBe(0);
    expect(posted.embeds[0]?.footer?.text).toContain(en.common.sharedBy('Sam Member'));
    expect(posted.embeds[0]?.fields).toEqual(results.embeds[0]?.fields);
    const theirs = press(posted, en.switch.findMine, 'fr', w.users.francophone.id);
    expect((await theirs.acknowledged()).type).toBe(4);
    const own = await theirs.waitForReply();
    expect(own.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(own.embeds[0]?.title).toBe(fr.switch.step1Title);
    expect(customIds(own)[0]).toContain(`:${w.users.francophone.id}:`);
  });

  it('GIVEN a wizard posted with share:true WHEN another member answers it THEN they are refused privately, the wizard is unchanged, and they can start their own', async () => {
    const wizard = await slash('switch', { share: true }).waitForReply();
    expect(wizard.flags & EPHEMERAL).toBe(0);
    const intruder = choose(wizard, ['coding'], 'fr', w.users.francophone.id);
    expect((await intruder.acknowledged()).type).toBe(4);
    const refusal = await intruder.waitForReply();
    expect(refusal.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(refusal.content).toBe(fr.switch.notYours);
    expect(h.sim.message(wizard.id)?.embeds[0]?.title).toBe(en.switch.step1Title);
    const own = await press(refusal, fr.switch.startOwn, 'fr', w.users.francophone.id).waitForReply();
    expect(own.embeds[0]?.title).toBe(fr.switch.step1Title);

    // The owner still can, and the public wizard's results offer no second "post in channel".
    const step2 = await inPlace(choose(wizard, ['writing']), wizard);
    const results = await inPlace(press(step2, en.switch.skip), step2);
    expect(results.flags & EPHEMERAL).toBe(0);
    expect(flatComponents(results).map((c) => c.label)).not.toContain(en.common.share);
  });

  it('GIVEN damaged or outdated wizard buttons THEN a clear "start again", privately', async () => {
    const member = w.users.member.id;
    const ids = [`switch:prefs:v1:not-a-user:3`, `switch:show:v1:${member}:0:0`, `switch:next:v1:${member}:99:0`, `switch:uses:v0:${member}:0`];
    // As a message the bot posted long ago, with custom_ids the current code no longer writes.
    const posted = (await h.bot.client.rest.post(Routes.channelMessages(w.channels.general), {
      body: {
        content: 'old wizard',
        allowed_mentions: { parse: [] },
        components: [{ type: ComponentType.ActionRow, components: ids.map((custom_id, n) => ({ type: ComponentType.Button, style: 2, label: `old ${n}`, custom_id })) }],
      },
    })) as { id: string };
    const old = h.sim.message(posted.id)!;
    const answers: SimMessage[] = [];
    for (const [n, expected] of [[0, en.switch.stale], [1, en.switch.stale], [2, en.switch.stale], [3, en.errors.staleComponent]] as const) {
      const i = h.sim.pressButton({ message: old, customId: ids[n]!, userId: member });
      expect((await i.acknowledged()).type).toBe(4);
      const answer = await i.waitForReply();
      expect(answer.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(answer.content, ids[n]).toBe(expected);
      answers.push(answer);
    }
    const fresh = await press(answers[0]!, en.switch.startAgain).waitForReply();
    expect(fresh.embeds[0]?.title).toBe(en.switch.step1Title);
  });

  it('GIVEN the bot restarts in the middle of the wizard THEN the member simply carries on', async () => {
    const step1 = await slash('switch', {}, 'fr').waitForReply();
    const step2 = await inPlace(choose(step1, ['studying', 'coding'], 'fr'), step1);
    await h.bot.stop(1_000);
    const restarted = await startSimulatedBot({ sim: h.sim, storeUrl: h.env.STORE_URL!, deploy: false });
    const stopFirst = h.stop;
    h = { ...restarted, stop: async () => (await restarted.stop(), await stopFirst()) };
    const results = await inPlace(choose(step2, ['open-source'], 'fr'), step2);
    expect(results.embeds[0]?.title).toBe(fr.switch.resultsTitle);
    expectShortlist(results, ['coding', 'studying'], ['open-source'], 'fr');
  });
});
