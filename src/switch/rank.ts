// Which alternative fits a member: a pure ranking of kb.alternatives from what they use ChatGPT
// for and what matters to them. No I/O, so it is tested directly and the wizard only renders it.
import type { Alternative, Need } from '../kb/schema.js';
import { isEuropean } from './europe.js';

/** What members use ChatGPT for (the wizard's first question); a subset of the KB's needs. */
export const USES = ['coding', 'writing', 'research', 'studying', 'images'] as const satisfies readonly Need[];
export type Use = (typeof USES)[number];

/** What matters to them (the second question). */
export const PRIORITIES = ['free', 'privacy', 'open-source', 'local', 'europe'] as const;
export type Priority = (typeof PRIORITIES)[number];

export type Answers = { uses: readonly Use[]; priorities: readonly Priority[] };

export type Ranked = {
  alternative: Alternative;
  score: number;
  /** The member's uses this alternative is good at, in the member's order. */
  uses: Use[];
  /** The member's priorities it meets. */
  met: Priority[];
  /** The member's priorities it does not meet (shown, so nobody is misled). */
  unmet: Priority[];
};

/** A met priority weighs more than a use: "free" or "runs on my computer" rule options out, a use only ranks them. */
export const WEIGHTS = { use: 3, priority: 4, campaignPick: 1 } as const;

export const SHORTLIST_MAX = 5;

export function meets(a: Alternative, p: Priority): boolean {
  switch (p) {
    case 'free':
      return a.free_tier;
    case 'privacy':
      // Conversations that never leave your machine, or an entry the KB marks as good for privacy.
      return a.runs_locally || a.good_at.includes('privacy');
    case 'open-source':
      return a.open_weights;
    case 'local':
      return a.runs_locally;
    case 'europe':
      return isEuropean(a.country_code);
  }
}

export function scoreAlternative(a: Alternative, answers: Answers): Ranked {
  const uses = answers.uses.filter((u) => a.good_at.includes(u));
  const met = answers.priorities.filter((p) => meets(a, p));
  const unmet = answers.priorities.filter((p) => !meets(a, p));
  const fits = uses.length * WEIGHTS.use + met.length * WEIGHTS.priority;
  // The campaign's own picks win ties, but never lift an alternative that fits nothing.
  const score = fits > 0 ? fits + (a.campaign_pick ? WEIGHTS.campaignPick : 0) : 0;
  return { alternative: a, score, uses, met, unmet };
}

/**
 * The shortlist: alternatives that fit at least one answer, best first (ties keep the KB's
 * order), at most `limit`. When nothing fits, the campaign's own picks, so the member is never
 * left with an empty answer.
 */
export function rankAlternatives(alternatives: readonly Alternative[], answers: Answers, limit = SHORTLIST_MAX): Ranked[] {
  const scored = alternatives.map((a, index) => ({ ranked: scoreAlternative(a, answers), index }));
  const fitting = scored
    .filter((s) => s.ranked.score > 0)
    .sort((x, y) => y.ranked.score - x.ranked.score || x.index - y.index)
    .map((s) => s.ranked);
  if (fitting.length > 0) return fitting.slice(0, limit);
  return scored.filter((s) => s.ranked.alternative.campaign_pick).map((s) => s.ranked).slice(0, limit);
}
