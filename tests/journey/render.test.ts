// The /quit and /switch builders: what they put in custom_ids and embeds stays inside Discord's
// limits for every guide and every wizard state, and the hand-off names the exact command.
import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, embedLength } from '../../src/render/limits.js';
import { parseCustomId } from '../../src/render/customId.js';
import { decodeQuitView, pledgeHandoffText, renderQuitView } from '../../src/render/quit.js';
import { renderPrioritiesStep, renderResults, renderUsesStep } from '../../src/render/switch.js';
import { GUIDE_IDS } from '../../src/kb/guides.js';
import type { KnowledgeBase } from '../../src/kb/schema.js';
import type { Reply } from '../../src/render/reply.js';
import { PRIORITIES, USES } from '../../src/switch/rank.js';
import {
  fromMask,
  parseMask,
  parseOwner,
  prioritiesMask,
  prioritiesOf,
  PRIORITIES_ALL,
  toMask,
  usesMask,
  usesOf,
  USES_ALL,
} from '../../src/switch/state.js';
import { loadRealKb } from '../kb/realKb.js';

let kb: KnowledgeBase;
beforeAll(async () => {
  kb = await loadRealKb();
});

/** Every custom_id and the sizes Discord checks. */
function checkLimits(reply: Reply): string[] {
  const ids: string[] = [];
  expect(reply.components.length).toBeLessThanOrEqual(LIMITS.actionRows);
  for (const row of reply.components) {
    expect(row.components.length).toBeLessThanOrEqual(LIMITS.buttonsPerRow);
    for (const c of row.components) {
      if ('custom_id' in c && c.custom_id) ids.push(c.custom_id);
      if ('label' in c && c.label) expect(c.label.length).toBeLessThanOrEqual(LIMITS.buttonLabel);
    }
  }
  for (const id of ids) expect(id.length).toBeLessThanOrEqual(LIMITS.customId);
  expect(new Set(ids).size).toBe(ids.length);
  for (const e of reply.embeds) expect(embedLength(e)).toBeLessThanOrEqual(LIMITS.embedTotal);
  return ids;
}

describe('wizard state in custom_ids', () => {
  it('masks round-trip every answer set', () => {
    for (let mask = 0; mask <= USES_ALL; mask++) expect(usesMask(usesOf(mask))).toBe(mask);
    for (let mask = 0; mask <= PRIORITIES_ALL; mask++) expect(prioritiesMask(prioritiesOf(mask))).toBe(mask);
    expect(toMask(USES, ['writing', 'images', 'nonsense'])).toBe(0b10010);
    expect(fromMask(PRIORITIES, 0b10001)).toEqual(['free', 'europe']);
  });

  it('refuses anything that is not a mask or an owner id', () => {
    expect(['0', '31', '32', '-1', 'x', '', '007', undefined].map((a) => parseMask(a, USES_ALL))).toEqual([0, 31, null, null, null, null, null, null]);
    expect(['123456789012345678', '12', 'abc', undefined].map(parseOwner)).toEqual(['123456789012345678', null, null, null]);
  });

  it('every step and result, with the longest owner id and every answer, fits in 100 characters', () => {
    const owner = '9'.repeat(20);
    for (const [uses, priorities] of [[USES_ALL, PRIORITIES_ALL], [1, 0], [0, 0]] as const) {
      const s = { owner, uses, priorities };
      for (const reply of [renderUsesStep(s, 'fr'), renderPrioritiesStep(s, 'en'), renderResults(kb, s, 'fr', { shared: false })]) {
        for (const id of checkLimits(reply)) {
          const parsed = parseCustomId(id);
          expect(parsed?.command).toBe('switch');
          expect(parsed?.args[0]).toBe(owner);
        }
      }
    }
  });

  it('results: at most five, each with a link button to its official site', () => {
    const s = { owner: '1'.repeat(18), uses: usesMask(['writing']), priorities: 0 };
    const reply = renderResults(kb, s, 'en', { shared: false });
    const links = reply.components.flatMap((r) => r.components).filter((c) => 'url' in c);
    expect(reply.embeds[0]?.fields?.length).toBe(links.length);
    expect(links.length).toBeGreaterThanOrEqual(3);
    expect(links.length).toBeLessThanOrEqual(5);
  });
});

describe('/quit views', () => {
  it('every guide and the overview, in both languages, fit Discord’s limits and show numbered steps', () => {
    for (const locale of ['en', 'fr'] as const) {
      checkLimits(renderQuitView(kb, { kind: 'overview' }, locale, { shared: false })!);
      for (const id of GUIDE_IDS) {
        const reply = renderQuitView(kb, { kind: 'guide', id }, locale, { shared: false })!;
        checkLimits(reply);
        const guide = kb.guides!.find((g) => g.id === id)!;
        expect(reply.embeds[0]?.title).toBe(guide.title[locale]);
        guide.steps.forEach((s, i) => expect(reply.embeds[0]?.description).toContain(`${i + 1}. ${s[locale]}`));
      }
    }
  });

  it('no guides in the kb: no view (the command says so)', () => {
    expect(renderQuitView({ ...kb, guides: undefined }, { kind: 'overview' }, 'en', { shared: false })).toBeNull();
  });

  it('decodes only known views', () => {
    expect(['o', 'ios', 'IOS', '', undefined].map(decodeQuitView)).toEqual([{ kind: 'overview' }, { kind: 'guide', id: 'ios' }, null, null, null]);
  });

  it('the pledge hand-off shows the exact command in each language, with the guide’s platform', () => {
    expect(pledgeHandoffText({ kind: 'guide', id: 'ios' }, 'en')).toContain('`/pledge submit screenshot:`  (and `platform:` iPhone / iPad (App Store))');
    expect(pledgeHandoffText({ kind: 'guide', id: 'android' }, 'fr')).toContain('`/engagement envoyer capture:`  (et `plateforme:` Android (Google Play))');
    expect(pledgeHandoffText({ kind: 'overview' }, 'en')).toContain('`/pledge submit screenshot:`\n');
    expect(pledgeHandoffText(null, 'fr')).toContain('Un bouton ne peut pas vous demander de fichier');
    // After the account-deletion guide, the hand-off names the level that records it.
    expect(pledgeHandoffText({ kind: 'guide', id: 'delete-account' }, 'en')).toContain('`/pledge submit screenshot:`  (and `level:` Leave entirely: account and data deleted)');
    expect(pledgeHandoffText({ kind: 'guide', id: 'delete-account' }, 'fr')).toContain('`/engagement envoyer capture:`  (et `niveau:` Départ complet : compte et données supprimés)');
  });
});
