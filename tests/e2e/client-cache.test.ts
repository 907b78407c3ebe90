// What the real bot's discord.js client keeps in memory (src/bot/client.ts): the caches its commands
// read (servers, channels, roles, its own member) are filled from the gateway; the caches limited to
// 0 are one shared, always-empty collection, and sharing it lets nothing leak between channels.
import { ChannelType, Options, type Client, type Guild, type TextChannel } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_LIMITS, NOTHING_CACHED, makeBotCache } from '../../src/bot/client.js';
import { createDemoWorld, startSimulatedBot, type SimulatedBot } from '../../src/sandbox/harness.js';
import { DiscordSimulator } from '../../src/sim/index.js';

let h: SimulatedBot;
let world: ReturnType<typeof createDemoWorld>;
let client: Client;
let guild: Guild;

function textChannel(id: string): TextChannel {
  const channel = client.channels.cache.get(id);
  if (channel?.type !== ChannelType.GuildText) throw new Error(`channel ${id} is not a cached text channel`);
  return channel;
}

beforeAll(async () => {
  const sim = await DiscordSimulator.start({ heartbeatIntervalMs: 500 });
  world = createDemoWorld(sim);
  h = await startSimulatedBot({ sim });
  client = h.bot.client;
  const g = client.guilds.cache.get(world.guild.id);
  if (!g) throw new Error('the demo server is not cached');
  guild = g;
});
afterAll(async () => {
  await h?.stop();
  await h?.sim.stop();
});

describe('the bot client caches', () => {
  it('GIVEN the bot is ready THEN its server, channels, roles and own member are cached, and no other member', () => {
    for (const id of Object.values(world.channels)) expect(textChannel(id).guildId).toBe(guild.id);
    expect(guild.roles.cache.has(world.roles.moderators)).toBe(true);
    expect(guild.roles.cache.has(world.roles.organizers)).toBe(true);
    expect(guild.members.me?.id).toBe(client.user?.id);
    expect(guild.members.cache.has(world.users.member.id)).toBe(false);
    // Permission checks in a channel work from these caches alone.
    expect(guild.members.me && textChannel(world.channels.review).permissionsFor(guild.members.me)?.has('ViewChannel')).toBe(true);
  });

  it('GIVEN caches limited to 0 THEN every one of them is the same empty collection', () => {
    const general = textChannel(world.channels.general);
    const review = textChannel(world.channels.review);
    expect(general.messages.cache).toBe(NOTHING_CACHED);
    expect(review.messages.cache).toBe(NOTHING_CACHED);
    expect(general.threads.cache).toBe(NOTHING_CACHED);
    expect(guild.emojis.cache).toBe(NOTHING_CACHED);
    expect(guild.bans.cache).toBe(NOTHING_CACHED);
    expect(NOTHING_CACHED.size).toBe(0);
    // Caches that hold something stay one per manager.
    expect(general.permissionOverwrites.cache).not.toBe(review.permissionOverwrites.cache);
  });

  it('GIVEN a message added to one channel THEN it is built but neither that channel nor any other keeps it', () => {
    const general = textChannel(world.channels.general);
    const review = textChannel(world.channels.review);
    const raw = {
      id: '1300000000000000001',
      channel_id: general.id,
      guild_id: guild.id,
      type: 0,
      content: 'hello',
      author: { id: world.users.member.id, username: 'member', discriminator: '0', avatar: null, global_name: null },
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
    };
    const message = Reflect.apply(Reflect.get(general.messages, '_add'), general.messages, [raw]) as { id: string; content: string };
    expect(message).toMatchObject({ id: raw.id, content: 'hello' });
    expect(general.messages.cache.get(raw.id)).toBeUndefined();
    expect(review.messages.cache.get(raw.id)).toBeUndefined();
    expect(NOTHING_CACHED.size).toBe(0);
  });

  it('GIVEN the factory THEN it follows the same limits as Options.cacheWithLimits, sharing only the empty caches', () => {
    const make = makeBotCache();
    const plain = Options.cacheWithLimits(CACHE_LIMITS);
    const general = textChannel(world.channels.general);
    const managers = [general.messages, general.threads, guild.members, guild.roles, guild.channels, general.permissionOverwrites, guild.emojis];
    for (const manager of managers) {
      const ctor = manager.constructor as { name: string };
      const args = [ctor, null, ctor] as unknown as Parameters<typeof make>;
      const shared = make(...args);
      const reference = plain(...args);
      expect(shared.constructor.name, ctor.name).toBe(reference.constructor.name);
      expect(Reflect.get(shared, 'maxSize'), ctor.name).toBe(Reflect.get(reference, 'maxSize'));
      if (shared === NOTHING_CACHED) expect(Reflect.get(reference, 'maxSize'), ctor.name).toBe(0);
      else expect(make(...args), `${ctor.name}: one cache per manager`).not.toBe(shared);
    }
  });
});
