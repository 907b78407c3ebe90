import { once } from 'node:events';
import zlib from 'node:zlib';
import { ChannelType, Events, GatewayIntentBits, MessageFlags, PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GatewayIntents, type DiscordSimulator } from '../../src/sim/index.js';
import { basicWorld, startBot, startSim, until, type TestBot } from './helpers.js';

let sim: DiscordSimulator | undefined;
let bot: TestBot | undefined;

afterEach(async () => {
  await bot?.client.destroy();
  await sim?.stop();
  bot = undefined;
  sim = undefined;
});

/** A bare WebSocket client for what discord.js never does on purpose. */
async function rawSocket(url: string): Promise<{ ws: WebSocket; next: () => Promise<Record<string, unknown>>; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  const queue: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await once(ws, 'open');
  return {
    ws,
    closed,
    next: () => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

function identify(token: string, intents: number): string {
  return JSON.stringify({ op: 2, d: { token, intents, properties: { os: 'linux', browser: 'test', device: 'test' } } });
}

describe('login', () => {
  it('reaches ready with guilds, channels, roles and the bot member cached, and permissions computable', async () => {
    sim = await startSim();
    const guild = sim.createGuild({
      name: 'Campaign',
      preferredLocale: 'fr',
      roles: [{ name: 'mods', permissions: ['ManageMessages'] }],
      channels: [
        { name: 'general' },
        { name: 'announcements', permissionOverwrites: [{ id: '@everyone', deny: ['SendMessages'] }, { id: 'mods', allow: ['SendMessages'] }] },
        { name: 'secret', permissionOverwrites: [{ id: '@everyone', deny: ['ViewChannel'] }] },
      ],
    });
    bot = await startBot(sim);
    const { client } = bot;
    expect(client.user?.id).toBe(sim.applicationId);
    expect(client.application?.id).toBe(sim.applicationId);
    const cached = client.guilds.cache.get(guild.id);
    expect(cached?.name).toBe('Campaign');
    expect(cached?.preferredLocale).toBe('fr');
    expect(cached?.members.me?.id).toBe(sim.applicationId);
    expect(cached?.roles.cache.get(guild.roles.mods ?? '')?.permissions.has(PermissionFlagsBits.ManageMessages)).toBe(true);
    const me = cached?.members.me;
    const general = cached?.channels.cache.get(guild.channels.general ?? '');
    const announcements = cached?.channels.cache.get(guild.channels.announcements ?? '');
    const secret = cached?.channels.cache.get(guild.channels.secret ?? '');
    expect(general?.type).toBe(ChannelType.GuildText);
    expect(me && general?.permissionsFor(me)?.has(PermissionFlagsBits.SendMessages)).toBe(true);
    expect(me && announcements?.permissionsFor(me)?.has(PermissionFlagsBits.SendMessages)).toBe(false);
    expect(me && secret?.permissionsFor(me)?.has(PermissionFlagsBits.ViewChannel)).toBe(false);
    // The simulator's arithmetic agrees with discord.js's, except that Discord (and the simulator)
    // also apply the implicit denials: without SendMessages, no embeds, files, TTS or @everyone.
    expect(sim.permissionsFor(guild.channels.general ?? '')).toBe(me && general?.permissionsFor(me)?.bitfield);
    const implicit = PermissionFlagsBits.EmbedLinks | PermissionFlagsBits.AttachFiles | PermissionFlagsBits.SendTTSMessages | PermissionFlagsBits.MentionEveryone;
    const clientView = (me && announcements?.permissionsFor(me)?.bitfield) ?? 0n;
    expect(sim.permissionsFor(guild.channels.announcements ?? '')).toBe(clientView & ~implicit);
    expect(sim.gateway.identifyCount).toBe(1);
    expect(sim.gateway.connectionLog[0]?.query).toEqual({ v: '10', encoding: 'json' });
  });

  it('announces guilds created after READY, and role and channel changes, to the cache', async () => {
    sim = await startSim();
    const first = basicWorld(sim);
    bot = await startBot(sim);
    const created = once(bot.client, Events.GuildCreate);
    const second = sim.createGuild({ name: 'Later' });
    await created;
    expect(bot.client.guilds.cache.has(second.id)).toBe(true);

    sim.setBotPermissions(first.guildId, ['ViewChannel']);
    sim.setRolePermissions(first.guildId, first.guildId, 0n);
    await until(() => bot?.client.guilds.cache.get(first.guildId)?.members.me?.permissions.has(PermissionFlagsBits.SendMessages) === false, 5000, 'role update');
    const channelId = sim.createChannel(first.guildId, { name: 'new', type: 0 });
    await until(() => bot?.client.channels.cache.has(channelId) === true, 5000, 'channel create');
  });

  it('rejects a bad token (4004), disallowed intents (4014) and anything but encoding=json', async () => {
    sim = await startSim();
    const bad = await rawSocket(`${sim.gateway.url}?v=10&encoding=json`);
    expect((await bad.next()).op).toBe(10);
    bad.ws.send(identify('not-the-token', 1));
    expect(await bad.closed).toBe(4004);

    const privileged = await rawSocket(`${sim.gateway.url}?v=10&encoding=json`);
    await privileged.next();
    privileged.ws.send(identify(sim.token, GatewayIntents.Guilds | GatewayIntents.GuildMembers));
    expect(await privileged.closed).toBe(4014);

    const etf = await rawSocket(`${sim.gateway.url}?v=10&encoding=etf`);
    expect(await etf.closed).toBe(4002);
  });

  it('accepts privileged intents once enabled and then sends every member', async () => {
    sim = await startSim({ privilegedIntents: ['GuildMembers'] });
    const world = basicWorld(sim);
    bot = await startBot(sim, { intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers] });
    const guild = bot.client.guilds.cache.get(world.guildId);
    expect(guild?.members.cache.has(world.userId)).toBe(true);
    const late = sim.createUser({ username: 'late' });
    const added = once(bot.client, Events.GuildMemberAdd);
    sim.addMember(world.guildId, late.id);
    await added;
    const all = await guild?.members.fetch();
    expect(all?.size).toBe(4);
  });

  it('without GUILD_MEMBERS only the bot itself is in the member cache', async () => {
    sim = await startSim();
    const world = basicWorld(sim);
    bot = await startBot(sim);
    const guild = bot.client.guilds.cache.get(world.guildId);
    expect([...(guild?.members.cache.keys() ?? [])]).toEqual([sim.applicationId]);
    expect(guild?.memberCount).toBe(3);
    expect((await guild?.members.fetch(world.userId))?.user.username).toBe('alice');
  });

  it('answers heartbeats and can speak zlib-stream', async () => {
    sim = await startSim();
    const ws = new WebSocket(`${sim.gateway.url}?v=10&encoding=json&compress=zlib-stream`);
    const inflate = zlib.createInflate();
    const messages: Record<string, unknown>[] = [];
    let pending = Buffer.alloc(0);
    inflate.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      try {
        messages.push(JSON.parse(pending.toString('utf8')) as Record<string, unknown>);
        pending = Buffer.alloc(0);
      } catch {
        // an incomplete message; more bytes follow
      }
    });
    ws.on('message', (data: Buffer) => inflate.write(data));
    await once(ws, 'open');
    await until(() => messages.length === 1, 5000, 'HELLO');
    expect(messages[0]).toMatchObject({ op: 10, d: { heartbeat_interval: 400 } });
    ws.send(JSON.stringify({ op: 1, d: null }));
    await until(() => messages.length === 2, 5000, 'ACK');
    expect(messages[1]).toMatchObject({ op: 11 });
    ws.close();
  });
});

describe('two processes on one token', () => {
  it('both sessions receive the interaction; the slower callback gets 40060', async () => {
    const s = await startSim();
    sim = s;
    const world = basicWorld(s);
    s.seedCommands([{ name: 'ping', description: 'Ping' }], world.guildId);
    bot = await startBot(s);
    const second = await startBot(s);
    try {
      for (const b of [bot, second]) {
        b.handlers.set('ping', async (i) => {
          await (i as ChatInputCommandInteraction).reply({ content: 'pong' });
        });
      }
      const handle = s.slash({ ...world, name: 'ping' });
      expect(handle.deliveries).toBe(2);
      await handle.waitForReply();
      await until(() => [...bot!.errors, ...second.errors].length === 1, 5000, 'the losing reply');
      expect(handle.errors.map((e) => e.code)).toEqual([40060]);
    } finally {
      await second.client.destroy();
    }
  });
});

describe('resilience', () => {
  async function setup(): Promise<{ s: DiscordSimulator; world: ReturnType<typeof basicWorld>; replies: Map<string, number> }> {
    const s = await startSim({ ackDeadlineMs: 5000 });
    sim = s;
    const world = basicWorld(s);
    s.seedCommands([{ name: 'ping', description: 'Ping' }], world.guildId);
    bot = await startBot(s);
    const replies = new Map<string, number>();
    bot.handlers.set('ping', async (i) => {
      replies.set(i.id, (replies.get(i.id) ?? 0) + 1);
      await (i as ChatInputCommandInteraction).reply({ content: 'pong', flags: MessageFlags.Ephemeral });
    });
    return { s, world, replies };
  }

  it('a dropped socket during a burst of interactions is resumed and every interaction delivered once', async () => {
    const { s, world, replies } = await setup();
    const handles = [];
    for (let n = 0; n < 10; n += 1) {
      handles.push(s.slash({ ...world, name: 'ping' }));
      if (n === 3) s.gateway.drop();
    }
    const acks = await Promise.all(handles.map((h) => h.acknowledged()));
    expect(acks.every((a) => a.type === 4)).toBe(true);
    expect(handles.every((h) => replies.get(h.id) === 1)).toBe(true);
    expect(s.gateway.resumeCount).toBe(1);
    expect(s.gateway.identifyCount).toBe(1);
    expect(s.gateway.connectionLog.at(-1)?.path).toBe('/gateway-resume');
    expect(s.gateway.connectionLog[0]?.closeCode).toBe(1006);
  });

  it('a close frame with 4000 and an op 7 reconnect are resumed too', async () => {
    const { s, world } = await setup();
    s.gateway.drop({ code: 4000 });
    const a = s.slash({ ...world, name: 'ping' });
    await a.acknowledged();
    s.gateway.requestReconnect();
    const b = s.slash({ ...world, name: 'ping' });
    await b.acknowledged();
    expect(s.gateway.resumeCount).toBe(2);
    expect(s.gateway.identifyCount).toBe(1);
  });

  it('a resumable invalid session resumes on the same socket', async () => {
    const { s, world } = await setup();
    s.gateway.invalidateSession(true);
    const handle = s.slash({ ...world, name: 'ping' });
    await handle.acknowledged();
    expect(s.gateway.resumeCount).toBe(1);
    expect(s.gateway.connectionLog).toHaveLength(1);
  });

  it('a session its client ends (close 1000) or Discord invalidates keeps nothing to replay and gets no further events', async () => {
    const { s, world } = await setup();
    await s.slash({ ...world, name: 'ping' }).acknowledged();
    const [live] = s.gateway.allSessions;
    expect(live?.buffered).toBeGreaterThan(0);
    await bot?.client.destroy();
    bot = undefined;
    await until(() => s.gateway.allSessions[0]?.invalidated === true, 5000, 'the session ends');
    expect(s.gateway.allSessions[0]?.buffered).toBe(0);
    expect(s.slash({ ...world, name: 'ping' }).deliveries).toBe(0);
    expect(s.gateway.allSessions[0]?.buffered).toBe(0);

    bot = await startBot(s);
    bot.handlers.set('ping', (i) => (i as ChatInputCommandInteraction).reply({ content: 'pong', flags: MessageFlags.Ephemeral }).then(() => undefined));
    await s.slash({ ...world, name: 'ping' }).acknowledged();
    const second = s.gateway.activeSessions[0];
    expect(second?.buffered).toBeGreaterThan(0);
    s.gateway.invalidateSession(false);
    expect(s.gateway.allSessions.find((x) => x.id === second?.id)).toMatchObject({ invalidated: true, buffered: 0 });
  });

  it('a non-resumable invalid session makes the client identify again; events in between are lost', async () => {
    const { s, world } = await setup();
    s.gateway.invalidateSession(false);
    const lost = s.slash({ ...world, name: 'ping' });
    expect(lost.deliveries).toBe(0);
    // discord.js's identify throttle spaces IDENTIFYs 5 s apart, so the new session takes a while.
    await s.gateway.waitFor((e) => e.t === 'READY' && e.connection === 2, 10_000);
    expect(s.gateway.identifyCount).toBe(2);
    const handle = s.slash({ ...world, name: 'ping' });
    expect((await handle.acknowledged()).type).toBe(4);
    expect(lost.acknowledgement).toBeUndefined();
  });
});
