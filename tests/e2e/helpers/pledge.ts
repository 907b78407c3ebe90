// Shared pieces of the /pledge end-to-end tests: the real bot on the simulator with a demo server
// whose review channel and moderator role are configured, members made per test, submissions,
// review cards, and the "nothing went wrong on the wire" checks every test ends with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { expect } from 'vitest';
import { FIXTURE_DIR, type FixtureName } from '../../fixtures/images/generate.js';
import { createDemoWorld, startSimulatedBot, type DemoWorld, type SimulatedBot } from '../../../src/sandbox/harness.js';
import type { CdnAsset, DiscordSimulator, InteractionHandle, OverwriteSpec, PermissionName, SimMessage, SimUser } from '../../../src/sim/index.js';
import type { PledgeRecord } from '../../../src/pledges/index.js';
import { StoreUnavailableError } from '../../../src/store/index.js';

export type PledgeBot = {
  h: SimulatedBot;
  /** The bot's JSON log lines (level info and up), parsed. */
  logs: LogLine[];
  sim: DiscordSimulator;
  world: DemoWorld;
  guildId: string;
  /** Stops the bot, the simulator and the temp store. */
  stop(): Promise<void>;
};

/** Resolves once `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The bot has seen the guild (GUILD_CREATE), so its caches (guild name for DMs, channels) are filled. */
export async function waitForGuild(h: SimulatedBot, guildId: string): Promise<void> {
  await until(() => h.bot.client.guilds.cache.has(guildId), `the bot to receive guild ${guildId}`);
}

/**
 * The real bot (started as `npm start` starts it) with the demo campaign server, its review channel
 * and moderator role configured as an organizer would with /config.
 */
export async function startPledgeBot(opts: { review?: boolean; autoVerify?: boolean } = {}): Promise<PledgeBot> {
  const logs: LogLine[] = [];
  const h = await startSimulatedBot({
    simOptions: { heartbeatIntervalMs: 300 },
    logLevel: 'info',
    logDestination: logSink(logs),
    ...(opts.autoVerify ? { ocrWorkers: 2 } : {}),
  });
  const world = createDemoWorld(h.sim);
  // createDemoWorld hides #pledge-review from everyone but Moderators, the bot included (50001 on
  // every card). An organizer lets the bot in, as here.
  h.sim.setChannelOverwrites(world.channels.review, reviewOverwrites(h.sim));
  await waitForGuild(h, world.guild.id);
  if (opts.review ?? true) {
    await h.bot.ctx.settings.update(world.guild.id, { reviewChannelId: world.channels.review, moderatorRoleId: world.roles.moderators });
  }
  // The pledge suites test submission, review and withdrawal as moderators handle them; the
  // automatic screenshot check (on by default in a real server) has its own suite,
  // pledge-verification.test.ts, which passes autoVerify: true.
  await h.bot.ctx.settings.update(world.guild.id, { autoVerify: opts.autoVerify ?? false });
  return { h, logs, sim: h.sim, world, guildId: world.guild.id, stop: () => h.stop() };
}

export type LogLine = { level: number; msg: string; [key: string]: unknown };

/** A pino destination that keeps parsed lines in memory (and prints them with DEBUG_E2E_LOGS=1). */
export function logSink(lines: LogLine[]): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        if (!part.trim()) continue;
        if (process.env.DEBUG_E2E_LOGS) process.stderr.write(`${part}\n`);
        try {
          lines.push(JSON.parse(part) as LogLine);
        } catch {
          lines.push({ level: 0, msg: part });
        }
      }
      done();
    },
  });
}

/** Log lines at error level (50) or worse: a handler that threw, a failed event. */
export function errorLogs(env: PledgeBot): LogLine[] {
  return env.logs.filter((l) => l.level >= 50);
}

/** #pledge-review as organizers set it up: only Moderators and the bot see it. */
export function reviewOverwrites(sim: DiscordSimulator, bot: { deny?: PermissionName[] } = {}): OverwriteSpec[] {
  return [
    { id: '@everyone', deny: ['ViewChannel'] },
    { id: 'Moderators', allow: ['ViewChannel'] },
    { id: sim.applicationId, type: 'member', allow: ['ViewChannel'], ...(bot.deny ? { deny: bot.deny } : {}) },
  ];
}

/**
 * Stops the bot as a deploy would (finishing in-flight work, closing the store) and starts a new
 * process's worth of bot on the same simulator and the same store, without redeploying commands.
 */
export async function restartBot(env: PledgeBot): Promise<void> {
  const old = env.h;
  await old.bot.stop(2_000);
  const storeUrl = old.env.STORE_URL;
  if (!storeUrl) throw new Error('the first bot has no STORE_URL');
  const next = await startSimulatedBot({ sim: env.sim, storeUrl, deploy: false, logLevel: 'info', logDestination: logSink(env.logs) });
  await waitForGuild(next, env.guildId);
  env.h = next;
  const stopFirst = env.stop;
  env.stop = async () => {
    await next.stop();
    await stopFirst();
  };
}

/** After every test: nothing the bot sent broke Discord's schema or limits, could ping, or hit an unknown route. */
export function expectCleanWire(sim: DiscordSimulator): void {
  expect(sim.violations, 'schema/limit violations').toEqual([]);
  expect(sim.mentionWarnings, 'messages that could ping').toEqual([]);
  expect(sim.unknownRoutes, 'unknown routes').toEqual([]);
}

let userCounter = 0;

/** A fresh member of the demo server, so tests do not share pledges. */
export function newMember(env: PledgeBot, opts: { locale?: string; moderator?: boolean; name?: string } = {}): SimUser {
  userCounter += 1;
  const user = env.sim.createUser({ username: `${opts.name ?? 'member'}${userCounter}`, globalName: `Member ${userCounter}`, locale: opts.locale ?? 'en-US' });
  env.sim.addMember(env.guildId, user.id, opts.moderator ? { roles: [env.world.roles.moderators] } : {});
  return user;
}

export type Upload = CdnAsset | { bytes: Buffer; filename: string; contentType?: string };

export function fixture(name: FixtureName): Buffer {
  return readFileSync(join(FIXTURE_DIR, name));
}

export function upload(bytes: Buffer, filename: string, contentType?: string): Upload {
  return contentType ? { bytes, filename, contentType } : { bytes, filename };
}

/**
 * A screenshot-sized image no other test uses: a random 9×8 grey grid blown up to 360×640, so its
 * dHash (computed on a 9×8 thumbnail) is random and far from every other test's image.
 */
export async function uniqueScreenshot(format: 'png' | 'jpeg' | 'webp' = 'png', seed = Math.floor(Math.random() * 2 ** 31)): Promise<Buffer> {
  const grid = Buffer.alloc(9 * 8);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < grid.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    grid[i] = 30 + (s % 200);
  }
  return sharp(grid, { raw: { width: 9, height: 8, channels: 1 } })
    .resize(360, 640, { kernel: 'nearest', fit: 'fill' })
    .toColourspace('srgb')
    .toFormat(format)
    .toBuffer();
}

export type SubmitOptions = { note?: string; platform?: 'web' | 'ios' | 'android' | 'other'; locale?: string; channelId?: string };

/** `/pledge submit screenshot:<file> [platform] [note]` as the member's Discord client sends it. */
export function submitPledge(env: PledgeBot, user: SimUser, file: Upload, opts: SubmitOptions = {}): InteractionHandle {
  return env.sim.slash({
    guildId: env.guildId,
    channelId: opts.channelId ?? env.world.channels.general,
    userId: user.id,
    name: 'pledge',
    subcommand: 'submit',
    options: {
      screenshot: file,
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(opts.note !== undefined ? { note: opts.note } : {}),
    },
    ...(opts.locale ? { locale: opts.locale } : {}),
  });
}

export function pledgeCommand(env: PledgeBot, user: SimUser, subcommand: 'status' | 'withdraw', locale?: string): InteractionHandle {
  return env.sim.slash({ guildId: env.guildId, channelId: env.world.channels.general, userId: user.id, name: 'pledge', subcommand, ...(locale ? { locale } : {}) });
}

/** The deferred answer's final text (after the bot's edit or first follow-up). */
export async function finalContent(handle: InteractionHandle, timeoutMs = 8_000): Promise<string> {
  const reply = await handle.waitForReply(() => true, timeoutMs);
  return reply.content;
}

/** Acknowledged as a deferred ephemeral reply within Discord's deadline. */
export async function expectDeferredEphemeral(handle: InteractionHandle): Promise<void> {
  const ack = await handle.acknowledged();
  expect(ack.type).toBe(5);
  expect(ack.latencyMs).toBeLessThan(3_000);
  expect((asNumber(handle.callback?.data, 'flags') ?? 0) & 64).toBe(64);
}

function asNumber(obj: unknown, key: string): number | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : undefined;
}

export async function record(env: PledgeBot, userId: string): Promise<PledgeRecord | null> {
  const found = await env.h.bot.ctx.pledges.get(env.guildId, userId);
  if (!found.ok) throw new Error(`pledge record of ${userId} unreadable`);
  return found.record;
}

export function cardTitle(n: number): string {
  return `Pledge #${n}`;
}

/** The live (not deleted) review card of pledge #n, waiting for it if needed. */
export function waitForCard(env: PledgeBot, n: number, predicate: (m: SimMessage) => boolean = () => true, timeoutMs = 10_000): Promise<SimMessage> {
  return env.sim.waitForMessage(env.world.channels.review, (m) => m.embeds[0]?.title === cardTitle(n) && predicate(m), timeoutMs);
}

/** Every card of pledge #n ever posted (deleted ones included, via sim.message). */
export function cardsOf(env: PledgeBot, n: number): SimMessage[] {
  return env.sim.channelMessages(env.world.channels.review).filter((m) => m.embeds[0]?.title === cardTitle(n));
}

export function customIds(message: SimMessage): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const o = node as Record<string, unknown>;
      if (typeof o.custom_id === 'string') out.push(o.custom_id);
      walk(o.components);
    }
  };
  walk(message.components);
  return out;
}

export function buttonId(message: SimMessage, action: 'approve' | 'reject' | 'withdraw' | 'keep'): string {
  const id = customIds(message).find((c) => c.startsWith(`pledge:${action}:`));
  if (!id) throw new Error(`no ${action} button on message ${message.id}: ${customIds(message).join(', ') || 'no components'}`);
  return id;
}

export function field(message: SimMessage, name: string): string | undefined {
  const fields = (message.embeds[0]?.fields ?? []) as Array<{ name: string; value: string }>;
  return fields.find((f) => f.name === name)?.value;
}

/** Messages the bot sent to the member's DMs. */
export function dms(env: PledgeBot, userId: string): SimMessage[] {
  const channel = env.sim.dmChannelId(userId);
  return channel ? env.sim.channelMessages(channel) : [];
}

/** The process and the bot still answer: /facts replies. */
export async function expectBotAlive(env: PledgeBot, user: SimUser): Promise<void> {
  const facts = env.sim.slash({ guildId: env.guildId, channelId: env.world.channels.general, userId: user.id, name: 'facts' });
  const reply = await facts.waitForReply();
  expect(reply.embeds.length + reply.content.length).toBeGreaterThan(0);
}

/** Submits and waits for the final answer; returns the handle, the text and the stored record. */
export async function pledge(env: PledgeBot, user: SimUser, file: Upload, opts: SubmitOptions = {}): Promise<{ handle: InteractionHandle; text: string; record: PledgeRecord }> {
  const handle = submitPledge(env, user, file, opts);
  const text = await finalContent(handle);
  const rec = await record(env, user.id);
  if (!rec) throw new Error(`no pledge stored for ${user.id}; the bot answered: ${text}`);
  return { handle, text, record: rec };
}

/**
 * Member text as shown by the bot can neither ping (every @everyone/@here and <@…>, <@&…>, <#…> is
 * broken), nor hide a link behind words (no unescaped `[text](url)`), nor reorder or hide text.
 */
export function expectNeutralized(text: string): void {
  expect(text, 'a live @everyone/@here').not.toMatch(/@(everyone|here)/i);
  expect(text, 'a live user/role/channel mention').not.toMatch(/<(@[!&]?|#)\d/);
  expect(text, 'an active masked link').not.toMatch(/(?<!\\)\[[^\]]*(?<!\\)\]\(/);
  expect(text, 'bidi controls').not.toMatch(/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/);
  expect(text, 'invisible characters other than the mention breaker').not.toMatch(/[\u00AD\u2060-\u2064\uFEFF\u3164]/);
}

export type StoreOp = { op: 'get' | 'getMany' | 'set' | 'setMany' | 'delete' | 'deleteMany'; keys: readonly string[] };

/**
 * Makes the running bot's store fail like an unreachable backend (StoreUnavailableError) for every
 * operation `when` picks, from now until the returned function is called. The store's own KV object
 * is patched, so every collection, the settings and the pledge service see the failure.
 */
/**
 * Store operations matching `when` fail as an unreachable backend would. With `landed`, the
 * operation runs first and only its answer is lost (a timeout after the commit): the caller is told
 * it failed although the store has it.
 */
export function failStore(env: PledgeBot, when: (op: StoreOp) => boolean, opts: { landed?: boolean } = {}): { restore(): void; failed: StoreOp[] } {
  const kv = env.h.bot.ctx.store.kv as unknown as Record<StoreOp['op'], (...args: unknown[]) => Promise<unknown>>;
  const failed: StoreOp[] = [];
  const originals = new Map<StoreOp['op'], (...args: unknown[]) => Promise<unknown>>();
  const keysOf = (op: StoreOp['op'], args: unknown[]): string[] => {
    const first = args[0];
    if (op === 'setMany') return (first as Array<{ key: string }>).map((e) => e.key);
    if (op === 'getMany' || op === 'deleteMany') return [...(first as string[])];
    return [String(first)];
  };
  for (const op of ['get', 'getMany', 'set', 'setMany', 'delete', 'deleteMany'] as const) {
    const original = kv[op];
    originals.set(op, original);
    kv[op] = async (...args: unknown[]) => {
      const call = { op, keys: keysOf(op, args) };
      if (when(call)) {
        failed.push(call);
        if (opts.landed) await original.apply(env.h.bot.ctx.store.kv, args);
        throw new StoreUnavailableError(`${op} ${call.keys[0] ?? ''}`, 'backend-error', new Error('injected by the test'));
      }
      return original.apply(env.h.bot.ctx.store.kv, args);
    };
  }
  return {
    failed,
    restore() {
      for (const [op, original] of originals) kv[op] = original;
    },
  };
}
