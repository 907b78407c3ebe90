import { describe, expect, it, vi } from 'vitest';
import type { TimelineEvent } from '../../src/kb/schema.js';
import { CAMPAIGN_MILESTONES } from '../../src/milestones/index.js';
import { formatPartialDate, milestoneImageName, renderMilestone, renderMilestonesOverview, timelineText } from '../../src/render/milestones.js';
import { DEFAULT_MILESTONES } from '../../src/settings/index.js';
import { limitViolations } from '../helpers/limits.js';
import { loadRealKb } from '../kb/realKb.js';

describe('renderMilestone', () => {
  it('GIVEN a server milestone THEN the embed names the count, the next threshold, the campaign total and the image, in the server language', () => {
    const en = renderMilestone({ locale: 'en', scope: 'guild', threshold: 1000, count: 1000, next: 2500, campaignCount: 12345 });
    const fr = renderMilestone({ locale: 'fr', scope: 'guild', threshold: 1000, count: 1000, next: 2500, campaignCount: 12345 });
    for (const r of [en, fr]) expect(limitViolations(r)).toEqual([]);
    const e = en.embeds[0];
    expect(e?.title).toBe('🎉 1,000 pledges in this server!');
    expect(e?.image?.url).toBe(`attachment://${milestoneImageName(1000)}`);
    expect(e?.image?.url).toBe('attachment://milestone-1000.png');
    expect(JSON.stringify(e?.fields)).toContain('**2,500** (1,500 to go)');
    expect(JSON.stringify(e?.fields)).toContain('**12,345** pledges');
    expect(fr.embeds[0]?.title).toBe('🎉 1\u202f000 engagements sur ce serveur !');
    expect(JSON.stringify(fr.embeds[0]?.fields)).toContain('encore 1\u202f500');
  });

  it('GIVEN a campaign milestone with nothing after it THEN it says every milestone is reached and does not repeat the campaign total', () => {
    const r = renderMilestone({ locale: 'en', scope: 'campaign', threshold: 1_000_000, count: 1_000_000, next: null, campaignCount: 1_000_000 });
    expect(r.embeds[0]?.title).toBe('🎉 1,000,000 pledges across the campaign!');
    expect(r.embeds[0]?.fields).toEqual([{ name: 'Next milestone', value: 'Every milestone on the list is reached.', inline: true }]);
  });
});

describe('renderMilestonesOverview', () => {
  it('GIVEN the real knowledge base THEN reached/next for the server and the campaign, and the timeline, fit Discord limits in both languages', async () => {
    const kb = await loadRealKb();
    for (const locale of ['en', 'fr'] as const) {
      const r = renderMilestonesOverview({
        locale,
        guild: { count: 30, thresholds: DEFAULT_MILESTONES },
        campaign: { count: 1200, servers: 14, thresholds: CAMPAIGN_MILESTONES },
        timeline: kb.timeline,
      });
      expect(limitViolations(r)).toEqual([]);
      const e = r.embeds[0];
      const firstEvent = kb.timeline[0];
      if (firstEvent) expect(e?.description).toContain(firstEvent.text[locale].slice(0, 40));
      if (locale === 'en') {
        expect(e?.fields?.[0]?.value).toBe('**30** pledges\nReached: 10, 25\nNext: **50** (20 to go)');
        expect(e?.fields?.[1]?.value).toBe('**1,200** pledges in 14 servers\nReached: 100, 250, 500, 1,000\nNext: **2,500** (1,300 to go)');
      }
    }
  });

  it('GIVEN nothing reached, everything reached, or many reached THEN each reads sensibly', () => {
    const r = renderMilestonesOverview({
      locale: 'en',
      guild: { count: 0, thresholds: DEFAULT_MILESTONES },
      campaign: { count: 2_000_000, servers: 900, thresholds: CAMPAIGN_MILESTONES },
      timeline: [],
      imageName: 'milestones-progress.png',
    });
    const [server, campaign] = r.embeds[0]?.fields ?? [];
    expect(server?.value).toBe('**0** pledges\nNo milestone reached yet\nNext: **10** (10 to go)');
    expect(campaign?.value).toBe('**2,000,000** pledges in 900 servers\nReached: …, 25,000, 50,000, 100,000, 250,000, 500,000, 1,000,000\nEvery milestone on the list is reached');
    expect(r.embeds[0]?.description).toBeUndefined();
    expect(r.embeds[0]?.image?.url).toBe('attachment://milestones-progress.png');
  });

  it('GIVEN a timeline of 100 long events with long links THEN the most recent that fit are kept and the rest counted', () => {
    const events: TimelineEvent[] = Array.from({ length: 100 }, (_, i) => ({
      id: `e${i}`,
      date: `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
      text: { en: `Event ${i} `.padEnd(300, 'x'), fr: `Événement ${i} `.padEnd(300, 'x') },
      sources: [{ title: 'Source', url: `https://example.org/${'p'.repeat(480)}`, date: '2026-01-01' }],
      as_of: '2026-02-12',
    }));
    const r = renderMilestonesOverview({
      locale: 'fr',
      guild: { count: 5, thresholds: [10] },
      campaign: { count: 5, servers: 1, thresholds: [100] },
      timeline: events,
    });
    expect(limitViolations(r)).toEqual([]);
    const d = r.embeds[0]?.description ?? '';
    expect(d).toMatch(/^\*\*Chronologie de la campagne\*\*\n-# …et \d+ événements plus anciens\n/);
    // Kept in date order, ending with the latest event.
    const latest = [...events].sort((a, b) => a.date.localeCompare(b.date) || a.id.localeCompare(b.id)).at(-1);
    expect(d.trimEnd().endsWith(')')).toBe(true);
    expect(d).toContain(latest?.text.fr.slice(0, 20) ?? '?');
  });

  it('GIVEN partial dates THEN they are spelled without inventing a day', () => {
    expect(formatPartialDate('2024', 'en')).toBe('2024');
    expect(formatPartialDate('2026-01', 'en')).toBe('January 2026');
    expect(formatPartialDate('2026-01', 'fr')).toBe('janvier 2026');
    expect(formatPartialDate('2026-02-12', 'en')).toBe('Feb 12, 2026');
    expect(formatPartialDate('2026-02-12', 'fr')).toBe('12 févr. 2026');
    expect(timelineText([], 'en')).toBe('');
  });

  // An Intl.DateTimeFormat holds native ICU memory the GC does not count: one per line per call
  // made the bot's RSS climb under /milestones load (bench, 2026-11-28).
  it('GIVEN many timeline renders THEN a date formatter is built at most once per language and precision', async () => {
    vi.resetModules();
    const fresh = await import('../../src/render/milestones.js');
    const Original = Intl.DateTimeFormat;
    let built = 0;
    Intl.DateTimeFormat = new Proxy(Original, {
      construct(target, args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
        built++;
        return new target(...args);
      },
    });
    try {
      const events = await loadRealKb().then((kb) => kb.timeline);
      expect(events.some((e) => /^\d{4}-\d{2}-\d{2}$/.test(e.date)) && events.some((e) => /^\d{4}-\d{2}$/.test(e.date))).toBe(true);
      for (let i = 0; i < 20; i++) {
        for (const locale of ['en', 'fr'] as const) {
          fresh.timelineText([...events], locale);
          fresh.formatPartialDate('2026-02-12', locale);
          fresh.formatPartialDate('2026-01', locale);
        }
      }
      expect(built).toBe(4);
      expect(fresh.formatPartialDate('2026-02-12', 'fr')).toBe('12 févr. 2026');
    } finally {
      Intl.DateTimeFormat = Original;
    }
  });

  it('GIVEN the same timeline twice THEN the text is the same and a new timeline (a kb reload) is drawn afresh', async () => {
    const events = await loadRealKb().then((kb) => kb.timeline);
    const first = timelineText(events, 'en');
    expect(timelineText(events, 'en')).toBe(first);
    expect(timelineText(events, 'fr')).not.toBe(first);
    const edited = events.map((e, i) => (i === events.length - 1 ? { ...e, text: { ...e.text, en: 'Edited by an organizer' } } : e));
    expect(timelineText(edited, 'en')).toContain('Edited by an organizer');
    expect(timelineText(events, 'en')).not.toContain('Edited by an organizer');
  });
});
