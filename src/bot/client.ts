// A client that caches only what the bot reads: guilds, channels and roles for permission checks, and itself.
import { Client, GatewayIntentBits, LimitedCollection, Options, REST, type CacheFactory, type CacheWithLimitsOptions, type ClientOptions } from 'discord.js';
import type { Config } from '../config.js';

/**
 * Discord does not count interaction endpoints against a bot's global rate limit, and webhook
 * requests made with the interaction token carry no bot token at all, but @discordjs/rest puts
 * every request except the initial callback through its client-side global limiter (50/s). Under
 * load the acknowledgements go out at once while the answers themselves (editReply, followUp)
 * queue at 50/s behind each other and behind channel posts: measured with bench/ at 200 deferred
 * interactions/s. Those token-authenticated webhook requests go through a second REST manager
 * without the global limit; per-route buckets, 429 retries and timeouts still apply there.
 */
export function exemptTokenWebhooksFromGlobalLimit(client: Client): void {
  const rest = client.rest;
  const unlimited = new REST({ ...rest.options, globalRequestsPerSecond: Number.POSITIVE_INFINITY });
  const queue = rest.queueRequest.bind(rest);
  rest.queueRequest = (request) => (request.auth === false && request.fullRoute.startsWith('/webhooks/') ? unlimited.queueRequest(request) : queue(request));
  const destroy = client.destroy.bind(client);
  client.destroy = () => {
    unlimited.clearHashSweeper();
    unlimited.clearHandlerSweeper();
    return destroy();
  };
}

/**
 * What the bot caches. Component interactions carry their message and the bot never reads channel
 * history, threads, emojis, bans, invites… (commands/ and events/ read only guilds, channels, roles
 * and their own member from the cache; src/bot/{reviewQueue,announcer,auditLog}.ts fetch the channels
 * they post to), so those caches are kept at 0. Its own member is what permission checks in a
 * channel need; nobody else's is kept.
 */
export const CACHE_LIMITS: CacheWithLimitsOptions = {
  ...Options.DefaultMakeCacheSettings,
  MessageManager: 0,
  ThreadMemberManager: 0,
  ReactionManager: 0,
  ReactionUserManager: 0,
  PresenceManager: 0,
  VoiceStateManager: 0,
  StageInstanceManager: 0,
  GuildEmojiManager: 0,
  GuildStickerManager: 0,
  GuildScheduledEventManager: 0,
  GuildBanManager: 0,
  GuildInviteManager: 0,
  GuildTextThreadManager: 0,
  GuildForumThreadManager: 0,
  AutoModerationRuleManager: 0,
  DMMessageManager: 0,
  GuildMessageManager: 0,
  ApplicationCommandManager: 0,
  BaseGuildEmojiManager: 0,
  EntitlementManager: 0,
  GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user.id },
  UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user.id },
};

/**
 * The one cache behind every manager limited to 0 with nothing kept over the limit. Such a cache
 * never holds an entry (LimitedCollection.set returns at once when maxSize is 0 and no
 * keepOverLimit applies), so one instance behaves exactly as one per manager would. discord.js
 * builds one per manager: a message and a thread cache for every text channel and a dozen per
 * server, 110,000 empty Maps of ~200 bytes each (~20 MiB of heap) for 1,000 servers of 50 channels
 * (bench `startup` case, heap snapshot 2026-11-27), all of them empty for the bot's whole life.
 */
export const NOTHING_CACHED = new LimitedCollection<never, never>({ maxSize: 0 });

function limitFor(manager: { name: string }): CacheWithLimitsOptions[keyof CacheWithLimitsOptions] {
  return CACHE_LIMITS[manager.name as keyof CacheWithLimitsOptions];
}

/** Options.cacheWithLimits(CACHE_LIMITS), with the never-filled caches shared (NOTHING_CACHED). */
export function makeBotCache(limits: CacheWithLimitsOptions = CACHE_LIMITS): CacheFactory {
  const limited = Options.cacheWithLimits(limits);
  return (managerType, holds, manager) => {
    // The same lookup as Options.cacheWithLimits: the manager's own name first, then the class it caches as.
    const setting = limitFor(manager) ?? limitFor(managerType);
    if (setting === 0) return NOTHING_CACHED as ReturnType<CacheFactory>;
    return limited(managerType, holds, manager);
  };
}

export function createClient(config: Config, overrides: Partial<ClientOptions> = {}): Client {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: { parse: [] },
    rest: { api: config.apiUrl },
    makeCache: makeBotCache(),
    ...overrides,
  });
  exemptTokenWebhooksFromGlobalLimit(client);
  return client;
}
