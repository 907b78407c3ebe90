// Donor figures derived from kb/donors.yaml. A total typed by hand goes stale the day
// someone adds a donor, so it is always computed here.
import type { Donor, KnowledgeBase } from './schema.js';

export type DonorTotal = {
  amount_usd: number;
  /** True when any amount is a lower bound ("more than $21 million"): the total is one too. */
  is_minimum: boolean;
};

/** Largest first; equal amounts in name order so the list never shuffles between reloads. */
export function donorsByAmount(kb: KnowledgeBase): Donor[] {
  return [...kb.donors].sort((a, b) => b.amount_usd - a.amount_usd || a.name.localeCompare(b.name, 'en'));
}

export function donorTotal(kb: KnowledgeBase): DonorTotal {
  return kb.donors.reduce<DonorTotal>(
    (total, d) => ({
      amount_usd: total.amount_usd + d.amount_usd,
      is_minimum: total.is_minimum || d.amount_is_minimum,
    }),
    { amount_usd: 0, is_minimum: false },
  );
}
