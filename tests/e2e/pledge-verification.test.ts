// The automatic screenshot check, end to end (issue #7): the real bot on the simulator reads each
// pledge's screenshot with its OCR workers (tesseract.js, offline), stores the verdict on the pledge,
// edits the member's ephemeral answer and redraws the review card. The screenshots are the committed
// synthetic samples (tests/fixtures/screenshots/); docs/verification.md explains the verdicts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { jobId } from '../../src/verification/index.js';
import { renderCase, screenshotCases } from '../fixtures/screenshots/generate.js';
import type { InteractionHandle, SimMessage, SimUser } from '../../src/sim/index.js';
import {
  buttonId,
  customIds,
  dms,
  errorLogs,
  expectCleanWire,
  field,
  newMember,
  pledgeCommand,
  record,
  startPledgeBot,
  submitPledge,
  uniqueScreenshot,
  until,
  upload,
  waitForCard,
  type PledgeBot,
} from './helpers/pledge.js';

const SHOTS = join(import.meta.dirname, '../fixtures/screenshots');
const shot = (name: string) => readFileSync(join(SHOTS, name));
/** OCR of a phone screenshot takes about a second here, plus the pool's start on first use. */
const VERDICT_MS = 90_000;

let env: PledgeBot;

beforeAll(async () => {
  env = await startPledgeBot({ autoVerify: true });
}, 60_000);
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
  expect(errorLogs(env), 'no handler failed').toEqual([]);
});

/** Submits and returns the first answer ("recorded, being checked") and the answer with the verdict. */
async function submitAndCheck(member: SimUser, bytes: Buffer, verdictLine: string, locale?: string): Promise<{ handle: InteractionHandle; first: string; final: string }> {
  const handle = submitPledge(env, member, upload(bytes, 'screenshot.png'), locale ? { locale } : {});
  const first = (await handle.waitForReply(() => true, 15_000)).content;
  const final = (await handle.waitForReply((m) => m.content.includes(verdictLine), VERDICT_MS)).content;
  return { handle, first, final };
}

/** One screenshot of the labelled synthetic set (tests/fixtures/screenshots/generate.ts), drawn now. */
async function rendered(id: string): Promise<Buffer> {
  const sc = screenshotCases().find((c) => c.id === id);
  if (!sc) throw new Error(`no screenshot case ${id}`);
  return (await renderCase(sc)).bytes;
}

async function cardWith(n: number, text: string): Promise<SimMessage> {
  return waitForCard(env, n, (m) => JSON.stringify(m.embeds).includes(text), 15_000);
}

describe('a clear cancellation screenshot', () => {
  let member: SimUser;
  let n = 0;

  it('GIVEN auto-verify on WHEN a member sends an App Store "Expires on" screenshot THEN the pledge is verified with no moderator, the answer says so and the card shows the evidence', async () => {
    member = newMember(env);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);
    const { first, final } = await submitAndCheck(member, shot('sample-ios-cancelled-en.png'), en.pledge.checkResult.verified);

    // Durable before acknowledged: "recorded" and "being checked" come only once pledge and job are stored.
    n = Number(/pledge #(\d+)/.exec(first)?.[1]);
    expect(first).toBe(`${en.pledge.created(n)}\n${en.pledge.checking}`);
    expect(final).toBe(`${en.pledge.created(n)}\n${en.pledge.checkResult.verified}`);

    const stored = await record(env, member.id);
    expect(stored).toMatchObject({ pledgeId: n, status: 'verified', check: { verdict: 'verified' } });
    expect(stored?.reviewerId, 'no moderator decided it').toBeUndefined();
    expect(stored?.reviewedAt).toBeDefined();
    expect(stored?.check?.evidence.some((e) => e.startsWith('cancelled:'))).toBe(true);
    expect(stored?.check?.evidence.some((e) => e.startsWith('product:'))).toBe(true);

    const after = await env.h.bot.ctx.pledges.totals(env.guildId);
    expect(after.byStatus.verified).toBe(before.byStatus.verified + 1);
    expect(after.counted).toBe(before.counted + 1);

    const card = await cardWith(n, en.review.autoVerified);
    expect(field(card, en.review.status)).toBe(en.review.autoVerified);
    const check = field(card, en.review.check) ?? '';
    expect(check).toContain(en.review.checkVerdicts.verified);
    expect(check).toMatch(/cancelled: .*expire/i);
    expect(card.embeds[0]?.image?.url, 'the screenshot stays on the card').toBeTruthy();
    expect(customIds(card).map((c) => c.split(':')[1]), 'only an override is offered').toEqual(['reject']);

    // The screenshot was kept only while the job ran: the job is done and its image is gone.
    // The verdict is shown from inside the job; the job is marked done right after.
    await until(async () => (await env.h.bot.ctx.checks.job({ guildId: env.guildId, pledgeId: n, version: 1 }))?.state === 'done', 'the job to be done');
    const job = await env.h.bot.ctx.checks.job({ guildId: env.guildId, pledgeId: n, version: 1 });
    expect(job).toMatchObject({ state: 'done', result: { verdict: 'verified' } });
    expect(await env.h.bot.ctx.store.blobs.get(`verify-job:${jobId({ guildId: env.guildId, pledgeId: n, version: 1 })}`)).toBeUndefined();
    expect(dms(env, member.id), 'told in the answer, not by DM').toEqual([]);
  }, 120_000);

  it('GIVEN an automatically verified pledge WHEN a moderator presses Reject THEN the override stands and the member is told', async () => {
    expect(n).toBeGreaterThan(0);
    const card = await cardWith(n, en.review.autoVerified);
    const moderator = newMember(env, { moderator: true });
    const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'reject'), userId: moderator.id });
    await press.acknowledged();
    const updated = await env.sim.submitModal({ from: press, fields: { reason: 'Cropped: the account name is hidden.' } }).waitForReply((m) => m.components.length === 0);
    expect(field(updated, en.review.status)).toBe(`${en.review.decided(en.pledge.statuses.rejected, `<@${moderator.id}>`)}\n> Cropped: the account name is hidden.`);
    expect(field(updated, en.review.check), 'the evidence stays for the record').toContain(en.review.checkVerdicts.verified);
    expect(await record(env, member.id)).toMatchObject({ status: 'rejected', reviewerId: moderator.id });
    await until(() => dms(env, member.id).length > 0, 'the rejection DM');
  });
});

describe('a doubtful screenshot', () => {
  it('GIVEN a notes-app screenshot of the pledge text WHEN it is checked THEN the pledge stays pending and the card shows why, with both buttons', async () => {
    const member = newMember(env);
    const { first, final } = await submitAndCheck(member, shot('sample-notes-pledge-en.png'), en.pledge.checkResult.review);
    const n = Number(/pledge #(\d+)/.exec(first)?.[1]);
    expect(final).toBe(`${en.pledge.created(n)}\n${en.pledge.checkResult.review}`);

    const stored = await record(env, member.id);
    expect(stored).toMatchObject({ status: 'pending', check: { verdict: 'review' } });
    expect(stored?.check?.evidence.some((e) => e.startsWith('typed:'))).toBe(true);

    const card = await cardWith(n, en.review.checkVerdicts.review);
    const check = field(card, en.review.check) ?? '';
    expect(check).toContain('typed:');
    expect(check, 'OCR text is fenced in a code block').toMatch(/```\n[\s\S]+\n```$/);
    expect(field(card, en.review.status)).toBe(en.pledge.statuses.pending);
    expect(customIds(card).map((c) => c.split(':')[1])).toEqual(['approve', 'reject']);

    // The moderator decides as always.
    const moderator = newMember(env, { moderator: true });
    const approved = await env.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: moderator.id }).waitForReply((m) => m.components.length === 0);
    expect(field(approved, en.review.status)).toBe(en.review.decided(en.pledge.statuses.verified, `<@${moderator.id}>`));
    expect(await record(env, member.id)).toMatchObject({ status: 'verified', reviewerId: moderator.id });
  }, 120_000);

  it('GIVEN an image with no text at all WHEN it is checked THEN it is not rejected: it waits for a moderator as "no evidence found"', async () => {
    const member = newMember(env);
    const { first, final } = await submitAndCheck(member, await uniqueScreenshot(), en.pledge.checkResult.unrelated);
    const n = Number(/pledge #(\d+)/.exec(first)?.[1]);
    expect(final).toBe(`${en.pledge.created(n)}\n${en.pledge.checkResult.unrelated}`);
    expect(await record(env, member.id)).toMatchObject({ status: 'pending', check: { verdict: 'unrelated' } });
    const card = await cardWith(n, en.review.checkVerdicts.unrelated);
    expect(customIds(card).map((c) => c.split(':')[1])).toEqual(['approve', 'reject']);
  }, 120_000);
});

describe('in French', () => {
  it('GIVEN a French member and a dark-mode Google Play screenshot in French WHEN checked THEN both answers are in French and the pledge is verified', async () => {
    const member = newMember(env, { locale: 'fr' });
    const { first, final } = await submitAndCheck(member, shot('sample-play-cancelled-fr-dark.png'), fr.pledge.checkResult.verified, 'fr');
    const n = Number(/n° (\d+)/.exec(first)?.[1]);
    expect(first).toBe(`${fr.pledge.created(n)}\n${fr.pledge.checking}`);
    expect(final).toBe(`${fr.pledge.created(n)}\n${fr.pledge.checkResult.verified}`);
    expect(await record(env, member.id)).toMatchObject({ status: 'verified', check: { verdict: 'verified' } });
  }, 120_000);
});

describe('the setting and the member’s own changes', () => {
  it('GIVEN auto-verify turned off WHEN a member pledges THEN nothing reads the screenshot: no job, no check line, the card waits for a moderator', async () => {
    await env.h.bot.ctx.settings.update(env.guildId, { autoVerify: false });
    try {
      const member = newMember(env);
      const handle = submitPledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
      const text = (await handle.waitForReply()).content;
      const n = Number(/pledge #(\d+)/.exec(text)?.[1]);
      expect(text).toBe(en.pledge.created(n));
      const card = await waitForCard(env, n);
      expect(field(card, en.review.check)).toBeUndefined();
      expect(await env.h.bot.ctx.checks.job({ guildId: env.guildId, pledgeId: n, version: 1 })).toBeUndefined();
      expect(await record(env, member.id)).toMatchObject({ status: 'pending' });
      expect((await record(env, member.id))?.check).toBeUndefined();
    } finally {
      await env.h.bot.ctx.settings.update(env.guildId, { autoVerify: true });
    }
  });

  it('GIVEN a pledge being checked WHEN the member replaces the screenshot at once THEN only the new screenshot’s verdict is applied', async () => {
    const member = newMember(env);
    const firstHandle = submitPledge(env, member, upload(await uniqueScreenshot(), 'wrong.png'));
    const first = (await firstHandle.waitForReply()).content;
    const n = Number(/pledge #(\d+)/.exec(first)?.[1]);
    // A clear screenshot no other test sent (an identical image would be a possible duplicate).
    const { final } = await submitAndCheck(member, await rendered('web-cancelled-1'), en.pledge.checkResult.verified);
    expect(final).toBe(`${en.pledge.replaced(n)}\n${en.pledge.checkResult.verified}`);
    expect(await record(env, member.id)).toMatchObject({ pledgeId: n, version: 2, status: 'verified', check: { verdict: 'verified' } });
    // The first version's job ended without touching the pledge: cancelled before it ran, or superseded.
    await until(async () => ['done', 'failed'].includes((await env.h.bot.ctx.checks.job({ guildId: env.guildId, pledgeId: n, version: 1 }))?.state ?? ''), 'the first job to end', VERDICT_MS);
    // The verdict is shown from inside the job; the job is marked done right after.
    await until(async () => (await env.h.bot.ctx.checks.job({ guildId: env.guildId, pledgeId: n, version: 2 }))?.state === 'done', 'the second job to be done');
    expect(await env.h.bot.ctx.checks.job({ guildId: env.guildId, pledgeId: n, version: 2 })).toMatchObject({ result: { evidence: expect.arrayContaining([expect.stringMatching(/^cancelled:/)]) } });

    // Withdrawing erases both checks: their records hold the member's id and the lines read off the screenshots.
    const ask = pledgeCommand(env, member, 'withdraw');
    const prompt = await ask.waitForReply();
    const press = env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'withdraw'), userId: member.id });
    await press.waitForReply((m) => m.content === en.pledge.withdrawn);
    for (const version of [1, 2]) {
      expect(await env.h.bot.ctx.checks.job({ guildId: env.guildId, pledgeId: n, version }), `check of version ${version}`).toBeUndefined();
      expect(await env.h.bot.ctx.store.blobs.get(`verify-job:${jobId({ guildId: env.guildId, pledgeId: n, version })}`)).toBeUndefined();
    }
  }, 120_000);
});
