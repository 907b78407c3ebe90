// The review card with the automatic check's evidence: OCR text is untrusted (it is read off a
// member's image), so it must stay inside its code block and within Discord's limits.
import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../src/kb/schema.js';
import { messages } from '../../src/i18n/index.js';
import type { PledgeRecord } from '../../src/pledges/index.js';
import { renderPledgeStatus, renderReviewCard } from '../../src/render/pledge.js';
import type { Reply } from '../../src/render/reply.js';
import { limitViolations } from '../helpers/limits.js';

const base: PledgeRecord = {
  pledgeId: 7,
  guildId: '100000000000000001',
  userId: '200000000000000001',
  status: 'pending',
  level: 'strike',
  platform: 'ios',
  note: '',
  evidence: { sha256: 'a'.repeat(64), dhash: '0f0f0f0f0f0f0f0f', width: 585, height: 1266, format: 'png', bytes: 50_000 },
  duplicateOf: [],
  createdAt: '2026-11-27T10:00:00.000Z',
  updatedAt: '2026-11-27T10:00:00.000Z',
  version: 1,
  interactionId: 'ix1',
};

const fieldValue = (r: Reply, name: string) => r.embeds[0]?.fields?.find((f) => f.name === name)?.value;
const actions = (r: Reply) => r.components.flatMap((row) => row.components.flatMap((c) => ('custom_id' in c ? [c.custom_id.split(':')[1]] : [])));

describe.each(LOCALES)('review card with the automatic check (%s)', (locale) => {
  const m = messages(locale);

  it('GIVEN a check in progress THEN the card says so and keeps both buttons', () => {
    const card = renderReviewCard({ record: base, locale, imageUrl: null, checking: true });
    expect(fieldValue(card, m.review.check)).toBe(m.review.checkInProgress);
    expect(actions(card)).toEqual(['approve', 'reject']);
  });

  it('GIVEN hostile OCR text THEN it stays fenced (no backticks inside), within the field limit, and the card is valid', () => {
    const evil = ['typed: ``` @everyone <@&123456789012345678> [x](https://evil.example)', ...Array.from({ length: 11 }, (_, i) => `place: ${'w'.repeat(190)}${i}`)];
    const record: PledgeRecord = { ...base, check: { verdict: 'review', score: 0.31, evidence: evil, at: '2026-11-27T10:00:05.000Z' } };
    const card = renderReviewCard({ record, locale, imageUrl: 'attachment://pledge-screenshot.png' });
    const value = fieldValue(card, m.review.check) ?? '';
    expect(value.length).toBeLessThanOrEqual(1024);
    expect(value.startsWith(`${m.review.checkVerdicts.review} · ${m.review.checkScore(0.31)}\n\`\`\`\n`)).toBe(true);
    expect(value.endsWith('\n```')).toBe(true);
    expect(value.slice(value.indexOf('```') + 3, -3)).not.toContain('`');
    expect(limitViolations(card)).toEqual([]);
  });

  it('GIVEN an automatically verified pledge THEN the status says so and only Reject (the override) is offered', () => {
    const record: PledgeRecord = { ...base, status: 'verified', reviewedAt: '2026-11-27T10:00:05.000Z', check: { verdict: 'verified', score: 0.95, evidence: ['product: ChatGPT Plus'], at: '2026-11-27T10:00:05.000Z' } };
    const card = renderReviewCard({ record, locale, imageUrl: null });
    expect(fieldValue(card, m.review.status)).toBe(m.review.autoVerified);
    expect(actions(card)).toEqual(['reject']);
    expect(renderPledgeStatus(record, locale).embeds[0]?.fields?.some((f) => f.value === m.review.checkVerdicts.verified)).toBe(true);
  });

  it('GIVEN a failed check THEN the reason is shown in words, not as a code', () => {
    const record: PledgeRecord = { ...base, check: { verdict: 'failed', score: 0, evidence: ['timeout'], at: '2026-11-27T10:00:05.000Z' } };
    const value = fieldValue(renderReviewCard({ record, locale, imageUrl: null }), m.review.check);
    expect(value).toBe(`${m.review.checkVerdicts.failed}\n${m.review.checkReasons.timeout}`);
  });
});
