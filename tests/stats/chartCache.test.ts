// The /stats chart cache: a repeat gets the very bytes drawn before, and anything the picture
// shows (a day's count, the days shown, the language, the server) draws it again. No timings.
import { describe, expect, it } from 'vitest';
import { PledgeService } from '../../src/pledges/index.js';
import { dailyChartData, dailyChartKey } from '../../src/render/chart.js';
import { renderStatsChart, STATS_CHART_NAME } from '../../src/render/stats.js';
import { ChartCache, statsMessage, statsSummary, type StatsMessageInput } from '../../src/stats/index.js';
import { openStore, silentLogger } from '../../src/store/index.js';
import { G1, G2, MOD, submission, user } from '../pledges/helpers.js';
import { uniqueNamespace } from '../store/cases.js';

const NOW = new Date('2026-02-15T12:00:00.000Z');
const png = (text: string): Buffer => Buffer.from(`png:${text}`);

describe('ChartCache', () => {
  it('GIVEN the same slot and key twice THEN the second call gets the same buffer without drawing', async () => {
    const cache = new ChartCache();
    let draws = 0;
    const draw = async (): Promise<Buffer> => png(`draw ${++draws}`);
    const a = await cache.get('g/en', 'k1', draw);
    const b = await cache.get('g/en', 'k1', draw);
    expect(draws).toBe(1);
    expect(b).toBe(a);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1, bytes: a.length });
  });

  it('GIVEN another key in the same slot THEN it draws again and the old picture is dropped, not kept beside it', async () => {
    const cache = new ChartCache();
    let draws = 0;
    const draw = async (): Promise<Buffer> => png(`draw ${++draws}`);
    const first = await cache.get('g/en', 'k1', draw);
    const second = await cache.get('g/en', 'k2', draw);
    expect(second.equals(first)).toBe(false);
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: second.length });
    // Back to the first key: that picture was replaced, so it is drawn once more.
    await cache.get('g/en', 'k1', draw);
    expect(draws).toBe(3);
  });

  it('GIVEN callers at once for the same slot and key THEN one drawing serves them all', async () => {
    const cache = new ChartCache();
    let draws = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const draw = async (): Promise<Buffer> => {
      draws++;
      await gate;
      return png('shared');
    };
    const pending = [cache.get('s', 'k', draw), cache.get('s', 'k', draw), cache.get('s', 'k', draw)];
    release();
    const got = await Promise.all(pending);
    expect(draws).toBe(1);
    expect(got.every((b) => b === got[0])).toBe(true);
  });

  it('GIVEN a drawing that fails THEN the error reaches the caller and the next call draws again', async () => {
    const cache = new ChartCache();
    await expect(cache.get('s', 'k', async () => Promise.reject(new Error('sharp failed')))).rejects.toThrow('sharp failed');
    expect(cache.stats().entries).toBe(0);
    expect((await cache.get('s', 'k', async () => png('ok'))).toString()).toBe('png:ok');
  });

  it('GIVEN more slots than maxEntries THEN the least recently used goes first', async () => {
    const cache = new ChartCache({ maxEntries: 2 });
    let draws = 0;
    const draw = async (): Promise<Buffer> => png(String(++draws));
    await cache.get('a', 'k', draw);
    await cache.get('b', 'k', draw);
    await cache.get('a', 'k', draw); // a is now the most recent
    await cache.get('c', 'k', draw); // evicts b
    expect(draws).toBe(3);
    await cache.get('a', 'k', draw);
    await cache.get('c', 'k', draw);
    expect(draws).toBe(3);
    await cache.get('b', 'k', draw);
    expect(draws).toBe(4);
    expect(cache.stats().entries).toBe(2);
  });

  it('GIVEN pictures over maxBytes THEN the oldest are dropped until they fit, and one too large is never kept', async () => {
    const cache = new ChartCache({ maxBytes: 100 });
    const sized = (n: number) => async (): Promise<Buffer> => Buffer.alloc(n, 1);
    await cache.get('a', 'k', sized(40));
    await cache.get('b', 'k', sized(40));
    await cache.get('c', 'k', sized(40));
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 80 });
    await cache.get('huge', 'k', sized(101));
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 80 });
    let drew = false;
    await cache.get('b', 'k', async () => ((drew = true), Buffer.alloc(40)));
    expect(drew).toBe(false);
  });

  it('GIVEN bad bounds THEN the constructor refuses them', () => {
    expect(() => new ChartCache({ maxEntries: 0 })).toThrow();
    expect(() => new ChartCache({ maxBytes: 1.5 })).toThrow();
  });
});

describe('dailyChartKey', () => {
  const daily = { '2026-01-01': 7, '2026-02-14': 2, '2026-02-15': 4 };
  const key = (over: Partial<Parameters<typeof dailyChartData>[0]> = {}): string =>
    dailyChartKey(dailyChartData({ daily, days: 30, locale: 'en', end: NOW, ...over }));

  it('GIVEN the same day, counts and words THEN the same key, whatever the time of day or days that are not drawn', () => {
    expect(key({ end: new Date('2026-02-15T23:59:59Z') })).toBe(key());
    // Counts inside or before the window only matter through what is drawn: the day counts and the total before.
    expect(key({ daily: { ...daily, '2026-01-01': 3, '2025-12-31': 4 } })).toBe(key());
  });

  it('GIVEN a changed count, total before the window, day, window or language THEN another key', () => {
    const base = key();
    expect(key({ daily: { ...daily, '2026-02-15': 5 } })).not.toBe(base);
    expect(key({ daily: { ...daily, '2025-12-31': 1 } })).not.toBe(base);
    expect(key({ end: new Date('2026-02-16T00:00:00Z') })).not.toBe(base);
    expect(key({ days: 7 })).not.toBe(base);
    expect(key({ locale: 'fr' })).not.toBe(base);
    expect(key({ title: 'Another title' })).not.toBe(base);
  });
});

describe('statsMessage with a chart cache', () => {
  async function world() {
    const store = await openStore('sqlite://:memory:', { log: silentLogger, namespace: uniqueNamespace() });
    let now = NOW;
    const pledges = new PledgeService({ store, log: silentLogger, clock: () => now });
    const charts = new ChartCache();
    const ask = async (over: Partial<StatsMessageInput> = {}, guildId = G1) => {
      const input: StatsMessageInput = { totals: await pledges.totals(guildId), campaign: await pledges.campaignTotals(), now, locale: 'en', guildId, ...over };
      const msg = await statsMessage(input, charts);
      const chart = msg.files.find((f) => f.name === STATS_CHART_NAME);
      if (!chart) throw new Error('no chart');
      // What an uncached drawing of the same figures gives: a cached chart must never differ from it.
      const fresh = await renderStatsChart(statsSummary(input.totals, input.campaign, input.now), input.locale, input.now);
      expect(chart.data.equals(fresh.data)).toBe(true);
      return { msg, png: chart.data, embed: JSON.stringify(msg.reply.embeds[0]) };
    };
    return { store, pledges, charts, ask, setNow: (d: Date) => void (now = d) };
  }

  it('GIVEN nothing changed THEN a repeat serves the same bytes without drawing, while the embed is still rebuilt', async () => {
    const w = await world();
    for (let i = 0; i < 3; i++) await w.pledges.submit(submission(G1, user()));
    const a = await w.ask();
    const b = await w.ask({ guildName: 'Renamed server' });
    expect(b.png).toBe(a.png);
    expect(w.charts.stats()).toMatchObject({ hits: 1, misses: 1 });
    expect(b.embed).toContain('Renamed server');
    await w.store.close();
  });

  it('GIVEN a new pledge, then a rejection THEN the chart is drawn again each time and shows the change', async () => {
    const w = await world();
    const first = await w.pledges.submit(submission(G1, user()));
    const before = await w.ask();
    await w.pledges.submit(submission(G1, user()));
    const afterNew = await w.ask();
    expect(afterNew.png.equals(before.png)).toBe(false);
    if (first.outcome !== 'created') throw new Error(`unexpected ${first.outcome}`);
    const rejected = await w.pledges.review({ guildId: G1, pledgeId: first.record.pledgeId, expectedStatus: 'pending', decision: 'rejected', reviewerId: MOD });
    expect(rejected.ok).toBe(true);
    const afterReject = await w.ask();
    expect(afterReject.png.equals(afterNew.png)).toBe(false);
    // One pledge counts again, as before the second one arrived: the same picture as then.
    expect(afterReject.png.equals(before.png)).toBe(true);
    expect(w.charts.stats()).toMatchObject({ hits: 0, misses: 3 });
    await w.store.close();
  });

  it('GIVEN a pending pledge verified THEN the picture (counted pledges per day) is kept, and the embed shows the verification', async () => {
    const w = await world();
    const r = await w.pledges.submit(submission(G1, user()));
    if (r.outcome !== 'created') throw new Error(`unexpected ${r.outcome}`);
    const before = await w.ask();
    const verified = await w.pledges.review({ guildId: G1, pledgeId: r.record.pledgeId, expectedStatus: 'pending', decision: 'verified', reviewerId: MOD });
    expect(verified.ok).toBe(true);
    const after = await w.ask();
    expect(after.png).toBe(before.png);
    expect(after.embed).not.toBe(before.embed);
    expect(after.embed).toContain('100% (1 of 1)');
    await w.store.close();
  });

  it('GIVEN another language, another server or the next UTC day THEN each gets its own drawing', async () => {
    const w = await world();
    await w.pledges.submit(submission(G1, user()));
    await w.pledges.submit(submission(G2, user()));
    const en = await w.ask();
    const fr = await w.ask({ locale: 'fr' });
    expect(fr.png.equals(en.png)).toBe(false);
    // Both languages of one server are kept side by side.
    expect((await w.ask()).png).toBe(en.png);
    expect((await w.ask({ locale: 'fr' })).png).toBe(fr.png);
    // Same figures in another server: drawn for that server, equal bytes.
    const other = await w.ask({}, G2);
    expect(other.png).not.toBe(en.png);
    expect(other.png.equals(en.png)).toBe(true);
    // Just past midnight UTC the window moves by a day.
    w.setNow(new Date('2026-02-16T00:00:01.000Z'));
    const tomorrow = await w.ask();
    expect(tomorrow.png.equals(en.png)).toBe(false);
    expect(w.charts.stats()).toMatchObject({ hits: 2, misses: 4 });
    await w.store.close();
  });
});
