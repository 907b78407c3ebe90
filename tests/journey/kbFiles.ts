// Minimal valid guides.yaml and campaign.yaml for the loader tests, written next to
// tests/kb/tempKb.ts's valid files so each broken case changes one thing.
import { GUIDE_IDS } from '../../src/kb/guides.js';

const guide = (id: string) => `  - id: ${id}
    title: { en: Title ${id}, fr: Titre ${id} }
    intro: { en: Why ${id}., fr: Pourquoi ${id}. }
    steps:
      - { en: First step., fr: Première étape. }
      - { en: Second step., fr: Deuxième étape. }
    sources:
      - { title: Vendor help, url: "https://example.org/${id}", date: 2026-11-27 }
    as_of: 2026-11-27
`;

export const GUIDES_YAML = `guides:\n${GUIDE_IDS.map(guide).join('')}`;

export const CAMPAIGN_YAML = `subscription:
  plan: ChatGPT Plus
  usd_per_month: 20
  sources: [{ title: Press coverage, date: 2026-02-12 }]
  as_of: 2026-02-12
market_value_estimate:
  by: Scott Galloway
  usd_per_subscription: 10000
  subscription_usd_per_year: 240
  sources: [{ title: Other coverage, date: 2026-02-28 }]
  as_of: 2026-02-28
`;

export const JOURNEY_FILES = { 'guides.yaml': GUIDES_YAML, 'campaign.yaml': CAMPAIGN_YAML };

/** One of the two files with one exact substring replaced (throws if it is not there). */
export function editJourney(file: 'guides.yaml' | 'campaign.yaml', from: string, to: string, nth = 0): Record<string, string> {
  const text = JOURNEY_FILES[file];
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(from, at + 1);
    if (at < 0) throw new Error(`${file} has no occurrence ${nth} of ${JSON.stringify(from)}`);
  }
  return { ...JOURNEY_FILES, [file]: text.slice(0, at) + to + text.slice(at + from.length) };
}
