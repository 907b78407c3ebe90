// The /switch ranking: pure, so every rule is pinned here with small hand-made alternatives.
import { describe, expect, it } from 'vitest';
import type { Alternative } from '../../src/kb/schema.js';
import { isEuropean } from '../../src/switch/europe.js';
import { meets, rankAlternatives, scoreAlternative, SHORTLIST_MAX, WEIGHTS } from '../../src/switch/rank.js';
import { loadRealKb } from '../kb/realKb.js';

function alt(id: string, over: Partial<Alternative> = {}): Alternative {
  return {
    id,
    name: id,
    maker: 'Maker',
    country: { en: 'United States', fr: 'États-Unis' },
    country_code: 'US',
    open_weights: false,
    runs_locally: false,
    free_tier: false,
    good_at: ['writing'],
    campaign_pick: false,
    link: `https://example.org/${id}`,
    description: { en: 'x', fr: 'x' },
    sources: [{ title: 't', date: '2026-01-01' }],
    as_of: '2026-01-01',
    ...over,
  };
}

describe('meets', () => {
  it('maps each priority to what the KB says', () => {
    const local = alt('l', { runs_locally: true, open_weights: true, free_tier: true, country_code: 'FR' });
    const cloud = alt('c');
    expect((['free', 'privacy', 'open-source', 'local', 'europe'] as const).map((p) => meets(local, p))).toEqual([true, true, true, true, true]);
    expect((['free', 'privacy', 'open-source', 'local', 'europe'] as const).map((p) => meets(cloud, p))).toEqual([false, false, false, false, false]);
    expect(meets(alt('p', { good_at: ['privacy'] }), 'privacy')).toBe(true);
  });

  it('"made in Europe" is derived from country_code: EU, EEA, Switzerland, UK', () => {
    expect(['FR', 'DE', 'NO', 'CH', 'GB', 'fr'].map(isEuropean)).toEqual([true, true, true, true, true, true]);
    expect(['US', 'CN', 'CA', 'RU'].map(isEuropean)).toEqual([false, false, false, false]);
  });
});

describe('scoreAlternative', () => {
  it('adds the weights of matched uses and met priorities, and a tie-breaker for campaign picks', () => {
    const a = alt('a', { good_at: ['coding', 'writing'], free_tier: true, campaign_pick: true });
    const r = scoreAlternative(a, { uses: ['coding', 'images', 'writing'], priorities: ['free', 'local'] });
    expect(r.uses).toEqual(['coding', 'writing']);
    expect(r.met).toEqual(['free']);
    expect(r.unmet).toEqual(['local']);
    expect(r.score).toBe(2 * WEIGHTS.use + WEIGHTS.priority + WEIGHTS.campaignPick);
  });

  it('a campaign pick that fits nothing scores 0', () => {
    expect(scoreAlternative(alt('a', { campaign_pick: true }), { uses: ['images'], priorities: [] }).score).toBe(0);
  });
});

describe('rankAlternatives', () => {
  const kb = [
    alt('cloud-coder', { good_at: ['coding', 'writing'], free_tier: true }),
    alt('local-coder', { good_at: ['coding'], runs_locally: true, open_weights: true, free_tier: true }),
    alt('eu-writer', { good_at: ['writing'], country_code: 'FR', free_tier: true }),
    alt('painter', { good_at: ['images'] }),
    alt('pick', { good_at: ['studying'], campaign_pick: true, free_tier: true }),
  ];

  it('a met priority outweighs a use', () => {
    const ids = rankAlternatives(kb, { uses: ['coding', 'writing'], priorities: ['local'] }).map((r) => r.alternative.id);
    expect(ids).toEqual(['local-coder', 'cloud-coder', 'eu-writer']);
  });

  it('ties keep the knowledge base order; campaign picks win ties', () => {
    expect(rankAlternatives(kb, { uses: ['writing'], priorities: [] }).map((r) => r.alternative.id)).toEqual(['cloud-coder', 'eu-writer']);
    const tied = [alt('first', { good_at: ['studying'] }), alt('second', { good_at: ['studying'], campaign_pick: true })];
    expect(rankAlternatives(tied, { uses: ['studying'], priorities: [] }).map((r) => r.alternative.id)).toEqual(['second', 'first']);
  });

  it('made in Europe lifts the European one', () => {
    expect(rankAlternatives(kb, { uses: ['writing'], priorities: ['europe'] })[0]?.alternative.id).toBe('eu-writer');
  });

  it('leaves out what fits nothing and keeps at most five', () => {
    const ranked = rankAlternatives(kb, { uses: ['images'], priorities: [] });
    expect(ranked.map((r) => r.alternative.id)).toEqual(['painter']);
    const many = Array.from({ length: 9 }, (_, i) => alt(`w${i}`));
    expect(rankAlternatives(many, { uses: ['writing'], priorities: [] })).toHaveLength(SHORTLIST_MAX);
    expect(rankAlternatives(many, { uses: ['writing'], priorities: [] }, 3)).toHaveLength(3);
  });

  it('when nothing fits at all, the campaign picks, so the answer is never empty', () => {
    const ranked = rankAlternatives(kb, { uses: ['research'], priorities: [] });
    expect(ranked.map((r) => [r.alternative.id, r.score])).toEqual([['pick', 0]]);
  });

  it('is pure: same answers, same list; the input is untouched', () => {
    const copy = structuredClone(kb);
    const answers = { uses: ['coding'] as const, priorities: ['free', 'open-source'] as const };
    expect(rankAlternatives(kb, answers)).toEqual(rankAlternatives(kb, answers));
    expect(kb).toEqual(copy);
  });

  it('on the real kb: coding + runs locally + made in Europe puts Mistral’s open models first; privacy never suggests a cloud-only service first', async () => {
    const real = (await loadRealKb()).alternatives;
    expect(rankAlternatives(real, { uses: ['coding'], priorities: ['local', 'europe'] })[0]?.alternative.id).toBe('mistral-open');
    const privacy = rankAlternatives(real, { uses: ['writing'], priorities: ['privacy'] });
    expect(privacy.length).toBeGreaterThanOrEqual(3);
    expect(privacy[0]?.alternative.runs_locally).toBe(true);
    for (const uses of [['coding'], ['writing'], ['research'], ['studying']] as const) {
      expect(rankAlternatives(real, { uses, priorities: [] }).length, uses.join()).toBeGreaterThanOrEqual(3);
    }
  });
});
