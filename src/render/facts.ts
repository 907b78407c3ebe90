import { ComponentType } from 'discord-api-types/v10';
import { messages } from '../i18n/index.js';
import type { KnowledgeBase, Locale, Topic } from '../kb/schema.js';
import { customId } from './customId.js';
import { sanitizeUserText } from '../text/sanitize.js';
import { truncate } from './limits.js';
import {
  cachedReply,
  embed,
  footer,
  formatSources,
  latest,
  navRow,
  paginate,
  rows,
  type ActionRow,
  type Audience,
  type Reply,
} from './reply.js';

export type FactsView = { kind: 'overview'; page: number } | { kind: 'topic'; topicId: string; page: number };

const TOPICS_PER_PAGE = 8;
const FACTS_PER_PAGE = 4;
/** Below the 4,096 description limit with room for a closing source line. */
const PAGE_BUDGET = 3500;

export function encodeFactsView(v: FactsView): string[] {
  return v.kind === 'overview' ? ['o'] : ['t', v.topicId];
}

export function decodeFactsView(args: string[], page: number): FactsView | null {
  if (args[0] === 'o') return { kind: 'overview', page };
  if (args[0] === 't' && args[1]) return { kind: 'topic', topicId: args[1], page };
  return null;
}

function topicSelect(kb: KnowledgeBase, locale: Locale, selected?: string): ActionRow {
  const m = messages(locale);
  return {
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.StringSelect,
        custom_id: customId('facts', 'topic'),
        placeholder: m.facts.selectPlaceholder,
        options: kb.topics.slice(0, 25).map((t) => ({
          label: truncate(t.name[locale], 100),
          value: t.id,
          description: truncate(t.summary[locale], 100),
          default: t.id === selected,
        })),
      },
    ],
  };
}

function factBlock(topic: Topic, index: number, locale: Locale): string {
  const f = topic.facts[index];
  if (!f) return '';
  return `${f.text[locale]}\n-# ${formatSources(f.sources)}`;
}

/** Pages are packed by length as well as count, so a long fact never pushes a page over Discord's limit. */
export function factPages(topic: Topic, locale: Locale): number[][] {
  const pages: number[][] = [];
  let current: number[] = [];
  let size = 0;
  topic.facts.forEach((_, i) => {
    const len = factBlock(topic, i, locale).length + 2;
    if (current.length > 0 && (current.length >= FACTS_PER_PAGE || size + len > PAGE_BUDGET)) {
      pages.push(current);
      current = [];
      size = 0;
    }
    current.push(i);
    size += len;
  });
  if (current.length) pages.push(current);
  return pages;
}

export function renderFactsOverview(kb: KnowledgeBase, locale: Locale, page: number, audience: Audience): Reply {
  return cachedReply(kb, `facts:o:${page}`, locale, audience, () => drawFactsOverview(kb, locale, page, audience));
}

function drawFactsOverview(kb: KnowledgeBase, locale: Locale, page: number, audience: Audience): Reply {
  const m = messages(locale);
  const p = paginate(kb.topics, TOPICS_PER_PAGE, page);
  return {
    embeds: [
      embed({
        title: m.facts.overviewTitle,
        description: m.facts.overviewIntro,
        fields: p.items.map((t) => ({ name: t.name[locale], value: t.summary[locale] })),
        footer: footer(m, [p.pages > 1 ? m.common.page(p.page + 1, p.pages) : null], audience),
      }),
    ],
    components: rows(topicSelect(kb, locale), navRow(m, 'facts', ['o'], p.page, p.pages, audience)),
  };
}

/** `topic` is one of `kb.topics` (its id names it in the cache). */
export function renderTopic(kb: KnowledgeBase, topic: Topic, locale: Locale, page: number, audience: Audience): Reply {
  return cachedReply(kb, `facts:t:${topic.id}:${page}`, locale, audience, () => drawTopic(kb, topic, locale, page, audience));
}

function drawTopic(kb: KnowledgeBase, topic: Topic, locale: Locale, page: number, audience: Audience): Reply {
  const m = messages(locale);
  const pages = factPages(topic, locale);
  const p = Math.min(Math.max(0, page), pages.length - 1);
  const indices = pages[p] ?? [];
  const asOf = latest(topic.facts.map((f) => f.as_of));
  return {
    embeds: [
      embed({
        title: topic.name[locale],
        description: indices.map((i) => factBlock(topic, i, locale)).join('\n\n'),
        footer: footer(m, [pages.length > 1 ? m.common.page(p + 1, pages.length) : null, m.common.asOf(asOf)], audience),
      }),
    ],
    components: rows(topicSelect(kb, locale, topic.id), navRow(m, 'facts', ['t', topic.id], p, pages.length, audience)),
  };
}

export function renderFactsView(kb: KnowledgeBase, view: FactsView, locale: Locale, audience: Audience): Reply | null {
  if (view.kind === 'overview') return renderFactsOverview(kb, locale, view.page, audience);
  const topic = kb.topics.find((t) => t.id === view.topicId);
  return topic ? renderTopic(kb, topic, locale, view.page, audience) : null;
}

/** An unknown topic: say so, suggest the closest ones, and still offer the browser. */
export function renderUnknownTopic(
  kb: KnowledgeBase,
  query: string,
  closest: Topic[],
  locale: Locale,
  audience: Audience,
): Reply {
  const m = messages(locale);
  const suggestion = closest.length
    ? m.facts.closest(closest.map((t) => `**${t.name[locale]}** (\`${t.id}\`)`).join(', '))
    : m.facts.noClosest;
  const overview = renderFactsOverview(kb, locale, 0, audience);
  return { ...overview, content: `${m.facts.unknownTopic(sanitizeUserText(query, 100, { maxLines: 1 }))} ${suggestion}` };
}
