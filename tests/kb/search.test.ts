import { beforeAll, describe, expect, it } from 'vitest';
import type { KnowledgeBase } from '../../src/kb/schema.js';
import { closestTopics, findDonor, findTopic, normalize, searchDonors, searchTopics } from '../../src/kb/search.js';
import { loadRealKb } from './realKb.js';

let kb: KnowledgeBase;
beforeAll(async () => {
  kb = await loadRealKb();
});

const ids = (choices: readonly { id: string }[]) => choices.map((c) => c.id);

describe('normalize', () => {
  it('folds case and accents, and punctuation into single spaces', () => {
    expect(normalize('  Dónations ')).toBe('donations');
    expect(normalize('ÉLECTIONS')).toBe('elections');
    expect(normalize("L'œuvre — Prof-G")).toBe('l oeuvre prof g');
  });
});

describe('GIVEN a member typing in the topic option', () => {
  it('"Donation", "dónations" and the French "dons" all land on donations first', () => {
    expect(searchTopics(kb, 'Donation', 'en')[0]?.id).toBe('donations');
    expect(searchTopics(kb, 'dónations', 'en')[0]?.id).toBe('donations');
    expect(searchTopics(kb, 'dons', 'fr')[0]).toEqual({ id: 'donations', name: 'Dons et argent en politique' });
  });

  it('a prefix ranks before substrings: "don" puts donations first', () => {
    const found = ids(searchTopics(kb, 'don', 'en'));
    expect(found[0]).toBe('donations');
  });

  it('a typo is forgiven: "donatoins", "galoway", half-typed "donatoi"', () => {
    expect(searchTopics(kb, 'donatoins', 'en')[0]?.id).toBe('donations');
    expect(searchTopics(kb, 'galoway', 'en')[0]?.id).toBe('galloway');
    expect(searchTopics(kb, 'galway', 'en')[0]?.id).toBe('galloway');
    expect(searchTopics(kb, 'donatoi', 'en')[0]?.id).toBe('donations');
  });

  it('names come in the member\'s language', () => {
    expect(searchTopics(kb, 'temoignages', 'fr')).toEqual([{ id: 'testimonies', name: 'Témoignages' }]);
    expect(searchTopics(kb, 'temoignages', 'en')).toEqual([{ id: 'testimonies', name: 'Testimonies' }]);
  });

  it('an empty query lists every topic in kb order, never more than 25', () => {
    expect(ids(searchTopics(kb, '', 'en'))).toEqual(kb.topics.map((t) => t.id));
    expect(ids(searchTopics(kb, '   ', 'en', 3))).toEqual(kb.topics.slice(0, 3).map((t) => t.id));
    expect(searchTopics(kb, '', 'en', 1000).length).toBeLessThanOrEqual(25);
  });

  it('nonsense finds nothing to autocomplete', () => {
    expect(searchTopics(kb, 'xyzzyq', 'en')).toEqual([]);
  });
});

describe('GIVEN a kb larger than Discord allows in one list', () => {
  const many: KnowledgeBase = {
    topics: [],
    donorsIntro: { en: 'x', fr: 'x' },
    alternatives: [],
    timeline: [],
    donors: Array.from({ length: 40 }, (_, i) => ({
      id: `donor-${i}`,
      name: `Donor ${i}`,
      amount_usd: 1000 + i,
      amount_is_minimum: false,
      sources: [{ title: 't', date: '2026-01-01' }],
      as_of: '2026-01-01',
    })),
  };
  it('THEN at most 25 choices come back, whatever limit is asked', () => {
    expect(searchDonors(many, '').length).toBe(25);
    expect(searchDonors(many, 'donor', 100).length).toBe(25);
    expect(searchDonors(many, 'donor', 5).length).toBe(5);
  });
});

describe('GIVEN an unknown topic', () => {
  it('closestTopics offers 3 suggestions even for nonsense', () => {
    const nonsense = closestTopics(kb, 'xyzzyq');
    expect(nonsense).toHaveLength(3);
    expect(new Set(nonsense.map((t) => t.id)).size).toBe(3);
  });

  it('closestTopics puts the likely meaning first', () => {
    expect(closestTopics(kb, 'donatoins', 3)[0]?.id).toBe('donations');
    expect(closestTopics(kb, 'brockmann', 3)[0]?.id).toBe('trigger');
    expect(closestTopics(kb, 'anything', 0)).toEqual([]);
  });
});

describe('exact lookups', () => {
  it('findTopic matches id or either name, ignoring case and accents, not keywords', () => {
    expect(findTopic(kb, 'DONATIONS')?.id).toBe('donations');
    expect(findTopic(kb, 'dons et argent en politique')?.id).toBe('donations');
    expect(findTopic(kb, 'Temoignages')?.id).toBe('testimonies');
    expect(findTopic(kb, 'dons')).toBeUndefined();
    expect(findTopic(kb, '')).toBeUndefined();
  });

  it('donors: search by part of a name, find by id or full name', () => {
    expect(ids(searchDonors(kb, 'brock'))).toEqual(['brockman']);
    expect(ids(searchDonors(kb, 'andresen'))).toEqual(['marc-andreessen']);
    expect(findDonor(kb, 'greg and anna brockman')?.id).toBe('brockman');
    expect(findDonor(kb, 'CRYPTO.COM')?.id).toBe('crypto-com');
    expect(findDonor(kb, 'jeff-yass')?.name).toBe('Jeff Yass');
    expect(findDonor(kb, 'nobody')).toBeUndefined();
  });
});
