// Pledge counts in money, from kb/campaign.yaml. Pure: the assumption (one pledge = one
// cancelled subscription at the sourced monthly price) is the only model, and it is always
// shown next to the figures (src/render/impact.ts).
import type { Campaign } from './schema.js';

export { campaignFileSchema, campaignMismatch, type Campaign } from './schema.js';

export type ImpactFigures = {
  pledges: number;
  /** pledges × 12 × monthly price: the subscription money OpenAI no longer collects in a year. */
  usdPerYear: number;
  /** pledges × the estimate's market value per cancelled subscription. */
  marketValueUsd: number;
};

/** A count as the figures use it: a whole number, never negative (anything else counts as 0). */
export function pledgeCount(count: number): number {
  return Number.isFinite(count) && count > 0 ? Math.floor(count) : 0;
}

const cents = (usd: number): number => Math.round(usd * 100) / 100;

/** N × 12 × price, rounded to the cent (a price such as 19.99 stays exact). */
export function subscriptionUsdPerYear(count: number, campaign: Campaign): number {
  return cents(pledgeCount(count) * 12 * campaign.subscription.usd_per_month);
}

/** N × the estimate's dollars of market value per cancelled subscription. */
export function marketValueUsd(count: number, campaign: Campaign): number {
  return pledgeCount(count) * campaign.market_value_estimate.usd_per_subscription;
}

export function impactFigures(count: number, campaign: Campaign): ImpactFigures {
  return { pledges: pledgeCount(count), usdPerYear: subscriptionUsdPerYear(count, campaign), marketValueUsd: marketValueUsd(count, campaign) };
}
