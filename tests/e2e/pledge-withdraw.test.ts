// /pledge withdraw end to end: the confirmation, erasure of personal data, counts, and the review
// card that loses its screenshot.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { SimUsageError, type SimUser } from '../../src/sim/index.js';
import {
  buttonId,
  customIds,
  errorLogs,
  expectCleanWire,
  field,
  newMember,
  pledge,
  pledgeCommand,
  record,
  restartBot,
  reviewOverwrites,
  startPledgeBot,
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

/** Runs /pledge withdraw and returns the confirmation message with its buttons. */
async function askToWithdraw(member: SimUser, locale?: string) {
  const ask = pledgeCommand(env, member, 'withdraw', locale);
  const prompt = await ask.waitForReply();
  expect(ask.ephemeral).toBe(true);
  return { ask, prompt };
}

describe('/pledge withdraw', () => {
  it('GIVEN a pending pledge with a note WHEN the member confirms the withdrawal THEN the record keeps no personal data, counts drop, and the card loses its screenshot', async () => {
    const member = newMember(env);
    const image = await uniqueScreenshot();
    const { record: stored } = await pledge(env, member, upload(image, 'shot.png'), { note: 'my private note', platform: 'ios' });
    const n = stored.pledgeId;
    const card = await waitForCard(env, n);
    expect(card.attachments).toHaveLength(1);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);

    const { prompt } = await askToWithdraw(member);
    expect(prompt.content).toBe(en.pledge.withdrawConfirm);
    expect(customIds(prompt)).toEqual([`pledge:withdraw:v1:${member.id}`, `pledge:keep:v1:${member.id}`]);

    const press = env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'withdraw'), userId: member.id });
    const done = await press.waitForReply((m) => m.content === en.pledge.withdrawn);
    expect(done.components).toEqual([]);
    expect(press.ephemeral).toBe(true);

    const after = await record(env, member.id);
    expect(after).toMatchObject({ pledgeId: n, status: 'withdrawn', note: '', evidence: null, duplicateOf: [] });
    expect(JSON.stringify(after)).not.toContain('my private note');
    expect(JSON.stringify(after)).not.toContain(stored.evidence?.sha256 ?? 'no-sha');
    const totals = await env.h.bot.ctx.pledges.totals(env.guildId);
    expect(totals.counted).toBe(before.counted - 1);
    expect(totals.byStatus.pending).toBe(before.byStatus.pending - 1);
    expect(totals.byStatus.withdrawn).toBe(before.byStatus.withdrawn + 1);

    // The card now says so, without the screenshot, the note or any button.
    await until(() => field(env.sim.message(card.id) ?? card, en.review.status) === en.review.withdrawnCard, 'the card to be retired');
    const retired = env.sim.message(card.id);
    expect(retired?.deleted).toBe(false);
    expect(retired?.attachments).toEqual([]);
    expect(retired?.embeds[0]?.image).toBeUndefined();
    expect(retired?.components).toEqual([]);
    expect(field(retired ?? card, en.review.note)).toBeUndefined();
    expect(JSON.stringify(retired?.embeds)).not.toContain('my private note');
    expect(JSON.stringify(retired?.embeds)).not.toContain(stored.evidence?.sha256.slice(0, 16) ?? 'no-sha');

    // Its fingerprints are gone too: the same image from someone else is not flagged as a duplicate.
    const other = newMember(env);
    const again = await pledge(env, other, upload(image, 'same.png'));
    expect(again.text).toBe(en.pledge.created(again.record.pledgeId));
    expect(again.record.duplicateOf).toEqual([]);

    const status = pledgeCommand(env, member, 'status');
    expect((await status.waitForReply()).content).toBe(en.pledge.statusNone);
  });

  it('GIVEN a verified pledge WHEN the member withdraws it THEN it stops counting as verified and its decided card is retired', async () => {
    const member = newMember(env);
    const moderator = newMember(env, { moderator: true });
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    const card = await waitForCard(env, stored.pledgeId);
    await env.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: moderator.id }).waitForReply((m) => m.components.length === 0);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);

    const { prompt } = await askToWithdraw(member);
    await env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'withdraw'), userId: member.id }).waitForReply((m) => m.content === en.pledge.withdrawn);
    const totals = await env.h.bot.ctx.pledges.totals(env.guildId);
    expect(totals.counted).toBe(before.counted - 1);
    expect(totals.byStatus.verified).toBe(before.byStatus.verified - 1);
    await until(() => field(env.sim.message(card.id) ?? card, en.review.status) === en.review.withdrawnCard, 'the card to be retired');
    expect(env.sim.message(card.id)?.attachments).toEqual([]);

    // Pledging again is a new pledge under the same number.
    const back = await pledge(env, member, upload(await uniqueScreenshot(), 'back.png'));
    expect(back.text).toBe(en.pledge.renewed(stored.pledgeId));
    expect(back.record).toMatchObject({ pledgeId: stored.pledgeId, status: 'pending' });
  });

  it('GIVEN the confirmation WHEN the member presses "Keep my pledge" THEN nothing changes', async () => {
    const member = newMember(env, { locale: 'fr' });
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'), { note: 'gardez-la' });
    const card = await waitForCard(env, stored.pledgeId);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);

    const { prompt } = await askToWithdraw(member);
    expect(prompt.content).toBe(fr.pledge.withdrawConfirm);
    const press = env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'keep'), userId: member.id });
    const kept = await press.waitForReply((m) => m.content === fr.pledge.withdrawKept);
    expect(kept.components).toEqual([]);

    expect(await record(env, member.id)).toEqual(stored);
    expect(await env.h.bot.ctx.pledges.totals(env.guildId)).toEqual(before);
    expect(env.sim.message(card.id)?.embeds).toEqual(card.embeds);
    expect(env.sim.message(card.id)?.attachments.length).toBe(1);
  });

  it('GIVEN a member with no pledge WHEN they ask to withdraw THEN they are told there is nothing to withdraw', async () => {
    const member = newMember(env);
    const { prompt } = await askToWithdraw(member);
    expect(prompt.content).toBe(en.pledge.withdrawNothing);
    expect(prompt.components).toEqual([]);
  });

  it("GIVEN someone else's confirmation WHEN another member tries to press it THEN they cannot: it is an ephemeral message only its owner sees", async () => {
    const member = newMember(env);
    const intruder = newMember(env);
    await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    const { prompt } = await askToWithdraw(member);
    // Discord shows an ephemeral message to its owner only, so no other client can send this
    // press; the simulator refuses to build it for the same reason. (The bot would still refuse:
    // the button carries the owner's id and answers notYours to anyone else.)
    expect(() => env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'withdraw'), userId: intruder.id })).toThrow(SimUsageError);
    expect(await record(env, member.id)).toMatchObject({ status: 'pending' });
  });

  it('GIVEN a confirmed withdrawal WHEN Discord delivers the press twice THEN counts move once', async () => {
    const member = newMember(env);
    await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    const { prompt } = await askToWithdraw(member);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);
    const press = env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'withdraw'), userId: member.id });
    await press.waitForReply((m) => m.content === en.pledge.withdrawn);
    const after = await env.h.bot.ctx.pledges.totals(env.guildId);
    expect(after.counted).toBe(before.counted - 1);

    press.redeliver();
    await until(() => env.logs.filter((l) => l.interactionId === press.id && l.msg === 'interaction handled').length >= 2, 'the redelivery to be handled');
    expect(await env.h.bot.ctx.pledges.totals(env.guildId)).toEqual(after);
    expect(await record(env, member.id)).toMatchObject({ status: 'withdrawn' });
  });

  it('GIVEN the review channel unreachable at the withdrawal WHEN the bot can reach it again THEN the card with the screenshot is deleted (at the next start)', async () => {
    const member = newMember(env);
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    const card = await waitForCard(env, stored.pledgeId);
    const review = env.world.channels.review;
    // Only the moderators can see the channel: the bot's own overwrite is gone.
    env.sim.setChannelOverwrites(review, reviewOverwrites(env.sim).filter((o) => o.id !== env.sim.applicationId));
    try {
      const { prompt } = await askToWithdraw(member);
      await env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'withdraw'), userId: member.id }).waitForReply((m) => m.content === en.pledge.withdrawn);
      await until(async () => (await env.h.bot.ctx.reviewCards.pendingRetirements()).some((i) => i.messageId === card.id), 'the card to wait for retirement');
      expect(env.sim.message(card.id)?.attachments, 'the screenshot is still on the card').toHaveLength(1);
    } finally {
      env.sim.setChannelOverwrites(review, reviewOverwrites(env.sim));
    }

    // Pledging again gets a new card under the same number: the retry must leave that one alone.
    const back = await pledge(env, member, upload(await uniqueScreenshot(), 'back.png'));
    expect(back.record.pledgeId).toBe(stored.pledgeId);
    const newCard = await waitForCard(env, stored.pledgeId, (m) => m.id !== card.id);

    await restartBot(env);
    await until(() => env.sim.message(card.id)?.deleted === true, 'the old card to be deleted');
    await until(async () => (await env.h.bot.ctx.reviewCards.pendingRetirements()).length === 0, 'nothing left to retire');
    expect(env.sim.message(newCard.id)?.deleted).toBe(false);
    expect(env.sim.message(newCard.id)?.attachments).toHaveLength(1);
    expect((await env.h.bot.ctx.reviewCards.get(env.guildId, stored.pledgeId))?.messageId).toBe(newCard.id);
  });
});
