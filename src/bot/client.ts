// A client that caches only what the bot reads: guilds, channels and roles for permission checks, and itself.
import { Client, GatewayIntentBits, Options, type ClientOptions } from 'discord.js';
import type { Config } from '../config.js';

export function createClient(config: Config, overrides: Partial<ClientOptions> = {}): Client {
  return new Client({
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
}
