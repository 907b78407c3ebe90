// kb/campaign.yaml: the figures the bot turns pledge counts into money with. Each figure keeps
// its source and date, and the market-value estimate keeps who made it: members see both.
import { z } from 'zod';
import { dateSchema, sourceSchema } from '../kb/schema.js';

const sourced = {
  sources: z.array(sourceSchema).min(1, 'every entry needs at least one source').max(5),
  as_of: dateSchema,
};

export const subscriptionSchema = z.strictObject({
  /** The plan a pledge is assumed to cancel, e.g. "ChatGPT Plus". */
  plan: z.string().trim().min(1, 'must not be empty').max(60, 'at most 60 characters'),
  /** US dollars a month, as the source gives it (20, or 19.99). */
  usd_per_month: z.number().positive().max(10_000),
  ...sourced,
});

export const marketValueEstimateSchema = z.strictObject({
  /** Whose estimate it is; always shown with the figure. */
  by: z.string().trim().min(1, 'must not be empty').max(80, 'at most 80 characters'),
  /** Market value (US dollars) one cancelled subscription stands for, by that estimate. */
  usd_per_subscription: z.number().int().positive(),
  /** The yearly subscription price the estimate is based on; must be 12 × subscription.usd_per_month. */
  subscription_usd_per_year: z.number().positive(),
  ...sourced,
});

export const campaignFileSchema = z.strictObject({
  subscription: subscriptionSchema,
  market_value_estimate: marketValueEstimateSchema,
});
export type Campaign = z.infer<typeof campaignFileSchema>;

/**
 * Cross-check for the loader: the estimate is "N dollars of market value per $240-a-year
 * subscription"; if the price changes and the estimate's base does not, the two lines the
 * bot shows would contradict each other.
 */
export function campaignMismatch(raw: unknown): string | null {
  const rec = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const monthly = rec(rec(raw)?.['subscription'])?.['usd_per_month'];
  const yearly = rec(rec(raw)?.['market_value_estimate'])?.['subscription_usd_per_year'];
  if (typeof monthly !== 'number' || typeof yearly !== 'number') return null;
  const expected = Math.round(monthly * 12 * 100) / 100;
  if (Math.abs(expected - yearly) < 0.005) return null;
  return `is ${yearly} but subscription.usd_per_month × 12 is ${expected}; the estimate must be about the same subscription, so correct one of them`;
}
