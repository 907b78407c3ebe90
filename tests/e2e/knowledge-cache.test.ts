// The bot keeps its knowledge-base answers per loaded KB (src/kb/memo.ts). Through the simulator:
// each member still gets their own language, and a reload shows the new files at once.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, startSimulatedBot, type DemoWorld, type SimulatedBot } from '../../src/sandbox/harness.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { donorsByAmount } from '../../src/kb/donors.js';
import { loadKnowledgeBase } from '../../src/kb/load.js';
import { buttonByLabel, EPHEMERAL, selectMenu } from './helpers/messages.js';

let h: SimulatedBot;
let w: DemoWorld;
let kbDir: string;

beforeAll(async () => {
  kbDir = await mkdtemp(path.join(os.tmpdir(), 'quitgpt-kb-cache-'));
  await cp(path.resolve('kb'), kbDir, { recursive: true });
  h = await startSimulatedBot({ kbDir });
  w = createDemoWorld(h.sim);
});
afterAll(async () => {
  await h?.stop();
  await rm(kbDir, { recursive: true, force: true });
});
afterEach(() => {
  expect(h.sim.violations).toEqual([]);
  expect(h.sim.mentionWarnings).toEqual([]);
});

function facts(options: Record<string, string | boolean>, locale: string) {
  return h.sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts', options, locale }).waitForReply();
}

function autocomplete(typed: string, locale: string) {
  return h.sim.autocomplete({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts', options: { topic: typed }, focused: 'topic', locale });
}

describe('knowledge-base answers kept between interactions', () => {
  it('GIVEN members alternating English and French THEN each gets their own language every time', async () => {
    for (const [locale, title, overview] of [
      ['en-US', 'Donations and money in politics', en.facts.overviewTitle],
      ['fr', 'Dons et argent en politique', fr.facts.overviewTitle],
      ['en-GB', 'Donations and money in politics', en.facts.overviewTitle],
      ['fr-CA', 'Dons et argent en politique', fr.facts.overviewTitle],
    ] as const) {
      const topic = await facts({ topic: 'donations' }, locale);
      expect(topic.embeds[0]?.title).toBe(title);
      expect(topic.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect((await facts({}, locale)).embeds[0]?.title).toBe(overview);
    }
  });

  it('GIVEN share:true after a private answer THEN the shared one is public, without the share button', async () => {
    const priv = await facts({ topic: 'donations' }, 'en-US');
    const pub = await facts({ topic: 'donations', share: true }, 'en-US');
    expect(priv.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(pub.flags & EPHEMERAL).toBe(0);
    expect(pub.embeds[0]?.description).toBe(priv.embeds[0]?.description);
    const labels = (m: typeof pub) => m.components.flatMap((r) => r.components ?? []).map((c) => c.label);
    expect(labels(priv)).toContain(en.common.share);
    expect(labels(pub)).not.toContain(en.common.share);
  });

  it('GIVEN the KB files change and are reloaded THEN answers, the menu and autocomplete show the new text', async () => {
    const before = await facts({ topic: 'donations' }, 'en-US');
    expect(before.embeds[0]?.title).toBe('Donations and money in politics');
    const frBefore = await facts({ topic: 'donations' }, 'fr');
    expect((await autocomplete('donations', 'en-US')).map((c) => c.name)).toContain('Donations and money in politics');

    const file = path.join(kbDir, 'facts.yaml');
    const original = await readFile(file, 'utf8');
    const renamed = original.replace('en: "Donations and money in politics"', 'en: "Donations (updated)"');
    expect(renamed).not.toBe(original);
    await writeFile(file, renamed);
    expect(await h.bot.reloadKnowledgeBase()).toBe(true);

    const after = await facts({ topic: 'donations' }, 'en-US');
    expect(after.embeds[0]?.title).toBe('Donations (updated)');
    expect(selectMenu(after).options?.map((o) => o.label)).toContain('Donations (updated)');
    expect((await facts({}, 'en-US')).embeds[0]?.fields?.map((f) => f.name)).toContain('Donations (updated)');
    expect((await autocomplete('donations', 'en-US')).map((c) => c.name)).toContain('Donations (updated)');
    // The French text did not change.
    expect((await facts({ topic: 'donations' }, 'fr')).embeds[0]?.title).toBe(frBefore.embeds[0]?.title);
  });

  it('GIVEN organizers list more donors than fit a page THEN /donors pages with Next and Previous, in place', async () => {
    // The campaign's own list (6 donors) fits the first page of 8, so paging is exercised on a longer one.
    const file = path.join(kbDir, 'donors.yaml');
    const original = await readFile(file, 'utf8');
    const extra = [1, 2, 3, 4, 5]
      .map((i) => `
  - id: test-donor-${i}
    name: "Test Donor ${i}"
    amount_usd: ${i}000
    sources:
      - { title: "Test source", date: 2026-02-12 }
    as_of: 2026-02-12
`)
      .join('');
    try {
      await writeFile(file, `${original.trimEnd()}\n${extra}`);
      expect(await h.bot.reloadKnowledgeBase()).toBe(true);
      const loaded = await loadKnowledgeBase(kbDir);
      if (!loaded.ok) throw new Error('the longer donors list should be valid');
      const names = donorsByAmount(loaded.kb).map((d) => d.name);
      expect(names).toHaveLength(11);

      const first = await h.sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'donors', locale: 'en-US' }).waitForReply();
      expect(first.embeds[0]?.fields?.map((f) => f.name)).toEqual(names.slice(0, 8));
      expect(buttonByLabel(first, en.common.previous).disabled).toBe(true);
      const next = h.sim.pressButton({ message: first, customId: buttonByLabel(first, en.common.next).custom_id!, userId: w.users.member.id });
      expect((await next.acknowledged()).type).toBe(7);
      const second = await next.waitForReply((msg) => msg.embeds[0]?.fields?.[0]?.name === names[8]);
      expect(second.id).toBe(first.id);
      expect(second.embeds[0]?.fields?.map((f) => f.name)).toEqual(names.slice(8));
      expect(buttonByLabel(second, en.common.next).disabled).toBe(true);
      expect(second.embeds[0]?.footer?.text).toContain(en.common.page(2, 2));

      const back = h.sim.pressButton({ message: second, customId: buttonByLabel(second, en.common.previous).custom_id!, userId: w.users.member.id });
      const again = await back.waitForReply((msg) => msg.embeds[0]?.fields?.[0]?.name === names[0]);
      expect(again.embeds[0]?.fields?.map((f) => f.name)).toEqual(names.slice(0, 8));
    } finally {
      await writeFile(file, original);
      await h.bot.reloadKnowledgeBase();
    }
  });
});
