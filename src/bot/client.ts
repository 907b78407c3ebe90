// A client that caches only what the bot reads: guilds, channels and roles for permission checks, and itself.
import { Client, GatewayIntentBits, Options, REST, type ClientOptions } from 'discord.js';
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

export function createClient(config: Config, overrides: Partial<ClientOptions> = {}): Client {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: { parse: [] },
    rest: { api: config.apiUrl },
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      // Component interactions carry their message; the bot never reads channel history.
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
      // Its own member is what permission checks in a channel need; nobody else's is kept.
      GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user.id },
      UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user.id },
    }),
    ...overrides,
  });
  exemptTokenWebhooksFromGlobalLimit(client);
  return client;
}
