// /quit: the way out of ChatGPT as short numbered guides from kb/guides.yaml, one message per
// guide, with buttons to move between guides and the hand-off to /pledge.
import { ButtonStyle, ComponentType, type APIButtonComponent } from 'discord-api-types/v10';
import { messages, type Messages } from '../i18n/index.js';
import { CANCEL_PLATFORM, guidesInOrder, isGuideId, numberedSteps, type Guide, type GuideId } from '../kb/guides.js';
import type { KnowledgeBase, Locale } from '../kb/schema.js';
import { customId } from './customId.js';
import { embed, footer, formatSources, rows, type ActionRow, type Audience, type Reply } from './reply.js';

export const QUIT = 'quit';

export type QuitView = { kind: 'overview' } | { kind: 'guide'; id: GuideId };

/** The view as one custom_id argument: `o` for the overview, else the guide's id. */
export function encodeQuitView(view: QuitView): string {
  return view.kind === 'overview' ? 'o' : view.id;
}

export function decodeQuitView(arg: string | undefined): QuitView | null {
  if (arg === 'o') return { kind: 'overview' };
  return isGuideId(arg) ? { kind: 'guide', id: arg } : null;
}

/** Export and the three ways to cancel on the first row; what comes after on the second. */
const FIRST_ROW: ReadonlySet<GuideId> = new Set(['export', 'web', 'ios', 'android']);

function guideButtons(kb: KnowledgeBase, m: Messages, current: GuideId | null): ActionRow[] {
  const button = (g: Guide): APIButtonComponent => ({
    type: ComponentType.Button,
    style: g.id === current ? ButtonStyle.Primary : ButtonStyle.Secondary,
    label: m.quit.guides[g.id],
    custom_id: customId(QUIT, 'guide', g.id),
    disabled: g.id === current,
  });
  const guides = guidesInOrder(kb.guides);
  return [guides.filter((g) => FIRST_ROW.has(g.id)), guides.filter((g) => !FIRST_ROW.has(g.id))]
    .filter((r) => r.length > 0)
    .map((r) => ({ type: ComponentType.ActionRow, components: r.map(button) }));
}

function actionRow(m: Messages, view: QuitView, audience: Audience): ActionRow {
  const arg = encodeQuitView(view);
  const buttons: APIButtonComponent[] = [
    { type: ComponentType.Button, style: ButtonStyle.Success, label: m.quit.pledgeButton, custom_id: customId(QUIT, 'pledge', arg) },
  ];
  if (!audience.shared) {
    buttons.push({ type: ComponentType.Button, style: ButtonStyle.Primary, label: m.common.share, custom_id: customId(QUIT, 'share', arg) });
  }
  return { type: ComponentType.ActionRow, components: buttons };
}

export function renderQuitOverview(kb: KnowledgeBase, locale: Locale, audience: Audience): Reply {
  const m = messages(locale);
  return {
    embeds: [
      embed({
        title: m.quit.overviewTitle,
        description: [m.quit.overviewIntro, '', ...m.quit.overviewSteps].join('\n'),
        footer: footer(m, [], audience),
      }),
    ],
    components: rows(...guideButtons(kb, m, null), actionRow(m, { kind: 'overview' }, audience)),
  };
}

export function renderGuide(kb: KnowledgeBase, guide: Guide, locale: Locale, audience: Audience): Reply {
  const m = messages(locale);
  const parts = [
    guide.intro[locale],
    numberedSteps(guide, locale),
    guide.note ? `**${m.quit.note}:** ${guide.note[locale]}` : null,
    `-# ${m.common.sources}: ${formatSources(guide.sources)}`,
  ];
  return {
    embeds: [
      embed({
        title: guide.title[locale],
        description: parts.filter((p): p is string => p !== null).join('\n\n'),
        footer: footer(m, [m.quit.footer(guide.as_of)], audience),
      }),
    ],
    components: rows(...guideButtons(kb, m, guide.id), actionRow(m, { kind: 'guide', id: guide.id }, audience)),
  };
}

/** Null when the knowledge base has no such guide (or no guides at all). */
export function renderQuitView(kb: KnowledgeBase, view: QuitView, locale: Locale, audience: Audience): Reply | null {
  if (!kb.guides || kb.guides.length === 0) return null;
  if (view.kind === 'overview') return renderQuitOverview(kb, locale, audience);
  const guide = kb.guides.find((g) => g.id === view.id);
  return guide ? renderGuide(kb, guide, locale, audience) : null;
}

/** The exact command to type, in the member's language: `/pledge submit screenshot:`. */
export function pledgeCommand(locale: Locale): string {
  const p = messages(locale).pledge;
  return `\`/${p.name} ${p.submitName} ${p.screenshotName}:\``;
}

/**
 * What the "I've cancelled" button answers. A button cannot ask for a file (Discord only
 * attaches files to slash commands), so it says so and shows the command to type, with the
 * platform the guide was about.
 */
export function pledgeHandoffText(view: QuitView | null, locale: Locale): string {
  const m = messages(locale);
  const platform = view?.kind === 'guide' ? CANCEL_PLATFORM[view.id] : undefined;
  // Deleting the account is the top level of commitment: say which `level:` records it.
  const leaving = view?.kind === 'guide' && view.id === 'delete-account';
  const hint = platform
    ? m.quit.platformHint(m.pledge.platformName, m.pledge.platforms[platform])
    : leaving
      ? m.quit.platformHint(m.pledge.levelName, m.pledge.levels.leave)
      : null;
  return m.quit.pledgeHandoff(pledgeCommand(locale), hint);
}
