import { describe, expect, it } from 'vitest';
import { PledgeService, type CampaignTotals, type Totals } from '../../src/pledges/index.js';
import { renderStats, renderStatsChart, STATS_CHART_NAME } from '../../src/render/stats.js';
import { statsSummary } from '../../src/stats/index.js';
import { openStore, silentLogger, type KvOperation } from '../../src/store/index.js';
import { limitViolations } from '../helpers/limits.js';
import { G1, submission, user } from '../pledges/helpers.js';
import { uniqueNamespace } from '../store/cases.js';

const NOW = new Date('2026-02-15T23:30:00.000Z');

function totals(overrides: Partial<Totals> = {}): Totals {
  return {
    byStatus: { pending: 3, verified: 9, rejected: 2, withdrawn: 1 },
    counted: 12,
    byLevel: { leave: 4, strike: 8, share: 5 },
    daily: { '2026-02-01': 1, '2026-02-08': 2, '2026-02-09': 3, '2026-02-14': 2, '2026-02-15': 4 },
    updatedAt: '2026-02-15T23:00:00.000Z',
    ...overrides,
  };
}
const campaign: CampaignTotals = { ...totals(), counted: 1234, servers: 7 };

describe('statsSummary', () => {
  it('GIVEN aggregates THEN today, the last 7 UTC days, and the verified share are computed from them', () => {
    const s = statsSummary(totals(), campaign, NOW);
    expect(s.today).toBe(4);
    // 2026-02-09 … 2026-02-15: 3 + 2 + 4 (02-08 is the eighth day back).
    expect(s.last7Days).toBe(9);
    expect(s.verifiedShare).toBeCloseTo(9 / 12);
    expect(s.counted).toBe(12);
    expect(s.campaign).toEqual({ counted: 1234, servers: 7, byLevel: { leave: 4, strike: 8, share: 5 } });
    expect(s.byLevel).toEqual({ leave: 4, strike: 8, share: 5 });
    expect(s.day).toBe('2026-02-15');
  });

  it('GIVEN a time just after midnight UTC THEN "today" is the new UTC day', () => {
    expect(statsSummary(totals(), campaign, new Date('2026-02-16T00:00:01Z')).today).toBe(0);
  });

  it('GIVEN nothing counted THEN the verified share is null rather than 0 %', () => {
    const empty = totals({ byStatus: { pending: 0, verified: 0, rejected: 1, withdrawn: 4 }, counted: 0, daily: {} });
    expect(statsSummary(empty, campaign, NOW)).toMatchObject({ today: 0, last7Days: 0, verifiedShare: null });
  });

  it('GIVEN a real service THEN the summary needs two reads and no pledge is read', async () => {
    const ops: KvOperation[] = [];
    const store = await openStore('sqlite://:memory:', { log: silentLogger, namespace: uniqueNamespace(), onOperation: (op) => void ops.push(op) });
    const pledges = new PledgeService({ store, log: silentLogger, clock: () => NOW });
    for (let i = 0; i < 5; i++) await pledges.submit(submission(G1, user(), { autoVerify: i < 2 }));
    ops.length = 0;
    const s = statsSummary(await pledges.totals(G1), await pledges.campaignTotals(), NOW);
    expect(ops.map((o) => o.op)).toEqual(['get', 'get']);
    expect(ops.flatMap((o) => o.keys).some((k) => k.startsWith('pledge:'))).toBe(false);
    expect(s).toMatchObject({ counted: 5, today: 5, last7Days: 5, verifiedShare: 2 / 5, campaign: { counted: 5, servers: 1 } });
    await store.close();
  });
});

describe('renderStats', () => {
  it('GIVEN a summary THEN the embed shows the figures in English and French, refers to the chart, and fits Discord limits', () => {
    const s = statsSummary(totals(), campaign, NOW);
    const en = renderStats({ summary: s, locale: 'en', guildName: 'QuitGPT Paris' });
    const fr = renderStats({ summary: s, locale: 'fr' });
    for (const r of [en, fr]) expect(limitViolations(r)).toEqual([]);
    const e = en.embeds[0];
    expect(e?.image?.url).toBe(`attachment://${STATS_CHART_NAME}`);
    expect(e?.title).toBe('Pledge statistics · QuitGPT Paris');
    const text = JSON.stringify(e);
    expect(text).toContain('75% (9 of 12)');
    expect(text).toContain('**1,234** pledges in 7 servers');
    expect(JSON.stringify(fr.embeds[0])).toContain('**1\u202f234** engagements sur 7 serveurs');
  });

  it('GIVEN pledges at each level THEN a field breaks them down (shares apart) in English and French, and the campaign field too', () => {
    const s = statsSummary(totals(), { ...campaign, byLevel: { leave: 1000, strike: 234, share: 56 } }, NOW);
    const field = (locale: 'en' | 'fr', name: string) => renderStats({ summary: s, locale }).embeds[0]?.fields?.find((f) => f.name === name)?.value;
    expect(field('en', 'By level of commitment')).toBe(
      'Leave entirely: **4**\nFinancial strike: **8**\nShared the campaign: **5**\n-# shares are declared without a screenshot and counted apart',
    );
    expect(field('fr', 'Par niveau d’engagement')).toBe(
      'Départ complet : **4**\nGrève financière : **8**\nPartage de la campagne : **5**\n-# les partages sont déclarés sans capture et comptés à part'.replace(/ :/g, ':'),
    );
    expect(field('en', 'Whole campaign')).toBe('**1,234** pledges in 7 servers\nleave 1,000 · strike 234 · 56 shares');
    expect(field('fr', 'Toute la campagne')).toBe('**1\u202f234** engagements sur 7 serveurs\ndépart 1\u202f000 · grève 234 · 56 partages');
  });

  it('GIVEN a server with share declarations only THEN it is not shown as empty', () => {
    const sharesOnly = totals({ byStatus: { pending: 0, verified: 0, rejected: 0, withdrawn: 0 }, counted: 0, byLevel: { leave: 0, strike: 0, share: 2 }, daily: {} });
    expect(renderStats({ summary: statsSummary(sharesOnly, campaign, NOW), locale: 'en' }).embeds[0]?.description).toBeUndefined();
  });

  it('GIVEN a server without pledges THEN it says so and the share reads "nothing to verify yet"', () => {
    const empty = totals({ byStatus: { pending: 0, verified: 0, rejected: 0, withdrawn: 0 }, counted: 0, byLevel: { leave: 0, strike: 0, share: 0 }, daily: {} });
    const r = renderStats({ summary: statsSummary(empty, campaign, NOW), locale: 'en' });
    expect(r.embeds[0]?.description).toMatch(/No pledges in this server yet/);
    expect(JSON.stringify(r.embeds[0])).toContain('nothing to verify yet');
  });

  it('GIVEN the chart helper THEN it returns the PNG under the name the embed uses', async () => {
    const chart = await renderStatsChart(statsSummary(totals(), campaign, NOW), 'en', NOW);
    expect(chart.name).toBe(STATS_CHART_NAME);
    expect(chart.data.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});

describe('statsMessage and csvExport', () => {
  it('GIVEN a real service THEN /stats gets an embed plus its chart, and the export a named CSV stream of that server', async () => {
    const { statsMessage, csvExport } = await import('../../src/stats/index.js');
    const store = await openStore('sqlite://:memory:', { log: silentLogger, namespace: uniqueNamespace() });
    const pledges = new PledgeService({ store, log: silentLogger, clock: () => NOW });
    for (let i = 0; i < 3; i++) await pledges.submit(submission(G1, user()));
    const msg = await statsMessage({ totals: await pledges.totals(G1), campaign: await pledges.campaignTotals(), now: NOW, locale: 'fr' });
    expect(msg.files.map((f) => f.name)).toEqual([STATS_CHART_NAME]);
    expect(msg.reply.embeds[0]?.image?.url).toBe(`attachment://${STATS_CHART_NAME}`);
    const exp = csvExport(pledges.pledges(G1), { guildId: G1, now: NOW, locale: 'en' });
    expect(exp.name).toBe(`quitgpt-pledges-${G1}-2026-02-15.csv`);
    expect(exp.contentType).toBe('text/csv; charset=utf-8');
    let text = '';
    for await (const chunk of exp.stream) text += String(chunk);
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(4);
    await store.close();
  });
});
