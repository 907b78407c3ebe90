// When the review channel or the store lets the bot down, end to end: the member's pledge and the
// answer they get stay truthful, and the bot keeps answering.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { openStore, silentLogger } from '../../src/store/index.js';
import { PledgeService } from '../../src/pledges/index.js';
import type { PermissionName } from '../../src/sim/index.js';
import {
  buttonId,
  errorLogs,
  expectBotAlive,
  expectCleanWire,
  failStore,
  expectDeferredEphemeral,
  finalContent,
  newMember,
  pledge,
  pledgeCommand,
  record,
  restartBot,
  reviewOverwrites,
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

describe('the review channel refuses the bot', () => {
  it.each<[string, { deny?: PermissionName[]; hidden?: boolean }]>([
    ['Send Messages denied', { deny: ['SendMessages'] }],
    ['the channel hidden from the bot', { hidden: true }],
  ])('GIVEN %s WHEN a member pledges THEN the pledge is recorded and answered, no card is posted, and the bot carries on', async (_what, how) => {
    const overwrites = how.hidden ? reviewOverwrites(env.sim).slice(0, 2) : reviewOverwrites(env.sim, { deny: how.deny ?? [] });
    env.sim.setChannelOverwrites(env.world.channels.review, overwrites);
    const cardsBefore = env.sim.channelMessages(env.world.channels.review).length;
    try {
      const member = newMember(env);
      const handle = submitPledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
      await expectDeferredEphemeral(handle);
      const text = await finalContent(handle);
      const stored = await record(env, member.id);
      expect(stored?.status).toBe('pending');
      expect(text).toBe(en.pledge.created(stored?.pledgeId ?? 0));
      await until(() => env.logs.some((l) => l.msg === 'could not post the review card' && l.pledgeId === stored?.pledgeId), 'the bot to log the failed card');
      expect(env.sim.channelMessages(env.world.channels.review).length).toBe(cardsBefore);
      expect(handle.followUps, 'no second message contradicting the first').toEqual([]);
      expect(errorLogs(env)).toEqual([]);
      await expectBotAlive(env, member);
    } finally {
      env.sim.setChannelOverwrites(env.world.channels.review, reviewOverwrites(env.sim));
    }
  });
});

describe('the review channel does not allow files', () => {
  it('GIVEN the bot may post but not attach files WHEN a member pledges THEN the card is posted without the screenshot and says so', async () => {
    env.sim.setChannelOverwrites(env.world.channels.review, reviewOverwrites(env.sim, { deny: ['AttachFiles'] }));
    try {
      const member = newMember(env);
      const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
      const card = await waitForCard(env, stored.pledgeId);
      expect(card.attachments).toEqual([]);
      expect(card.embeds[0]?.image).toBeUndefined();
      expect(JSON.stringify(card.embeds)).toContain(en.review.noScreenshotCopy);
      expect(buttonId(card, 'approve')).toBe(`pledge:approve:v1:${stored.pledgeId}:1`);
    } finally {
      env.sim.setChannelOverwrites(env.world.channels.review, reviewOverwrites(env.sim));
    }
  });
});

describe('the store fails', () => {
  const answeredBy = (token: string) => () => env.sim.requests.some((r) => r.method === 'PATCH' && r.path.endsWith(`${token}/messages/@original`));

  it('GIVEN the store refuses the pledge write WHEN a member submits THEN they are told to try again later, nothing is recorded or counted, and a retry works', async () => {
    const member = newMember(env);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);
    const cards = env.sim.channelMessages(env.world.channels.review).length;
    const key = `pledge:${env.guildId}:${member.id}`;
    const outage = failStore(env, (op) => (op.op === 'set' || op.op === 'setMany') && op.keys.includes(key));
    const image = await uniqueScreenshot();
    try {
      const handle = submitPledge(env, member, upload(image, 'shot.png'));
      await expectDeferredEphemeral(handle);
      expect(await finalContent(handle)).toBe(en.pledge.storeDown);
      expect(handle.ephemeral).toBe(true);
      expect(outage.failed).toHaveLength(1);
    } finally {
      outage.restore();
    }
    expect(await record(env, member.id)).toBeNull();
    expect(await env.h.bot.ctx.pledges.totals(env.guildId)).toEqual(before);
    expect(env.sim.channelMessages(env.world.channels.review).length).toBe(cards);
    await expectBotAlive(env, member);

    const retry = await pledge(env, member, upload(image, 'shot.png'));
    expect(retry.text).toBe(en.pledge.created(retry.record.pledgeId));
    expect((await env.h.bot.ctx.pledges.totals(env.guildId)).counted).toBe(before.counted + 1);
    await waitForCard(env, retry.record.pledgeId);
  });

  it('GIVEN the store goes down right after the member was told their pledge is recorded WHEN the bot tries to post the card THEN the member gets no contradicting "nothing was recorded" and the pledge stands', async () => {
    const member = newMember(env);
    const handle = submitPledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    const outage = failStore(env, answeredBy(handle.token));
    try {
      const text = await finalContent(handle);
      await until(() => env.logs.some((l) => l.msg === 'could not post the review card' && l.err !== undefined && JSON.stringify(l).includes('injected')), 'the failed card to be logged');
      const stored = await (outage.restore(), record(env, member.id));
      expect(text).toBe(en.pledge.created(stored?.pledgeId ?? 0));
      expect(handle.followUps).toEqual([]);
      expect(stored?.status).toBe('pending');
    } finally {
      outage.restore();
    }
    await expectBotAlive(env, member);
  });

  it('GIVEN the store goes down right after a withdrawal was confirmed WHEN the bot retires the card THEN the member gets no contradicting message', async () => {
    const member = newMember(env);
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    await waitForCard(env, stored.pledgeId);
    const ask = pledgeCommand(env, member, 'withdraw');
    const prompt = await ask.waitForReply();
    const press = env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'withdraw'), userId: member.id });
    const outage = failStore(env, () => press.acknowledgement !== undefined);
    try {
      await press.waitForReply((m) => m.content === en.pledge.withdrawn);
      await until(() => env.logs.some((l) => l.msg === 'could not retire the withdrawn pledge card'), 'the failed retirement to be logged');
      expect(press.followUps).toEqual([]);
    } finally {
      outage.restore();
    }
    expect(await record(env, member.id)).toMatchObject({ status: 'withdrawn', evidence: null });
  });

  it('GIVEN the withdrawn pledge card cannot be edited WHEN the member withdraws THEN the card is deleted so the screenshot does not stay', async () => {
    const member = newMember(env);
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    const card = await waitForCard(env, stored.pledgeId);
    const fault = env.sim.faults.add({ method: 'PATCH', route: `/channels/${env.world.channels.review}/messages/${card.id}`, status: 500, count: 20 });
    try {
      const ask = pledgeCommand(env, member, 'withdraw');
      const prompt = await ask.waitForReply();
      await env.sim.pressButton({ message: prompt, customId: buttonId(prompt, 'withdraw'), userId: member.id }).waitForReply((m) => m.content === en.pledge.withdrawn);
      await until(() => env.sim.message(card.id)?.deleted === true, 'the card to be deleted');
    } finally {
      env.sim.faults.remove(fault);
    }
  });

  it('GIVEN the store is unreachable WHEN a moderator presses Approve THEN they are told to try again later and nothing changes', async () => {
    const member = newMember(env);
    const moderator = newMember(env, { moderator: true });
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
    const card = await waitForCard(env, stored.pledgeId);
    const outage = failStore(env, () => true);
    try {
      const press = env.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: moderator.id });
      const answer = await press.waitForReply();
      expect(press.ephemeral).toBe(true);
      expect(answer.content).toBe(en.pledge.storeDown);
      expect(env.sim.message(card.id)?.components).toEqual(card.components);
    } finally {
      outage.restore();
    }
    expect(await record(env, member.id)).toMatchObject({ status: 'pending' });
  });
});

describe('the store commits a pledge but its answer is lost', () => {
  // PledgeService.submit commits the number, record, hash index, totals and memo as one batch. The
  // batch can land while its answer is lost (a timeout after the commit): the bot must not tell the
  // member "try again" about a pledge the store has.
  const totalsBatch = (op: { op: string; keys: readonly string[] }) => op.op === 'setMany' && op.keys.includes(`totals:${env.guildId}`);
  async function submitWithTotalsFailure(member: ReturnType<typeof newMember>) {
    const outage = failStore(env, totalsBatch, { landed: true });
    try {
      const handle = submitPledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
      return { handle, text: await finalContent(handle) };
    } finally {
      outage.restore();
    }
  }

  // The bot reads the record back: stamped with this interaction, it is durable, so the member is told it is recorded.
  it('GIVEN the batch lands but its answer is lost WHEN a member submits THEN what they are told matches what was stored', async () => {
    const member = newMember(env);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);
    const { text } = await submitWithTotalsFailure(member);
    const stored = await record(env, member.id);
    expect(stored).not.toBeNull();
    expect(text).toBe(en.pledge.created(stored?.pledgeId ?? 0));
    await waitForCard(env, stored?.pledgeId ?? 0);
    // One batch: the count landed with the record.
    expect((await env.h.bot.ctx.pledges.totals(env.guildId)).counted).toBe(before.counted + 1);
    const again = await env.h.bot.ctx.pledges.reconcile(env.guildId);
    expect(again.guilds[0]?.fixes).toEqual([]);
  });

  it('GIVEN the answer was lost and the store stayed unreadable WHEN the bot restarts THEN the pledge is there, counted once, and the retry keeps its number', async () => {
    const member = newMember(env);
    const before = await env.h.bot.ctx.pledges.totals(env.guildId);
    // The store also refuses to read the record back, so the bot cannot confirm the pledge.
    const outage = failStore(
      env,
      (op) => totalsBatch(op) || (op.op === 'get' && op.keys.includes(`pledge:${env.guildId}:${member.id}`) && outage.failed.length > 0),
      { landed: true },
    );
    let text: string;
    try {
      const handle = submitPledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
      text = await finalContent(handle);
    } finally {
      outage.restore();
    }
    expect(text).toBe(en.pledge.storeDown);
    const stored = await record(env, member.id);
    expect(stored?.status, 'the batch landed before the failure').toBe('pending');
    expect((await env.h.bot.ctx.pledges.totals(env.guildId)).counted, 'counted with it').toBe(before.counted + 1);

    await restartBot(env);
    const repaired = await env.h.bot.ctx.pledges.totals(env.guildId);
    expect(repaired.counted).toBe(before.counted + 1);
    const again = await env.h.bot.ctx.pledges.reconcile(env.guildId);
    expect(again.guilds[0]?.fixes, 'start-up already repaired everything').toEqual([]);
    // The member's retry goes through as a replacement and finally gets a card in front of moderators.
    const retry = await pledge(env, member, upload(await uniqueScreenshot(), 'again.png'));
    expect(retry.text).toBe(en.pledge.replaced(stored?.pledgeId ?? 0));
    await waitForCard(env, retry.record.pledgeId);
    expect((await env.h.bot.ctx.pledges.totals(env.guildId)).counted).toBe(repaired.counted);
  });
});

describe('the store is closed under a running bot', () => {
  let down: PledgeBot;

  beforeAll(async () => {
    down = await startPledgeBot();
  });
  afterAll(async () => {
    await down?.stop();
  });
  afterEach(() => {
    expectCleanWire(down.sim);
  });

  it('GIVEN a bot whose store was closed WHEN members submit, ask their status or withdraw and a moderator approves THEN each is told to try again later, nothing is written, and the bot still answers', async () => {
    const earlier = newMember(down);
    const moderator = newMember(down, { moderator: true });
    const { record: pending } = await pledge(down, earlier, upload(await uniqueScreenshot(), 'shot.png'));
    const card = await waitForCard(down, pending.pledgeId);
    const totals = await down.h.bot.ctx.pledges.totals(down.guildId);

    await down.h.bot.ctx.store.close();

    const member = newMember(down);
    const submit = submitPledge(down, member, upload(await uniqueScreenshot(), 'shot.png'), { note: 'hello' });
    await expectDeferredEphemeral(submit);
    expect(await finalContent(submit)).toBe(en.pledge.storeDown);
    expect(submit.ephemeral).toBe(true);

    for (const sub of ['status', 'withdraw'] as const) {
      const handle = pledgeCommand(down, earlier, sub);
      expect((await handle.waitForReply()).content, `/pledge ${sub}`).toBe(en.pledge.storeDown);
      expect(handle.ephemeral).toBe(true);
    }

    const approve = down.sim.pressButton({ message: card, customId: buttonId(card, 'approve'), userId: moderator.id });
    expect((await approve.waitForReply()).content).toBe(en.pledge.storeDown);
    expect(down.sim.message(card.id)?.components).toEqual(card.components);

    await expectBotAlive(down, member);

    // What the store holds, read through a second connection: exactly what it held before.
    const storeUrl = down.h.env.STORE_URL ?? '';
    const second = await openStore(storeUrl, { log: silentLogger });
    try {
      const pledges = new PledgeService({ store: second, log: silentLogger });
      expect(await pledges.get(down.guildId, member.id)).toEqual({ ok: true, record: null });
      expect(await pledges.get(down.guildId, earlier.id)).toEqual({ ok: true, record: pending });
      expect(await pledges.totals(down.guildId)).toEqual(totals);
    } finally {
      await second.close();
    }
  });
});
