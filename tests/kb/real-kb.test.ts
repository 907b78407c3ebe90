import { beforeAll, describe, expect, it } from 'vitest';
import { donorTotal, donorsByAmount } from '../../src/kb/donors.js';
import { formatProblem, loadKnowledgeBase } from '../../src/kb/load.js';
import type { KnowledgeBase } from '../../src/kb/schema.js';
import { loadRealKb, REAL_KB_DIR } from './realKb.js';

const ARTICLE = 'Press coverage of QuitGPT, 2026-02-12';

let kb: KnowledgeBase;
beforeAll(async () => {
  kb = await loadRealKb();
});

const allFacts = () => kb.topics.flatMap((t) => t.facts);
const english = () => allFacts().map((f) => f.text.en).join('\n');
const french = () => allFacts().map((f) => f.text.fr).join('\n');

describe('GIVEN the real kb/ folder', () => {
  it('THEN it loads with no problems, today', async () => {
    const result = await loadKnowledgeBase(REAL_KB_DIR);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  it('THEN the topics members are told about exist, donations included', () => {
    const ids = kb.topics.map((t) => t.id);
    for (const id of ['campaign', 'trigger', 'galloway', 'spread', 'levels', 'donations', 'complaints', 'economics', 'alternatives', 'testimonies']) {
      expect(ids).toContain(id);
    }
    expect(ids.length).toBeLessThanOrEqual(25);
  });

  it('THEN every figure of the brief is carried exactly, in English', () => {
    const en = english();
    for (const figure of [
      '$12.5 million', '$25 million', '36 million', '1.3 million', '17,000', '900 million',
      '$14 billion', '$290 million', '$10,000', '$240 a year', '700,000', '$20 a month',
      '$30 million', 'more than $21 million', '$16 million', '$3 million',
      'end of January 2026', 'early February 2026', 'December 2025', '19 February 2026',
    ]) {
      expect(en, figure).toContain(figure);
    }
  });

  it('THEN the same figures are in French, written the French way', () => {
    const fr = french();
    for (const figure of [
      '12,5 millions de dollars', '25 millions de dollars', '36 millions', '1,3 million', '17 000',
      '900 millions', '14 milliards de dollars', '290 millions de dollars', '10 000 dollars', '240 dollars par an',
      '700 000', '20 dollars par mois', '30 millions de dollars', 'plus de 21 millions', '16 millions de dollars',
      'fin janvier 2026', 'début février 2026', 'décembre 2025', '19 février 2026',
    ]) {
      expect(fr, figure).toContain(figure);
    }
  });

  it('THEN attributions are kept: Galloway owns the $10,000 estimate, Tom\'s Guide the 700,000', () => {
    const galloway = allFacts().find((f) => f.text.en.includes('$10,000'));
    expect(galloway?.text.en).toMatch(/Galloway's estimate/);
    expect(galloway?.sources.map((s) => s.title)).toEqual(['chatgptdisaster.com, "QuitGPT: cancel ChatGPT movement"']);
    const pledges = allFacts().find((f) => f.text.en.includes('700,000'));
    expect(pledges?.text.en).toMatch(/reportedly.*Tom's Guide/s);
    expect(pledges?.sources.map((s) => s.title)).toEqual([
      "Tom's Guide, as reported by chatgptdisaster.com",
      "Tom's Guide, as reported by dagens.com",
    ]);
  });

  it('THEN the article is cited the same way everywhere, dated 2026-02-12, without a made-up url', () => {
    const sources = [...allFacts(), ...kb.donors, ...kb.alternatives, ...kb.timeline].flatMap((e) => e.sources);
    const article = sources.filter((s) => s.title === ARTICLE);
    expect(article.length).toBeGreaterThan(20);
    for (const s of article) expect(s).toEqual({ title: ARTICLE, date: '2026-02-12' });
    expect(sources.filter((s) => s.title.includes('QuitGPT') && s.title !== ARTICLE && s.title.startsWith('Press'))).toEqual([]);
  });

  it('THEN the six donors are there and the total is computed: $98,000,000, a minimum', () => {
    expect(donorsByAmount(kb).map((d) => [d.id, d.amount_usd])).toEqual([
      ['crypto-com', 30_000_000],
      ['brockman', 25_000_000],
      ['securing-american-greatness', 21_000_000],
      ['jeff-yass', 16_000_000],
      ['ben-horowitz', 3_000_000],
      ['marc-andreessen', 3_000_000],
    ]);
    const sum = kb.donors.reduce((n, d) => n + d.amount_usd, 0);
    expect(donorTotal(kb)).toEqual({ amount_usd: sum, is_minimum: true });
    expect(sum).toBe(98_000_000);
    const brockman = kb.donors.find((d) => d.id === 'brockman');
    expect(brockman?.name).toBe('Greg and Anna Brockman');
    expect(brockman?.note?.en).toContain('$12.5 million each');
    expect(kb.donors.filter((d) => d.amount_is_minimum).map((d) => d.id)).toEqual(['securing-american-greatness']);
    expect(kb.donors.find((d) => d.id === 'crypto-com')?.recipient?.en).toBe('MAGA Inc.');
  });

  it('THEN alternatives: at least 8, Gemini first, the campaign picks before the rest, each with an official https source', () => {
    expect(kb.alternatives.length).toBeGreaterThanOrEqual(8);
    expect(kb.alternatives[0]?.id).toBe('gemini');
    const picks = kb.alternatives.map((a) => a.campaign_pick);
    expect(picks.indexOf(false)).toBeGreaterThan(0);
    expect(picks.slice(picks.indexOf(false))).not.toContain(true);
    expect(kb.alternatives.filter((a) => a.campaign_pick && a.id !== 'gemini').every((a) => a.open_weights)).toBe(true);
    for (const a of kb.alternatives) {
      expect(a.link).toMatch(/^https:\/\//);
      expect(a.sources.some((s) => s.url === a.link), a.id).toBe(true);
      expect(a.price, `${a.id} has a price`).toBeUndefined();
    }
    const ids = kb.alternatives.map((a) => a.id);
    for (const id of ['gemini', 'claude', 'le-chat', 'copilot', 'perplexity', 'llama', 'mistral-open', 'ollama']) expect(ids).toContain(id);
  });

  it('THEN the timeline runs oldest first and has the dated moments of the campaign', () => {
    const dates = kb.timeline.map((e) => e.date);
    expect([...dates].sort()).toEqual(dates);
    for (const d of ['2025-12', '2026-01', '2026-02', '2026-02-12', '2026-02-19']) expect(dates).toContain(d);
  });
});
