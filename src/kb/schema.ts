// The knowledge base is campaign content that organizers edit by hand (kb/*.yaml).
// Every field an answer shows is declared here; types are inferred, never written twice.
import { z } from 'zod';
import type { Guide } from './guides.js';
import type { Campaign } from '../impact/schema.js';
import { LIMITS } from '../render/limits.js';

export const LOCALES = ['en', 'fr'] as const;
export const localeSchema = z.enum(LOCALES);
export type Locale = z.infer<typeof localeSchema>;

/** Discord embed fields hold at most 1024 characters; keep every text well inside that. */
export const TEXT_MAX = 900;
export const NAME_MAX = 80;

// Date.parse rolls 2026-02-30 over to March 2, so only a round trip proves the day exists.
const isRealDay = (s: string): boolean => {
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
};

const isoDate = z
  .string()
  // abort: a malformed date is not also reported as "not a real calendar date".
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date written YYYY-MM-DD', abort: true })
  .refine(isRealDay, 'not a real calendar date');

// YAML 1.1 parsers turn an unquoted 2026-02-12 into a Date; accept both spellings so organizers need not quote dates.
const dateToString = (v: unknown): unknown =>
  v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 10) : v;

export const dateSchema = z.preprocess(dateToString, isoDate);

/**
 * Press coverage often dates things only to the month ("late January 2026", "December 2025")
 * or the year ("in 2024"); inventing a day would put a false date in front of members.
 * So sources and timeline events accept YYYY, YYYY-MM or YYYY-MM-DD. These strings sort and
 * compare correctly as plain strings (a shorter date counts as the earliest day it covers).
 * `as_of` stays a full day: it is when an organizer last checked the entry.
 */
export const partialDateSchema = z.preprocess(
  // An unquoted `date: 2024` reaches us as a number; it can only mean the year.
  (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1000 && v <= 9999 ? String(v) : dateToString(v)),
  z
    .string()
    .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, { error: 'expected a date written YYYY-MM-DD (or YYYY-MM, or YYYY)', abort: true })
    .refine((s) => {
      if (s.length === 10) return isRealDay(s);
      if (s.length === 7) return isRealDay(`${s}-01`);
      return true;
    }, 'not a real calendar date'),
);

export const idSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'expected lowercase letters, digits and dashes (at most 40)');

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const localizedSchema = (max = TEXT_MAX) => z.strictObject({ en: text(max), fr: text(max) });
export type Localized = { en: string; fr: string };

export const sourceSchema = z.strictObject({
  title: text(200),
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) address' }).max(512).optional(),
  date: partialDateSchema,
});
export type Source = z.infer<typeof sourceSchema>;

const sourced = {
  sources: z.array(sourceSchema).min(1, 'every entry needs at least one source').max(5),
  as_of: dateSchema,
};

export const factSchema = z.strictObject({
  id: idSchema,
  text: localizedSchema(),
  ...sourced,
});
export type Fact = z.infer<typeof factSchema>;

export const topicSchema = z.strictObject({
  id: idSchema,
  name: localizedSchema(NAME_MAX),
  /** Extra words members may type when searching (either language). */
  keywords: z.array(text(40)).max(20).default([]),
  summary: localizedSchema(300),
  facts: z.array(factSchema).min(1).max(20),
});
export type Topic = z.infer<typeof topicSchema>;

export const factsFileSchema = z.strictObject({ topics: z.array(topicSchema).min(1).max(25) });

export const donorSchema = z.strictObject({
  id: idSchema,
  name: text(NAME_MAX),
  /** Whole US dollars. Totals are always computed from these, never typed in. */
  amount_usd: z.number().int().positive(),
  /** "more than $21 million" is a lower bound: the total then says "more than" too. */
  amount_is_minimum: z.boolean().default(false),
  recipient: localizedSchema(200).optional(),
  note: localizedSchema(300).optional(),
  ...sourced,
});
export type Donor = z.infer<typeof donorSchema>;

export const donorsFileSchema = z.strictObject({
  intro: localizedSchema(500),
  donors: z.array(donorSchema).min(1).max(100),
});

export const NEEDS = ['coding', 'writing', 'research', 'privacy', 'studying', 'images'] as const;
export const needSchema = z.enum(NEEDS);
export type Need = z.infer<typeof needSchema>;

export const priceSchema = z.strictObject({
  text: localizedSchema(120),
  source: sourceSchema,
});

export const alternativeSchema = z.strictObject({
  id: idSchema,
  name: text(NAME_MAX),
  maker: text(NAME_MAX),
  /** Country of the maker, in English and French. */
  country: localizedSchema(60),
  /** ISO 3166-1 alpha-2 code of the maker's country (used for "made in Europe"). */
  country_code: z.string().regex(/^[A-Z]{2}$/, 'expected a two-letter country code such as US or FR'),
  open_weights: z.boolean(),
  runs_locally: z.boolean(),
  free_tier: z.boolean(),
  good_at: z.array(needSchema).min(1),
  /** The campaign itself points people to these first (Gemini, open-source options). */
  campaign_pick: z.boolean().default(false),
  // Shown as a link button, whose url Discord caps.
  link: z
    .url({ protocol: /^https$/, error: 'expected the official https address' })
    .max(LIMITS.buttonUrl, `at most ${LIMITS.buttonUrl} characters: Discord refuses a longer link button`),
  description: localizedSchema(400),
  price: priceSchema.optional(),
  ...sourced,
});
export type Alternative = z.infer<typeof alternativeSchema>;

export const alternativesFileSchema = z.strictObject({ alternatives: z.array(alternativeSchema).min(1).max(100) });

export const timelineEventSchema = z.strictObject({
  id: idSchema,
  date: partialDateSchema,
  text: localizedSchema(300),
  ...sourced,
});
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

export const timelineFileSchema = z.strictObject({ events: z.array(timelineEventSchema).min(1).max(100) });

export type KnowledgeBase = {
  topics: Topic[];
  donors: Donor[];
  donorsIntro: Localized;
  alternatives: Alternative[];
  timeline: TimelineEvent[];
  /** kb/guides.yaml (/quit); absent when the folder has no guides.yaml. */
  guides?: Guide[];
  /** kb/campaign.yaml (money figures for impact lines); absent when the folder has no campaign.yaml. */
  campaign?: Campaign;
};
