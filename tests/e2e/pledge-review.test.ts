// Moderators deciding pledges on their review cards, end to end: approve, reject with a reason,
// refusals, closed DMs, redelivery, and buttons that keep working across a restart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { REJECT_REASON_MAX } from '../../src/pledges/index.js';
import { sanitizeUserText } from '../../src/text/sanitize.js';
import type { SimMessage, SimUser } from '../../src/sim/index.js';
import {
  buttonId,
  dms,
  errorLogs,
  expectBotAlive,
  expectNeutralized,
  expectCleanWire,
  field,
  newMember,
  pledge,
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
let guildName: string;

beforeAll(async () => {
  env = await startPledgeBot();
  guildName = env.h.bot.client.guilds.cache.get(env.guildId)?.name ?? '';
  expect(guildName).toBe('QuitGPT Campaign');
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
  expect(errorLogs(env), 'no handler failed').toEqual([]);
});

/** A member with a pending pledge and its card. */
async function pendingPledge(): Promise<{ member: SimUser; n: number; card: SimMessage }> {
  const member = newMember(env);
  const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'), { platform: 'web' });
  const card = await waitForCard(env, stored.pledgeId);
  return { member, n: stored.pledgeId, card };
}

describe('approve', () => {
  it('GIVEN a pending pledge WHEN a moderator presses Approve THEN the card shows who verified it, loses its buttons, and the member gets a DM', async () => {
    const { member, n, card } = await pendingPledge();
    const moderator = newMember(env, { moderator: true });
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);

    const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: moderator.id });
    const updated = await press.waitForReply((m) => m.components.length === 0);
    expect(press.callbackType).toBe(7);
    expect(updated.id).toBe(card.id);
    expect(field(updated, en.review.status)).toBe(en.review.decided(en.pledge.statuses.verified, `<@${moderator.id}>`));
    expect(updated.embeds[0]?.image?.url, 'the screenshot stays on a decided card').toBe(card.embeds[0]?.image?.url);
    expect(updated.attachments.map((a) => a.filename)).toEqual(card.attachments.map((a) => a.filename));

    expect(await record(env, member.id)).toMatchObject({ status: 'verified', reviewerId: moderator.id });
    const after = await env.h.bot.ctx.pledges.totals(env.guildId);
    expect(after.counted).toBe(before.counted);
    expect(after.byStatus.verified).toBe(before.byStatus.verified + 1);
    expect(after.byStatus.pending).toBe(before.byStatus.pending - 1);

    await until(() => dms(env, member.id).length > 0, 'the DM to the member');
    const dm = dms(env, member.id);
    expect(dm.map((m) => m.content)).toEqual([en.review.dmVerified(guildName, n)]);
    expect(dm[0]?.allowed_mentions).toEqual({ parse: [] });
  });

  it('GIVEN someone who can see the review channel but is not a moderator WHEN they press Approve THEN they are refused privately and nothing changes', async () => {
    const { member, card } = await pendingPledge();
    const helper = newMember(env, { name: 'helper' });
    // A volunteer who was let into the channel, without the moderator role or Manage Server.
    env.sim.setChannelOverwrites(env.world.channels.review, [...reviewOverwrites(env.sim), { id: helper.id, type: 'member', allow: ['ViewChannel'] }]);
    try {
      const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: helper.id });
      const answer = await press.waitForReply();
      expect(press.ephemeral).toBe(true);
      expect(answer.content).toBe(en.review.notModerator);
      expect(answer.id).not.toBe(card.id);

      const reject = env.sim.pressButton({ message: card, customId: buttonId(card, 'reject'), userId: helper.id });
      expect((await reject.waitForReply()).content).toBe(en.review.notModerator);
      expect(reject.modal).toBeUndefined();
    } finally {
      env.sim.setChannelOverwrites(env.world.channels.review, reviewOverwrites(env.sim));
    }
    expect(await record(env, member.id)).toMatchObject({ status: 'pending', version: 1 });
    const now = env.sim.message(card.id);
    expect(now?.embeds).toEqual(card.embeds);
    expect(now?.components).toEqual(card.components);
    expect(dms(env, member.id)).toEqual([]);
  });

  it('GIVEN a member who closed their DMs WHEN a moderator approves THEN the decision stands, the card is updated, and nothing crashes', async () => {
    const { member, card } = await pendingPledge();
    const moderator = newMember(env, { moderator: true });
    env.sim.setDmsOpen(member.id, false);

    const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: moderator.id });
    await press.waitForReply((m) => m.components.length === 0);
    expect(await record(env, member.id)).toMatchObject({ status: 'verified' });
    // The bot tried, Discord said 50007, the bot moved on.
    await env.sim.waitForRequest((r) => r.method === 'POST' && r.status === 403 && /^\/channels\/\d+\/messages$/.test(r.path) && r.path !== `/channels/${env.world.channels.review}/messages`);
    expect(dms(env, member.id)).toEqual([]);
    expect(press.followUps).toEqual([]);
    await expectBotAlive(env, moderator);
  });

  it('GIVEN an Approve press WHEN Discord delivers it twice THEN the pledge is verified once and the member gets one DM', async () => {
    const { member, card } = await pendingPledge();
    const moderator = newMember(env, { moderator: true });
    const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: moderator.id });
    await press.waitForReply((m) => m.components.length === 0);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);
    await until(() => dms(env, member.id).length === 1, 'the DM');

    press.redeliver();
    // The second delivery cannot acknowledge again (40060), which the bot treats as benign.
    await until(() => countHandled(press.id) >= 2, 'the redelivery to be handled');
    expect(await env.h.bot.ctx.pledges.totals(env.guildId)).toEqual(before);
    expect(dms(env, member.id)).toHaveLength(1);
  });
});

function countHandled(interactionId: string): number {
  return env.logs.filter((l) => l.interactionId === interactionId && l.msg === 'interaction handled').length;
}

describe('reject', () => {
  it('GIVEN a pending pledge WHEN a moderator presses Reject and gives a reason THEN the card shows the rejection and reason, and the member gets it by DM', async () => {
    const { member, n, card } = await pendingPledge();
    const moderator = newMember(env, { moderator: true });
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);

    const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'reject'), userId: moderator.id });
    await press.acknowledged();
    expect(press.callbackType).toBe(9);
    const modal = press.modal;
    expect(modal?.custom_id).toBe(`pledge:reason:v1:${n}:1`);
    expect(modal?.title).toBe(en.review.reasonTitle);
    expect(await record(env, member.id), 'opening the modal decides nothing').toMatchObject({ status: 'pending' });

    const submit = env.sim.submitModal({ from: press, fields: { reason: 'The screenshot does not show a cancelled subscription.' } });
    const updated = await submit.waitForReply((m) => m.components.length === 0);
    expect(updated.id).toBe(card.id);
    expect(field(updated, en.review.status)).toBe(
      `${en.review.decided(en.pledge.statuses.rejected, `<@${moderator.id}>`)}\n> The screenshot does not show a cancelled subscription.`,
    );
    expect(await record(env, member.id)).toMatchObject({ status: 'rejected', rejectReason: 'The screenshot does not show a cancelled subscription.', reviewerId: moderator.id });
    const after = await env.h.bot.ctx.pledges.totals(env.guildId);
    expect(after.counted).toBe(before.counted - 1);
    expect(after.byStatus.rejected).toBe(before.byStatus.rejected + 1);

    await until(() => dms(env, member.id).length > 0, 'the DM');
    expect(dms(env, member.id).map((m) => m.content)).toEqual([en.review.dmRejected(guildName, n, 'The screenshot does not show a cancelled subscription.')]);
  });

  it('GIVEN a reason that tries to ping and format WHEN the rejection is posted THEN the card and DM show it neutralized', async () => {
    const { member, n, card } = await pendingPledge();
    const moderator = newMember(env, { moderator: true });
    const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'reject'), userId: moderator.id });
    await press.acknowledged();
    const submit = env.sim.submitModal({ from: press, fields: { reason: '@everyone <@&1234567890123> **fake** [link](https://evil.example)' } });
    const updated = await submit.waitForReply((m) => m.components.length === 0);
    const reason = (await record(env, member.id))?.rejectReason ?? '';
    expect(reason).toBe(sanitizeUserText('@everyone <@&1234567890123> **fake** [link](https://evil.example)', REJECT_REASON_MAX));
    expectNeutralized(reason);
    expect(field(updated, en.review.status)).toContain(`\n> ${reason}`);
    expect(reason).not.toContain('**fake**');
    await until(() => dms(env, member.id).length > 0, 'the DM');
    expect(dms(env, member.id)[0]?.content).toBe(en.review.dmRejected(guildName, n, reason));
  });

  it('GIVEN a reject with an empty reason WHEN submitted THEN the pledge is rejected without a reason line', async () => {
    const { member, n, card } = await pendingPledge();
    const moderator = newMember(env, { moderator: true });
    const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'reject'), userId: moderator.id });
    await press.acknowledged();
    const updated = await env.sim.submitModal({ from: press, fields: { reason: '' } }).waitForReply((m) => m.components.length === 0);
    expect(field(updated, en.review.status)).toBe(en.review.decided(en.pledge.statuses.rejected, `<@${moderator.id}>`));
    await until(() => dms(env, member.id).length > 0, 'the DM');
    expect(dms(env, member.id)[0]?.content).toBe(en.review.dmRejected(guildName, n, ''));
  });
});

describe('after a restart', () => {
  it('GIVEN a card posted by the previous bot process WHEN a moderator presses Approve after a restart THEN it still works', async () => {
    const first = await pendingPledge();
    const second = await pendingPledge();
    const moderator = newMember(env, { moderator: true });

    await restartBot(env);

    const approve = env.sim.pressButton({ message: first.card, customId: buttonId(first.card, 'approve'), userId: moderator.id });
    const approved = await approve.waitForReply((m) => m.components.length === 0);
    expect(field(approved, en.review.status)).toBe(en.review.decided(en.pledge.statuses.verified, `<@${moderator.id}>`));
    expect(await record(env, first.member.id)).toMatchObject({ status: 'verified' });
    await until(() => dms(env, first.member.id).length > 0, 'the DM');

    const reject = env.sim.pressButton({ message: second.card, customId: buttonId(second.card, 'reject'), userId: moderator.id });
    await reject.acknowledged();
    await env.sim.submitModal({ from: reject, fields: { reason: 'blurry' } }).waitForReply((m) => m.components.length === 0);
    expect(await record(env, second.member.id)).toMatchObject({ status: 'rejected', rejectReason: 'blurry' });
  });
});
