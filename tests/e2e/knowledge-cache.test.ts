// The bot keeps its knowledge-base answers per loaded KB (src/kb/memo.ts). Through the simulator:
// each member still gets their own language, and a reload shows the new files at once.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, startSimulatedBot, type DemoWorld, type SimulatedBot } from '../../src/sandbox/harness.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { EPHEMERAL, selectMenu } from './helpers/messages.js';

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
});
