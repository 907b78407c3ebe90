import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, loadKnowledgeBase } from '../../src/kb/load.js';
import { edit, NOW, removeKb, VALID, writeKb } from './tempKb.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeKb));
});

/** The loader's report for a kb made of the valid files with `files` swapped in. */
async function report(files: Record<string, string | null>): Promise<string[]> {
  const dir = await writeKb(files);
  dirs.push(dir);
  const result = await loadKnowledgeBase(dir, { now: NOW });
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('GIVEN the minimal valid kb', () => {
  it('THEN it loads, keeping month-precision dates and defaults', async () => {
    const dir = await writeKb();
    dirs.push(dir);
    const result = await loadKnowledgeBase(dir, { now: NOW });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.kb.topics.map((t) => t.id)).toEqual(['money', 'people']);
    expect(result.kb.topics[1]?.keywords).toEqual([]);
    expect(result.kb.topics[1]?.facts[0]?.sources[0]?.date).toBe('2026-02');
    expect(result.kb.donors[0]?.amount_is_minimum).toBe(false);
    expect(result.kb.timeline[0]?.date).toBe('2026-01');
    expect(result.kb.donorsIntro.fr).toBe('Donateurs.');
  });
});

describe('GIVEN a broken kb THEN the report names file, path and fix, one line each', () => {
  it('bad YAML syntax: where the parser noticed it (the line after the unclosed brace), and nothing else about that file', async () => {
    expect(await report(edit('facts.yaml', 'name: { en: Money, fr: Argent }', 'name: { en: Money, fr: Argent'))).toEqual([
      'facts.yaml: (file): YAML syntax error at line 4, column 5: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('duplicate YAML key', async () => {
    expect(await report(edit('donors.yaml', '    name: Alpha\n', '    name: Alpha\n    name: Alpha again\n'))).toEqual([
      'donors.yaml: (file): YAML syntax error at line 5, column 5: Map keys must be unique',
    ]);
  });

  it('unknown key: close to a real one', async () => {
    expect(await report(edit('facts.yaml', '        sources:\n          - { title: Press coverage, url', '        soruces:\n          - { title: Press coverage, url'))).toEqual([
      'facts.yaml: topics.0.facts.0.sources: required, but missing',
      'facts.yaml: topics.0.facts.0.soruces: unknown key (did you mean "sources"?)',
    ]);
  });

  it('unknown key: nothing close, so the allowed keys are listed', async () => {
    expect(await report(edit('timeline.yaml', '    date: 2026-01\n', '    date: 2026-01\n    colour: red\n'))).toEqual([
      'timeline.yaml: events.0.colour: unknown key (expected one of: id, date, text, sources, as_of)',
    ]);
  });

  it('missing French text', async () => {
    expect(await report(edit('facts.yaml', 'text: { en: One fact., fr: Un fait. }', 'text: { en: One fact. }'))).toEqual([
      'facts.yaml: topics.0.facts.0.text.fr: the French text is missing',
    ]);
  });

  it('empty French text', async () => {
    expect(await report(edit('facts.yaml', 'fr: Un fait.', 'fr: "  "'))).toEqual([
      'facts.yaml: topics.0.facts.0.text.fr: must not be empty',
    ]);
  });

  it('bad url', async () => {
    expect(await report(edit('facts.yaml', 'url: "https://example.org/a"', 'url: "ftp://example.org/a"'))).toEqual([
      'facts.yaml: topics.0.facts.0.sources.0.url: expected an http(s) address',
    ]);
    expect(await report(edit('alternatives.yaml', 'link: https://example.org', 'link: http://example.org'))).toEqual([
      'alternatives.yaml: alternatives.0.link: expected the official https address',
    ]);
  });

  it('a link too long for a link button (Discord caps its url at 512)', async () => {
    const long = `https://example.org/${'a'.repeat(600)}`;
    expect(await report(edit('alternatives.yaml', 'link: https://example.org', `link: ${long}`))).toEqual([
      'alternatives.yaml: alternatives.0.link: at most 512 characters: Discord refuses a longer link button (this one has 620)',
    ]);
    const fits = `https://example.org/${'a'.repeat(512 - 'https://example.org/'.length)}`;
    expect(await report(edit('alternatives.yaml', 'link: https://example.org', `link: ${fits}`))).toEqual([]);
  });

  it('bad dates: wrong spelling, a day that does not exist', async () => {
    expect(await report(edit('facts.yaml', 'as_of: 2026-02-12', 'as_of: 12/02/2026'))).toEqual([
      'facts.yaml: topics.0.facts.0.as_of: expected a date written YYYY-MM-DD',
    ]);
    expect(await report(edit('facts.yaml', 'as_of: 2026-02-12', 'as_of: 2026-02-30'))).toEqual([
      'facts.yaml: topics.0.facts.0.as_of: not a real calendar date (got "2026-02-30")',
    ]);
    expect(await report(edit('timeline.yaml', 'date: 2026-01', 'date: January 2026'))).toEqual([
      'timeline.yaml: events.0.date: expected a date written YYYY-MM-DD (or YYYY-MM, or YYYY)',
    ]);
  });

  it('duplicate ids: within a list, and fact ids across topics', async () => {
    expect(await report(edit('donors.yaml', 'id: beta', 'id: alpha'))).toEqual([
      'donors.yaml: donors.1.id: duplicate id "alpha" (already used at donors.0.id)',
    ]);
    expect(await report(edit('facts.yaml', 'id: people-1', 'id: money-1'))).toEqual([
      'facts.yaml: topics.1.facts.0.id: duplicate fact id "money-1" (already used at topics.0.facts.0.id); fact ids must be unique across all topics',
    ]);
  });

  it('a topic name that another topic already answers to', async () => {
    expect(await report(edit('facts.yaml', 'name: { en: People, fr: Personnes }', 'name: { en: People, fr: Argent }'))).toEqual([
      'facts.yaml: topics.1.name.fr: "Argent" is already the id or name of another topic (topics.0.name.fr)',
    ]);
  });

  it('missing file, with a hint when a look-alike exists', async () => {
    expect(await report({ 'timeline.yaml': null })).toEqual(['timeline.yaml: (file): file is missing']);
    expect(await report({ 'timeline.yaml': null, 'timeline.yml': VALID['timeline.yaml'] ?? '' })).toEqual([
      'timeline.yaml: (file): file is missing (found "timeline.yml"; rename it to "timeline.yaml")',
    ]);
  });

  it('empty file, or only comments', async () => {
    expect(await report({ 'donors.yaml': '' })).toEqual(['donors.yaml: (file): file is empty']);
    expect(await report({ 'donors.yaml': '# nothing yet\n' })).toEqual(['donors.yaml: (file): file is empty']);
  });

  it('text too long says by how much', async () => {
    expect(await report(edit('facts.yaml', 'en: One fact.', `en: ${'x'.repeat(901)}`))).toEqual([
      'facts.yaml: topics.0.facts.0.text.en: at most 900 characters (this one has 901)',
    ]);
  });

  it('as_of in the future', async () => {
    expect(await report(edit('alternatives.yaml', 'as_of: 2026-11-27', 'as_of: 2027-01-01'))).toEqual([
      'alternatives.yaml: alternatives.0.as_of: 2027-01-01 is in the future (today is 2026-11-27)',
    ]);
  });

  it('as_of of tomorrow is accepted while it is already tomorrow somewhere on Earth', async () => {
    expect(await report(edit('alternatives.yaml', 'as_of: 2026-11-27', 'as_of: 2026-11-28'))).toEqual([]);
  });

  it('a source dated after the entry was checked', async () => {
    expect(await report(edit('facts.yaml', 'date: 2026-02 }', 'date: 2026-03-01 }'))).toEqual([
      "facts.yaml: topics.1.facts.0.sources.0.date: source dated 2026-03-01 is later than the entry's as_of 2026-02-28",
    ]);
  });

  it('no alternative marked as a campaign pick', async () => {
    expect(await report(edit('alternatives.yaml', 'campaign_pick: true', 'campaign_pick: false'))).toEqual([
      "alternatives.yaml: alternatives: no alternative has campaign_pick: true; mark the ones the campaign itself points to (Gemini, open-source options) so they are shown first",
    ]);
  });

  it('wrong types say what was expected and what was found', async () => {
    expect(await report(edit('donors.yaml', 'amount_usd: 5000000', 'amount_usd: "5 million"'))).toEqual([
      'donors.yaml: donors.0.amount_usd: expected a number, got "5 million"',
    ]);
    expect(await report(edit('donors.yaml', 'amount_usd: 5000000', 'amount_usd: 12.5'))).toEqual([
      'donors.yaml: donors.0.amount_usd: expected a whole number, got 12.5',
    ]);
    expect(await report(edit('alternatives.yaml', 'good_at: [privacy]', 'good_at: [privacy, cooking]'))).toEqual([
      'alternatives.yaml: alternatives.0.good_at.1: expected one of: coding, writing, research, privacy, studying, images (got "cooking")',
    ]);
    expect(await report(edit('alternatives.yaml', 'free_tier: true', 'free_tier: yes'))).toEqual([
      'alternatives.yaml: alternatives.0.free_tier: expected true or false, got "yes"',
    ]);
    expect(await report({ 'timeline.yaml': 'events: launch\n' })).toEqual([
      'timeline.yaml: events: expected a list (lines starting with "- "), got "launch"',
    ]);
    expect(await report({ 'timeline.yaml': '- just a list\n' })).toEqual([
      'timeline.yaml: (file): expected a mapping (lines of "key: value"), got a list',
    ]);
  });

  it('every problem in every file is listed in one run, in file order', async () => {
    expect(
      await report({
        ...edit('facts.yaml', 'url: "https://example.org/a"', 'url: nowhere'),
        'donors.yaml': null,
        ...edit('alternatives.yaml', 'campaign_pick: true', 'campaign_pick: false\n    colour: red'),
        ...edit('timeline.yaml', 'id: launch', 'id: Launch!'),
      }),
    ).toEqual([
      'facts.yaml: topics.0.facts.0.sources.0.url: expected an http(s) address',
      'donors.yaml: (file): file is missing',
      'alternatives.yaml: alternatives.0.colour: unknown key (expected one of: id, name, maker, country, country_code, open_weights, runs_locally, free_tier, good_at, campaign_pick, link, description, price, sources, as_of)',
      'alternatives.yaml: alternatives: no alternative has campaign_pick: true; mark the ones the campaign itself points to (Gemini, open-source options) so they are shown first',
      'timeline.yaml: events.0.id: expected lowercase letters, digits and dashes (at most 40)',
    ]);
  });

  it('a missing folder (a wrong KB_DIR) says so on each line', async () => {
    const result = await loadKnowledgeBase('/nonexistent/kb-folder', { now: NOW });
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      'facts.yaml: (file): file is missing (there is no folder "/nonexistent/kb-folder")',
      'donors.yaml: (file): file is missing (there is no folder "/nonexistent/kb-folder")',
      'alternatives.yaml: (file): file is missing (there is no folder "/nonexistent/kb-folder")',
      'timeline.yaml: (file): file is missing (there is no folder "/nonexistent/kb-folder")',
    ]);
  });
});
