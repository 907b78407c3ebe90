/**
 * The simulated world: users, guilds, roles, channels, members, messages and commands, and how
 * each is rendered on the wire (Discord's JSON shapes, snowflakes as strings).
 */
import type { SimClock } from './clock.js';
import { toJson, type JsonObject, type JsonValue } from './json.js';
import {
  computePermissions,
  DM_PERMISSIONS,
  type OverwriteData,
} from './permissions.js';
import type { SnowflakeGenerator } from './snowflake.js';

export const ChannelTypes = {
  GuildText: 0,
  DM: 1,
  GuildVoice: 2,
  GuildCategory: 4,
  GuildAnnouncement: 5,
  AnnouncementThread: 10,
  PublicThread: 11,
  PrivateThread: 12,
  GuildStageVoice: 13,
  GuildForum: 15,
  GuildMedia: 16,
} as const;

/** Channels a message can be posted in directly. */
export const TEXT_CHANNEL_TYPES: ReadonlySet<number> = new Set([0, 1, 2, 5, 10, 11, 12, 13]);

export interface UserState {
  id: string;
  username: string;
  globalName: string | null;
  bot: boolean;
  locale: string;
  dmsOpen: boolean;
}

export interface RoleState {
  id: string;
  guildId: string;
  name: string;
  permissions: bigint;
  position: number;
  color: number;
  hoist: boolean;
  managed: boolean;
  mentionable: boolean;
  botId?: string;
}

export interface ChannelState {
  id: string;
  type: number;
  guildId?: string;
  name?: string;
  position: number;
  parentId?: string;
  topic?: string;
  nsfw: boolean;
  overwrites: OverwriteData[];
  /** For DMs: the other user (the bot is implied). */
  recipientId?: string;
  lastMessageId?: string;
}

export interface MemberState {
  guildId: string;
  userId: string;
  roles: string[];
  nick: string | null;
  joinedAt: string;
}

export interface GuildState {
  id: string;
  name: string;
  ownerId: string;
  preferredLocale: string;
  premiumTier: number;
  roles: Map<string, RoleState>;
  channels: string[];
  members: Map<string, MemberState>;
  botRoleId: string;
  joinedAt: string;
}

export interface AttachmentState {
  id: string;
  filename: string;
  size: number;
  contentType?: string;
  description?: string;
  title?: string;
  bytes: Buffer;
  url: string;
  proxyUrl: string;
  ephemeral: boolean;
  width?: number;
  height?: number;
}

export interface MessageState {
  id: string;
  channelId: string;
  guildId?: string;
  authorId: string;
  content: string;
  embeds: JsonObject[];
  components: JsonObject[];
  attachments: AttachmentState[];
  flags: number;
  tts: boolean;
  type: number;
  nonce?: string | number;
  /** `allowed_mentions` exactly as the sender gave it (undefined when absent). */
  allowedMentions?: JsonValue;
  createdAt: number;
  editedAt?: number;
  webhookId?: string;
  applicationId?: string;
  interactionId?: string;
  interactionMetadata?: JsonObject;
  deleted: boolean;
}

export interface CommandState {
  id: string;
  guildId?: string;
  version: string;
  /** The definition as registered, normalised the way Discord echoes it back. */
  data: JsonObject;
}

/** A user as rendered on the wire. */
export function userJson(user: UserState): JsonObject {
  return {
    id: user.id,
    username: user.username,
    global_name: user.globalName,
    discriminator: '0',
    avatar: null,
    avatar_decoration_data: null,
    banner: null,
    accent_color: null,
    public_flags: 0,
    flags: 0,
    primary_guild: null,
    collectibles: null,
    ...(user.bot ? { bot: true } : {}),
  };
}

export function roleJson(role: RoleState): JsonObject {
  return {
    id: role.id,
    name: role.name,
    description: null,
    permissions: role.permissions.toString(),
    position: role.position,
    color: role.color,
    colors: { primary_color: role.color, secondary_color: null, tertiary_color: null },
    hoist: role.hoist,
    managed: role.managed,
    mentionable: role.mentionable,
    icon: null,
    unicode_emoji: null,
    flags: 0,
    ...(role.botId ? { tags: { bot_id: role.botId } } : {}),
  };
}

export function overwriteJson(o: OverwriteData): JsonObject {
  return { id: o.id, type: o.type, allow: o.allow.toString(), deny: o.deny.toString() };
}

export class WorldState {
  readonly users = new Map<string, UserState>();
  readonly guilds = new Map<string, GuildState>();
  readonly channels = new Map<string, ChannelState>();
  readonly messages = new Map<string, MessageState>();
  /** Message ids per channel in posting order. */
  readonly channelMessageIds = new Map<string, string[]>();
  readonly globalCommands = new Map<string, CommandState>();
  readonly guildCommands = new Map<string, Map<string, CommandState>>();
  /** DM channel id per user id. */
  readonly dmChannels = new Map<string, string>();

  constructor(
    readonly ids: SnowflakeGenerator,
    readonly clock: SimClock,
    readonly botUserId: string,
  ) {}

  iso(ms: number = this.clock.now()): string {
    return new Date(ms).toISOString().replace('Z', '+00:00');
  }

  requireUser(id: string): UserState {
    const user = this.users.get(id);
    if (!user) throw new Error(`unknown user ${id}`);
    return user;
  }

  /** Permissions of a user in a channel (or guild-wide when no channel is given). */
  permissionsFor(userId: string, channel: ChannelState | undefined, guild?: GuildState): bigint {
    if (channel && !channel.guildId) return DM_PERMISSIONS;
    const g = guild ?? (channel?.guildId ? this.guilds.get(channel.guildId) : undefined);
    if (!g) return 0n;
    const member = g.members.get(userId);
    if (!member) return 0n;
    const rolePermissions = new Map<string, bigint>();
    for (const role of g.roles.values()) rolePermissions.set(role.id, role.permissions);
    return computePermissions({
      guildId: g.id,
      ownerId: g.ownerId,
      userId,
      memberRoleIds: member.roles,
      rolePermissions,
      ...(channel ? { overwrites: channel.overwrites } : {}),
      textChannel: channel ? channel.type !== ChannelTypes.GuildCategory : false,
    });
  }

  channelJson(channel: ChannelState, forGuildCreate = false): JsonObject {
    if (!channel.guildId) {
      const recipient = channel.recipientId ? this.users.get(channel.recipientId) : undefined;
      return {
        id: channel.id,
        type: channel.type,
        last_message_id: channel.lastMessageId ?? null,
        flags: 0,
        recipients: recipient ? [userJson(recipient)] : [],
      };
    }
    const json: JsonObject = {
      id: channel.id,
      type: channel.type,
      name: channel.name ?? null,
      position: channel.position,
      parent_id: channel.parentId ?? null,
      permission_overwrites: channel.overwrites.map(overwriteJson),
      nsfw: channel.nsfw,
      flags: 0,
    };
    if (!forGuildCreate) json.guild_id = channel.guildId;
    if (channel.type !== ChannelTypes.GuildCategory) {
      json.topic = channel.topic ?? null;
      json.last_message_id = channel.lastMessageId ?? null;
      json.rate_limit_per_user = 0;
    }
    if (channel.type === ChannelTypes.GuildVoice || channel.type === ChannelTypes.GuildStageVoice) {
      json.bitrate = 64000;
      json.user_limit = 0;
      json.rtc_region = null;
    }
    return json;
  }

  memberJson(member: MemberState, withUser = true): JsonObject {
    const json: JsonObject = {
      roles: [...member.roles],
      nick: member.nick,
      avatar: null,
      banner: null,
      joined_at: member.joinedAt,
      premium_since: null,
      deaf: false,
      mute: false,
      pending: false,
      flags: 0,
      communication_disabled_until: null,
      unusual_dm_activity_until: null,
    };
    if (withUser) json.user = userJson(this.requireUser(member.userId));
    return json;
  }

  guildJson(guild: GuildState): JsonObject {
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      icon_hash: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: guild.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [...guild.roles.values()].map(roleJson),
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      max_members: 500000,
      max_presences: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      vanity_url_code: null,
      premium_tier: guild.premiumTier,
      premium_subscription_count: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: guild.preferredLocale,
      nsfw_level: 0,
      incidents_data: null,
      region: 'deprecated',
    };
  }

  /** The GUILD_CREATE payload. Other members are only sent with the GUILD_MEMBERS intent. */
  guildCreateJson(guild: GuildState, includeAllMembers: boolean): JsonObject {
    const members = [...guild.members.values()].filter((m) => includeAllMembers || m.userId === this.botUserId);
    return {
      ...this.guildJson(guild),
      joined_at: guild.joinedAt,
      large: guild.members.size > 250,
      unavailable: false,
      member_count: guild.members.size,
      members: members.map((m) => this.memberJson(m)),
      channels: guild.channels
        .map((id) => this.channels.get(id))
        .filter((c): c is ChannelState => c !== undefined)
        .map((c) => this.channelJson(c, true)),
      threads: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      embedded_activities: [],
      activity_instances: [],
      lazy: true,
      hub_type: null,
      home_header: null,
      latest_onboarding_question_id: null,
      version: this.clock.now(),
    };
  }

  attachmentJson(a: AttachmentState): JsonObject {
    const json: JsonObject = {
      id: a.id,
      filename: a.filename,
      size: a.size,
      url: a.url,
      proxy_url: a.proxyUrl,
    };
    if (a.contentType) json.content_type = a.contentType;
    if (a.description !== undefined) json.description = a.description;
    if (a.title !== undefined) json.title = a.title;
    if (a.width !== undefined) json.width = a.width;
    if (a.height !== undefined) json.height = a.height;
    if (a.ephemeral) json.ephemeral = true;
    return json;
  }

  /** The message author's user object (a placeholder for an author the world does not know). */
  authorJson(message: MessageState): JsonObject {
    const author = this.users.get(message.authorId);
    return author ? userJson(author) : { id: message.authorId, username: 'unknown', discriminator: '0', avatar: null, global_name: null };
  }

  messageJson(message: MessageState): JsonObject {
    const json: JsonObject = {
      type: message.type,
      id: message.id,
      channel_id: message.channelId,
      author: this.authorJson(message),
      content: message.content,
      timestamp: this.iso(message.createdAt),
      edited_timestamp: message.editedAt === undefined ? null : this.iso(message.editedAt),
      tts: message.tts,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: message.attachments.map((a) => this.attachmentJson(a)),
      embeds: message.embeds, // frozen when stored (SimCore)
      pinned: false,
      flags: message.flags,
      components: message.components,
    };
    if (message.nonce !== undefined) json.nonce = message.nonce;
    if (message.webhookId) json.webhook_id = message.webhookId;
    if (message.applicationId) json.application_id = message.applicationId;
    if (message.interactionMetadata) {
      json.interaction_metadata = toJson(message.interactionMetadata);
      const meta = message.interactionMetadata;
      json.interaction = { id: meta.id ?? null, type: meta.type ?? null, name: meta.name ?? '', user: meta.user ?? null };
    }
    if (message.guildId) json.guild_id = message.guildId;
    return json;
  }

  addMessage(message: MessageState): void {
    this.messages.set(message.id, message);
    const list = this.channelMessageIds.get(message.channelId) ?? [];
    list.push(message.id);
    this.channelMessageIds.set(message.channelId, list);
    const channel = this.channels.get(message.channelId);
    if (channel && !(message.flags & 64)) channel.lastMessageId = message.id;
  }

  /** Drops messages from the world altogether (not a Discord delete: nothing is dispatched). */
  forgetMessages(ids: ReadonlySet<string>): void {
    const channels = new Set<string>();
    for (const id of ids) {
      const message = this.messages.get(id);
      if (!message) continue;
      channels.add(message.channelId);
      this.messages.delete(id);
    }
    for (const channelId of channels) {
      const list = this.channelMessageIds.get(channelId);
      if (list) this.channelMessageIds.set(channelId, list.filter((id) => !ids.has(id)));
    }
  }

  /** Live (not deleted) messages of a channel, oldest first. */
  channelMessageList(channelId: string, includeEphemeral: boolean): MessageState[] {
    return (this.channelMessageIds.get(channelId) ?? [])
      .map((id) => this.messages.get(id))
      .filter((m): m is MessageState => m !== undefined && !m.deleted && (includeEphemeral || !(m.flags & 64)));
  }
}
