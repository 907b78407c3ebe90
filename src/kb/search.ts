// Topic and donor lookup for slash-command autocomplete and for "did you mean" replies.
import type { Donor, KnowledgeBase, Locale, Topic } from './schema.js';
import { deepFreeze, KbMemo, perKb } from './memo.js';
import { editDistance, normalize } from './text.js';

export { normalize } from './text.js';

/** Discord shows at most 25 autocomplete choices and rejects a longer list. */
export const AUTOCOMPLETE_MAX = 25;

export type Choice = { id: string; name: string };

/** Lower is better. Prefix beats substring beats typo, so typing "don" lists donations first. */
const enum Rank {
  Exact = 0,
  Prefix = 1,
  Substring = 2,
  Fuzzy = 3,
  None = 4,
}

type Scored = { rank: Rank; distance: number; index: number };

/**
 * How many typos a query may carry. Short queries get none: at three letters, one edit
 * matches half the vocabulary and the list stops meaning anything.
 */
function typoBudget(length: number): number {
  if (length < 4) return 0;
  if (length < 6) return 1;
  return 2;
}

/** Every normalized form a member might type for an entry: whole terms and their single words. */
function expand(terms: readonly string[]): string[] {
  const out = new Set<string>();
  for (const term of terms) {
    const n = normalize(term);
    if (!n) continue;
    out.add(n);
    for (const word of n.split(' ')) out.add(word);
  }
  return [...out];
}

function score(query: string, terms: readonly string[], index: number): Scored {
  let rank = Rank.None;
  let distance = Number.POSITIVE_INFINITY;
  const budget = typoBudget(query.length);
  for (const term of terms) {
    if (term === query) return { rank: Rank.Exact, distance: 0, index };
    if (term.startsWith(query)) rank = Math.min(rank, Rank.Prefix);
    // One typed letter is a start, not a search: "a" inside every word would list everything.
    else if (query.length > 1 && term.includes(query)) rank = Math.min(rank, Rank.Substring);
    else if (budget > 0) {
      // Compare with the whole term and with its start, so a typo made while still typing
      // ("donatoi" for "donations") is found before the word is finished.
      const whole = editDistance(query, term, budget);
      const start = term.length > query.length ? editDistance(query, term.slice(0, query.length), budget) : whole;
      const d = Math.min(whole, start);
      if (d <= budget) {
        rank = Math.min(rank, Rank.Fuzzy);
        distance = Math.min(distance, d);
      }
    }
  }
  return { rank, distance, index };
}

function byRank(a: Scored, b: Scored): number {
  return a.rank - b.rank || a.distance - b.distance || a.index - b.index;
}

/** `q` is already normalized; `terms[i]` are the expanded terms of `entries[i]`. */
function rankEntries<T>(entries: readonly T[], terms: readonly (readonly string[])[], q: string, limit: number): T[] {
  const max = Math.max(0, Math.min(Math.floor(limit), AUTOCOMPLETE_MAX));
  if (!q) return entries.slice(0, max);
  return entries
    .map((_, index) => score(q, terms[index] ?? [], index))
    .filter((s) => s.rank !== Rank.None)
    .sort(byRank)
    .slice(0, max)
    .flatMap((s) => {
      const entry = entries[s.index];
      return entry === undefined ? [] : [entry];
    });
}

const topicTerms = (t: Topic): string[] => [t.id, t.name.en, t.name.fr, ...t.keywords];
const donorTerms = (d: Donor): string[] => [d.id, d.name];

/**
 * Normalizing every term of every entry is most of the work of a search, and the KB does not change
 * between reloads: the expanded terms, and the normalized ids and names for exact lookups, are
 * computed once per loaded KB (memo.ts), in the KB's order.
 */
type Index<T> = { terms: string[][]; byId: Map<string, T>; byName: Map<string, T> };

function buildIndex<T>(entries: readonly T[], termsOf: (e: T) => string[], id: (e: T) => string, names: (e: T) => string[]): Index<T> {
  const byId = new Map<string, T>();
  const byName = new Map<string, T>();
  // The first entry in kb order wins, as a find() over the list would.
  for (const e of entries) {
    const k = normalize(id(e));
    if (k && !byId.has(k)) byId.set(k, e);
  }
  for (const e of entries) {
    for (const name of names(e)) {
      const k = normalize(name);
      if (k && !byName.has(k)) byName.set(k, e);
    }
  }
  return { terms: entries.map((e) => expand(termsOf(e))), byId, byName };
}

const topicIndex = perKb((kb) => buildIndex(kb.topics, topicTerms, (t) => t.id, (t) => [t.name.en, t.name.fr]));
const donorIndex = perKb((kb) => buildIndex(kb.donors, donorTerms, (d) => d.id, (d) => [d.name]));

/** Members type the same few letters over and over ("d", "do", "don"): answers are kept per KB, query and locale. */
const topicChoices = new KbMemo<readonly Choice[]>(2000);
const donorChoices = new KbMemo<readonly Choice[]>(2000);

/**
 * Autocomplete for a topic option; an empty query lists every topic in kb order. The list is the
 * kept one, frozen: the same array for the same query, so its answer's bytes are made once too
 * (src/render/callbackBody.ts).
 */
export function searchTopics(kb: KnowledgeBase, query: string, locale: Locale, limit = AUTOCOMPLETE_MAX): readonly Choice[] {
  const q = normalize(query);
  return topicChoices.get(kb, `${locale}\u0000${limit}\u0000${q}`, () =>
    deepFreeze(rankEntries(kb.topics, topicIndex(kb).terms, q, limit).map((t) => ({ id: t.id, name: t.name[locale] }))),
  );
}

/** Autocomplete for a donor option; an empty query lists every donor in kb order. */
export function searchDonors(kb: KnowledgeBase, query: string, limit = AUTOCOMPLETE_MAX): readonly Choice[] {
  const q = normalize(query);
  return donorChoices.get(kb, `${limit}\u0000${q}`, () =>
    deepFreeze(rankEntries(kb.donors, donorIndex(kb).terms, q, limit).map((d) => ({ id: d.id, name: d.name }))),
  );
}

/** Exact lookup, ignoring case and accents, by id or by the English or French name. */
export function findTopic(kb: KnowledgeBase, idOrName: string): Topic | undefined {
  const q = normalize(idOrName);
  if (!q) return undefined;
  const index = topicIndex(kb);
  return index.byId.get(q) ?? index.byName.get(q);
}

/** Exact lookup, ignoring case and accents, by id or name. */
export function findDonor(kb: KnowledgeBase, idOrName: string): Donor | undefined {
  const q = normalize(idOrName);
  if (!q) return undefined;
  const index = donorIndex(kb);
  return index.byId.get(q) ?? index.byName.get(q);
}

/**
 * For "unknown topic, did you mean ...": search matches first, then whatever is least far
 * from the query, so even nonsense gets `n` suggestions to click instead of a dead end.
 */
export function closestTopics(kb: KnowledgeBase, query: string, n = 3): Topic[] {
  const count = Math.max(0, Math.floor(n));
  const index = topicIndex(kb);
  const q = normalize(query);
  const found = rankEntries(kb.topics, index.terms, q, AUTOCOMPLETE_MAX);
  if (found.length >= count) return found.slice(0, count);

  const rest = kb.topics
    .map((topic, i) => ({ topic, index: i, similarity: bestSimilarity(q, index.terms[i] ?? []) }))
    .filter(({ topic }) => !found.includes(topic))
    .sort((a, b) => b.similarity - a.similarity || a.index - b.index)
    .map(({ topic }) => topic);
  return [...found, ...rest].slice(0, count);
}

/** 1 for identical, 0 for nothing in common, relative to the longer string. */
function bestSimilarity(query: string, terms: readonly string[]): number {
  let best = 0;
  for (const term of terms) {
    const longest = Math.max(query.length, term.length);
    if (longest === 0) continue;
    best = Math.max(best, 1 - editDistance(query, term) / longest);
  }
  return best;
}
