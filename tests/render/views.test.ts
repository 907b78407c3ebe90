import { describe, expect, it } from 'vitest';
import { LOCALES, type KnowledgeBase } from '../../src/kb/schema.js';
import { loadKnowledgeBase } from '../../src/kb/load.js';
import { donorTotal } from '../../src/kb/donors.js';
import { formatCount, formatUsd } from '../../src/i18n/index.js';
import { parseCustomId } from '../../src/render/customId.js';
import { renderFactsOverview, renderTopic, renderUnknownTopic, factPages } from '../../src/render/facts.js';
import { renderDonor, renderDonorList } from '../../src/render/donors.js';
import { ALTERNATIVE_FILTERS, filterAlternatives, renderAlternatives } from '../../src/render/alternatives.js';
import { linkButtons, type Reply } from '../../src/render/reply.js';
import { limitViolations } from '../helpers/limits.js';

const loaded = await loadKnowledgeBase('kb');
if (!loaded.ok) throw new Error('kb/ must be valid for these tests');
const kb: KnowledgeBase = loaded.kb;
const priv = { shared: false } as const;

function allText(r: Reply): string {
  return JSON.stringify(r);
}

function customIds(r: Reply): string[] {
  return r.components.flatMap((row) => row.components.flatMap((c) => ('custom_id' in c ? [c.custom_id] : [])));
}

describe.each(LOCALES)('renderers in %s', (locale) => {
  it('GIVEN the overview THEN every page fits Discord and the select lists every topic', () => {
    const first = renderFactsOverview(kb, locale, 0, priv);
    expect(limitViolations(first)).toEqual([]);
    const select = first.components[0]?.components[0];
    expect(select && 'options' in select ? select.options.map((o) => o.value) : []).toEqual(kb.topics.map((t) => t.id));
  });

  it('GIVEN every topic and page THEN it fits Discord and shows each fact with its sources', () => {
    for (const topic of kb.topics) {
      const pages = factPages(topic, locale);
      expect(pages.flat()).toEqual(topic.facts.map((_, i) => i));
      pages.forEach((_, p) => {
        const reply = renderTopic(kb, topic, locale, p, priv);
        expect(limitViolations(reply), `${topic.id} page ${p}`).toEqual([]);
        for (const i of pages[p] ?? []) {
          const fact = topic.facts[i];
          expect(reply.embeds[0]?.description).toContain(fact?.text[locale]);
          expect(reply.embeds[0]?.description).toContain(fact?.sources[0]?.title.replace(/[[\]]/g, ''));
        }
      });
    }
  });

  it('GIVEN a private view THEN it offers "post in channel"; a shared one does not', () => {
    const topic = kb.topics[0]!;
    expect(customIds(renderTopic(kb, topic, locale, 0, priv)).some((id) => id.startsWith('facts:share:v1:t:'))).toBe(true);
    expect(customIds(renderTopic(kb, topic, locale, 0, { shared: true })).some((id) => id.includes(':share:'))).toBe(false);
  });

  it('GIVEN an unknown topic THEN the member is told, shown the closest and cannot inject markdown or mentions', () => {
    const reply = renderUnknownTopic(kb, '**@everyone** [x](https://evil.example)', [kb.topics[0]!], locale, priv);
    expect(reply.content).not.toContain('@everyone');
    // Escaped brackets show as text; only an unescaped `](` would make a masked link.
    expect(reply.content).not.toMatch(/(?<!\\)\]\(https:\/\/evil/);
    expect(reply.content).toContain(kb.topics[0]!.name[locale]);
    expect(limitViolations(reply)).toEqual([]);
  });

  it('GIVEN the donors THEN they are sorted by amount with the computed total', () => {
    const reply = renderDonorList(kb, locale, 0, priv);
    expect(limitViolations(reply)).toEqual([]);
    const names = reply.embeds[0]?.fields?.map((f) => f.name) ?? [];
    const amounts = names.map((n) => kb.donors.find((d) => d.name === n)!.amount_usd);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
    const total = donorTotal(kb);
    expect(reply.embeds[0]?.description).toContain(formatUsd(total.amount_usd, locale, { moreThan: total.is_minimum }));
    for (const d of kb.donors) expect(limitViolations(renderDonor(kb, d, locale, priv))).toEqual([]);
  });

  it.each([null, ...ALTERNATIVE_FILTERS])('GIVEN need %s THEN only matching alternatives, campaign picks first', (filter) => {
    const list = filterAlternatives(kb, filter);
    const firstOther = list.findIndex((a) => !a.campaign_pick);
    if (firstOther >= 0) expect(list.slice(firstOther).every((a) => !a.campaign_pick)).toBe(true);
    const pages = Math.max(1, Math.ceil(list.length / 5));
    for (let page = 0; page < pages; page++) {
      const reply = renderAlternatives(kb, { filter, page }, locale, priv);
      expect(limitViolations(reply)).toEqual([]);
      for (const id of customIds(reply)) expect(parseCustomId(id)?.command).toBe('alternatives');
    }
    expect(list.length).toBeGreaterThan(0);
  });
});

describe('formatUsd', () => {
  it('GIVEN campaign figures THEN they read as the press quotes them', () => {
    expect(formatUsd(12_500_000, 'en')).toBe('$12.5 million');
    expect(formatUsd(12_500_000, 'fr')).toBe('12,5 millions de dollars');
    expect(formatUsd(14_000_000_000, 'en')).toBe('$14 billion');
    expect(formatUsd(98_000_000, 'en', { moreThan: true })).toBe('more than $98 million');
    expect(formatUsd(240, 'fr')).toBe('240 $');
    expect(formatUsd(120_000, 'en')).toBe('$120,000');
    expect(formatUsd(120_000, 'fr')).toBe('120\u202f000 $');
  });

  it('GIVEN a count THEN it is grouped as each language writes it', () => {
    expect(formatCount(12_345, 'en')).toBe('12,345');
    expect(formatCount(12_345, 'fr')).toBe('12\u202f345');
    expect(formatCount(7, 'fr')).toBe('7');
  });
});

describe('the knowledge base in every answer', () => {
  it('GIVEN the real KB THEN the overview names each topic in both languages', () => {
    for (const locale of LOCALES) {
      const text = allText(renderFactsOverview(kb, locale, 0, priv));
      for (const t of kb.topics.slice(0, 8)) expect(text).toContain(t.name[locale]);
    }
  });
});

describe('linkButtons', () => {
  it('GIVEN a link longer than a button url may be THEN that button is left out, not cut, and the rest stay', () => {
    const long = `https://example.org/${'a'.repeat(600)}`;
    const row = linkButtons([
      { label: 'Too long', url: long },
      { label: 'Fine', url: 'https://example.org/ok' },
    ]);
    expect(row?.components.map((b) => ('url' in b ? b.url : null))).toEqual(['https://example.org/ok']);
    expect(linkButtons([{ label: 'Too long', url: long }])).toBeNull();
  });
});
