// kb/guides.yaml and kb/campaign.yaml through the loader and `npm run kb:check`: a broken file
// gives exact, one-line problems; a folder without them still loads.
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, loadKnowledgeBase } from '../../src/kb/load.js';
import { GUIDE_IDS } from '../../src/kb/guides.js';
import { runKbCheck } from '../../src/scripts/kb-check.js';
import { NOW, removeKb, writeKb } from '../kb/tempKb.js';
import { loadRealKb } from '../kb/realKb.js';
import { CAMPAIGN_YAML, editJourney, GUIDES_YAML, JOURNEY_FILES } from './kbFiles.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeKb));
});

async function dirWith(files: Record<string, string | null>): Promise<string> {
  const dir = await writeKb(files);
  dirs.push(dir);
  return dir;
}

async function report(files: Record<string, string | null>): Promise<string[]> {
  const result = await loadKnowledgeBase(await dirWith(files), { now: NOW });
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('GIVEN valid guides.yaml and campaign.yaml', () => {
  it('THEN both load, guides in file order with their steps', async () => {
    const result = await loadKnowledgeBase(await dirWith(JOURNEY_FILES), { now: NOW });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.kb.guides?.map((g) => g.id)).toEqual([...GUIDE_IDS]);
    expect(result.kb.guides?.[0]?.steps.map((s) => s.fr)).toEqual(['Première étape.', 'Deuxième étape.']);
    expect(result.kb.campaign?.subscription.usd_per_month).toBe(20);
    expect(result.kb.campaign?.market_value_estimate.by).toBe('Scott Galloway');
  });

  it('WHEN the folder has neither file THEN it still loads, without guides or figures', async () => {
    const result = await loadKnowledgeBase(await dirWith({}), { now: NOW });
    expect(result.ok).toBe(true);
    if (result.ok) expect([result.kb.guides, result.kb.campaign]).toEqual([undefined, undefined]);
  });

  it('the real kb/ has every guide /quit offers, and the campaign figures', async () => {
    const kb = await loadRealKb();
    expect(kb.guides?.map((g) => g.id).sort()).toEqual([...GUIDE_IDS].sort());
    expect(kb.campaign?.subscription.usd_per_month).toBe(20);
    expect(kb.campaign?.market_value_estimate.usd_per_subscription).toBe(10000);
    expect(kb.campaign?.market_value_estimate.subscription_usd_per_year).toBe(240);
    for (const g of kb.guides ?? []) expect(g.sources.length).toBeGreaterThan(0);
  });
});

describe('GIVEN a broken guides.yaml THEN one precise line per problem', () => {
  it('a look-alike file name is pointed at', async () => {
    expect(await report({ 'guides.yml': GUIDES_YAML })).toEqual([
      'guides.yaml: (file): file is missing (found "guides.yml"; rename it to "guides.yaml")',
    ]);
  });

  it('YAML syntax', async () => {
    expect(await report(editJourney('guides.yaml', 'title: { en: Title export, fr: Titre export }', 'title: { en: Title export, fr: Titre export'))).toEqual([
      'guides.yaml: (file): YAML syntax error at line 4, column 5: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('an id the bot does not offer, so the guide it replaced is missing', async () => {
    expect(await report(editJourney('guides.yaml', 'id: ios', 'id: iphone'))).toEqual([
      'guides.yaml: guides.2.id: expected one of: export, web, ios, android, delete-app, delete-account (got "iphone")',
      'guides.yaml: guides: no guide with id "ios"; /quit offers it, so add one',
    ]);
  });

  it('the same guide twice', async () => {
    expect(await report(editJourney('guides.yaml', 'id: web', 'id: export'))).toEqual([
      'guides.yaml: guides.1.id: duplicate id "export" (already used at guides.0.id)',
      'guides.yaml: guides: no guide with id "web"; /quit offers it, so add one',
    ]);
  });

  it('a step without its French text, a step too long, a single step', async () => {
    expect(await report(editJourney('guides.yaml', '{ en: First step., fr: Première étape. }', '{ en: First step. }', 3))).toEqual([
      'guides.yaml: guides.3.steps.0.fr: the French text is missing',
    ]);
    expect(await report(editJourney('guides.yaml', 'en: Second step.', `en: ${'x'.repeat(301)}`))).toEqual([
      'guides.yaml: guides.0.steps.1.en: at most 300 characters (this one has 301)',
    ]);
    expect(await report(editJourney('guides.yaml', '      - { en: Second step., fr: Deuxième étape. }\n', '', 5))).toEqual([
      'guides.yaml: guides.5.steps: needs at least 2 entries',
    ]);
  });

  it('a misspelt key, no source, a source that is not https, as_of in the future', async () => {
    expect(await report(editJourney('guides.yaml', '    steps:\n', '    stpes:\n'))).toEqual([
      'guides.yaml: guides.0.steps: required, but missing',
      'guides.yaml: guides.0.stpes: unknown key (did you mean "steps"?)',
    ]);
    expect(await report(editJourney('guides.yaml', '    sources:\n      - { title: Vendor help, url: "https://example.org/web", date: 2026-11-27 }\n', '    sources: []\n'))).toEqual([
      'guides.yaml: guides.1.sources: every entry needs at least one source',
    ]);
    expect(await report(editJourney('guides.yaml', 'url: "https://example.org/android"', 'url: "example.org/android"'))).toEqual([
      'guides.yaml: guides.3.sources.0.url: expected an http(s) address',
    ]);
    expect(await report(editJourney('guides.yaml', 'as_of: 2026-11-27', 'as_of: 2027-01-05', 4))).toEqual([
      'guides.yaml: guides.4.as_of: 2027-01-05 is in the future (today is 2026-11-27)',
    ]);
  });
});

describe('GIVEN a broken campaign.yaml THEN one precise line per problem', () => {
  it('a price written as text, a missing attribution', async () => {
    expect(await report(editJourney('campaign.yaml', 'usd_per_month: 20', 'usd_per_month: "$20"'))).toEqual([
      'campaign.yaml: subscription.usd_per_month: expected a number, got "$20"',
    ]);
    expect(await report(editJourney('campaign.yaml', '  by: Scott Galloway\n', ''))).toEqual([
      'campaign.yaml: market_value_estimate.by: required, but missing',
    ]);
  });

  it('a price that no longer matches the estimate’s yearly base', async () => {
    expect(await report(editJourney('campaign.yaml', 'usd_per_month: 20', 'usd_per_month: 25'))).toEqual([
      'campaign.yaml: market_value_estimate.subscription_usd_per_year: is 240 but subscription.usd_per_month × 12 is 300; the estimate must be about the same subscription, so correct one of them',
    ]);
  });

  it('a source dated after the entry was checked', async () => {
    expect(await report(editJourney('campaign.yaml', 'date: 2026-02-28', 'date: 2026-03-02'))).toEqual([
      "campaign.yaml: market_value_estimate.sources.0.date: source dated 2026-03-02 is later than the entry's as_of 2026-02-28",
    ]);
  });
});

describe('npm run kb:check', () => {
  it('GIVEN broken guides and campaign files THEN exit 1 with their lines after the other files’', async () => {
    const out: string[] = [];
    const dir = await dirWith({ ...editJourney('guides.yaml', 'id: android', 'id: Android'), 'campaign.yaml': CAMPAIGN_YAML.replace('plan: ChatGPT Plus', 'plan: ""') });
    expect(await runKbCheck(dir, { stdout: () => undefined, stderr: (l) => out.push(l) }, { now: NOW })).toBe(1);
    expect(out).toEqual([
      'guides.yaml: guides.3.id: expected one of: export, web, ios, android, delete-app, delete-account (got "Android")',
      'guides.yaml: guides: no guide with id "android"; /quit offers it, so add one',
      'campaign.yaml: subscription.plan: must not be empty',
    ]);
  });

  it('GIVEN the real kb/ THEN exit 0', async () => {
    expect(await runKbCheck('kb', { stdout: () => undefined, stderr: () => undefined })).toBe(0);
  });
});
