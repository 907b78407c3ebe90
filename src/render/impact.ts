// Impact in money, as lines any embed can append (/stats, /milestones, milestone announcements).
// The assumption and the sources always travel with the figures, and the market-value figure
// is always attributed to whoever estimated it.
import type { APIEmbedField } from 'discord-api-types/v10';
import { formatCount, formatUsd, messages } from '../i18n/index.js';
import { impactFigures, type Campaign } from '../impact/index.js';
import type { Locale } from '../kb/schema.js';
import { clampEmbed, LIMITS, truncate } from './limits.js';
import { formatSources, type Reply } from './reply.js';

/**
 * "12 pledges ≈ $2,880 a year …", "≈ $120,000 of OpenAI's market value, by Scott Galloway's
 * estimate …", then the assumption and sources as small print. Empty when there is nothing to
 * show: no pledge yet, or no kb/campaign.yaml.
 */
export function impactLines(count: number, locale: Locale, campaign: Campaign | undefined): string[] {
  if (!campaign) return [];
  const figures = impactFigures(count, campaign);
  if (figures.pledges === 0) return [];
  const m = messages(locale).impact;
  const usd = (n: number) => formatUsd(n, locale);
  const { subscription: sub, market_value_estimate: est } = campaign;
  return [
    m.perYear(formatCount(figures.pledges, locale), figures.pledges, usd(figures.usdPerYear)),
    m.marketValue(usd(figures.marketValueUsd), est.by, usd(est.usd_per_subscription), usd(est.subscription_usd_per_year)),
    `-# ${m.assumption(sub.plan, usd(sub.usd_per_month))} ${m.sources(formatSources([...sub.sources, ...est.sources]))}`,
  ];
}

/** The same lines as one embed field, or null when there is nothing to show. */
export function impactField(count: number, locale: Locale, campaign: Campaign | undefined): APIEmbedField | null {
  const lines = impactLines(count, locale, campaign);
  if (lines.length === 0) return null;
  return { name: messages(locale).impact.fieldName, value: truncate(lines.join('\n'), LIMITS.fieldValue) };
}

/**
 * The reply with the impact field appended to its first embed (unchanged when there is nothing
 * to show). Clamped again, so the embed stays within Discord's 6,000-character total.
 */
export function withImpact(reply: Reply, count: number, locale: Locale, campaign: Campaign | undefined): Reply {
  const field = impactField(count, locale, campaign);
  const [first, ...rest] = reply.embeds;
  if (!field || !first) return reply;
  return { ...reply, embeds: [clampEmbed({ ...first, fields: [...(first.fields ?? []), field] }), ...rest] };
}
