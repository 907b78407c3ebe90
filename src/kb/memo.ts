// Values derived from one loaded knowledge base (search indexes, rendered answers), computed once
// per KB instead of once per interaction. The holder (holder.ts) never mutates a KnowledgeBase: a
// reload swaps in a new object. Keying on the object itself therefore invalidates everything derived
// from the old files at the moment of the swap, and the old entries are collected with the old KB.
import type { KnowledgeBase } from './schema.js';

/** One derived value per KB (an index). */
export function perKb<T>(make: (kb: KnowledgeBase) => T): (kb: KnowledgeBase) => T {
  const cache = new WeakMap<KnowledgeBase, T>();
  return (kb) => {
    let value = cache.get(kb);
    if (value === undefined) {
      value = make(kb);
      cache.set(kb, value);
    }
    return value;
  };
}

/**
 * Many derived values per KB, by key (a rendered answer per topic, locale and audience). At most
 * `maxEntries` per KB are kept, so keys that come from what members type cannot grow it without
 * bound: past the cap the oldest entry makes room (insertion order, cheap and good enough here).
 */
export class KbMemo<T> {
  readonly #cache = new WeakMap<KnowledgeBase, Map<string, T>>();

  constructor(readonly maxEntries = 1000) {}

  get(kb: KnowledgeBase, key: string, make: () => T): T {
    let entries = this.#cache.get(kb);
    if (!entries) {
      entries = new Map();
      this.#cache.set(kb, entries);
    }
    const hit = entries.get(key);
    if (hit !== undefined) return hit;
    const value = make();
    if (entries.size >= this.maxEntries) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(key, value);
    return value;
  }

  /** How many values are held for this KB (tests). */
  size(kb: KnowledgeBase): number {
    return this.#cache.get(kb)?.size ?? 0;
  }
}

/** Freezes a value and everything it holds, so a cached answer shared by many replies cannot be altered by one. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
