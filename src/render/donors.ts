import { ComponentType } from 'discord-api-types/v10';
import { formatUsd, messages } from '../i18n/index.js';
import { donorsByAmount, donorTotal } from '../kb/donors.js';
import type { Donor, KnowledgeBase, Locale } from '../kb/schema.js';
import { customId } from './customId.js';
import { sanitizeUserText } from '../text/sanitize.js';
import { truncate } from './limits.js';
import { cachedReply, embed, footer, formatSources, latest, navRow, paginate, rows, type ActionRow, type Audience, type Reply } from './reply.js';

export type DonorsView = { kind: 'list'; page: number } | { kind: 'donor'; donorId: string };

const DONORS_PER_PAGE = 8;

export function encodeDonorsView(v: DonorsView): string[] {
  return v.kind === 'list' ? ['l'] : ['d', v.donorId];
}

export function decodeDonorsView(args: string[], page: number): DonorsView | null {
  if (args[0] === 'l') return { kind: 'list', page };
  if (args[0] === 'd' && args[1]) return { kind: 'donor', donorId: args[1] };
  return null;
}

function amount(d: Donor, locale: Locale): string {
  return formatUsd(d.amount_usd, locale, { moreThan: d.amount_is_minimum });
}

function donorSelect(donors: Donor[], locale: Locale): ActionRow {
  const m = messages(locale);
  return {
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.StringSelect,
        custom_id: customId('donors', 'pick'),
        placeholder: m.donors.donorOption,
        options: donors.slice(0, 25).map((d) => ({
          label: truncate(d.name, 100),
          value: d.id,
          description: truncate(amount(d, locale), 100),
        })),
      },
    ],
  };
}

export function renderDonorList(kb: KnowledgeBase, locale: Locale, page: number, audience: Audience, notice?: string): Reply {
  const list = cachedReply(kb, `donors:l:${page}`, locale, audience, () => drawDonorList(kb, locale, page, audience));
  return notice ? { content: notice, ...list } : list;
}

function drawDonorList(kb: KnowledgeBase, locale: Locale, page: number, audience: Audience): Reply {
  const m = messages(locale);
  const sorted = donorsByAmount(kb);
  const total = donorTotal(kb);
  const p = paginate(sorted, DONORS_PER_PAGE, page);
  const fields = p.items.map((d) => {
    const parts = [`**${amount(d, locale)}**${d.recipient ? ` → ${d.recipient[locale]}` : ''}`];
    if (d.note) parts.push(d.note[locale]);
    parts.push(`-# ${formatSources(d.sources)}`);
    return { name: d.name, value: parts.join('\n') };
  });
  return {
    embeds: [
      embed({
        title: m.donors.title,
        description: `${kb.donorsIntro[locale]}\n\n${m.donors.total(formatUsd(total.amount_usd, locale, { moreThan: total.is_minimum }))}`,
        fields,
        footer: footer(
          m,
          [p.pages > 1 ? m.common.page(p.page + 1, p.pages) : null, m.common.asOf(latest(kb.donors.map((d) => d.as_of)))],
          audience,
        ),
      }),
    ],
    components: rows(donorSelect(p.items, locale), navRow(m, 'donors', ['l'], p.page, p.pages, audience)),
  };
}

/** `donor` is one of `kb.donors` (its id names it in the cache). */
export function renderDonor(kb: KnowledgeBase, donor: Donor, locale: Locale, audience: Audience): Reply {
  return cachedReply(kb, `donors:d:${donor.id}`, locale, audience, () => drawDonor(kb, donor, locale, audience));
}

function drawDonor(kb: KnowledgeBase, donor: Donor, locale: Locale, audience: Audience): Reply {
  const m = messages(locale);
  const fields = [{ name: m.donors.amount, value: amount(donor, locale), inline: true }];
  if (donor.recipient) fields.push({ name: m.donors.recipient, value: donor.recipient[locale], inline: true });
  if (donor.note) fields.push({ name: m.donors.note, value: donor.note[locale], inline: false });
  fields.push({ name: m.common.sources, value: formatSources(donor.sources), inline: false });
  return {
    embeds: [embed({ title: donor.name, fields, footer: footer(m, [m.common.asOf(donor.as_of)], audience) })],
    components: rows(donorSelect(donorsByAmount(kb), locale), navRow(m, 'donors', ['d', donor.id], 0, 1, audience)),
  };
}

export function renderDonorsView(kb: KnowledgeBase, view: DonorsView, locale: Locale, audience: Audience): Reply | null {
  if (view.kind === 'list') return renderDonorList(kb, locale, view.page, audience);
  const donor = kb.donors.find((d) => d.id === view.donorId);
  return donor ? renderDonor(kb, donor, locale, audience) : null;
}

export function renderUnknownDonor(kb: KnowledgeBase, query: string, locale: Locale, audience: Audience): Reply {
  return renderDonorList(kb, locale, 0, audience, messages(locale).donors.unknownDonor(sanitizeUserText(query, 100, { maxLines: 1 })));
}
