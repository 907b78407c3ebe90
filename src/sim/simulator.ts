/**
 * DiscordSimulator: a local stand-in for Discord (REST, gateway and attachment CDN) that the
 * unmodified bot talks to in end-to-end tests. See docs/simulator.md.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimCdn } from './cdn.js';
import type { SimClock } from './clock.js';
import { SimCore, type SimConfig } from './core.js';
import { SimUsageError } from './errors.js';
import type { Fault, FaultSpec } from './faults.js';
import { GatewayIntents, SimGateway } from './gateway.js';
import {
  InteractionFactory,
  type AutocompleteInput,
  type ButtonInput,
  type InteractionHandle,
  type ModalSubmitInput,
  type SelectInput,
  type SlashInput,
} from './interactions.js';
import { asArray, asRecord, asString, toJsonObject, type JsonObject } from './json.js';
import {
  DEFAULT_BOT_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  resolvePermissions,
  type OverwriteData,
  type PermissionInput,
} from './permissions.js';
import { RestServer } from './rest.js';
import { loadSpec } from './spec.js';
import { ChannelTypes, roleJson, userJson, type ChannelState, type GuildState, type MessageState, type RoleState, type UserState } from './state.js';
import type { MentionWarning, RecordedRequest, SimMessage, UnknownRoute, Violation } from './types.js';
import { BodyValidator, StrictSchemas } from './validation.js';

export type PrivilegedIntentName = 'GuildMembers' | 'GuildPresences' | 'MessageContent';

export interface SimulatorOptions {
  /** Port for REST, gateway and CDN (default 0: an ephemeral port on 127.0.0.1). */
  port?: number;
  token?: string;
  applicationId?: string;
  botUsername?: string;
  /** HELLO's heartbeat_interval (Discord: 41250). Use a few hundred ms in tests. */
  heartbeatIntervalMs?: number;
  /** Time allowed between dispatch and the interaction callback (Discord: 3000). */
  ackDeadlineMs?: number;
  /** Lifetime of the interaction token for webhook routes (Discord: 15 min). */
  tokenLifetimeMs?: number;
  /** How long `enforce_nonce` deduplicates (default 5 min). */
  nonceWindowMs?: number;
  /** Privileged intents switched on in the (simulated) developer portal. Default: none. */
  privilegedIntents?: readonly PrivilegedIntentName[];
  /** `reject` (default) answers violations with 400 like Discord; `record` only records them. */
  validation?: 'reject' | 'record';
  /** Receives one line per notable event (unknown routes, gateway sessions, internal errors). */
  log?: (line: string) => void;
}

export interface OverwriteSpec {
  /** A role id, a role name from this guild, `@everyone`, or a user id. */
  id: string;
  /** Inferred from `id` when omitted. */
  type?: 'role' | 'member';
  allow?: PermissionInput;
  deny?: PermissionInput;
}

export interface ChannelSpec {
  name: string;
  /** Channel type (0 text, 2 voice, 4 category, 5 announcement, 15 forum...). Default 0. */
  type?: number;
  topic?: string;
  nsfw?: boolean;
  /** Name or id of a category channel. */
  parent?: string;
  permissionOverwrites?: OverwriteSpec[];
}

export interface RoleSpec {
  name: string;
  permissions?: PermissionInput;
  color?: number;
  hoist?: boolean;
  mentionable?: boolean;
}

export interface GuildSpec {
  name: string;
  preferredLocale?: string;
  /** Boost tier; raises the attachment size limit (2: 50 MiB, 3: 100 MiB). */
  premiumTier?: 0 | 1 | 2 | 3;
  /** Owner user id; a user is created when omitted. */
  ownerId?: string;
  everyonePermissions?: PermissionInput;
  /** Permissions of the bot's managed role (default: view, send, embed, attach, history, reactions...). */
  botPermissions?: PermissionInput;
  roles?: RoleSpec[];
  /** Default: one text channel named `general`. */
  channels?: ChannelSpec[];
}

export interface CreatedGuild {
  id: string;
  everyoneRoleId: string;
  botRoleId: string;
  ownerId: string;
  /** Channel ids by name. */
  channels: Record<string, string>;
  /** Role ids by name. */
  roles: Record<string, string>;
}

export interface UserSpec {
  username: string;
  globalName?: string;
  /** Client locale sent as `interaction.locale` (default en-US). */
  locale?: string;
  /** Whether the bot may DM this user (default true). */
  dmsOpen?: boolean;
  bot?: boolean;
}

export interface SimUser {
  id: string;
  username: string;
  globalName: string | null;
  locale: string;
  dmsOpen: boolean;
  bot: boolean;
}

export interface MemberSpec {
  roles?: string[];
  /** Convenience: creates a role with these permissions and gives it to the member. */
  permissions?: PermissionInput;
  nick?: string;
}

/** Creates interactions; also reachable as `sim.slash(...)` and friends. */
export interface SimInteractions {
  slash(input: SlashInput): InteractionHandle;
  /** Resolves to the choices the bot answered with (type 8); rejects if it answered otherwise or not in time. */
  autocomplete(input: AutocompleteInput): Promise<JsonObject[]>;
  /** Like `autocomplete` but returns the handle. */
  startAutocomplete(input: AutocompleteInput): InteractionHandle;
  pressButton(input: ButtonInput): InteractionHandle;
  selectMenu(input: SelectInput): InteractionHandle;
  submitModal(input: ModalSubmitInput): InteractionHandle;
  /** Every interaction created so far, oldest first. */
  readonly all: InteractionHandle[];
  get(id: string): InteractionHandle | undefined;
}

function defaultToken(applicationId: string): string {
  return `${Buffer.from(applicationId).toString('base64url')}.${randomBytes(4).toString('base64url')}.${randomBytes(27).toString('base64url')}`;
}

export class DiscordSimulator {
  /** Base for discord.js's `rest.api` option, e.g. `http://127.0.0.1:PORT/api`. */
  readonly restUrl: string;
  /** Base the bot downloads attachments from, e.g. `http://127.0.0.1:PORT/cdn`. */
  readonly cdnUrl: string;
  readonly token: string;
  readonly applicationId: string;
  readonly gateway: SimGateway;
  readonly cdn: SimCdn;
  readonly clock: SimClock;
  readonly interactions: SimInteractions;

  private readonly core: SimCore;
  private readonly rest: RestServer;
  private readonly factory: InteractionFactory;
  private readonly server: Server;
  private stopped = false;
  private readonly unsubscribeClock: () => void;

  private constructor(core: SimCore, rest: RestServer, factory: InteractionFactory, server: Server, port: number) {
    this.core = core;
    this.rest = rest;
    this.factory = factory;
    this.server = server;
    this.token = core.config.token;
    this.applicationId = core.config.applicationId;
    this.gateway = core.gateway;
    this.cdn = core.cdn;
    this.clock = core.clock;
    this.restUrl = `http://127.0.0.1:${port}/api`;
    this.cdnUrl = `http://127.0.0.1:${port}/cdn`;
    this.unsubscribeClock = core.clock.onAdvance(() => {
      for (const handle of core.interactions.values()) handle.expireIfDue();
    });
    const sim = this;
    this.interactions = {
      slash: (input) => factory.slash(input),
      autocomplete: (input) => sim.autocomplete(input),
      startAutocomplete: (input) => factory.autocomplete(input),
      pressButton: (input) => factory.pressButton(input),
      selectMenu: (input) => factory.selectMenu(input),
      submitModal: (input) => factory.submitModal(input),
      get all() {
        return [...core.interactions.values()];
      },
      get: (id) => core.interactions.get(id),
    };
  }

  static async start(options: SimulatorOptions = {}): Promise<DiscordSimulator> {
    const spec = await loadSpec();
    const applicationId = options.applicationId ?? `1${String(Date.now()).slice(-9)}${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const privileged = (options.privilegedIntents ?? []).reduce((all, name) => all | GatewayIntents[name], 0);
    const config: SimConfig = {
      token: options.token ?? defaultToken(applicationId),
      applicationId,
      botUsername: options.botUsername ?? 'Simulated Bot',
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      ackDeadlineMs: options.ackDeadlineMs ?? 3000,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 15 * 60 * 1000,
      nonceWindowMs: options.nonceWindowMs ?? 5 * 60 * 1000,
      privilegedIntents: privileged,
      validation: options.validation ?? 'reject',
      log: options.log ?? (() => undefined),
    };
    const core = new SimCore(config);
    core.validator = new BodyValidator(new StrictSchemas(spec));
    const factory = new InteractionFactory(core);
    const rest = new RestServer(core, factory, spec.pathsList);
    core.gateway = new SimGateway({
      token: config.token,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      privilegedIntents: config.privilegedIntents,
      clock: core.clock,
      log: config.log,
      readyPayload: (session, resumeUrl, guildIds) => ({
        v: 10,
        user: { ...userJson(core.botUser), verified: true, mfa_enabled: false, email: null, flags: 0 },
        guilds: guildIds.map((id) => ({ id, unavailable: true })),
        session_id: session.id,
        resume_gateway_url: resumeUrl,
        shard: session.shard,
        application: { id: config.applicationId, flags: core.privilegedIntentFlags() },
        private_channels: [],
        presences: [],
        relationships: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: ['local'],
        user_settings: {},
        session_type: 'normal',
        auth: {},
        _trace: ['["gateway-sim",{"micros":0}]'],
      }),
      guildIds: () => [...core.world.guilds.values()].filter((g) => g.members.has(core.botUser.id)).map((g) => g.id),
      guildCreate: (guildId, intents) => {
        const guild = core.world.guilds.get(guildId);
        return guild ? core.world.guildCreateJson(guild, (intents & GatewayIntents.GuildMembers) !== 0) : undefined;
      },
      requestGuildMembers: (request, intents) => {
        const guild = core.world.guilds.get(asString(request.guild_id) ?? '');
        if (!guild) return [];
        const ids = asArray(request.user_ids).map(String);
        const query = asString(request.query)?.toLowerCase();
        const limit = Number(request.limit ?? 0) || Number.POSITIVE_INFINITY;
        let members = [...guild.members.values()];
        if (ids.length) members = members.filter((m) => ids.includes(m.userId));
        else if (query !== undefined && query !== '') members = members.filter((m) => (core.world.users.get(m.userId)?.username ?? '').toLowerCase().startsWith(query));
        else if (!(intents & GatewayIntents.GuildMembers)) members = [];
        members = members.slice(0, limit);
        const chunk: JsonObject = { guild_id: guild.id, members: members.map((m) => core.world.memberJson(m)), chunk_index: 0, chunk_count: 1 };
        const notFound = ids.filter((id) => !guild.members.has(id));
        if (notFound.length) chunk.not_found = notFound;
        if (request.nonce !== undefined) chunk.nonce = String(request.nonce);
        return [chunk];
      },
    });

    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/cdn' || url.pathname.startsWith('/cdn/')) {
        core.cdn.handle(req, res, url.pathname.slice('/cdn'.length));
        return;
      }
      void rest.handle(req, res, url);
    });
    server.on('upgrade', (req, socket, head: Buffer) => core.gateway.handleUpgrade(req, socket, head));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    core.cdn.setBaseUrl(`http://127.0.0.1:${port}/cdn`);
    core.gateway.setBaseUrl(`ws://127.0.0.1:${port}`);
    config.log(`simulator listening on 127.0.0.1:${port}`);
    return new DiscordSimulator(core, rest, factory, server, port);
  }

  // --- records --------------------------------------------------------------------------------

  /** The bot's user object. */
  get botUser(): JsonObject {
    return userJson(this.core.botUser);
  }

  /** Every REST request, oldest first (CDN requests are in `sim.cdn.requests`). */
  get requests(): readonly RecordedRequest[] {
    return this.core.requests;
  }

  /** Bodies that broke Discord's schema or documented limits. A healthy bot leaves this empty. */
  get violations(): readonly Violation[] {
    return this.core.violations;
  }

  /** Messages whose content would ping (@everyone, @here, <@id>) because allowed_mentions permits it. */
  get mentionWarnings(): readonly MentionWarning[] {
    return this.core.mentionWarnings;
  }

  /** Requests to paths the simulator does not serve (404) or with the wrong method (405). */
  get unknownRoutes(): readonly UnknownRoute[] {
    return this.core.unknownRoutes;
  }

  get faults(): { add(spec: FaultSpec): Fault; remove(fault: Fault): void; clear(): void; readonly list: readonly Fault[] } {
    return this.rest.faults;
  }

  /** Route templates the simulator implements. */
  get implementedRoutes(): { method: string; template: string }[] {
    return this.rest.implementedRoutes;
  }

  /**
   * Moves every settled interaction past its 15 minutes, as Discord does: its token stops working and
   * its ephemeral messages, which only that token could reach, are gone; answers posted for everyone
   * stay in their channels. Interactions still waiting for their acknowledgement are kept. Returns how
   * many were forgotten. For long runs (bench/): a simulator that keeps every handle and answer grows
   * by kilobytes per interaction, and its garbage collector then competes with the bot for the CPU.
   */
  expireInteractions(): number {
    const core = this.core;
    const ephemeral = new Set<string>();
    let forgotten = 0;
    for (const handle of core.interactions.values()) {
      if (!handle.acknowledgement && !handle.expired) continue;
      for (const id of [handle.originalId, ...handle.followUpIds]) {
        const message = id === undefined ? undefined : core.world.messages.get(id);
        if (message && message.flags & 64) ephemeral.add(message.id);
      }
      core.interactions.delete(handle.id);
      core.interactionsByToken.delete(handle.token);
      core.expiredTokens.add(handle.token);
      forgotten++;
    }
    core.world.forgetMessages(ephemeral);
    return forgotten;
  }

  /** Forgets recorded requests, violations, warnings and unknown routes (state is kept). */
  clearRecords(): void {
    this.core.requests.length = 0;
    this.core.violations.length = 0;
    this.core.mentionWarnings.length = 0;
    this.core.unknownRoutes.length = 0;
    this.core.cdn.requests.length = 0;
  }

  /** Resolves with the first completed request (already recorded or future) the predicate accepts. */
  waitForRequest(predicate: (request: RecordedRequest) => boolean, timeoutMs = 5000): Promise<RecordedRequest> {
    const done = this.core.requests.find((r) => r.status !== undefined && predicate(r));
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const unsubscribe = this.core.onRequestDone((request) => {
        if (!predicate(request)) return;
        unsubscribe();
        this.core.clearTimer(timer);
        resolve(request);
      });
      const timer = this.core.setTimer(timeoutMs, () => {
        unsubscribe();
        reject(new Error(`waitForRequest timed out after ${timeoutMs} ms`));
      });
    });
  }

  /** Resolves with the first message in the channel (existing or future) the predicate accepts. */
  waitForMessage(channelId: string, predicate: (message: SimMessage) => boolean = () => true, timeoutMs = 5000): Promise<SimMessage> {
    const existing = this.channelMessages(channelId, { includeEphemeral: true }).find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const unsubscribe = this.core.onMessageChange((message) => {
        if (message.channelId !== channelId || message.deleted) return;
        const snap = this.core.snapshot(message);
        if (!predicate(snap)) return;
        unsubscribe();
        this.core.clearTimer(timer);
        resolve(snap);
      });
      const timer = this.core.setTimer(timeoutMs, () => {
        unsubscribe();
        reject(new Error(`waitForMessage timed out after ${timeoutMs} ms in channel ${channelId}`));
      });
    });
  }

  // --- world: users ---------------------------------------------------------------------------

  createUser(spec: UserSpec): SimUser {
    const user: UserState = {
      id: this.core.ids.next(),
      username: spec.username,
      globalName: spec.globalName ?? null,
      bot: spec.bot ?? false,
      locale: spec.locale ?? 'en-US',
      dmsOpen: spec.dmsOpen ?? true,
    };
    this.core.world.users.set(user.id, user);
    return this.userView(user);
  }

  private userView(user: UserState): SimUser {
    return { id: user.id, username: user.username, globalName: user.globalName, locale: user.locale, dmsOpen: user.dmsOpen, bot: user.bot };
  }

  user(userId: string): SimUser | undefined {
    const user = this.core.world.users.get(userId);
    return user ? this.userView(user) : undefined;
  }

  /** Whether the user accepts DMs from the bot (closed DMs answer 50007). */
  setDmsOpen(userId: string, open: boolean): void {
    this.requireUser(userId).dmsOpen = open;
  }

  setUserLocale(userId: string, locale: string): void {
    this.requireUser(userId).locale = locale;
  }

  /** The DM channel between the bot and the user, if one exists. */
  dmChannelId(userId: string): string | undefined {
    return this.core.world.dmChannels.get(userId);
  }

  private requireUser(userId: string): UserState {
    const user = this.core.world.users.get(userId);
    if (!user) throw new SimUsageError(`unknown user ${userId}`);
    return user;
  }

  // --- world: guilds, roles, channels, members ------------------------------------------------

  private requireGuild(guildId: string): GuildState {
    const guild = this.core.world.guilds.get(guildId);
    if (!guild) throw new SimUsageError(`unknown guild ${guildId}`);
    return guild;
  }

  private requireChannel(channelId: string): ChannelState {
    const channel = this.core.world.channels.get(channelId);
    if (!channel) throw new SimUsageError(`unknown channel ${channelId}`);
    return channel;
  }

  private guildEvent(guild: GuildState, t: string, d: JsonObject, intent: number = GatewayIntents.Guilds): void {
    if (!guild.members.has(this.core.botUser.id)) return;
    this.core.gateway.dispatch(t, d, { intent, guildId: guild.id });
  }

  /** Creates a guild with the bot in it (its managed role carries `botPermissions`); announced with GUILD_CREATE once connected. */
  createGuild(spec: GuildSpec): CreatedGuild {
    const id = this.core.ids.next();
    const ownerId = spec.ownerId ?? this.createUser({ username: `${spec.name.toLowerCase().replace(/\W+/g, '-')}-owner` }).id;
    this.requireUser(ownerId);
    const now = this.core.world.iso();
    const guild: GuildState = {
      id,
      name: spec.name,
      ownerId,
      preferredLocale: spec.preferredLocale ?? 'en-US',
      premiumTier: spec.premiumTier ?? 0,
      roles: new Map(),
      channels: [],
      members: new Map(),
      botRoleId: '',
      joinedAt: now,
    };
    const everyone: RoleState = { id, guildId: id, name: '@everyone', permissions: resolvePermissions(spec.everyonePermissions ?? DEFAULT_EVERYONE_PERMISSIONS), position: 0, color: 0, hoist: false, managed: false, mentionable: false };
    guild.roles.set(everyone.id, everyone);
    const botRole: RoleState = {
      id: this.core.ids.next(),
      guildId: id,
      name: this.core.config.botUsername,
      permissions: resolvePermissions(spec.botPermissions ?? DEFAULT_BOT_PERMISSIONS),
      position: 1,
      color: 0,
      hoist: false,
      managed: true,
      mentionable: false,
      botId: this.core.botUser.id,
    };
    guild.roles.set(botRole.id, botRole);
    guild.botRoleId = botRole.id;
    const roles: Record<string, string> = {};
    for (const roleSpec of spec.roles ?? []) {
      const role = this.newRole(guild, roleSpec);
      roles[role.name] = role.id;
    }
    this.core.world.guilds.set(id, guild);
    guild.members.set(ownerId, { guildId: id, userId: ownerId, roles: [], nick: null, joinedAt: now });
    guild.members.set(this.core.botUser.id, { guildId: id, userId: this.core.botUser.id, roles: [botRole.id], nick: null, joinedAt: now });
    const channels: Record<string, string> = {};
    for (const channelSpec of spec.channels ?? [{ name: 'general' }]) {
      channels[channelSpec.name] = this.addChannel(guild, channelSpec).id;
    }
    this.core.gateway.dispatch('GUILD_CREATE', (intents) => this.core.world.guildCreateJson(guild, (intents & GatewayIntents.GuildMembers) !== 0), { intent: GatewayIntents.Guilds, guildId: id });
    return { id, everyoneRoleId: id, botRoleId: botRole.id, ownerId, channels, roles };
  }

  /** The bot leaves (or is removed from) the guild: GUILD_DELETE. */
  removeGuild(guildId: string): void {
    const guild = this.requireGuild(guildId);
    this.guildEvent(guild, 'GUILD_DELETE', { id: guild.id });
    guild.members.delete(this.core.botUser.id);
  }

  private newRole(guild: GuildState, spec: RoleSpec): RoleState {
    const role: RoleState = {
      id: this.core.ids.next(),
      guildId: guild.id,
      name: spec.name,
      permissions: resolvePermissions(spec.permissions),
      position: guild.roles.size,
      color: spec.color ?? 0,
      hoist: spec.hoist ?? false,
      managed: false,
      mentionable: spec.mentionable ?? false,
    };
    guild.roles.set(role.id, role);
    return role;
  }

  createRole(guildId: string, spec: RoleSpec): string {
    const guild = this.requireGuild(guildId);
    const role = this.newRole(guild, spec);
    this.guildEvent(guild, 'GUILD_ROLE_CREATE', { guild_id: guild.id, role: roleJson(role) });
    return role.id;
  }

  setRolePermissions(guildId: string, roleId: string, permissions: PermissionInput): void {
    const guild = this.requireGuild(guildId);
    const role = guild.roles.get(roleId);
    if (!role) throw new SimUsageError(`guild ${guildId} has no role ${roleId}`);
    role.permissions = resolvePermissions(permissions);
    this.guildEvent(guild, 'GUILD_ROLE_UPDATE', { guild_id: guild.id, role: roleJson(role) });
  }

  /** Sets the permissions of the bot's managed role in a guild. */
  setBotPermissions(guildId: string, permissions: PermissionInput): void {
    this.setRolePermissions(guildId, this.requireGuild(guildId).botRoleId, permissions);
  }

  private resolveOverwrites(guild: GuildState, specs: OverwriteSpec[]): OverwriteData[] {
    return specs.map((spec) => {
      let id = spec.id;
      let type: 0 | 1;
      if (id === '@everyone') {
        id = guild.id;
        type = 0;
      } else {
        const byName = [...guild.roles.values()].find((r) => r.name === id);
        if (spec.type !== 'member' && byName) id = byName.id;
        type = spec.type ? (spec.type === 'role' ? 0 : 1) : guild.roles.has(id) ? 0 : 1;
      }
      if (type === 0 && !guild.roles.has(id)) throw new SimUsageError(`overwrite for unknown role ${spec.id}`);
      if (type === 1 && !this.core.world.users.has(id)) throw new SimUsageError(`overwrite for unknown user ${spec.id}`);
      return { id, type, allow: resolvePermissions(spec.allow), deny: resolvePermissions(spec.deny) };
    });
  }

  private addChannel(guild: GuildState, spec: ChannelSpec): ChannelState {
    const channel: ChannelState = {
      id: this.core.ids.next(),
      type: spec.type ?? ChannelTypes.GuildText,
      guildId: guild.id,
      name: spec.name,
      position: guild.channels.length,
      nsfw: spec.nsfw ?? false,
      overwrites: this.resolveOverwrites(guild, spec.permissionOverwrites ?? []),
    };
    if (spec.topic !== undefined) channel.topic = spec.topic;
    if (spec.parent !== undefined) {
      const parent = guild.channels.map((cid) => this.core.world.channels.get(cid)).find((c) => c && (c.id === spec.parent || c.name === spec.parent));
      if (!parent || parent.type !== ChannelTypes.GuildCategory) throw new SimUsageError(`no category ${spec.parent} in guild ${guild.id}`);
      channel.parentId = parent.id;
    }
    this.core.world.channels.set(channel.id, channel);
    guild.channels.push(channel.id);
    return channel;
  }

  createChannel(guildId: string, spec: ChannelSpec): string {
    const guild = this.requireGuild(guildId);
    const channel = this.addChannel(guild, spec);
    this.guildEvent(guild, 'CHANNEL_CREATE', this.core.world.channelJson(channel));
    return channel.id;
  }

  setChannelOverwrites(channelId: string, overwrites: OverwriteSpec[]): void {
    const channel = this.requireChannel(channelId);
    if (!channel.guildId) throw new SimUsageError('DM channels have no permission overwrites');
    const guild = this.requireGuild(channel.guildId);
    channel.overwrites = this.resolveOverwrites(guild, overwrites);
    this.guildEvent(guild, 'CHANNEL_UPDATE', this.core.world.channelJson(channel));
  }

  addMember(guildId: string, userId: string, spec: MemberSpec = {}): void {
    const guild = this.requireGuild(guildId);
    this.requireUser(userId);
    const roles = [...(spec.roles ?? [])];
    for (const roleId of roles) if (!guild.roles.has(roleId)) throw new SimUsageError(`guild ${guildId} has no role ${roleId}`);
    if (spec.permissions !== undefined) {
      const role = this.newRole(guild, { name: `perms-${userId}`, permissions: spec.permissions });
      this.guildEvent(guild, 'GUILD_ROLE_CREATE', { guild_id: guild.id, role: roleJson(role) });
      roles.push(role.id);
    }
    const member = { guildId, userId, roles, nick: spec.nick ?? null, joinedAt: this.core.world.iso() };
    guild.members.set(userId, member);
    this.guildEvent(guild, 'GUILD_MEMBER_ADD', { ...this.core.world.memberJson(member), guild_id: guild.id }, GatewayIntents.GuildMembers);
  }

  setMemberRoles(guildId: string, userId: string, roleIds: string[]): void {
    const guild = this.requireGuild(guildId);
    const member = guild.members.get(userId);
    if (!member) throw new SimUsageError(`user ${userId} is not in guild ${guildId}`);
    for (const roleId of roleIds) if (!guild.roles.has(roleId)) throw new SimUsageError(`guild ${guildId} has no role ${roleId}`);
    member.roles = [...roleIds];
    this.guildEvent(guild, 'GUILD_MEMBER_UPDATE', { ...this.core.world.memberJson(member), guild_id: guild.id }, GatewayIntents.GuildMembers);
  }

  removeMember(guildId: string, userId: string): void {
    const guild = this.requireGuild(guildId);
    guild.members.delete(userId);
    this.guildEvent(guild, 'GUILD_MEMBER_REMOVE', { guild_id: guild.id, user: userJson(this.requireUser(userId)) }, GatewayIntents.GuildMembers);
  }

  /** A user's effective permissions in a channel (the bot's when no user is given). */
  permissionsFor(channelId: string, userId: string = this.core.botUser.id): bigint {
    return this.core.world.permissionsFor(userId, this.requireChannel(channelId));
  }

  // --- messages -------------------------------------------------------------------------------

  /** Live messages of a channel, oldest first; ephemeral ones only on request. */
  channelMessages(channelId: string, options: { includeEphemeral?: boolean } = {}): SimMessage[] {
    return this.core.world.channelMessageList(channelId, options.includeEphemeral ?? false).map((m) => this.core.snapshot(m));
  }

  /** Any message by id, including deleted (flagged) and ephemeral ones. */
  message(messageId: string): SimMessage | undefined {
    const message = this.core.world.messages.get(messageId);
    return message ? this.core.snapshot(message) : undefined;
  }

  /** A user posts a message (MESSAGE_CREATE for bots with the message intents). */
  postUserMessage(channelId: string, userId: string, content: string): SimMessage {
    const channel = this.requireChannel(channelId);
    this.requireUser(userId);
    const message: MessageState = this.core.createMessage({ channel, authorId: userId, payload: { content }, files: [] });
    return this.core.snapshot(message);
  }

  // --- commands -------------------------------------------------------------------------------

  /** Commands as registered (global, or for one guild), in Discord's response shape. */
  registeredCommands(guildId?: string): JsonObject[] {
    const scope = guildId === undefined ? this.core.world.globalCommands : this.core.world.guildCommands.get(guildId);
    return [...(scope?.values() ?? [])].map((c) => this.rest.commandJson(c));
  }

  /**
   * Registers commands as a deploy script would (bulk overwrite), without HTTP and without
   * recording violations; throws on a definition Discord would refuse.
   */
  seedCommands(commands: unknown[], guildId?: string): JsonObject[] {
    const issues = this.core.validator.validate('command-bulk', commands);
    if (issues.length) throw new SimUsageError(`seedCommands: invalid command definitions: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    let scope = guildId === undefined ? this.core.world.globalCommands : this.core.world.guildCommands.get(guildId);
    if (!scope) {
      this.requireGuild(guildId ?? '');
      scope = new Map();
      this.core.world.guildCommands.set(guildId ?? '', scope);
    }
    scope.clear();
    return commands.map((c) => this.rest.commandJson(this.rest.upsertCommand(scope, guildId, toJsonObject(asRecord(c))).command));
  }

  // --- interactions ---------------------------------------------------------------------------

  slash(input: SlashInput): InteractionHandle {
    return this.factory.slash(input);
  }

  async autocomplete(input: AutocompleteInput): Promise<JsonObject[]> {
    const handle = this.factory.autocomplete(input);
    const ack = await handle.acknowledged();
    if (ack.type !== 8) throw new Error(`autocomplete answered with callback type ${ack.type}, not 8`);
    return handle.choices ?? [];
  }

  pressButton(input: ButtonInput): InteractionHandle {
    return this.factory.pressButton(input);
  }

  selectMenu(input: SelectInput): InteractionHandle {
    return this.factory.selectMenu(input);
  }

  submitModal(input: ModalSubmitInput): InteractionHandle {
    return this.factory.submitModal(input);
  }

  // --- lifecycle ------------------------------------------------------------------------------

  /** Closes the server, sockets (also hanging CDN and REST responses) and every timer. Destroy the bot's client first. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribeClock();
    for (const timer of this.core.timers) clearTimeout(timer);
    this.core.timers.clear();
    this.rest.close();
    this.core.cdn.close();
    await this.core.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
