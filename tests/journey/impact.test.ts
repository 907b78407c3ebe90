// Impact in money: N × 12 × price a year, N × the estimate's market value, always with the
// assumption, the attribution and the sources.
import { describe, expect, it } from 'vitest';
import { impactFigures, marketValueUsd, pledgeCount, subscriptionUsdPerYear, type Campaign } from '../../src/impact/index.js';
import { impactField, impactLines } from '../../src/render/impact.js';
import { loadRealKb } from '../kb/realKb.js';

const campaign: Campaign = {
  subscription: { plan: 'ChatGPT Plus', usd_per_month: 20, sources: [{ title: 'Press coverage of QuitGPT, 2026-02-12', date: '2026-02-12' }], as_of: '2026-02-12' },
  market_value_estimate: {
    by: 'Scott Galloway',
    usd_per_subscription: 10_000,
    subscription_usd_per_year: 240,
    sources: [{ title: 'chatgptdisaster.com', date: '2026-02-28' }],
    as_of: '2026-02-28',
  },
};

describe('impact figures', () => {
  it('N × 12 × price a year, N × $10,000 of market value', () => {
    expect(subscriptionUsdPerYear(1, campaign)).toBe(240);
    expect(subscriptionUsdPerYear(17_000, campaign)).toBe(4_080_000);
    expect(marketValueUsd(1, campaign)).toBe(10_000);
    expect(marketValueUsd(700_000, campaign)).toBe(7_000_000_000);
    expect(impactFigures(12, campaign)).toEqual({ pledges: 12, usdPerYear: 2_880, marketValueUsd: 120_000 });
  });

  it('a price with cents stays exact to the cent', () => {
    const odd = { ...campaign, subscription: { ...campaign.subscription, usd_per_month: 19.99 } };
    expect(subscriptionUsdPerYear(3, odd)).toBe(719.64);
  });

  it('counts that are not a whole positive number count as 0 (or their whole part)', () => {
    expect([-5, Number.NaN, Number.POSITIVE_INFINITY, 0, 2.7].map(pledgeCount)).toEqual([0, 0, 0, 0, 2]);
  });
});

describe('impactLines', () => {
  it('in English: the yearly money, the attributed estimate, the assumption and sources', () => {
    expect(impactLines(1234, 'en', campaign)).toEqual([
      '**1,234 pledges ≈ $296,160 a year** in subscriptions OpenAI no longer collects',
      '≈ **$12.3 million** of OpenAI’s market value, by Scott Galloway’s estimate ($10,000 per $240-a-year subscription)',
      '-# Assumes every pledge is one cancelled ChatGPT Plus subscription at $20 a month. Sources: Press coverage of QuitGPT, 2026-02-12 (2026-02-12) · chatgptdisaster.com (2026-02-28)',
    ]);
    expect(impactLines(1, 'en', campaign)[0]).toBe('**1 pledge ≈ $240 a year** in subscriptions OpenAI no longer collects');
  });

  it('in French', () => {
    const nbsp = /[\u202f\u00a0]/g;
    expect(impactLines(1234, 'fr', campaign).map((l) => l.replace(nbsp, ' '))).toEqual([
      '**1 234 engagements ≈ 296 160 $ par an** d’abonnements qu’OpenAI ne touche plus',
      '≈ **12,3 millions de dollars** de valeur boursière d’OpenAI, selon l’estimation de Scott Galloway (10 000 $ par abonnement de 240 $ par an)',
      '-# En supposant que chaque engagement est un abonnement ChatGPT Plus résilié, à 20 $ par mois. Sources : Press coverage of QuitGPT, 2026-02-12 (2026-02-12) · chatgptdisaster.com (2026-02-28)',
    ]);
  });

  it('nothing to show without pledges or without kb/campaign.yaml', () => {
    expect(impactLines(0, 'en', campaign)).toEqual([]);
    expect(impactLines(50, 'en', undefined)).toEqual([]);
    expect(impactField(0, 'fr', campaign)).toBeNull();
  });

  it('as an embed field, within Discord’s limits', () => {
    const field = impactField(1_000_000, 'en', campaign);
    expect(field?.name).toBe('What it costs OpenAI');
    expect(field?.value.split('\n')).toEqual(impactLines(1_000_000, 'en', campaign));
    expect(field!.value.length).toBeLessThanOrEqual(1024);
  });

  it('from the real kb/campaign.yaml', async () => {
    const kb = await loadRealKb();
    expect(impactLines(10, 'en', kb.campaign)[0]).toContain('$2,400 a year');
    expect(impactLines(10, 'en', kb.campaign)[1]).toContain('$100,000');
    expect(impactLines(10, 'en', kb.campaign)[1]).toContain('Scott Galloway');
  });
});
