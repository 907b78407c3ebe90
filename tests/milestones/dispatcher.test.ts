import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MilestoneDispatcher,
  MilestoneOutbox,
  buildAnnouncement,
  classifyPostError,
  type DispatchOutbox,
  type OutboxEntry,
} from '../../src/milestones/index.js';
import { silentLogger, StoreUnavailableError } from '../../src/store/index.js';
import { tempSqliteUrl, uniqueNamespace } from '../store/cases.js';
import { announceIn, FakeDiscord, GA, GB, httpError, listOf, manualClock, manualTimers, setup } from './helpers.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function world(opts: { url?: string; namespace?: string; guilds?: string[] } = {}) {
  const { store, settings } = await setup(opts.url, opts.namespace);
  const clock = manualClock();
  const outbox = new MilestoneOutbox({ store, settings, campaignGuilds: () => listOf(opts.guilds ?? []), clock: clock.now, log: silentLogger });
  return { store, settings, outbox, clock };
}

async function crossTen(outbox: MilestoneOutbox, guildId = GA): Promise<OutboxEntry> {
  const r = await outbox.decide({ scope: { kind: 'guild', guildId }, before: 9, count: 10, thresholds: [10, 25], campaignCount: 42 });
  const [entry] = r.entries;
  if (!entry) throw new Error('expected an entry');
  return entry;
}

/** Runs passes, moving the clock past each backoff, until nothing is pending (bounded). */
async function drain(d: MilestoneDispatcher, outbox: MilestoneOutbox, clock: ReturnType<typeof manualClock>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const report = await d.runOnce();
    if (report.nextDueAt === null) return;
    clock.advance(Math.max(0, report.nextDueAt.getTime() - clock.now().getTime()));
  }
  throw new Error(`still pending: ${JSON.stringify(await outbox.pending())}`);
}

describe('milestone dispatcher', () => {
  it('GIVEN a post that fails with 429 then 500 then succeeds THEN exactly one message is posted and the entry is delivered', async () => {
    const { settings, outbox, clock } = await world();
    await announceIn(settings, GA);
    const entry = await crossTen(outbox);
    const discord = new FakeDiscord([httpError(429, 'You are being rate limited', { retryAfter: 7000 }), httpError(500, 'Internal Server Error')]);
    const d = new MilestoneDispatcher({ outbox, post: discord.post, clock: clock.now, log: silentLogger, setTimer: manualTimers().setTimer });

    const first = await d.runOnce();
    expect(first).toMatchObject({ delivered: 0, retrying: 1 });
    // Retry-After (7 s) wins over the first backoff step (1 s).
    expect(first.nextDueAt?.getTime()).toBe(clock.now().getTime() + 7000);
    // Not due yet: nothing happens.
    expect(await d.runOnce()).toMatchObject({ delivered: 0, retrying: 0 });
    await drain(d, outbox, clock);

    expect(discord.calls).toBe(3);
    expect(discord.messages).toHaveLength(1);
    expect(await outbox.outcome(entry.id)).toMatchObject({ status: 'delivered', messageId: discord.messages[0]?.id, attempts: 3 });
  });

  it('GIVEN Discord accepted the message but the answer was lost THEN the retry reuses the nonce and no second message appears', async () => {
    const { settings, outbox, clock } = await world();
    await announceIn(settings, GA);
    await crossTen(outbox);
    const discord = new FakeDiscord(['accept-then-fail']);
    const d = new MilestoneDispatcher({ outbox, post: discord.post, clock: clock.now, log: silentLogger, setTimer: manualTimers().setTimer });
    await drain(d, outbox, clock);
    expect(discord.calls).toBe(2);
    expect(discord.messages).toHaveLength(1);
  });

  it('GIVEN a crash between decide and post WHEN a new dispatcher starts on the same store THEN the entry is posted once', async () => {
    const url = tempSqliteUrl();
    const namespace = uniqueNamespace('crash');
    const before = await world({ url, namespace });
    await announceIn(before.settings, GA);
    await crossTen(before.outbox);
    await before.store.close(); // the process "dies" here

    const after = await world({ url, namespace });
    const discord = new FakeDiscord();
    const d = new MilestoneDispatcher({ outbox: after.outbox, post: discord.post, clock: after.clock.now, log: silentLogger });
    d.start();
    d.start(); // a second start coalesces
    await d.idle();
    await d.stop();
    expect(discord.messages).toHaveLength(1);
    expect(await after.outbox.pending()).toEqual([]);

    // A third process finds nothing to do.
    const third = await world({ url, namespace });
    const again = new FakeDiscord();
    const d3 = new MilestoneDispatcher({ outbox: third.outbox, post: again.post, log: silentLogger });
    d3.start();
    await d3.idle();
    expect(again.calls).toBe(0);
  });

  it('GIVEN a crash after Discord accepted but before markDelivered WHEN restarted THEN the retry carries attempts > 0 and the same nonce, so one message exists', async () => {
    const url = tempSqliteUrl();
    const namespace = uniqueNamespace('crash2');
    const before = await world({ url, namespace });
    await announceIn(before.settings, GA);
    await crossTen(before.outbox);
    const discord = new FakeDiscord();
    // The first process posts, then dies before its bookkeeping (markDelivered throws, store gone).
    const dying: DispatchOutbox = {
      pending: () => before.outbox.pending(),
      beginAttempt: (e) => before.outbox.beginAttempt(e),
      markDelivered: async () => {
        throw new StoreUnavailableError('set', 'closed');
      },
      markFailed: (e, f, at) => before.outbox.markFailed(e, f, at),
    };
    const d1 = new MilestoneDispatcher({ outbox: dying, post: discord.post, clock: before.clock.now, log: silentLogger, setTimer: manualTimers().setTimer });
    d1.start();
    await d1.idle();
    await d1.stop();
    await before.store.close();

    const after = await world({ url, namespace });
    const seen: OutboxEntry[] = [];
    const d2 = new MilestoneDispatcher({
      outbox: after.outbox,
      post: async (e) => {
        seen.push(e);
        return discord.post(e);
      },
      log: silentLogger,
    });
    d2.start();
    await d2.idle();
    expect(seen[0]?.attempts).toBe(2);
    expect(seen[0]?.lastAttemptAt).not.toBeNull();
    expect(discord.calls).toBe(2);
    expect(discord.messages).toHaveLength(1);
    expect(await after.outbox.pending()).toEqual([]);
  });

  it('GIVEN a 403 Missing Permissions THEN it is not retried and is recorded failed-permanent with the reason', async () => {
    const { settings, outbox, clock } = await world();
    await announceIn(settings, GA);
    const entry = await crossTen(outbox);
    const discord = new FakeDiscord([httpError(403, 'Missing Permissions', { code: 50013 })]);
    const d = new MilestoneDispatcher({ outbox, post: discord.post, clock: clock.now, log: silentLogger, setTimer: manualTimers().setTimer });
    expect(await d.runOnce()).toMatchObject({ failedPermanent: 1, nextDueAt: null });
    expect(discord.calls).toBe(1);
    expect(await outbox.outcome(entry.id)).toMatchObject({ status: 'failed-permanent', reason: 'HTTP 403 · code 50013 · Missing Permissions' });
  });

  it('GIVEN one server failing for good and another fine THEN the other is still delivered', async () => {
    const { settings, outbox, clock } = await world({ guilds: [GA, GB] });
    await announceIn(settings, GA);
    await announceIn(settings, GB);
    await outbox.decide({ scope: { kind: 'campaign' }, before: 99, count: 100, thresholds: [100], campaignCount: 100 });
    const posted: string[] = [];
    const d = new MilestoneDispatcher({
      outbox,
      post: async (e) => {
        if (e.guildId === GA) throw httpError(404, 'Unknown Channel', { code: 10003 });
        posted.push(e.guildId);
        return { messageId: '1' };
      },
      clock: clock.now,
      log: silentLogger,
      setTimer: manualTimers().setTimer,
    });
    expect(await d.runOnce()).toMatchObject({ delivered: 1, failedPermanent: 1 });
    expect(posted).toEqual([GB]);
  });

  it('GIVEN kick() after a decision THEN it delivers, schedules retries with growing backoff, and stop() cancels them', async () => {
    const { settings, outbox, clock } = await world();
    await announceIn(settings, GA);
    await crossTen(outbox);
    const timers = manualTimers();
    const d = new MilestoneDispatcher({
      outbox,
      post: async () => {
        throw new Error('network down');
      },
      clock: clock.now,
      log: silentLogger,
      setTimer: timers.setTimer,
    });
    d.kick();
    await d.idle();
    expect(timers.pending()).toEqual([1000]);
    clock.advance(1000);
    timers.fireAll();
    await d.idle();
    expect(timers.pending()).toEqual([2000]);
    clock.advance(2000);
    timers.fireAll();
    await d.idle();
    expect(timers.pending()).toEqual([4000]);
    await d.stop();
    expect(timers.pending()).toEqual([]);
    d.kick(); // ignored once stopped
    await d.idle();
    expect(timers.pending()).toEqual([]);
  });

  it('GIVEN a store that is down THEN kick() logs, backs off and never rejects', async () => {
    const timers = manualTimers();
    const errors: string[] = [];
    const broken: DispatchOutbox = {
      pending: async () => {
        throw new StoreUnavailableError('get', 'timeout');
      },
      beginAttempt: async (e) => e,
      markDelivered: async () => undefined,
      markFailed: async () => 'retry',
    };
    const d = new MilestoneDispatcher({
      outbox: broken,
      post: async () => ({ messageId: '1' }),
      log: { ...silentLogger, error: (_o, msg) => void errors.push(msg ?? '') },
      setTimer: timers.setTimer,
    });
    d.start();
    await d.idle();
    timers.fireAll();
    await d.idle();
    expect(errors).toHaveLength(2);
    expect(timers.pending()).toEqual([2000]);
    await d.stop();
  });

  it('GIVEN a post that throws synchronously, hangs, or returns no id THEN each is a retryable failure, not a crash', async () => {
    const { settings, outbox, clock } = await world();
    await announceIn(settings, GA);
    await crossTen(outbox);
    const behaviours: Array<() => Promise<{ messageId: string }>> = [
      () => {
        throw new TypeError('bug in post');
      },
      () => new Promise(() => undefined),
      async () => ({ messageId: '' }),
      async () => ({ messageId: '777' }),
    ];
    let i = 0;
    const d = new MilestoneDispatcher({
      outbox,
      post: () => (behaviours[i++] ?? behaviours[3] ?? (async () => ({ messageId: '777' })))(),
      clock: clock.now,
      log: silentLogger,
      setTimer: manualTimers().setTimer,
      postTimeoutMs: 50,
    });
    await drain(d, outbox, clock);
    expect(i).toBe(4);
    const delivered = await outbox.outcome(`g${GA}:10:${GA}`);
    expect(delivered).toMatchObject({ status: 'delivered', messageId: '777', attempts: 4 });
  });

  it('GIVEN the default timer WHEN a retry is due THEN it happens by itself', async () => {
    const { settings, outbox } = await world();
    await announceIn(settings, GA);
    await crossTen(outbox);
    const discord = new FakeDiscord([httpError(502, 'Bad Gateway')]);
    const d = new MilestoneDispatcher({ outbox, post: discord.post, log: silentLogger, baseDelayMs: 20 });
    d.start();
    for (let t = 0; t < 100 && discord.messages.length === 0; t++) await new Promise((r) => setTimeout(r, 10));
    await d.stop();
    expect(discord.messages).toHaveLength(1);
    expect(await outbox.pending()).toEqual([]);
  });
});

describe('milestone dispatcher: kicks', () => {
  it('GIVEN a kick that arrives while a pass is finishing THEN it is not lost', async () => {
    const base: OutboxEntry = {
      id: 'g1:10:1',
      nonce: 'ms1',
      scope: { kind: 'guild', guildId: '1' },
      threshold: 10,
      count: 10,
      next: null,
      guildId: '1',
      channelId: '2',
      locale: 'en',
      campaignCount: 10,
      decidedAt: '2026-02-15T12:00:00.000Z',
      attempts: 0,
      lastAttemptAt: null,
      nextAttemptAt: '2099-01-01T00:00:00.000Z',
      lastError: null,
    };
    const entries: OutboxEntry[] = [base];
    const fake: DispatchOutbox = {
      pending: async () => [...entries],
      beginAttempt: async (e) => ({ ...e, attempts: e.attempts + 1 }),
      markDelivered: async (e) => void entries.splice(entries.findIndex((x) => x.id === e.id), 1),
      markFailed: async () => 'retry',
    };
    const posted: string[] = [];
    let d: MilestoneDispatcher | null = null;
    let injected = false;
    d = new MilestoneDispatcher({
      outbox: fake,
      post: async (e) => {
        posted.push(e.id);
        return { messageId: '1' };
      },
      log: silentLogger,
      // Called after the pass's last check: exactly the window where a new decision's kick lands.
      setTimer: () => {
        if (!injected) {
          injected = true;
          entries.push({ ...base, id: 'g1:25:1', threshold: 25, nextAttemptAt: null });
          d?.kick();
        }
        return { cancel: () => undefined };
      },
    });
    d.kick();
    await d.idle();
    expect(posted).toEqual(['g1:25:1']);
    await d.stop();
  });
});

describe('classifyPostError', () => {
  it('GIVEN HTTP statuses THEN 429/408/5xx/network retry and other 4xx are permanent', () => {
    expect(classifyPostError(httpError(429, 'rate', { retryAfter: 1500 }))).toMatchObject({ permanent: false, retryAfterMs: 1500 });
    expect(classifyPostError(Object.assign(new Error('rate'), { status: 429, retry_after: 2 }))).toMatchObject({ retryAfterMs: 2000 });
    expect(classifyPostError(httpError(408, 'timeout')).permanent).toBe(false);
    expect(classifyPostError(httpError(503, 'unavailable')).permanent).toBe(false);
    expect(classifyPostError(new Error('ECONNRESET')).permanent).toBe(false);
    expect(classifyPostError('weird').permanent).toBe(false);
    expect(classifyPostError(httpError(403, 'Missing Access', { code: 50001 }))).toEqual({ reason: 'HTTP 403 · code 50001 · Missing Access', permanent: true });
    expect(classifyPostError(httpError(400, 'Invalid Form Body')).permanent).toBe(true);
    expect(classifyPostError(Object.assign(new Error('channel gone'), { permanent: true })).permanent).toBe(true);
  });
});

describe('buildAnnouncement', () => {
  it('GIVEN an entry THEN the reply refers to the attached image by name and the image is a PNG', async () => {
    const { settings, outbox } = await world();
    await announceIn(settings, GA, { publicLocale: 'fr' });
    const entry = await crossTen(outbox);
    const { reply, files } = await buildAnnouncement(entry);
    expect(files.map((f) => f.name)).toEqual(['milestone-10.png']);
    expect(reply.embeds[0]?.image?.url).toBe('attachment://milestone-10.png');
    expect(reply.embeds[0]?.title).toContain('10 engagements');
    expect(files[0]?.data.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });
});
