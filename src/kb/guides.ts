// kb/guides.yaml: how to leave ChatGPT, step by step, for /quit. Organizers edit it by hand;
// vendors change their menus, so every guide carries its sources (the vendors' own help pages)
// and the day someone last followed the steps (as_of).
import { z } from 'zod';
import { dateSchema, localizedSchema, NAME_MAX, sourceSchema, type Locale } from './schema.js';

/**
 * The guides /quit offers, in the order a member goes through them. The slash command's choices
 * and buttons are built from this list (they are fixed when commands are deployed), so
 * kb/guides.yaml must have exactly one guide for each id.
 */
export const GUIDE_IDS = ['export', 'web', 'ios', 'android', 'delete-app', 'delete-account'] as const;
export type GuideId = (typeof GUIDE_IDS)[number];

/** The guides that cancel the paid subscription, and the /pledge `platform` each one matches. */
export const CANCEL_PLATFORM: Partial<Record<GuideId, 'web' | 'ios' | 'android'>> = { web: 'web', ios: 'ios', android: 'android' };

export const STEP_MAX = 300;
export const STEPS_MAX = 10;

export const guideSchema = z.strictObject({
  id: z.enum(GUIDE_IDS),
  title: localizedSchema(NAME_MAX),
  /** One line shown above the steps: when and why to do this. */
  intro: localizedSchema(300),
  /** Numbered by the bot; each step is one action, in both languages side by side. */
  steps: z.array(localizedSchema(STEP_MAX)).min(2).max(STEPS_MAX),
  /** A warning shown after the steps (e.g. "deleting the app does not cancel the subscription"). */
  note: localizedSchema(400).optional(),
  sources: z.array(sourceSchema).min(1, 'every entry needs at least one source').max(5),
  as_of: dateSchema,
});
export type Guide = z.infer<typeof guideSchema>;

export const guidesFileSchema = z.strictObject({ guides: z.array(guideSchema).min(1).max(GUIDE_IDS.length) });

export function isGuideId(s: string | null | undefined): s is GuideId {
  return (GUIDE_IDS as readonly string[]).includes(s ?? '');
}

export function findGuide(guides: readonly Guide[] | undefined, id: string): Guide | undefined {
  return guides?.find((g) => g.id === id);
}

/** The guides in journey order (the order of GUIDE_IDS), whatever order the file lists them in. */
export function guidesInOrder(guides: readonly Guide[] | undefined): Guide[] {
  return GUIDE_IDS.flatMap((id) => {
    const g = findGuide(guides, id);
    return g ? [g] : [];
  });
}

/** "1. …\n2. …": the steps as members read them. */
export function numberedSteps(guide: Guide, locale: Locale): string {
  return guide.steps.map((s, i) => `${i + 1}. ${s[locale]}`).join('\n');
}

/**
 * Cross-check for the loader: ids the bot offers that the file does not cover. Reads the raw
 * data so it still reports when the schema rejected something else in the file.
 */
export function missingGuideIds(raw: unknown): GuideId[] {
  const list = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>)['guides'] : undefined;
  if (!Array.isArray(list)) return [];
  const present = new Set(list.map((g: unknown) => (typeof g === 'object' && g !== null ? (g as Record<string, unknown>)['id'] : undefined)));
  return GUIDE_IDS.filter((id) => !present.has(id));
}
