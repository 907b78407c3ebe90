// Shared pieces of the organizer-facing end-to-end tests (/config, milestone announcements,
// /milestones, /stats): the real bot on the simulator, a fresh demo server per test (so thresholds,
// announced sets and counts never leak between tests), an admin with Manage Server, /config and
// /pledge as members send them, and a restart on the same store.
import sharp from 'sharp';
import { expect } from 'vitest';
import { createDemoWorld, startSimulatedBot, type DemoWorld, type SimulatedBot } from '../../../src/sandbox/harness.js';
import type { DiscordSimulator, InteractionHandle, JsonObject, SimMessage, SimUser } from '../../../src/sim/index.js';

import { logSink, type LogLine } from './pledge.js';

export type { LogLine };

/** Resolves once `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}


/** A 360×640 PNG no other pledge uses (random grey grid), so no duplicate warning interferes. */
export async function uniqueScreenshot(): Promise<Buffer> {
  const grid = Buffer.alloc(9 * 8);
  for (let i = 0; i < grid.length; i++) grid[i] = 30 + Math.floor(Math.random() * 200);
  return sharp(grid, { raw: { width: 9, height: 8, channels: 1 } }).resize(360, 640, { kernel: 'nearest', fit: 'fill' }).toColourspace('srgb').png().toBuffer();
}

export type OpsBot = {
  h: SimulatedBot;
  sim: DiscordSimulator;
  logs: LogLine[];
  storeUrl: string;
  stop(): Promise<void>;
};

export type OpsWorld = DemoWorld & {
  guildId: string;
  name: string;
  /** A member whose role has Manage Server (and nothing else beyond @everyone). */
  admin: SimUser;
};

/** The real bot (as `npm start` runs it) on a fresh simulator and temp SQLite store, logs kept in memory. */
export async function startOpsBot(): Promise<OpsBot> {
  const logs: LogLine[] = [];
  const h = await startSimulatedBot({ simOptions: { heartbeatIntervalMs: 300 }, logLevel: 'info', logDestination: logSink(logs) });
  const storeUrl = h.env.STORE_URL;
  if (!storeUrl) throw new Error('the bot has no STORE_URL');
  return { h, sim: h.sim, logs, storeUrl, stop: () => h.stop() };
}

/**
 * Stops the bot as a deploy would and starts another process's worth of bot on the same simulator
 * and store, without redeploying commands.
 */
export async function restartOpsBot(env: OpsBot, guildIds: readonly string[]): Promise<void> {
  await env.h.bot.stop(2_000);
  await startAgain(env, guildIds);
}

/**
 * Starts a new bot on the same simulator and store; the current one must already be stopped. Stopping
 * env afterwards stops every bot started so far, then the simulator and the temp store.
 */
export async function startAgain(env: OpsBot, guildIds: readonly string[]): Promise<void> {
  const next = await startSimulatedBot({ sim: env.sim, storeUrl: env.storeUrl, deploy: false, logLevel: 'info', logDestination: logSink(env.logs) });
  const stopEarlier = env.stop;
  env.h = next;
  env.stop = async () => {
    await next.stop();
    await stopEarlier();
  };
  for (const g of guildIds) await until(() => next.bot.client.guilds.cache.has(g), `the new bot to receive guild ${g}`);
}

let worlds = 0;
let users = 0;

/**
 * A demo campaign server the bot has received, where the organizers let the bot into #pledge-review
 * and #bot-log (createDemoWorld hides both from @everyone, the bot included), plus an admin member.
 */
export async function newWorld(env: OpsBot, opts: { name?: string; preferredLocale?: string; botInLog?: boolean } = {}): Promise<OpsWorld> {
  worlds += 1;
  const name = opts.name ?? `Campaign ${worlds}`;
  const world = createDemoWorld(env.sim, { name, ...(opts.preferredLocale ? { preferredLocale: opts.preferredLocale } : {}) });
  env.sim.setChannelOverwrites(world.channels.review, [
    { id: '@everyone', deny: ['ViewChannel'] },
    { id: 'Moderators', allow: ['ViewChannel'] },
    { id: env.sim.applicationId, type: 'member', allow: ['ViewChannel'] },
  ]);
  // Set either way, whatever createDemoWorld's default: botInLog false hides #bot-log from the bot.
  env.sim.setChannelOverwrites(world.channels.log, [
    { id: '@everyone', deny: ['ViewChannel'] },
    ...(opts.botInLog ?? true ? [{ id: env.sim.applicationId, type: 'member' as const, allow: ['ViewChannel' as const] }] : []),
  ]);
  users += 1;
  const admin = env.sim.createUser({ username: `admin${users}`, globalName: `Admin ${users}`, locale: 'en-US' });
  env.sim.addMember(world.guild.id, admin.id, { permissions: ['ManageGuild'] });
  await until(() => env.h.bot.client.guilds.cache.has(world.guild.id), `the bot to receive guild ${world.guild.id}`);
  return { ...world, guildId: world.guild.id, name, admin };
}

/** A fresh plain member of the server. */
export function newMember(env: OpsBot, world: OpsWorld, opts: { locale?: string; roles?: string[] } = {}): SimUser {
  users += 1;
  const user = env.sim.createUser({ username: `member${users}`, globalName: `Member ${users}`, locale: opts.locale ?? 'en-US' });
  env.sim.addMember(world.guildId, user.id, opts.roles ? { roles: opts.roles } : {});
  return user;
}

export type ConfigSub = 'show' | 'channel' | 'role' | 'milestones' | 'language' | 'screenshots' | 'auto-verify' | 'campaign-milestones';

/** `/config <sub> …` as the user's Discord client sends it (throws SimUsageError where Discord would not offer it). */
export function config(
  env: OpsBot,
  world: OpsWorld,
  sub: ConfigSub,
  options: Record<string, string | boolean> = {},
  opts: { userId?: string; locale?: string } = {},
): InteractionHandle {
  return env.sim.slash({
    guildId: world.guildId,
    channelId: world.channels.general,
    userId: opts.userId ?? world.admin.id,
    name: 'config',
    subcommand: sub,
    options,
    ...(opts.locale ? { locale: opts.locale } : {}),
  });
}

/** Runs `/config …` and returns the ephemeral text the admin sees. */
export async function configText(
  env: OpsBot,
  world: OpsWorld,
  sub: ConfigSub,
  options: Record<string, string | boolean> = {},
  opts: { userId?: string; locale?: string } = {},
): Promise<string> {
  const handle = config(env, world, sub, options, opts);
  const reply = await handle.waitForReply();
  expect(handle.ephemeral, `/config ${sub} answers privately`).toBe(true);
  return reply.content;
}

/** `/pledge submit` with a screenshot nobody else used; resolves with the member's final answer. */
export function submit(env: OpsBot, world: OpsWorld, user: SimUser): Promise<InteractionHandle> {
  return uniqueScreenshot().then((png) =>
    env.sim.slash({
      guildId: world.guildId,
      channelId: world.channels.general,
      userId: user.id,
      name: 'pledge',
      subcommand: 'submit',
      options: { screenshot: { bytes: png, filename: 'cancelled.png', contentType: 'image/png' } },
    }),
  );
}

/**
 * Submits and waits until the bot has finished with the pledge: answered the member, decided the
 * milestones and posted the review card (the router logs the interaction as handled after that).
 */
export async function pledgeAndSettle(env: OpsBot, world: OpsWorld, user: SimUser): Promise<number> {
  const handle = await submit(env, world, user);
  const reply = await handle.waitForReply(() => true, 10_000);
  const n = Number(/#(\d+)/.exec(reply.content)?.[1] ?? NaN);
  expect(n, `a pledge number in "${reply.content}"`).toBeGreaterThan(0);
  await handled(env, handle);
  return n;
}

/** Messages the bot posted in a channel (oldest first). */
export function botMessages(env: OpsBot, channelId: string): SimMessage[] {
  return env.sim.channelMessages(channelId).filter((m) => m.author.id === env.sim.applicationId);
}

/** Completed `POST /channels/:id/messages` requests to a channel. */
export function postsTo(env: OpsBot, channelId: string): Array<(typeof env.sim.requests)[number]> {
  return env.sim.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${channelId}/messages`);
}

export function bodyOf(request: { body?: unknown }): JsonObject {
  return (request.body ?? {}) as JsonObject;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Buffer | undefined): boolean {
  return !!bytes && bytes.subarray(0, 8).equals(PNG_SIGNATURE);
}

/** Log lines at error level or worse. */
export function errorLogs(env: OpsBot): LogLine[] {
  return env.logs.filter((l) => l.level >= 50);
}

/** After every test: nothing broke Discord's schema or limits, could ping, or hit an unknown route. */
export function expectCleanWire(sim: DiscordSimulator): void {
  expect(sim.violations, 'schema/limit violations').toEqual([]);
  expect(sim.mentionWarnings, 'messages that could ping').toEqual([]);
  expect(sim.unknownRoutes, 'unknown routes').toEqual([]);
}

/** Resolves once the bot's router logged the interaction as handled (the handler has returned). */
export async function handled(env: OpsBot, handle: InteractionHandle, timeoutMs = 10_000): Promise<void> {
  await until(() => env.logs.some((l) => l.msg === 'interaction handled' && l.interactionId === handle.id), `interaction ${handle.id} to be handled`, timeoutMs);
}
