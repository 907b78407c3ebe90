// The bot keeps answering when Discord's connection, rate limits or its own handlers misbehave.
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, startSimulatedBot, type DemoWorld, type SimulatedBot } from '../../src/sandbox/harness.js';
import { en } from '../../src/i18n/en.js';

let h: SimulatedBot;
let w: DemoWorld;
const logLines: Record<string, unknown>[] = [];
const rawLog: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      rawLog.push(line);
      logLines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  },
});

beforeAll(async () => {
  h = await startSimulatedBot({ logLevel: 'info', logDestination: logSink });
  w = createDemoWorld(h.sim);
});
afterAll(async () => h?.stop());
afterEach(() => {
  expect(h.sim.violations).toEqual([]);
  expect(h.sim.unknownRoutes).toEqual([]);
});

function facts(topic?: string) {
  return h.sim.slash({
    guildId: w.guild.id,
    channelId: w.channels.general,
    userId: w.users.member.id,
    name: 'facts',
    options: topic ? { topic } : {},
  });
}

describe('gateway', () => {
  it('GIVEN the connection drops during a burst of interactions THEN the bot resumes and answers every one', async () => {
    const resumesBefore = h.sim.gateway.resumeCount;
    const handles = [];
    for (let n = 0; n < 20; n++) {
      if (n === 8) h.sim.gateway.drop();
      handles.push(facts(n % 2 ? 'donations' : undefined));
    }
    const acks = await Promise.all(handles.map((i) => i.acknowledged()));
    expect(acks.every((a) => a.type === 4)).toBe(true);
    expect(h.sim.gateway.resumeCount).toBeGreaterThan(resumesBefore);
    // Each interaction was answered once: a replay must not make the bot answer twice.
    expect(handles.every((i) => i.errors.length === 0)).toBe(true);
  });

  it('GIVEN Discord asks the bot to reconnect THEN it resumes and keeps answering', async () => {
    h.sim.gateway.requestReconnect();
    const i = facts('galloway');
    expect((await i.acknowledged()).type).toBe(4);
  });

  it('GIVEN a session invalidated for good THEN the bot identifies again and answers new interactions', async () => {
    const identifies = h.sim.gateway.identifyCount;
    h.sim.gateway.invalidateSession(false);
    await h.sim.gateway.waitFor(() => h.sim.gateway.identifyCount > identifies, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const i = facts();
    expect((await i.acknowledged()).type).toBe(4);
  }, 30_000);
});

describe('rate limits and errors from Discord', () => {
  it('GIVEN a 429 on the deferred answer’s edit THEN discord.js waits it out and the member gets the answer', async () => {
    const png = await readFile('tests/fixtures/images/valid-screenshot.png');
    h.sim.faults.add({ method: 'PATCH', route: /\/webhooks\/\d+\/[^/]+\/messages\/@original$/, status: 429, retryAfter: 0.3, count: 1 });
    const i = h.sim.slash({
      guildId: w.guild.id,
      channelId: w.channels.general,
      userId: w.users.organizer.id,
      name: 'pledge',
      subcommand: 'submit',
      options: { screenshot: { bytes: png, filename: 'cancel.png', contentType: 'image/png' } },
    });
    expect((await i.acknowledged()).type).toBe(5);
    const reply = await i.waitForReply((m) => m.content.length > 0, 10_000);
    expect(reply.content).toMatch(/pledge #\d+/);
    const limited = h.sim.requests.filter((r) => r.method === 'PATCH' && r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
  });

  it('GIVEN a 500 on the answer THEN discord.js retries it and the member still gets the answer', async () => {
    h.sim.faults.add({ method: 'POST', route: /\/interactions\/\d+\/[^/]+\/callback$/, status: 500, count: 1 });
    const i = facts();
    expect((await i.acknowledged()).type).toBe(4);
    expect(h.sim.requests.filter((r) => r.path.includes(i.id) && r.status === 500)).toHaveLength(1);
  });
});

describe('handler errors', () => {
  it('GIVEN a handler that throws THEN the member gets "something went wrong (ref …)" privately and the bot goes on', async () => {
    // A damaged stored record makes /pledge status fail inside its handler.
    await h.bot.ctx.store.kv.set(`pledge:${w.guild.id}:${w.users.francophone.id}`, { not: 'a pledge' });
    const broken = h.sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.francophone.id, name: 'pledge', subcommand: 'status', locale: 'en-US' });
    const reply = await broken.waitForReply();
    expect(reply.flags & 64).toBe(64);
    expect(reply.content).toMatch(/^Something went wrong on our side \(ref `[0-9a-f]{8}`\)/);
    const ref = /`([0-9a-f]{8})`/.exec(reply.content)?.[1] ?? '';
    expect(reply.content).toBe(en.errors.generic(ref));
    // The log has the same ref with the stack, so a moderator's report leads straight to the cause.
    await expect.poll(() => logLines.find((l) => l.ref === ref && l.level === 50)).toBeDefined();
    const line = logLines.find((l) => l.ref === ref && l.level === 50)!;
    expect((line.err as { stack?: string }).stack).toContain('pledge record unreadable');
    expect(line.command).toBe('pledge');
    const after = facts();
    expect((await after.acknowledged()).type).toBe(4);
  });
});

describe('logs', () => {
  it('GIVEN interactions THEN one JSON line each with command, guild, outcome and latency, and never the token', async () => {
    const i = facts('donations');
    await i.acknowledged();
    await expect.poll(() => logLines.find((l) => l.interactionId === i.id && l.msg === 'interaction handled')).toBeDefined();
    const line = logLines.find((l) => l.interactionId === i.id && l.msg === 'interaction handled')!;
    expect(line).toMatchObject({ command: 'facts', guild: w.guild.id, outcome: 'ok' });
    expect(typeof line.latencyMs).toBe('number');
    expect(rawLog.some((l) => l.includes(h.sim.token))).toBe(false);
  });

  it('GIVEN autocomplete (one interaction per keystroke) THEN it is answered but not logged at info, while the command after it is', async () => {
    const typed = h.sim.interactions.startAutocomplete({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts', options: { topic: 'don' }, focused: 'topic' });
    expect((await typed.acknowledged()).type).toBe(8);
    expect(typed.choices?.map((c) => c.value)).toContain('donations');
    // Lines are written in order, so once the later command's line is there, the autocomplete's would be too.
    const after = facts('donations');
    await after.acknowledged();
    await expect.poll(() => logLines.some((l) => l.interactionId === after.id && l.msg === 'interaction handled')).toBe(true);
    expect(logLines.filter((l) => l.interactionId === typed.id)).toEqual([]);
  });
});
