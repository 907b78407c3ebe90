import { messages, type Messages } from '../i18n/index.js';
import type { Alternative, KnowledgeBase, Locale, Need } from '../kb/schema.js';
import { cachedReply, embed, footer, latest, linkButtons, navRow, paginate, rows, type Audience, type Reply } from './reply.js';

/** The /alternatives choices: what an assistant is good at, plus three properties members ask for. */
export const ALTERNATIVE_FILTERS = ['coding', 'writing', 'research', 'privacy', 'free', 'local', 'open-source'] as const;
export type AlternativeFilter = (typeof ALTERNATIVE_FILTERS)[number];

export type AlternativesView = { filter: AlternativeFilter | null; page: number };

const PER_PAGE = 5;

export function isAlternativeFilter(s: string | null | undefined): s is AlternativeFilter {
  return (ALTERNATIVE_FILTERS as readonly string[]).includes(s ?? '');
}

export function encodeAlternativesView(v: AlternativesView): string[] {
  return [v.filter ?? 'all'];
}

export function decodeAlternativesView(args: string[], page: number): AlternativesView | null {
  const f = args[0];
  if (f === 'all') return { filter: null, page };
  return isAlternativeFilter(f) ? { filter: f, page } : null;
}

export function matches(a: Alternative, filter: AlternativeFilter | null): boolean {
  switch (filter) {
    case null:
      return true;
    case 'free':
      return a.free_tier;
    case 'local':
      return a.runs_locally;
    case 'open-source':
      return a.open_weights;
    default:
      return a.good_at.includes(filter satisfies Need);
  }
}

/** The campaign's own picks first, then the knowledge base's order. */
export function filterAlternatives(kb: KnowledgeBase, filter: AlternativeFilter | null): Alternative[] {
  const list = kb.alternatives.filter((a) => matches(a, filter));
  return [...list.filter((a) => a.campaign_pick), ...list.filter((a) => !a.campaign_pick)];
}

function describe(a: Alternative, m: Messages, locale: Locale): string {
  const yn = (b: boolean) => (b ? m.common.yes : m.common.no);
  const lines = [
    a.campaign_pick ? `**${m.alternatives.campaignPick}**` : null,
    a.description[locale],
    `${m.alternatives.openWeights}: ${yn(a.open_weights)} · ${m.alternatives.local}: ${yn(a.runs_locally)} · ${m.alternatives.freeTier}: ${yn(a.free_tier)}`,
    `${m.alternatives.goodAt}: ${a.good_at.map((n) => m.needs[n]).join(', ')}`,
    a.price ? `${a.price.text[locale]} (${a.price.source.title}, ${a.price.source.date})` : null,
    `<${a.link}>`,
  ];
  return lines.filter((l): l is string => l !== null).join('\n');
}

export function renderAlternatives(kb: KnowledgeBase, view: AlternativesView, locale: Locale, audience: Audience): Reply {
  const key = `alternatives:${encodeAlternativesView(view).join(':')}:${view.page}`;
  return cachedReply(kb, key, locale, audience, () => drawAlternatives(kb, view, locale, audience));
}

function drawAlternatives(kb: KnowledgeBase, view: AlternativesView, locale: Locale, audience: Audience): Reply {
  const m = messages(locale);
  const list = filterAlternatives(kb, view.filter);
  const p = paginate(list, PER_PAGE, view.page);
  const title = view.filter ? m.alternatives.titleFor(m.needs[view.filter]) : m.alternatives.title;
  return {
    embeds: [
      embed({
        title,
        description: list.length ? m.alternatives.intro : m.alternatives.none,
        fields: p.items.map((a) => ({
          name: `${a.name} · ${a.maker} (${a.country[locale]})`,
          value: describe(a, m, locale),
        })),
        footer: footer(
          m,
          [p.pages > 1 ? m.common.page(p.page + 1, p.pages) : null, list.length ? m.common.asOf(latest(list.map((a) => a.as_of))) : null],
          audience,
        ),
      }),
    ],
    components: rows(
      navRow(m, 'alternatives', encodeAlternativesView(view), p.page, p.pages, audience),
      linkButtons(p.items.map((a) => ({ label: m.alternatives.website(a.name), url: a.link }))),
    ),
  };
}
