// Reused screenshots and redelivered interactions, end to end.
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { hammingDistance, inspectImage } from '../../src/images/index.js';
import { DHASH_MAX_DISTANCE } from '../../src/pledges/index.js';
import {
  cardsOf,
  errorLogs,
  expectCleanWire,
  field,
  finalContent,
  fixture,
  newMember,
  pledge,
  record,
  startPledgeBot,
  submitPledge,
  uniqueScreenshot,
  until,
  upload,
  waitForCard,
  type PledgeBot,
} from './helpers/pledge.js';

let env: PledgeBot;

beforeAll(async () => {
  env = await startPledgeBot();
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
  expect(errorLogs(env), 'no handler failed').toEqual([]);
});

async function dhashOf(bytes: Buffer): Promise<string> {
  const r = await inspectImage(bytes);
  if (!r.ok) throw new Error(`fixture not an image: ${r.rejection.detail}`);
  return r.dhash;
}

describe('possible duplicates', () => {
  const original = fixture('valid-screenshot.png');
  let firstUser: string;
  let firstN: number;

  beforeAll(async () => {
    const first = newMember(env);
    const { record: stored } = await pledge(env, first, upload(original, 'mine.png'));
    firstUser = first.id;
    firstN = stored.pledgeId;
    expect(stored.duplicateOf).toEqual([]);
  });

  it('GIVEN a screenshot already used by another member WHEN someone sends the same file THEN the pledge waits for review, the member is told so, and the card warns of the duplicate', async () => {
    const copycat = newMember(env);
    const handle = submitPledge(env, copycat, upload(original, 'copied.png'));
    const text = await finalContent(handle);
    const stored = await record(env, copycat.id);
    const n = stored?.pledgeId ?? 0;
    expect(text).toBe(`${en.pledge.created(n)}\n${en.pledge.possibleDuplicate}`);
    expect(stored).toMatchObject({ status: 'pending', duplicateOf: [{ pledgeId: firstN, userId: firstUser, reason: 'sha256' }] });

    const card = await waitForCard(env, n);
    expect(field(card, en.review.duplicates)).toBe(en.review.duplicateLine(firstN, firstUser, en.review.identical));
    expect(card.allowed_mentions).toEqual({ parse: [] });
  });

  it('GIVEN a screenshot already used WHEN another member sends it resized and re-encoded as JPEG THEN it is flagged as near-identical', async () => {
    const resized = await sharp(original).resize(300).jpeg({ quality: 70 }).toBuffer();
    const distance = hammingDistance(await dhashOf(original), await dhashOf(resized));
    expect(distance, 'the test image really is a near duplicate').toBeLessThanOrEqual(DHASH_MAX_DISTANCE);

    const other = newMember(env);
    const { text, record: stored } = await pledge(env, other, upload(resized, 'photo.jpg', 'image/jpeg'));
    expect(text).toBe(`${en.pledge.created(stored.pledgeId)}\n${en.pledge.possibleDuplicate}`);
    expect(stored.status).toBe('pending');
    const ref = stored.duplicateOf.find((d) => d.userId === firstUser);
    expect(ref).toEqual({ pledgeId: firstN, userId: firstUser, reason: 'dhash', distance });

    const card = await waitForCard(env, stored.pledgeId);
    expect(field(card, en.review.duplicates)).toContain(en.review.duplicateLine(firstN, firstUser, en.review.nearly(distance)));
  });

  it('GIVEN the same screen as a JPEG fixture WHEN another member sends it THEN it is flagged too', async () => {
    const other = newMember(env);
    const { text, record: stored } = await pledge(env, other, upload(fixture('valid-screenshot.jpg'), 'screen.jpg', 'image/jpeg'));
    expect(text).toContain(en.pledge.possibleDuplicate);
    expect(stored.duplicateOf.some((d) => d.userId === firstUser && d.reason === 'dhash')).toBe(true);
  });

  it('GIVEN their own earlier screenshot WHEN the same member sends it again THEN it is not a duplicate of themselves', async () => {
    const member = newMember(env);
    const image = await uniqueScreenshot();
    await pledge(env, member, upload(image, 'a.png'));
    const again = await pledge(env, member, upload(image, 'a.png'));
    expect(again.text).toBe(en.pledge.replaced(again.record.pledgeId));
    expect(again.record.duplicateOf).toEqual([]);
  });
});

describe('redelivered interactions', () => {
  it('GIVEN a submission WHEN Discord delivers it again after the answer THEN there is still one pledge, one card, and the counts do not move', async () => {
    const member = newMember(env);
    const handle = submitPledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    const text = await finalContent(handle);
    const stored = await record(env, member.id);
    const n = stored?.pledgeId ?? 0;
    expect(text).toBe(en.pledge.created(n));
    await waitForCard(env, n);
    const totals = await env.h.bot.ctx.pledges.totals(env.guildId);

    handle.redeliver();
    await until(() => env.logs.filter((l) => l.interactionId === handle.id && l.msg === 'interaction handled').length >= 2, 'the redelivery to be handled');
    expect(await record(env, member.id)).toEqual(stored);
    expect(await env.h.bot.ctx.pledges.totals(env.guildId)).toEqual(totals);
    expect(cardsOf(env, n)).toHaveLength(1);
    expect(handle.original?.content).toBe(text);
  });

  it('GIVEN a submission WHEN Discord delivers it twice at once THEN one delivery answers and there is one pledge counted once', async () => {
    const member = newMember(env);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);
    const handle = submitPledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    handle.redeliver();
    const text = await finalContent(handle);
    const stored = await record(env, member.id);
    const n = stored?.pledgeId ?? 0;
    expect(text).toBe(en.pledge.created(n));
    await until(() => env.logs.filter((l) => l.interactionId === handle.id && l.msg === 'interaction handled').length >= 2, 'both deliveries to be handled');
    await waitForCard(env, n);
    const after = await env.h.bot.ctx.pledges.totals(env.guildId);
    expect(after.counted).toBe(before.counted + 1);
    expect(after.byStatus.pending).toBe(before.byStatus.pending + 1);
    expect(cardsOf(env, n)).toHaveLength(1);
    expect(stored?.version).toBe(1);
  });
});
