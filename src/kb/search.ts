// Topic and donor lookup for slash-command autocomplete and for "did you mean" replies.
import type { Donor, KnowledgeBase, Locale, Topic } from './schema.js';
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

function rankEntries<T>(entries: readonly T[], termsOf: (entry: T) => string[], query: string, limit: number): T[] {
  const max = Math.max(0, Math.min(Math.floor(limit), AUTOCOMPLETE_MAX));
  const q = normalize(query);
  if (!q) return entries.slice(0, max);
  return entries
    .map((entry, index) => score(q, expand(termsOf(entry)), index))
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

/** Autocomplete for a topic option; an empty query lists every topic in kb order. */
export function searchTopics(kb: KnowledgeBase, query: string, locale: Locale, limit = AUTOCOMPLETE_MAX): Choice[] {
  return rankEntries(kb.topics, topicTerms, query, limit).map((t) => ({ id: t.id, name: t.name[locale] }));
}

/** Autocomplete for a donor option; an empty query lists every donor in kb order. */
export function searchDonors(kb: KnowledgeBase, query: string, limit = AUTOCOMPLETE_MAX): Choice[] {
  return rankEntries(kb.donors, donorTerms, query, limit).map((d) => ({ id: d.id, name: d.name }));
}

/** Exact lookup, ignoring case and accents, by id or by the English or French name. */
export function findTopic(kb: KnowledgeBase, idOrName: string): Topic | undefined {
  const q = normalize(idOrName);
  if (!q) return undefined;
  return (
    kb.topics.find((t) => normalize(t.id) === q) ??
    kb.topics.find((t) => normalize(t.name.en) === q || normalize(t.name.fr) === q)
  );
}

/** Exact lookup, ignoring case and accents, by id or name. */
export function findDonor(kb: KnowledgeBase, idOrName: string): Donor | undefined {
  const q = normalize(idOrName);
  if (!q) return undefined;
  return kb.donors.find((d) => normalize(d.id) === q) ?? kb.donors.find((d) => normalize(d.name) === q);
}

/**
 * For "unknown topic, did you mean ...": search matches first, then whatever is least far
 * from the query, so even nonsense gets `n` suggestions to click instead of a dead end.
 */
export function closestTopics(kb: KnowledgeBase, query: string, n = 3): Topic[] {
  const count = Math.max(0, Math.floor(n));
  const found = rankEntries(kb.topics, topicTerms, query, AUTOCOMPLETE_MAX);
  if (found.length >= count) return found.slice(0, count);

  const q = normalize(query);
  const rest = kb.topics
    .map((topic, index) => ({ topic, index, similarity: bestSimilarity(q, expand(topicTerms(topic))) }))
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
