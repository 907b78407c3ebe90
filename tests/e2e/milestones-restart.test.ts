// Milestone announcements across a stop and a start of the bot on the same store and simulator:
// a decided announcement that could not be posted (Discord failing or hanging) is delivered once by
// the next process; one Discord accepted but the bot never recorded is not posted twice (nonce);
// a threshold crossed by a pledge whose decision was lost is caught up at start-up.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entryId, milestoneNonce, milestonesStrings, type OutboxEntry } from '../../src/milestones/index.js';
import type { SimMessage } from '../../src/sim/index.js';
import {
  bodyOf,
  botMessages,
  configText,
  errorLogs,
  expectCleanWire,
  newMember,
  newWorld,
  pledgeAndSettle,
  postsTo,
  restartOpsBot,
  startAgain,
  startOpsBot,
  until,
  type OpsBot,
  type OpsWorld,
} from './helpers/ops.js';

let env: OpsBot;
const worlds: OpsWorld[] = [];

beforeAll(async () => {
  env = await startOpsBot();
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  env.sim.faults.clear();
  expectCleanWire(env.sim);
});

const S = milestonesStrings.en.announcement;

async function announcingServer(thresholds: string): Promise<OpsWorld> {
  const world = await newWorld(env);
  worlds.push(world);
  await configText(env, world, 'channel', { purpose: 'announcements', channel: world.channels.announcements });
  await configText(env, world, 'milestones', { thresholds });
  return world;
}

const announcements = (world: OpsWorld): SimMessage[] => botMessages(env, world.channels.announcements);
const id = (world: OpsWorld, threshold: number): string => entryId({ kind: 'guild', guildId: world.guildId }, threshold, world.guildId);
const guildIds = (): string[] => worlds.map((w) => w.guildId);

async function pendingIds(): Promise<string[]> {
  return (await env.h.bot.ctx.milestones.outbox.pending()).map((e: OutboxEntry) => e.id);
}

/** Stops the running bot (as a deploy does) and times it. */
async function stopBot(graceMs = 1_000): Promise<number> {
  const started = Date.now();
  await env.h.bot.stop(graceMs);
  return Date.now() - started;
}

describe('milestone announcements across a restart', () => {
  it('GIVEN Discord failing every announcement post WHEN the bot is stopped and a new one starts after Discord recovers THEN the pending announcement is posted once', async () => {
    const world = await announcingServer('1');
    const route = `/channels/${world.channels.announcements}/messages`;
    const down = env.sim.faults.add({ method: 'POST', route, status: 500, count: 1_000 });
    await pledgeAndSettle(env, world, newMember(env, world));
    await until(() => env.logs.some((l) => l.msg === 'milestones: announcement attempt failed' && l.id === id(world, 1)), 'a failed attempt', 10_000);
    expect(await pendingIds()).toEqual([id(world, 1)]);
    expect(await stopBot()).toBeLessThan(3_000);
    expect(announcements(world)).toEqual([]);

    env.sim.faults.remove(down);
    await startAgain(env, guildIds());
    const posted = await env.sim.waitForMessage(world.channels.announcements, (m) => m.embeds[0]?.title === S.guildTitle('1'), 10_000);
    await until(async () => (await pendingIds()).length === 0, 'the outbox to drain');
    expect(announcements(world)).toHaveLength(1);
    const outcome = await env.h.bot.ctx.milestones.outbox.outcome(id(world, 1));
    expect(outcome).toMatchObject({ status: 'delivered', messageId: posted.id });
    expect(outcome?.attempts).toBeGreaterThanOrEqual(2);
    expect(postsTo(env, world.channels.announcements).filter((r) => r.status === 200)).toHaveLength(1);
    expect(errorLogs(env)).toEqual([]);
  });

  it('GIVEN an announcement post that hangs WHEN the bot is stopped THEN it stops within its grace period, and the next bot posts the announcement once', async () => {
    const world = await announcingServer('1');
    const route = `/channels/${world.channels.announcements}/messages`;
    env.sim.faults.add({ method: 'POST', route, hang: true });
    await pledgeAndSettle(env, world, newMember(env, world));
    await until(() => postsTo(env, world.channels.announcements).length === 1, 'the hanging post');
    // Without a bound, stop() waited for the post's 60-second timeout.
    expect(await stopBot(1_000)).toBeLessThan(5_000);
    expect(announcements(world)).toEqual([]);

    await startAgain(env, guildIds());
    const posted = await env.sim.waitForMessage(world.channels.announcements, (m) => m.embeds[0]?.title === S.guildTitle('1'), 10_000);
    await until(async () => (await pendingIds()).length === 0, 'the outbox to drain');
    expect(announcements(world)).toEqual([posted]);
    expect(bodyOf(postsTo(env, world.channels.announcements).at(-1)!)).toMatchObject({ nonce: milestoneNonce(id(world, 1)), enforce_nonce: true });
    expect(errorLogs(env)).toEqual([]);
  });

  it('GIVEN Discord accepted an announcement but the bot went down before recording it WHEN the next bot retries THEN the nonce returns the same message: one message in the channel', async () => {
    const world = await announcingServer('1');
    // The crash window: the post succeeded, then the process died before markDelivered was written.
    const outbox = env.h.bot.ctx.milestones.outbox;
    outbox.markDelivered = () => Promise.reject(new Error('simulated crash before markDelivered'));
    await pledgeAndSettle(env, world, newMember(env, world));
    await until(() => announcements(world).length === 1, 'Discord to accept the announcement', 10_000);
    await until(() => env.logs.some((l) => l.msg === 'milestones: dispatcher could not reach the store'), 'the lost bookkeeping');
    const first = announcements(world)[0]!;
    expect(await pendingIds()).toEqual([id(world, 1)]);
    await restartOpsBot(env, guildIds());

    await until(async () => (await pendingIds()).length === 0, 'the retry after the restart', 10_000);
    // The first process may have retried once more before it stopped: every post carried the nonce.
    const posts = postsTo(env, world.channels.announcements);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (const p of posts) {
      expect(p.status).toBe(200);
      expect(bodyOf(p)).toMatchObject({ nonce: milestoneNonce(id(world, 1)), enforce_nonce: true });
      expect((p.response as { id?: string } | undefined)?.id).toBe(first.id);
    }
    expect(announcements(world)).toEqual([first]);
    expect(await env.h.bot.ctx.milestones.outbox.outcome(id(world, 1))).toMatchObject({ status: 'delivered', messageId: first.id, attempts: posts.length });
    // The simulated crash is the only error: the first process logged its lost bookkeeping.
    expect(errorLogs(env).length).toBeGreaterThan(0);
    expect(errorLogs(env).filter((l) => l.msg !== 'milestones: dispatcher could not reach the store')).toEqual([]);
    env.logs.length = 0;
  });

  it('GIVEN pledges saved but the milestone decision lost (a crash right after saving) WHEN the bot starts again THEN start-up catches the threshold up and announces it once', async () => {
    const world = await announcingServer('2');
    // Recorded straight in the store: the pledge flow's afterChange never ran for them.
    for (const n of [1, 2]) {
      const member = newMember(env, world);
      const result = await env.h.bot.ctx.pledges.submit({ guildId: world.guildId, userId: member.id, interactionId: `lost-${world.guildId}-${n}`, platform: 'web', note: '', evidence: null });
      expect(result.outcome).toBe('created');
    }
    expect(announcements(world)).toEqual([]);
    await restartOpsBot(env, guildIds());
    const posted = await env.sim.waitForMessage(world.channels.announcements, (m) => m.embeds[0]?.title === S.guildTitle('2'), 10_000);
    await until(async () => (await pendingIds()).length === 0, 'the outbox to drain');
    expect(announcements(world)).toEqual([posted]);

    // Another restart finds nothing new to say.
    await restartOpsBot(env, guildIds());
    await env.h.bot.ctx.milestones.dispatcher.idle();
    expect(await pendingIds()).toEqual([]);
    expect(announcements(world)).toEqual([posted]);
    expect(errorLogs(env)).toEqual([]);
  });
});

describe('thresholds changed after the count passed them', () => {
  it('GIVEN 3 pledges WHEN the admin adds threshold 2 (already passed) and the bot restarts THEN no stale "2 pledges" announcement is posted', async () => {
    const world = await announcingServer('10');
    for (let i = 0; i < 3; i++) await pledgeAndSettle(env, world, newMember(env, world));
    await configText(env, world, 'milestones', { thresholds: '2, 5' });
    // Without a restart, the next pledge crosses nothing: 2 was passed before it was on the list.
    await pledgeAndSettle(env, world, newMember(env, world));
    await env.h.bot.ctx.milestones.dispatcher.idle();
    expect(announcements(world)).toEqual([]);

    // A restart must say the same: start-up catch-up is for decisions lost in a crash, not for this.
    // It walks servers in the order they first had a pledge; a later server whose decision really
    // was lost shows when the walk has gone past this one.
    const sentinel = await announcingServer('1');
    const lost = await env.h.bot.ctx.pledges.submit({ guildId: sentinel.guildId, userId: newMember(env, sentinel).id, interactionId: `lost-${sentinel.guildId}`, platform: 'web', note: '', evidence: null });
    expect(lost.outcome).toBe('created');
    await restartOpsBot(env, guildIds());
    await env.sim.waitForMessage(sentinel.channels.announcements, (m) => m.embeds[0]?.title === S.guildTitle('1'), 10_000);
    await until(async () => (await pendingIds()).length === 0, 'the outbox to drain');
    expect(announcements(world).map((m) => m.embeds[0]?.title)).toEqual([]);

    // 5 is still ahead and is announced when reached.
    await pledgeAndSettle(env, world, newMember(env, world));
    await env.sim.waitForMessage(world.channels.announcements, (m) => m.embeds[0]?.title === S.guildTitle('5'), 10_000);
    expect(announcements(world)).toHaveLength(1);
    expect(errorLogs(env)).toEqual([]);
  });
});
