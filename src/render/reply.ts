import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
} from 'discord-api-types/v10';
import type { Messages } from '../i18n/index.js';
import { deepFreeze, KbMemo } from '../kb/memo.js';
import type { KnowledgeBase, Locale, Source } from '../kb/schema.js';
import { customId } from './customId.js';
import { clampEmbed, LIMITS, truncate } from './limits.js';

export type ActionRow = APIActionRowComponent<APIComponentInMessageActionRow>;

/** What a builder returns: plain Discord API JSON, independent of discord.js. */
export type Reply = { content?: string; embeds: APIEmbed[]; components: ActionRow[] };

/** Where a view is shown: privately to the member (with a share button) or posted in the channel. */
export type Audience = { shared: false } | { shared: true; sharedBy?: string };

export const BRAND_COLOR = 0x10a37f;

const rendered = new KbMemo<Reply>(2000);

/**
 * A knowledge-base answer depends only on the KB, the view, the locale and the audience, and the KB
 * is immutable between reloads: each answer is drawn once per loaded KB (src/kb/memo.ts: a reload
 * starts afresh) and the same frozen Reply is sent again. A view shared by a named member carries
 * that name, so it is drawn each time.
 */
export function cachedReply(kb: KnowledgeBase, view: string, locale: Locale, audience: Audience, draw: () => Reply): Reply {
  if (audience.shared && audience.sharedBy) return draw();
  return rendered.get(kb, `${locale}\u0000${audience.shared ? 's' : 'p'}\u0000${view}`, () => deepFreeze(draw()));
}

/** How many answers are held for this KB (tests). */
export function cachedReplies(kb: KnowledgeBase): number {
  return rendered.size(kb);
}

export function embed(e: APIEmbed): APIEmbed {
  return clampEmbed({ color: BRAND_COLOR, ...e });
}

export function paginate<T>(items: readonly T[], perPage: number, page: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { items: items.slice(p * perPage, (p + 1) * perPage), page: p, pages };
}

/** Previous / next (when there is more than one page) and "post in channel" (when the view is private). */
export function navRow(
  m: Messages,
  command: string,
  state: string[],
  page: number,
  pages: number,
  audience: Audience,
): ActionRow | null {
  const buttons: APIButtonComponent[] = [];
  if (pages > 1) {
    buttons.push(
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        label: m.common.previous,
        custom_id: customId(command, 'page', ...state, Math.max(0, page - 1)),
        disabled: page === 0,
      },
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        label: m.common.next,
        custom_id: customId(command, 'page', ...state, Math.min(pages - 1, page + 1)),
        disabled: page >= pages - 1,
      },
    );
  }
  if (!audience.shared) {
    buttons.push({
      type: ComponentType.Button,
      style: ButtonStyle.Primary,
      label: m.common.share,
      custom_id: customId(command, 'share', ...state, page),
    });
  }
  return buttons.length ? { type: ComponentType.ActionRow, components: buttons } : null;
}

/** A link too long for a button cannot be cut (it would lead elsewhere), so it is left out; kb:check refuses it first. */
export function linkButtons(links: { label: string; url: string }[]): ActionRow | null {
  const buttons: APIButtonComponent[] = links
    .filter((l) => l.url.length <= LIMITS.buttonUrl)
    .slice(0, LIMITS.buttonsPerRow)
    .map((l) => ({
      type: ComponentType.Button,
      style: ButtonStyle.Link,
      label: truncate(l.label, LIMITS.buttonLabel),
      url: l.url,
    }));
  return buttons.length ? { type: ComponentType.ActionRow, components: buttons } : null;
}

export function rows(...maybe: (ActionRow | null)[]): ActionRow[] {
  return maybe.filter((r): r is ActionRow => r !== null);
}

/** "[Title](url), 2026-02-12" — a source without an address is still named and dated. */
export function formatSource(s: Source): string {
  const title = s.title.replace(/[[\]]/g, '');
  return s.url ? `[${title}](<${s.url}>) (${s.date})` : `${title} (${s.date})`;
}

export function formatSources(sources: readonly Source[]): string {
  return sources.map(formatSource).join(' · ');
}

export function footer(m: Messages, parts: (string | null)[], audience: Audience): { text: string } {
  const all = [...parts, audience.shared && audience.sharedBy ? m.common.sharedBy(audience.sharedBy) : null];
  return { text: all.filter((p): p is string => Boolean(p)).join(' · ') };
}

export function latest(dates: readonly string[]): string {
  return dates.reduce((a, b) => (b > a ? b : a), '');
}
