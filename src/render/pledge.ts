// Pledge answers and the moderators' review card, as plain Discord JSON.
import { ButtonStyle, ComponentType, TextInputStyle, type APIEmbed, type APIModalInteractionResponseCallbackData } from 'discord-api-types/v10';
import { messages } from '../i18n/index.js';
import type { Locale } from '../kb/schema.js';
import type { PledgeRecord, PledgeStatus } from '../pledges/index.js';
import { holdsLevel, REJECT_REASON_MAX } from '../pledges/index.js';
import { customId } from './customId.js';
import { embed, rows, type ActionRow, type Reply } from './reply.js';

export const REVIEW_IMAGE_NAME = (ext: string) => `pledge-screenshot.${ext}`;

const STATUS_COLOR: Record<PledgeStatus, number> = {
  pending: 0xf0b232,
  verified: 0x23a55a,
  rejected: 0xda373c,
  withdrawn: 0x80848e,
};

/**
 * Member-typed text shown to moderators: a URL stays readable but is not a link (Discord makes any
 * `scheme://…` clickable, masked or not), so a note cannot phish the people reviewing it. A
 * zero-width space after the colon is enough to stop Discord's link detection.
 */
export function unlinked(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*):\/\//gi, '$1:\u200B//');
}

function timestamp(iso: string): string {
  return `<t:${Math.floor(Date.parse(iso) / 1000)}:f>`;
}

export function renderPledgeStatus(record: PledgeRecord | null, locale: Locale): Reply {
  const m = messages(locale);
  if (!record || record.status === 'withdrawn') return { content: m.pledge.statusNone, embeds: [], components: [] };
  // A share declaration has no screenshot, so no review status and no platform.
  const share = record.level === 'share';
  const fields = [
    { name: m.pledge.statusFields.status, value: share ? m.pledge.shareStatus : m.pledge.statuses[record.status], inline: true },
    { name: m.pledge.statusLevel, value: m.pledge.levels[record.level], inline: true },
    ...(share ? [] : [{ name: m.pledge.statusFields.platform, value: m.pledge.platforms[record.platform], inline: true }]),
    { name: m.pledge.statusFields.since, value: timestamp(record.createdAt), inline: true },
  ];
  // How to move up a level from here (never down): shown while the level is held.
  const next = holdsLevel(record) && record.level !== 'leave' ? m.pledge.nextLevel[record.level] : null;
  if (record.status === 'rejected' && record.rejectReason) {
    fields.push({ name: m.pledge.statusFields.reason, value: record.rejectReason, inline: false });
  }
  if (record.check && record.status !== 'rejected') {
    fields.push({ name: m.review.check, value: m.review.checkVerdicts[record.check.verdict], inline: false });
  }
  return {
    embeds: [
      embed({
        title: share ? m.pledge.shareTitle(record.pledgeId) : m.pledge.statusTitle(record.pledgeId),
        ...(next ? { description: next } : {}),
        color: STATUS_COLOR[record.status],
        fields,
      }),
    ],
    components: [],
  };
}

export function renderWithdrawConfirm(userId: string, locale: Locale): Reply {
  const m = messages(locale);
  return {
    content: m.pledge.withdrawConfirm,
    embeds: [],
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Danger, label: m.pledge.withdrawYes, custom_id: customId('pledge', 'withdraw', userId) },
          { type: ComponentType.Button, style: ButtonStyle.Secondary, label: m.pledge.withdrawNo, custom_id: customId('pledge', 'keep', userId) },
        ],
      },
    ],
  };
}

export type ReviewCardInput = {
  record: PledgeRecord;
  locale: Locale;
  /** `attachment://<name>` when posting the re-encoded screenshot, its CDN url when editing; null without one. */
  imageUrl: string | null;
  /** Who decided, as a mention (never pings: every post disables mentions). */
  reviewerMention?: string;
  /** The automatic check is queued or running for this version (shown until its verdict is stored). */
  checking?: boolean;
};

/** Verified by the automatic check: reviewed, with no moderator named. */
export function isAutoVerified(record: PledgeRecord): boolean {
  return record.status === 'verified' && record.reviewedAt !== undefined && record.reviewerId === undefined;
}

/**
 * OCR excerpts are text read off a member's image: shown in a code block (no markdown, no links,
 * no mentions rendered), backticks removed so nothing can close it, within the field's 1024.
 */
function checkText(record: PledgeRecord, locale: Locale, checking: boolean): string | null {
  const m = messages(locale);
  const c = record.check;
  if (!c) return checking && record.status === 'pending' ? m.review.checkInProgress : null;
  const head = `${m.review.checkVerdicts[c.verdict]}${c.verdict === 'failed' ? '' : ` · ${m.review.checkScore(c.score)}`}`;
  const lines = c.verdict === 'failed' ? c.evidence.map((r) => m.review.checkReasons[r] ?? r) : c.evidence;
  const body: string[] = [];
  let size = head.length + 8;
  for (const line of lines) {
    const clean = line.replace(/[`\r\n]/g, ' ').slice(0, 100);
    if (size + clean.length + 1 > 1000) break;
    body.push(clean);
    size += clean.length + 1;
  }
  if (body.length === 0) return head;
  return c.verdict === 'failed' ? `${head}\n${body.join('\n')}` : `${head}\n\`\`\`\n${body.join('\n')}\n\`\`\``;
}

/** The card moderators see. Buttons carry the pledge's version, so a card for replaced evidence cannot decide the new one. */
export function renderReviewCard({ record, locale, imageUrl, reviewerMention, checking = false }: ReviewCardInput): Reply {
  const m = messages(locale);
  const fields: NonNullable<APIEmbed['fields']> = [
    { name: m.review.member, value: `<@${record.userId}>`, inline: true },
    { name: m.review.submitted, value: timestamp(record.createdAt), inline: true },
    { name: m.review.platform, value: m.pledge.platforms[record.platform], inline: true },
    {
      name: m.pledge.statusLevel,
      value: record.level === 'leave' ? `${m.pledge.levels.leave}\n${m.review.leaveHint}` : m.pledge.levels[record.level],
      inline: false,
    },
  ];
  if (record.note) fields.push({ name: m.review.note, value: unlinked(record.note), inline: false });
  if (record.evidence) {
    const e = record.evidence;
    fields.push({
      name: m.review.evidence,
      value: `${m.review.evidenceValue(e.format, e.width, e.height, Math.max(1, Math.round(e.bytes / 1024)))}\n\`sha256 ${e.sha256.slice(0, 16)}…\`${imageUrl ? '' : `\n${m.review.noScreenshotCopy}`}`,
      inline: false,
    });
  }
  if (record.duplicateOf.length > 0) {
    const lines = record.duplicateOf.map((d) => {
      const how = d.reason === 'sha256' ? m.review.identical : m.review.nearly(d.distance ?? 0);
      return d.guildId ? m.review.duplicateElsewhere(d.pledgeId, d.userId, how) : m.review.duplicateLine(d.pledgeId, d.userId, how);
    });
    fields.push({ name: m.review.duplicates, value: lines.join('\n'), inline: false });
  }
  const check = checkText(record, locale, checking);
  if (check) fields.push({ name: m.review.check, value: check, inline: false });
  const decided = record.status !== 'pending';
  const auto = isAutoVerified(record);
  let statusText = m.pledge.statuses[record.status];
  if (record.status === 'withdrawn') statusText = m.review.withdrawnCard;
  else if (auto) statusText = m.review.autoVerified;
  else if (decided && reviewerMention) statusText = m.review.decided(statusText, reviewerMention);
  if (record.status === 'rejected' && record.rejectReason) statusText += `\n> ${record.rejectReason}`;
  fields.push({ name: m.review.status, value: statusText, inline: false });

  const card = embed({
    title: m.review.cardTitle(record.pledgeId),
    color: STATUS_COLOR[record.status],
    fields,
    ...(imageUrl && record.status !== 'withdrawn' ? { image: { url: imageUrl } } : {}),
  });
  const reject = {
    type: ComponentType.Button,
    style: ButtonStyle.Danger,
    label: m.review.reject,
    custom_id: customId('pledge', 'reject', record.pledgeId, record.version),
  } as const;
  // A moderator can always override the automatic verdict; a moderator's own decision is final here.
  const buttons: ActionRow | null = auto
    ? { type: ComponentType.ActionRow, components: [reject] }
    : decided
    ? null
    : {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.Button,
            style: ButtonStyle.Success,
            label: m.review.approve,
            custom_id: customId('pledge', 'approve', record.pledgeId, record.version),
          },
          reject,
        ],
      };
  return { embeds: [card], components: rows(buttons) };
}

export function rejectReasonModal(pledgeId: number, version: number, locale: Locale): APIModalInteractionResponseCallbackData {
  const m = messages(locale);
  return {
    custom_id: customId('pledge', 'reason', pledgeId, version),
    title: m.review.reasonTitle,
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.TextInput,
            custom_id: 'reason',
            label: m.review.reasonLabel,
            placeholder: m.review.reasonPlaceholder,
            style: TextInputStyle.Paragraph,
            required: false,
            max_length: REJECT_REASON_MAX,
          },
        ],
      },
    ],
  };
}
