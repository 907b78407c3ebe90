// /pledge submit, status and resubmission, end to end: the real bot on the Discord simulator.
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIF_MAKE } from '../fixtures/images/generate.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import {
  buttonId,
  cardsOf,
  expectCleanWire,
  expectDeferredEphemeral,
  field,
  finalContent,
  fixture,
  newMember,
  pledge,
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

let env: PledgeBot;

beforeAll(async () => {
  env = await startPledgeBot();
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
});

describe('/pledge submit, member flow', () => {
  it('GIVEN an English member and a valid PNG WHEN they submit THEN the answer is deferred ephemeral, then says "pledge #N" only once the store has it', async () => {
    const member = newMember(env);
    const handle = submitPledge(env, member, upload(fixture('valid-screenshot.png'), 'cancelled.png', 'image/png'), { platform: 'web', note: 'bye' });
    // Hold the final edit on the wire for a moment; while it is held, the pledge must already be stored.
    const editPath = `/webhooks/${env.sim.applicationId}/${handle.token}/messages/@original`;
    const fault = env.sim.faults.add({ method: 'PATCH', route: editPath, delayMs: 1_000 });
    await expectDeferredEphemeral(handle);
    await until(() => env.sim.requests.some((r) => r.method === 'PATCH' && r.path === editPath), 'the final edit to arrive', 8_000);
    const held = env.sim.requests.find((r) => r.method === 'PATCH' && r.path === editPath);
    const stored = await record(env, member.id);
    expect(held?.status, 'the store was read while the edit was still held').toBeUndefined();
    expect(stored?.status).toBe('pending');
    env.sim.faults.remove(fault);

    const text = await finalContent(handle);
    const n = stored?.pledgeId ?? 0;
    expect(text).toBe(en.pledge.created(n));
    expect(text).toContain(`pledge #${n}`);
    expect(handle.ephemeral).toBe(true);
    expect(stored).toMatchObject({ platform: 'web', note: 'bye', evidence: { format: 'png', width: 360, height: 640 } });

    // The moderators' card: the member mentioned without a ping, the screenshot, Approve/Reject.
    const card = await waitForCard(env, n);
    expect(card.author.id).toBe(env.sim.applicationId);
    expect(card.allowed_mentions).toEqual({ parse: [] });
    expect(field(card, en.review.member)).toBe(`<@${member.id}>`);
    expect(field(card, en.review.status)).toBe(en.pledge.statuses.pending);
    expect(field(card, en.review.note)).toBe('bye');
    expect(card.attachments).toHaveLength(1);
    // Discord rewrites attachment://name to the CDN url; the simulator keeps what the bot sent.
    expect([card.attachments[0]?.url, `attachment://${card.attachments[0]?.filename}`]).toContain(card.embeds[0]?.image?.url);
    expect(card.attachments[0]?.filename).toBe('pledge-screenshot.png');
    expect(buttonId(card, 'approve')).toBe(`pledge:approve:v1:${n}:1`);
    expect(buttonId(card, 'reject')).toBe(`pledge:reject:v1:${n}:1`);
    expect(card.content).toBe('');
  });

  it('GIVEN a French member WHEN they submit a screenshot THEN every answer is in French', async () => {
    const camille = newMember(env, { locale: 'fr' });
    const handle = submitPledge(env, camille, upload(await uniqueScreenshot('png'), 'capture.png'), { platform: 'ios' });
    await expectDeferredEphemeral(handle);
    const text = await finalContent(handle);
    const stored = await record(env, camille.id);
    expect(text).toBe(fr.pledge.created(stored?.pledgeId ?? 0));

    const status = pledgeCommand(env, camille, 'status');
    const reply = await status.waitForReply();
    expect(status.ephemeral).toBe(true);
    expect(reply.embeds[0]?.title).toBe(fr.pledge.statusTitle(stored?.pledgeId ?? 0));
    expect(field(reply, fr.pledge.statusFields.status)).toBe(fr.pledge.statuses.pending);
    expect(field(reply, fr.pledge.statusFields.platform)).toBe(fr.pledge.platforms.ios);
  });

  it.each([
    ['png', 'image/png', 'shot.png'],
    ['jpeg', 'image/jpeg', 'shot.jpg'],
    ['webp', 'image/webp', 'shot.webp'],
  ] as const)('GIVEN a valid %s screenshot WHEN a member submits it THEN it is recorded with its format and a card is posted', async (format, type, name) => {
    const member = newMember(env);
    const { handle, text, record: stored } = await pledge(env, member, upload(await uniqueScreenshot(format), name, type));
    expect(handle.acknowledgement?.type).toBe(5);
    expect(text).toBe(en.pledge.created(stored.pledgeId));
    expect(stored.evidence).toMatchObject({ format, width: 360, height: 640 });
    const card = await waitForCard(env, stored.pledgeId);
    expect(card.attachments).toHaveLength(1);
    const meta = await sharp(card.attachments[0]?.bytes).metadata();
    expect([360, 640]).toEqual([meta.width, meta.height]);
  });

  it('GIVEN a JPEG carrying EXIF with a GPS position WHEN submitted THEN the card shows a re-encoded copy without any EXIF/GPS', async () => {
    const member = newMember(env);
    const original = fixture('exif-gps.jpg');
    expect((await sharp(original).metadata()).exif, 'the fixture really has EXIF').toBeDefined();
    const { record: stored } = await pledge(env, member, upload(original, 'IMG_0001.jpg', 'image/jpeg'));
    const card = await waitForCard(env, stored.pledgeId);
    const attachment = card.attachments[0];
    expect(attachment).toBeDefined();
    const bytes = attachment?.bytes ?? Buffer.alloc(0);
    expect(bytes.equals(original)).toBe(false);
    const meta = await sharp(bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.orientation ?? 1).toBe(1);
    // Orientation 6 was applied to the pixels before the tag was dropped.
    expect([meta.width, meta.height]).toEqual([120, 200]);
    for (const marker of ['Exif', 'GPS', EXIF_MAKE]) expect(bytes.includes(Buffer.from(marker, 'latin1')), marker).toBe(false);
    expect(card.attachments[0]?.filename).toMatch(/^pledge-screenshot\.(jpg|png)$/);
  });
});

describe('/pledge status', () => {
  it('GIVEN a member without a pledge WHEN they ask for their status THEN they are told how to pledge', async () => {
    const member = newMember(env);
    const status = pledgeCommand(env, member, 'status');
    const reply = await status.waitForReply();
    expect(status.ephemeral).toBe(true);
    expect(reply.content).toBe(en.pledge.statusNone);
  });

  it('GIVEN a pending pledge WHEN the member asks for their status THEN they see its number, status and platform', async () => {
    const member = newMember(env);
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 's.png'), { platform: 'android' });
    const status = pledgeCommand(env, member, 'status');
    const reply = await status.waitForReply();
    expect(status.ephemeral).toBe(true);
    expect(reply.embeds[0]?.title).toBe(en.pledge.statusTitle(stored.pledgeId));
    expect(field(reply, en.pledge.statusFields.status)).toBe(en.pledge.statuses.pending);
    expect(field(reply, en.pledge.statusFields.platform)).toBe(en.pledge.platforms.android);
  });
});

describe('a second screenshot', () => {
  it('GIVEN a pending pledge WHEN the member sends another screenshot THEN the evidence is replaced, the old card removed and a new one posted', async () => {
    const member = newMember(env);
    const first = await pledge(env, member, upload(await uniqueScreenshot(), 'a.png'));
    const n = first.record.pledgeId;
    const oldCard = await waitForCard(env, n);

    const second = await pledge(env, member, upload(await uniqueScreenshot('jpeg'), 'b.jpg'));
    expect(second.text).toBe(en.pledge.replaced(n));
    expect(second.record).toMatchObject({ pledgeId: n, status: 'pending', version: 2, evidence: { format: 'jpeg' } });
    expect(second.record.evidence?.sha256).not.toBe(first.record.evidence?.sha256);

    const newCard = await waitForCard(env, n, (m) => m.id !== oldCard.id);
    expect(buttonId(newCard, 'approve')).toBe(`pledge:approve:v1:${n}:2`);
    await until(() => env.sim.message(oldCard.id)?.deleted === true, 'the old card to be deleted');
    expect(cardsOf(env, n).map((m) => m.id)).toEqual([newCard.id]);
  });

  it('GIVEN a card whose pledge got a new screenshot (the old card could not be deleted) WHEN a moderator presses its Approve THEN they are told it is outdated and nothing changes', async () => {
    const member = newMember(env);
    const moderator = newMember(env, { moderator: true });
    const first = await pledge(env, member, upload(await uniqueScreenshot(), 'a.png'));
    const n = first.record.pledgeId;
    const oldCard = await waitForCard(env, n);

    // The old card stays visible: deleting it fails (as when a moderator presses it in the same instant).
    const fault = env.sim.faults.add({ method: 'DELETE', route: `/channels/${env.world.channels.review}/messages/${oldCard.id}`, status: 500, count: 20 });
    await pledge(env, member, upload(await uniqueScreenshot(), 'b.png'));
    const newCard = await waitForCard(env, n, (m) => m.id !== oldCard.id);
    env.sim.faults.remove(fault);
    expect(env.sim.message(oldCard.id)?.deleted).toBe(false);

    const press = env.sim.pressButton({ message: oldCard, customId: buttonId(oldCard, 'approve'), userId: moderator.id });
    const answer = await press.waitForReply();
    expect(press.ephemeral).toBe(true);
    expect(answer.content).toBe(en.review.outdated);
    expect(await record(env, member.id)).toMatchObject({ status: 'pending', version: 2 });

    // The current card still decides the new evidence.
    const ok = env.sim.pressButton({ message: newCard, customId: buttonId(newCard, 'approve'), userId: moderator.id });
    await ok.waitForReply((m) => m.components.length === 0);
    expect(await record(env, member.id)).toMatchObject({ status: 'verified', version: 2 });
  });

  it('GIVEN a verified pledge WHEN the member sends another screenshot THEN the pledge stays verified and no new card is posted', async () => {
    const member = newMember(env);
    const moderator = newMember(env, { moderator: true });
    const first = await pledge(env, member, upload(await uniqueScreenshot(), 'a.png'));
    const n = first.record.pledgeId;
    const card = await waitForCard(env, n);
    await env.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: moderator.id }).waitForReply((m) => m.components.length === 0);
    const verified = await record(env, member.id);
    expect(verified?.status).toBe('verified');

    const again = await pledge(env, member, upload(await uniqueScreenshot(), 'again.png'));
    expect(again.text).toBe(en.pledge.unchangedVerified(n));
    expect(again.record).toEqual(verified);
    expect(cardsOf(env, n).map((m) => m.id)).toEqual([card.id]);
  });
});
