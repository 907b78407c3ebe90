// A tiny valid knowledge base written to a temp folder, so each broken case changes one
// thing and its report lines stay exact no matter how the real kb/ evolves.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const NOW = new Date('2026-11-27T12:00:00Z');

export const VALID: Record<string, string> = {
  'facts.yaml': `topics:
  - id: money
    name: { en: Money, fr: Argent }
    keywords: [cash]
    summary: { en: About money., fr: Sur l'argent. }
    facts:
      - id: money-1
        text: { en: One fact., fr: Un fait. }
        sources:
          - { title: Press coverage, url: "https://example.org/a", date: 2026-02-12 }
        as_of: 2026-02-12
  - id: people
    name: { en: People, fr: Personnes }
    summary: { en: About people., fr: Sur les gens. }
    facts:
      - id: people-1
        text: { en: Another fact., fr: Un autre fait. }
        sources:
          - { title: Press coverage, date: 2026-02 }
        as_of: 2026-02-28
`,
  'donors.yaml': `intro: { en: Donors., fr: Donateurs. }
donors:
  - id: alpha
    name: Alpha
    amount_usd: 5000000
    sources: [{ title: Press coverage, date: 2026-02-12 }]
    as_of: 2026-02-12
  - id: beta
    name: Beta
    amount_usd: 2000000
    amount_is_minimum: true
    sources: [{ title: Press coverage, date: 2026-02-12 }]
    as_of: 2026-02-12
`,
  'alternatives.yaml': `alternatives:
  - id: pick
    name: Pick
    maker: Maker
    country: { en: France, fr: France }
    country_code: FR
    open_weights: true
    runs_locally: true
    free_tier: true
    good_at: [privacy]
    campaign_pick: true
    link: https://example.org
    description: { en: A pick., fr: Un choix. }
    sources: [{ title: Official site, url: "https://example.org", date: 2026-11-27 }]
    as_of: 2026-11-27
`,
  'timeline.yaml': `events:
  - id: launch
    date: 2026-01
    text: { en: Launch., fr: Lancement. }
    sources: [{ title: Press coverage, date: 2026-02-12 }]
    as_of: 2026-02-12
`,
};

/** `files` replaces whole files; `null` leaves a file out. Returns the folder. */
export async function writeKb(files: Record<string, string | null> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kb-test-'));
  const all = { ...VALID, ...files };
  for (const [name, text] of Object.entries(all)) {
    if (text !== null) await writeFile(path.join(dir, name), text, 'utf8');
  }
  return dir;
}

/** The valid file with one exact substring replaced; throws if it is not there, so a case cannot silently test nothing. */
export function edit(file: string, from: string, to: string): Record<string, string> {
  const text = VALID[file];
  if (text === undefined || !text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
  return { [file]: text.replace(from, to) };
}

export async function removeKb(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
