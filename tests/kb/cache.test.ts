// Rendered knowledge-base answers and search results are kept per loaded KB (src/kb/memo.ts):
// the same answer comes back for the same question, in the asker's language, until a reload.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KnowledgeBaseHolder } from '../../src/kb/holder.js';
import { KbMemo, deepFreeze } from '../../src/kb/memo.js';
import type { KnowledgeBase } from '../../src/kb/schema.js';
import { findDonor, findTopic, searchDonors, searchTopics } from '../../src/kb/search.js';
import { renderAlternatives } from '../../src/render/alternatives.js';
import { renderDonor, renderDonorList, renderUnknownDonor } from '../../src/render/donors.js';
import { renderFactsOverview, renderFactsView, renderTopic, renderUnknownTopic } from '../../src/render/facts.js';
import { cachedReplies } from '../../src/render/reply.js';
import { NOW, removeKb, VALID, writeKb } from './tempKb.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeKb));
});

async function openKb(): Promise<{ holder: KnowledgeBaseHolder; dir: string }> {
  const dir = await writeKb();
  dirs.push(dir);
  return { holder: await KnowledgeBaseHolder.open(dir, { clock: () => NOW }), dir };
}

function topic(kb: KnowledgeBase, id: string) {
  const t = kb.topics.find((x) => x.id === id);
  if (!t) throw new Error(`no topic ${id}`);
  return t;
}

const priv = { shared: false } as const;
const shared = { shared: true } as const;

describe('rendered answers', () => {
  it('GIVEN the same topic, locale and audience THEN the same frozen answer comes back', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    const first = renderTopic(kb, topic(kb, 'money'), 'en', 0, priv);
    const again = renderTopic(kb, topic(kb, 'money'), 'en', 0, priv);
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.embeds[0])).toBe(true);
    expect(() => {
      (first.embeds as unknown[]).push({});
    }).toThrow(TypeError);
    // Reached through the view decoder (the page buttons), it is the same answer too.
    expect(renderFactsView(kb, { kind: 'topic', topicId: 'money', page: 0 }, 'en', priv)).toBe(first);
  });

  it('GIVEN another locale THEN the answer is in that language, kept apart', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    const en = renderTopic(kb, topic(kb, 'money'), 'en', 0, priv);
    const fr = renderTopic(kb, topic(kb, 'money'), 'fr', 0, priv);
    expect(fr).not.toBe(en);
    expect(en.embeds[0]?.title).toBe('Money');
    expect(en.embeds[0]?.description).toContain('One fact.');
    expect(fr.embeds[0]?.title).toBe('Argent');
    expect(fr.embeds[0]?.description).toContain('Un fait.');
    // Asking in English again after French still gets English.
    expect(renderTopic(kb, topic(kb, 'money'), 'en', 0, priv)).toBe(en);
  });

  it('GIVEN a private and a shared answer THEN each keeps its own buttons', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    const p = renderFactsOverview(kb, 'en', 0, priv);
    const s = renderFactsOverview(kb, 'en', 0, shared);
    const ids = (r: typeof p) => r.components.flatMap((row) => row.components.flatMap((c) => ('custom_id' in c ? [c.custom_id] : [])));
    expect(ids(p).some((id) => id.startsWith('facts:share:'))).toBe(true);
    expect(ids(s).some((id) => id.startsWith('facts:share:'))).toBe(false);
    expect(renderFactsOverview(kb, 'en', 0, shared)).toBe(s);
  });

  it('GIVEN a view shared by a named member THEN the name is in it and it is drawn for that member', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    const byAda = renderFactsOverview(kb, 'en', 0, { shared: true, sharedBy: 'Ada' });
    const byBob = renderFactsOverview(kb, 'en', 0, { shared: true, sharedBy: 'Bob' });
    expect(byAda.embeds[0]?.footer?.text).toContain('Ada');
    expect(byBob.embeds[0]?.footer?.text).toContain('Bob');
    expect(byBob.embeds[0]?.footer?.text).not.toContain('Ada');
    // …and the plain shared answer, drawn afterwards, carries no name.
    expect(renderFactsOverview(kb, 'en', 0, shared).embeds[0]?.footer?.text ?? '').not.toContain('Ada');
  });

  it('GIVEN an unknown topic or donor THEN the notice is added without changing the kept overview or list', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    const unknown = renderUnknownTopic(kb, 'zzz', [], 'en', priv);
    expect(unknown.content).toContain('zzz');
    expect(renderFactsOverview(kb, 'en', 0, priv).content).toBeUndefined();
    expect(unknown.embeds).toEqual(renderFactsOverview(kb, 'en', 0, priv).embeds);

    const unknownDonor = renderUnknownDonor(kb, 'nobody', 'fr', priv);
    expect(unknownDonor.content).toContain('nobody');
    expect(renderDonorList(kb, 'fr', 0, priv).content).toBeUndefined();
    expect(unknownDonor.embeds).toEqual(renderDonorList(kb, 'fr', 0, priv).embeds);
  });

  it('GIVEN donors and alternatives THEN they are kept per KB too', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    const alpha = kb.donors[0];
    if (!alpha) throw new Error('no donor');
    expect(renderDonor(kb, alpha, 'en', priv)).toBe(renderDonor(kb, alpha, 'en', priv));
    expect(renderDonorList(kb, 'en', 0, priv)).toBe(renderDonorList(kb, 'en', 0, priv));
    const all = renderAlternatives(kb, { filter: null, page: 0 }, 'en', priv);
    expect(renderAlternatives(kb, { filter: null, page: 0 }, 'en', priv)).toBe(all);
    const privacy = renderAlternatives(kb, { filter: 'privacy', page: 0 }, 'en', priv);
    expect(privacy).not.toBe(all);
    expect(cachedReplies(kb)).toBeGreaterThanOrEqual(4);
  });

  it('GIVEN the KB is reloaded with new text THEN answers, lookups and autocomplete come from the new files', async () => {
    const { holder, dir } = await openKb();
    const before = holder.current;
    const oldAnswer = renderTopic(before, topic(before, 'money'), 'en', 0, priv);
    const oldList = renderDonorList(before, 'en', 0, priv);
    expect(searchTopics(before, 'cash', 'en').map((c) => c.id)).toEqual(['money']);
    expect(searchTopics(before, 'wallet', 'en')).toEqual([]);

    const facts = (VALID['facts.yaml'] ?? '')
      .replace('text: { en: One fact., fr: Un fait. }', 'text: { en: A newer fact., fr: Un fait plus récent. }')
      .replace('keywords: [cash]', 'keywords: [cash, wallet]');
    await writeFile(path.join(dir, 'facts.yaml'), facts, 'utf8');
    await writeFile(path.join(dir, 'donors.yaml'), (VALID['donors.yaml'] ?? '').replace('name: Alpha', 'name: Alphabet'), 'utf8');
    expect((await holder.reload()).ok).toBe(true);
    const after = holder.current;
    expect(after).not.toBe(before);

    const newAnswer = renderTopic(after, topic(after, 'money'), 'en', 0, priv);
    expect(newAnswer).not.toBe(oldAnswer);
    expect(newAnswer.embeds[0]?.description).toContain('A newer fact.');
    expect(renderTopic(after, topic(after, 'money'), 'fr', 0, priv).embeds[0]?.description).toContain('Un fait plus récent.');
    expect(JSON.stringify(renderDonorList(after, 'en', 0, priv))).toContain('Alphabet');
    expect(JSON.stringify(oldList)).not.toContain('Alphabet');
    expect(searchTopics(after, 'wallet', 'en').map((c) => c.id)).toEqual(['money']);
    expect(findDonor(after, 'alphabet')?.id).toBe('alpha');
    expect(cachedReplies(after)).toBe(3);
  });
});

describe('search', () => {
  it('GIVEN the same query twice THEN the same choices, in the asked locale, and a caller cannot alter the next answer', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    const first = searchTopics(kb, 'mon', 'en');
    expect(first).toEqual([{ id: 'money', name: 'Money' }]);
    // The kept list itself, frozen: the same array each time, and nothing can change it.
    expect(searchTopics(kb, 'mon', 'en')).toBe(first);
    expect(() => (first as { id: string; name: string }[]).push({ id: 'x', name: 'x' })).toThrow(TypeError);
    expect(() => {
      (first[0] as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(searchTopics(kb, 'mon', 'en')).toEqual([{ id: 'money', name: 'Money' }]);
    expect(searchTopics(kb, 'mon', 'fr')).toEqual([{ id: 'money', name: 'Argent' }]);
    // The same query however it is typed.
    expect(searchTopics(kb, 'MÖN', 'fr')).toEqual([{ id: 'money', name: 'Argent' }]);
    expect(searchTopics(kb, '', 'en', 1)).toEqual([{ id: 'money', name: 'Money' }]);
    expect(searchTopics(kb, '', 'en')).toHaveLength(2);
    expect(searchDonors(kb, 'bet').map((d) => d.id)).toEqual(['beta']);
  });

  it('GIVEN exact lookups THEN ids win over names, ignoring case and accents, first in KB order', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    expect(findTopic(kb, ' MONEY ')?.id).toBe('money');
    expect(findTopic(kb, 'argent')?.id).toBe('money');
    expect(findTopic(kb, 'Personnes')?.id).toBe('people');
    expect(findTopic(kb, 'cash')).toBeUndefined();
    expect(findTopic(kb, '  ')).toBeUndefined();
    expect(findDonor(kb, 'BETA')?.id).toBe('beta');
  });
});

describe('KbMemo', () => {
  it('GIVEN more keys than its cap THEN the oldest make room and the rest are kept', async () => {
    const { holder } = await openKb();
    const kb = holder.current;
    const memo = new KbMemo<{ n: number }>(3);
    const made: number[] = [];
    const get = (n: number) =>
      memo.get(kb, String(n), () => {
        made.push(n);
        return { n };
      });
    const one = get(1);
    get(2);
    get(3);
    expect(get(1)).toBe(one);
    get(4);
    expect(memo.size(kb)).toBe(3);
    get(1);
    expect(made).toEqual([1, 2, 3, 4, 1]);
  });

  it('GIVEN nested objects THEN deepFreeze freezes them all', () => {
    const value = deepFreeze({ a: [{ b: 1 }], c: { d: 'x' } });
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a[0])).toBe(true);
    expect(Object.isFrozen(value.c)).toBe(true);
  });
});
