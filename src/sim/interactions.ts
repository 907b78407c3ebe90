/**
 * Interactions: building Discord-shaped INTERACTION_CREATE payloads from a test's intent, the
 * handle a test observes, and the callback / webhook routes that respond to them with Discord's
 * deadlines (3 s to acknowledge, 15 min token) and error codes.
 */
import { randomUUID } from 'node:crypto';
import type { CdnAsset } from './cdn.js';
import { MessageFlags, type SimCore } from './core.js';
import { ApiErrors, DiscordApiError, SimUsageError } from './errors.js';
import { asArray, asNumber, asRecord, asString, isRecord, toJson, toJsonArray, toJsonObject, type JsonObject } from './json.js';
import { Permissions } from './permissions.js';
import type { RouteContext, RouteResult } from './route.js';
import { ChannelTypes, roleJson, userJson, type ChannelState, type CommandState, type GuildState, type MessageState } from './state.js';
import type { AckInfo, InteractionErrorRecord, SimMessage } from './types.js';
import { toErrorTree, type BodyKind } from './validation.js';

export const InteractionTypes = {
  Ping: 1,
  ApplicationCommand: 2,
  MessageComponent: 3,
  ApplicationCommandAutocomplete: 4,
  ModalSubmit: 5,
} as const;

export const CallbackTypes = {
  Pong: 1,
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  ApplicationCommandAutocompleteResult: 8,
  Modal: 9,
  LaunchActivity: 12,
} as const;

const ALLOWED_CALLBACKS: Record<number, readonly number[]> = {
  [InteractionTypes.ApplicationCommand]: [4, 5, 9],
  [InteractionTypes.MessageComponent]: [4, 5, 6, 7, 9],
  [InteractionTypes.ApplicationCommandAutocomplete]: [8],
  [InteractionTypes.ModalSubmit]: [4, 5, 6, 7],
};

const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;

export function attachmentSizeLimit(guild: GuildState | undefined): number {
  if (!guild) return DEFAULT_ATTACHMENT_LIMIT;
  if (guild.premiumTier >= 3) return 100 * 1024 * 1024;
  if (guild.premiumTier === 2) return 50 * 1024 * 1024;
  return DEFAULT_ATTACHMENT_LIMIT;
}

interface HandleInit {
  id: string;
  token: string;
  type: number;
  payload: JsonObject;
  userId: string;
  channelId: string;
  guildId?: string;
  componentMessageId?: string;
  commandName?: string;
}

/** What a test holds for one interaction: its payload, how the bot answered, and the resulting messages. */
export class InteractionHandle {
  readonly id: string;
  readonly token: string;
  /** Interaction type: 2 command, 3 component, 4 autocomplete, 5 modal submit. */
  readonly type: number;
  /** The INTERACTION_CREATE payload as dispatched. */
  readonly payload: JsonObject;
  readonly userId: string;
  readonly channelId: string;
  readonly guildId: string | undefined;
  readonly createdAt: number;
  readonly deadlineAt: number;
  readonly commandName: string | undefined;

  /** @internal */ ack: AckInfo | undefined;
  /** @internal */ callbackBody: unknown;
  /** @internal */ originalId: string | undefined;
  /** @internal */ readonly componentMessageId: string | undefined;
  /** @internal A deferred (type 5) loading message still waits for its first edit. */
  loadingPending = false;
  /** @internal A deferred update (type 6) has not been followed by an edit yet. */
  updatePending = false;
  /** @internal */ readonly followUpIds: string[] = [];
  /** @internal */ readonly errorList: InteractionErrorRecord[] = [];
  /** @internal */ modalData: JsonObject | undefined;
  /** @internal */ choiceData: JsonObject[] | undefined;
  /** @internal */ expired = false;
  /** @internal */ deadlineTimer: NodeJS.Timeout | undefined;
  /** Sessions the INTERACTION_CREATE was dispatched to (0: lost, no session could receive it). */
  deliveries = 0;

  private readonly ackPromise: Promise<AckInfo>;
  private resolveAck!: (info: AckInfo) => void;
  private rejectAck!: (error: Error) => void;
  private readonly stateListeners = new Set<() => void>();

  constructor(
    private readonly core: SimCore,
    init: HandleInit,
  ) {
    this.id = init.id;
    this.token = init.token;
    this.type = init.type;
    this.payload = init.payload;
    this.userId = init.userId;
    this.channelId = init.channelId;
    this.guildId = init.guildId;
    this.componentMessageId = init.componentMessageId;
    this.commandName = init.commandName;
    this.createdAt = core.clock.now();
    this.deadlineAt = this.createdAt + core.config.ackDeadlineMs;
    this.ackPromise = new Promise<AckInfo>((resolve, reject) => {
      this.resolveAck = resolve;
      this.rejectAck = reject;
    });
    // A test that never awaits acknowledged() must not get an unhandled rejection.
    this.ackPromise.catch(() => undefined);
  }

  /** Resolves when the bot's callback arrives in time; rejects once the deadline passes without one. */
  acknowledged(): Promise<AckInfo> {
    return this.ackPromise;
  }

  get acknowledgement(): AckInfo | undefined {
    return this.ack;
  }

  /** The callback body the bot sent (deep copy), or undefined before the acknowledgement. */
  get callback(): JsonObject | undefined {
    return this.ack ? toJsonObject(this.callbackBody) : undefined;
  }

  get callbackType(): number | undefined {
    return this.ack?.type;
  }

  /** True when the bot's visible answer is ephemeral (flags & 64). */
  get ephemeral(): boolean {
    const message = this.visibleMessage() ?? this.loadingMessage();
    return message !== undefined && (message.flags & MessageFlags.Ephemeral) !== 0;
  }

  /** The modal the bot opened (type 9 callback data), if any. */
  get modal(): JsonObject | undefined {
    return this.modalData ? toJsonObject(this.modalData) : undefined;
  }

  /** Autocomplete choices (type 8 callback), if any. */
  get choices(): JsonObject[] | undefined {
    return this.choiceData ? toJsonArray(this.choiceData) : undefined;
  }

  /** The original response: the reply (4/5), or for 6/7 the message the component is on. */
  get original(): SimMessage | undefined {
    const message = this.originalMessage();
    return message ? this.core.snapshot(message) : undefined;
  }

  /** Follow-up messages (not counting one that replaced a deferred loading message). */
  get followUps(): SimMessage[] {
    return this.followUpIds
      .map((id) => this.core.world.messages.get(id))
      .filter((m): m is MessageState => m !== undefined)
      .map((m) => this.core.snapshot(m));
  }

  /** Discord errors the bot received on this interaction's callback and webhook routes. */
  get errors(): InteractionErrorRecord[] {
    return [...this.errorList];
  }

  /**
   * Resolves with the original message once a visible reply exists (after a type 4, the first edit
   * of a type 5, a type 7, or an edit after a type 6) and `predicate` accepts it.
   */
  waitForReply(predicate: (message: SimMessage) => boolean = () => true, timeoutMs = 5000): Promise<SimMessage> {
    return new Promise((resolve, reject) => {
      let done = false;
      const check = (): void => {
        if (done) return;
        const message = this.visibleMessage();
        if (!message) return;
        const snap = this.core.snapshot(message);
        if (!predicate(snap)) return;
        finish();
        resolve(snap);
      };
      const unsubscribeMessages = this.core.onMessageChange(check);
      this.stateListeners.add(check);
      const timer = this.core.setTimer(timeoutMs, () => {
        finish();
        reject(new Error(`waitForReply timed out after ${timeoutMs} ms for interaction ${this.id}: ${this.describe()}`));
      });
      const finish = (): void => {
        done = true;
        unsubscribeMessages();
        this.stateListeners.delete(check);
        this.core.clearTimer(timer);
      };
      check();
    });
  }

  /** Delivers the same interaction (same id and token) over the gateway again. */
  redeliver(): void {
    this.deliveries += this.core.gateway.dispatch('INTERACTION_CREATE', this.payload, this.guildId ? { guildId: this.guildId } : {});
  }

  /** A one-line summary for failure messages. */
  describe(): string {
    const parts = [`type ${this.type}`, this.ack ? `acknowledged with ${this.ack.type} after ${this.ack.latencyMs} ms` : this.expired ? 'never acknowledged (deadline passed)' : 'not acknowledged yet'];
    if (this.loadingPending) parts.push('deferred reply not edited yet');
    if (this.updatePending) parts.push('deferred update not followed by an edit');
    if (this.errorList.length) parts.push(`errors: ${this.errorList.map((e) => `${e.code} ${e.message}`).join('; ')}`);
    return parts.join(', ');
  }

  /** @internal */
  originalMessage(): MessageState | undefined {
    const type = this.ack?.type;
    const id = type === 6 || type === 7 ? this.componentMessageId : type === 4 || type === 5 ? this.originalId : undefined;
    const message = id ? this.core.world.messages.get(id) : undefined;
    return message && !message.deleted ? message : undefined;
  }

  private loadingMessage(): MessageState | undefined {
    return this.originalId ? this.core.world.messages.get(this.originalId) : undefined;
  }

  /** @internal */
  visibleMessage(): MessageState | undefined {
    if (!this.ack) return undefined;
    if (this.ack.type === 5 && this.loadingPending) return undefined;
    if (this.ack.type === 6 && this.updatePending) return undefined;
    return this.originalMessage();
  }

  /** @internal */
  acknowledge(type: number, body: unknown, at: number): void {
    this.ack = { type, at, latencyMs: at - this.createdAt };
    // The request's parsed body: the simulator's own, never mutated (the getter copies for tests).
    this.callbackBody = body;
    this.core.clearTimer(this.deadlineTimer);
    this.resolveAck(this.ack);
    this.stateChanged();
  }

  /** @internal */
  stateChanged(): void {
    for (const listener of [...this.stateListeners]) listener();
  }

  /** @internal Called when the deadline passes (timer or clock.advance). */
  expireIfDue(): void {
    if (this.ack || this.expired) return;
    if (this.core.clock.now() < this.deadlineAt) return;
    this.expired = true;
    this.core.clearTimer(this.deadlineTimer);
    this.rejectAck(new Error(`interaction ${this.id} was not acknowledged within ${this.core.config.ackDeadlineMs} ms`));
  }

  /** @internal */
  recordError(route: string, error: DiscordApiError): void {
    this.errorList.push({ route, status: error.status, code: error.code, message: error.message, at: this.core.clock.now() });
  }
}

// ---------------------------------------------------------------------------------------------
// Building interactions

export type AttachmentInput = CdnAsset | { bytes: Uint8Array | string; filename: string; contentType?: string; width?: number; height?: number };
export type SlashOptionValue = string | number | boolean | AttachmentInput;

interface Where {
  guildId?: string;
  /** Guild channel, or omitted for the user's DM with the bot when no guild is given. */
  channelId?: string;
  userId: string;
  /** The invoking user's client locale; defaults to the user's locale. */
  locale?: string;
}

export interface SlashInput extends Where {
  name: string;
  subcommandGroup?: string;
  subcommand?: string;
  options?: Record<string, SlashOptionValue>;
}

export interface AutocompleteInput extends SlashInput {
  /** Name of the option being typed in; its value is sent as the partial string. */
  focused: string;
}

interface ComponentWhere {
  /** The message carrying the component (a SimMessage or anything with its id). */
  message?: { id: string };
  messageId?: string;
  customId: string;
  userId: string;
  locale?: string;
}

export type ButtonInput = ComponentWhere;

export interface SelectInput extends ComponentWhere {
  values: string[];
}

export interface ModalSubmitInput {
  /** The interaction whose type 9 callback opened the modal. */
  from?: InteractionHandle;
  /** Without `from`: the modal's custom_id and components (as the bot sent them). */
  customId?: string;
  components?: JsonObject[];
  /** Values by custom_id: a string for text inputs, a list for selects. */
  fields: Record<string, string | string[]>;
  userId?: string;
  guildId?: string;
  channelId?: string;
  locale?: string;
}

interface Resolved {
  users: JsonObject;
  members: JsonObject;
  roles: JsonObject;
  channels: JsonObject;
  attachments: JsonObject;
}

function emptyResolved(): Resolved {
  return { users: {}, members: {}, roles: {}, channels: {}, attachments: {} };
}

function resolvedJson(resolved: Resolved): JsonObject | undefined {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(resolved)) if (Object.keys(value).length > 0) out[key] = value;
  return Object.keys(out).length > 0 ? out : undefined;
}

function isCdnAsset(value: AttachmentInput): value is CdnAsset {
  return 'url' in value && 'id' in value;
}

export class InteractionFactory {
  constructor(private readonly core: SimCore) {}

  private get world() {
    return this.core.world;
  }

  private newIds(): { id: string; token: string } {
    const id = this.core.ids.next();
    // randomUUID draws from a pooled entropy batch; randomBytes(48) went to OpenSSL per interaction.
    const token = Buffer.from(`interaction:${id}:${randomUUID()}${randomUUID()}`).toString('base64url');
    return { id, token };
  }

  private context(where: { guildId?: string | undefined; channelId?: string | undefined; userId: string; locale?: string | undefined }): {
    guild?: GuildState;
    channel: ChannelState;
    base: JsonObject;
  } {
    const user = this.world.users.get(where.userId);
    if (!user) throw new SimUsageError(`unknown user ${where.userId}; create it with sim.createUser()`);
    let guild: GuildState | undefined;
    let channel: ChannelState | undefined;
    if (where.guildId) {
      guild = this.world.guilds.get(where.guildId);
      if (!guild) throw new SimUsageError(`unknown guild ${where.guildId}`);
      if (!where.channelId) throw new SimUsageError('a guild interaction needs a channelId');
      channel = this.world.channels.get(where.channelId);
      if (!channel || channel.guildId !== guild.id) throw new SimUsageError(`channel ${where.channelId} is not in guild ${guild.id}`);
      if (!guild.members.has(user.id)) throw new SimUsageError(`user ${user.id} is not a member of guild ${guild.id}; use sim.addMember()`);
      const perms = this.world.permissionsFor(user.id, channel, guild);
      if (!(perms & Permissions.ViewChannel)) throw new SimUsageError(`user ${user.id} cannot see channel ${channel.id}`);
    } else if (where.channelId) {
      channel = this.world.channels.get(where.channelId);
      if (!channel) throw new SimUsageError(`unknown channel ${where.channelId}`);
      if (channel.guildId) return this.context({ ...where, guildId: channel.guildId });
    } else {
      channel = this.dmChannelFor(user.id);
    }
    const appPerms = this.world.permissionsFor(this.core.botUser.id, channel, guild);
    const base: JsonObject = {
      app_permissions: appPerms.toString(),
      application_id: this.core.config.applicationId,
      attachment_size_limit: attachmentSizeLimit(guild),
      authorizing_integration_owners: { '0': guild ? guild.id : '0' },
      channel_id: channel.id,
      context: guild ? 0 : 1,
      entitlement_sku_ids: [],
      entitlements: [],
      locale: where.locale ?? user.locale,
      version: 1,
    };
    if (guild) {
      const member = guild.members.get(user.id);
      if (!member) throw new SimUsageError(`user ${user.id} is not a member of guild ${guild.id}`);
      const memberPerms = this.world.permissionsFor(user.id, channel, guild);
      base.guild_id = guild.id;
      base.guild_locale = guild.preferredLocale;
      base.guild = { id: guild.id, locale: guild.preferredLocale, features: [] };
      base.member = { ...this.world.memberJson(member), permissions: memberPerms.toString() };
      base.channel = { ...this.world.channelJson(channel), permissions: memberPerms.toString() };
    } else {
      base.user = userJson(user);
      base.channel = this.world.channelJson(channel);
    }
    return guild ? { guild, channel, base } : { channel, base };
  }

  /** @internal The DM channel between the bot and a user, created on first use like Discord does. */
  dmChannelFor(userId: string): ChannelState {
    const existing = this.world.dmChannels.get(userId);
    const found = existing ? this.world.channels.get(existing) : undefined;
    if (found) return found;
    const channel: ChannelState = { id: this.core.ids.next(), type: ChannelTypes.DM, position: 0, nsfw: false, overwrites: [], recipientId: userId };
    this.world.channels.set(channel.id, channel);
    this.world.dmChannels.set(userId, channel.id);
    return channel;
  }

  private findCommand(name: string, guildId: string | undefined, type = 1): CommandState {
    const scoped = guildId ? this.world.guildCommands.get(guildId) : undefined;
    const candidates = [...(scoped?.values() ?? []), ...this.world.globalCommands.values()];
    const command = candidates.find((c) => c.data.name === name && (asNumber(c.data.type) ?? 1) === type);
    if (!command) {
      const known = candidates.map((c) => String(c.data.name)).join(', ') || 'none';
      throw new SimUsageError(`no command /${name} is registered${guildId ? ` for guild ${guildId} or globally` : ' globally'} (registered: ${known})`);
    }
    return command;
  }

  private assertCanUse(command: CommandState, where: { guild?: GuildState; channel: ChannelState; userId: string }): void {
    const contexts = asArray(command.data.contexts).map((c) => asNumber(c));
    const context = where.guild ? 0 : 1;
    if (contexts.length > 0 && !contexts.includes(context)) {
      throw new SimUsageError(`/${String(command.data.name)} is not available in ${where.guild ? 'guilds' : 'DMs'} (contexts ${contexts.join(',')})`);
    }
    if (!where.guild && command.guildId) throw new SimUsageError(`/${String(command.data.name)} is a guild command and cannot be used in DMs`);
    if (!where.guild && contexts.length === 0 && command.data.dm_permission === false) {
      throw new SimUsageError(`/${String(command.data.name)} has dm_permission false`);
    }
    const required = asString(command.data.default_member_permissions);
    if (where.guild && required !== undefined) {
      const perms = this.world.permissionsFor(where.userId, where.channel, where.guild);
      const needed = BigInt(required);
      if (!(perms & Permissions.Administrator) && (perms & needed) !== needed) {
        throw new SimUsageError(`user ${where.userId} lacks default_member_permissions ${required} for /${String(command.data.name)}, so Discord would not offer it`);
      }
    }
  }

  private selectOptionLevel(command: CommandState, input: SlashInput): { defs: Record<string, unknown>[]; wrap: (leaf: JsonObject[]) => JsonObject[] } {
    let defs = asArray(command.data.options).map(asRecord);
    const wrappers: ((inner: JsonObject[]) => JsonObject)[] = [];
    const hasNested = defs.some((d) => d.type === 1 || d.type === 2);
    if (input.subcommandGroup !== undefined) {
      const group = defs.find((d) => d.type === 2 && d.name === input.subcommandGroup);
      if (!group) throw new SimUsageError(`/${input.name} has no subcommand group ${input.subcommandGroup}`);
      wrappers.push((inner) => ({ name: input.subcommandGroup ?? '', type: 2, options: inner }));
      defs = asArray(group.options).map(asRecord);
    }
    if (input.subcommand !== undefined) {
      const sub = defs.find((d) => d.type === 1 && d.name === input.subcommand);
      if (!sub) throw new SimUsageError(`/${input.name} has no subcommand ${input.subcommand}`);
      wrappers.push((inner) => ({ name: input.subcommand ?? '', type: 1, options: inner }));
      defs = asArray(sub.options).map(asRecord);
    } else if (hasNested) {
      throw new SimUsageError(`/${input.name} has subcommands; pass subcommand (and subcommandGroup)`);
    }
    return {
      defs,
      wrap: (leaf) => wrappers.reduceRight<JsonObject[]>((inner, w) => [w(inner)], leaf),
    };
  }

  private attachmentFrom(value: AttachmentInput, channelId: string): JsonObject {
    const asset = isCdnAsset(value)
      ? value
      : this.core.cdn.register(value.bytes, {
          filename: value.filename,
          contentType: value.contentType ?? this.core.guessContentType(value.filename),
          channelId,
          ...(value.width !== undefined ? { width: value.width } : {}),
          ...(value.height !== undefined ? { height: value.height } : {}),
        });
    const json: JsonObject = {
      id: asset.id,
      filename: asset.filename,
      size: asset.size,
      url: asset.url,
      proxy_url: asset.proxy_url,
      ephemeral: true,
    };
    if (asset.content_type) json.content_type = asset.content_type;
    if (asset.width !== undefined) json.width = asset.width;
    if (asset.height !== undefined) json.height = asset.height;
    return json;
  }

  private leafOption(def: Record<string, unknown>, name: string, value: SlashOptionValue, ctx: { guild?: GuildState; channel: ChannelState; userId: string }, resolved: Resolved, autocomplete: boolean): JsonObject {
    const type = asNumber(def.type) ?? 3;
    const fail: (why: string) => never = (why) => {
      throw new SimUsageError(`option ${name}: ${why}`);
    };
    const choices = asArray(def.choices).map((c) => asRecord(c).value);
    switch (type) {
      case 3: {
        if (typeof value !== 'string') fail('expects a string');
        const text = String(value);
        if (!autocomplete) {
          if (choices.length && !choices.includes(text)) fail(`"${text}" is not one of the choices`);
          const min = asNumber(def.min_length);
          const max = asNumber(def.max_length);
          if (min !== undefined && text.length < min) fail(`shorter than min_length ${min}`);
          if (max !== undefined && text.length > max) fail(`longer than max_length ${max}`);
        }
        return { name, type, value: text };
      }
      case 4:
      case 10: {
        if (typeof value !== 'number' || (type === 4 && !Number.isInteger(value))) fail(type === 4 ? 'expects an integer' : 'expects a number');
        const n = Number(value);
        if (!autocomplete) {
          if (choices.length && !choices.includes(n)) fail(`${n} is not one of the choices`);
          const min = asNumber(def.min_value);
          const max = asNumber(def.max_value);
          if (min !== undefined && n < min) fail(`below min_value ${min}`);
          if (max !== undefined && n > max) fail(`above max_value ${max}`);
        }
        return { name, type, value: n };
      }
      case 5:
        if (typeof value !== 'boolean') fail('expects a boolean');
        return { name, type, value: Boolean(value) };
      case 6:
      case 9: {
        if (typeof value !== 'string') fail('expects a user or role id');
        const id = String(value);
        const user = this.world.users.get(id);
        const role = ctx.guild?.roles.get(id);
        if (user) {
          resolved.users[id] = userJson(user);
          const member = ctx.guild?.members.get(id);
          if (member && ctx.guild) {
            resolved.members[id] = { ...this.world.memberJson(member, false), permissions: this.world.permissionsFor(id, ctx.channel, ctx.guild).toString() };
          }
        } else if (type === 9 && role) {
          resolved.roles[id] = roleJson(role);
        } else fail(`unknown ${type === 6 ? 'user' : 'user or role'} ${id}`);
        return { name, type, value: id };
      }
      case 7: {
        if (typeof value !== 'string') fail('expects a channel id');
        const channel = this.world.channels.get(String(value));
        if (!channel) return fail(`unknown channel ${String(value)}`);
        const allowed = asArray(def.channel_types).map((t) => asNumber(t));
        if (allowed.length && !allowed.includes(channel.type)) fail(`channel type ${channel.type} not in channel_types`);
        const json: JsonObject = { id: channel.id, type: channel.type, name: channel.name ?? null, parent_id: channel.parentId ?? null, flags: 0 };
        if (ctx.guild) json.permissions = this.world.permissionsFor(ctx.userId, channel, ctx.guild).toString();
        resolved.channels[channel.id] = json;
        return { name, type, value: channel.id };
      }
      case 8: {
        if (typeof value !== 'string') fail('expects a role id');
        const role = ctx.guild?.roles.get(String(value));
        if (!role) return fail(`unknown role ${String(value)}`);
        resolved.roles[role.id] = roleJson(role);
        return { name, type, value: role.id };
      }
      case 11: {
        if (typeof value !== 'object') return fail('expects a CDN asset or { bytes, filename }');
        const attachment = this.attachmentFrom(value, ctx.channel.id);
        const id = String(attachment.id);
        resolved.attachments[id] = attachment;
        return { name, type, value: id };
      }
      default:
        return fail(`unsupported option type ${type}`);
    }
  }

  private buildOptions(command: CommandState, input: SlashInput, ctx: { guild?: GuildState; channel: ChannelState; userId: string }, focused?: string): { options: JsonObject[]; resolved?: JsonObject } {
    const { defs, wrap } = this.selectOptionLevel(command, input);
    const resolved = emptyResolved();
    const given = input.options ?? {};
    const leaf: JsonObject[] = [];
    for (const [name, value] of Object.entries(given)) {
      const def = defs.find((d) => d.name === name);
      if (!def) throw new SimUsageError(`/${input.name} has no option ${name} (has: ${defs.map((d) => String(d.name)).join(', ') || 'none'})`);
      if (focused === name) {
        if (def.autocomplete !== true) throw new SimUsageError(`option ${name} of /${input.name} does not have autocomplete`);
        leaf.push({ name, type: asNumber(def.type) ?? 3, value: String(value), focused: true });
        continue;
      }
      leaf.push(this.leafOption(def, name, value, ctx, resolved, focused !== undefined));
    }
    if (focused !== undefined && !(focused in given)) {
      const def = defs.find((d) => d.name === focused);
      if (!def || def.autocomplete !== true) throw new SimUsageError(`option ${focused} of /${input.name} does not have autocomplete`);
      leaf.push({ name: focused, type: asNumber(def.type) ?? 3, value: '', focused: true });
    }
    if (focused === undefined) {
      for (const def of defs) {
        if (def.required === true && !(String(def.name) in given)) throw new SimUsageError(`/${input.name} requires option ${String(def.name)}`);
      }
    }
    const out: { options: JsonObject[]; resolved?: JsonObject } = { options: wrap(leaf) };
    const r = focused === undefined ? resolvedJson(resolved) : undefined;
    if (r) out.resolved = r;
    return out;
  }

  private register(init: HandleInit): InteractionHandle {
    const handle = new InteractionHandle(this.core, init);
    this.core.interactions.set(handle.id, handle);
    this.core.interactionsByToken.set(handle.token, handle);
    handle.deadlineTimer = this.core.setTimer(this.core.config.ackDeadlineMs + 1, () => handle.expireIfDue());
    if (this.core.gateway.allSessions.length === 0) {
      this.core.clearTimer(handle.deadlineTimer);
      throw new SimUsageError('the bot has never identified on the gateway: log it in first');
    }
    // With no live or resumable session (e.g. right after a non-resumable op 9) the interaction
    // is lost, as on Discord: it stays unacknowledged until its deadline.
    handle.deliveries = this.core.gateway.dispatch('INTERACTION_CREATE', init.payload, init.guildId ? { guildId: init.guildId } : {});
    return handle;
  }

  slash(input: SlashInput): InteractionHandle {
    const ctx = this.context(input);
    const command = this.findCommand(input.name, ctx.guild?.id);
    this.assertCanUse(command, { ...ctx, userId: input.userId });
    const { options, resolved } = this.buildOptions(command, input, { ...ctx, userId: input.userId });
    const data: JsonObject = { id: command.id, name: String(command.data.name), type: 1 };
    if (command.guildId) data.guild_id = command.guildId;
    if (options.length > 0) data.options = options;
    if (resolved) data.resolved = resolved;
    const { id, token } = this.newIds();
    const payload: JsonObject = { ...ctx.base, id, token, type: InteractionTypes.ApplicationCommand, data };
    return this.register({ id, token, type: InteractionTypes.ApplicationCommand, payload, userId: input.userId, channelId: ctx.channel.id, commandName: String(command.data.name), ...(ctx.guild ? { guildId: ctx.guild.id } : {}) });
  }

  autocomplete(input: AutocompleteInput): InteractionHandle {
    const ctx = this.context(input);
    const command = this.findCommand(input.name, ctx.guild?.id);
    this.assertCanUse(command, { ...ctx, userId: input.userId });
    const { options } = this.buildOptions(command, input, { ...ctx, userId: input.userId }, input.focused);
    const data: JsonObject = { id: command.id, name: String(command.data.name), type: 1, options };
    if (command.guildId) data.guild_id = command.guildId;
    const { id, token } = this.newIds();
    const payload: JsonObject = { ...ctx.base, id, token, type: InteractionTypes.ApplicationCommandAutocomplete, data };
    return this.register({ id, token, type: InteractionTypes.ApplicationCommandAutocomplete, payload, userId: input.userId, channelId: ctx.channel.id, commandName: String(command.data.name), ...(ctx.guild ? { guildId: ctx.guild.id } : {}) });
  }

  private componentContext(input: ComponentWhere): { message: MessageState; component: Record<string, unknown>; ctx: ReturnType<InteractionFactory['context']> } {
    const messageId = input.message?.id ?? input.messageId;
    if (!messageId) throw new SimUsageError('pass message or messageId');
    const message = this.world.messages.get(messageId);
    if (!message || message.deleted) throw new SimUsageError(`message ${messageId} does not exist (or was deleted)`);
    let component: Record<string, unknown> | undefined;
    const walk = (node: unknown): void => {
      if (component) return;
      if (Array.isArray(node)) node.forEach(walk);
      else if (isRecord(node)) {
        if (node.custom_id === input.customId && node.type !== 1) component = node;
        walk(node.components);
        walk(node.component);
        walk(node.accessory);
      }
    };
    walk(message.components);
    if (!component) {
      throw new SimUsageError(`message ${messageId} has no component with custom_id "${input.customId}"`);
    }
    if (component.disabled === true) throw new SimUsageError(`component "${input.customId}" is disabled`);
    if ((message.flags & MessageFlags.Ephemeral) && message.interactionMetadata) {
      const owner = asString(asRecord(message.interactionMetadata.user).id);
      if (owner && owner !== input.userId) throw new SimUsageError(`only user ${owner} can see ephemeral message ${message.id}`);
    }
    const channel = this.world.channels.get(message.channelId);
    const ctx = this.context({ userId: input.userId, channelId: message.channelId, ...(channel?.guildId ? { guildId: channel.guildId } : {}), ...(input.locale ? { locale: input.locale } : {}) });
    return { message, component, ctx };
  }

  pressButton(input: ButtonInput): InteractionHandle {
    const { message, component, ctx } = this.componentContext(input);
    if (component.type !== 2) throw new SimUsageError(`component "${input.customId}" is not a button`);
    if (component.style === 5 || component.style === 6) throw new SimUsageError(`button "${input.customId}" is a link/premium button and sends no interaction`);
    const data: JsonObject = { custom_id: input.customId, component_type: 2 };
    if (typeof component.id === 'number') data.id = component.id;
    return this.componentInteraction(message, data, ctx, input.userId);
  }

  selectMenu(input: SelectInput): InteractionHandle {
    const { message, component, ctx } = this.componentContext(input);
    const type = asNumber(component.type) ?? 0;
    if (![3, 5, 6, 7, 8].includes(type)) throw new SimUsageError(`component "${input.customId}" is not a select menu`);
    const min = asNumber(component.min_values) ?? 1;
    const max = asNumber(component.max_values) ?? 1;
    if (input.values.length < min || input.values.length > max) {
      throw new SimUsageError(`select "${input.customId}" takes ${min}-${max} values, got ${input.values.length}`);
    }
    const resolved = emptyResolved();
    if (type === 3) {
      const allowed = asArray(component.options).map((o) => asRecord(o).value);
      for (const value of input.values) if (!allowed.includes(value)) throw new SimUsageError(`"${value}" is not an option of select "${input.customId}"`);
    } else {
      for (const value of input.values) {
        const def = { type: type === 5 ? 6 : type === 6 ? 8 : type === 7 ? 9 : 7 };
        this.leafOption(def, input.customId, value, { ...ctx, userId: input.userId }, resolved, false);
      }
    }
    const data: JsonObject = { custom_id: input.customId, component_type: type, values: [...input.values] };
    if (typeof component.id === 'number') data.id = component.id;
    const r = resolvedJson(resolved);
    if (r) data.resolved = r;
    return this.componentInteraction(message, data, ctx, input.userId);
  }

  private componentInteraction(message: MessageState, data: JsonObject, ctx: ReturnType<InteractionFactory['context']>, userId: string): InteractionHandle {
    const { id, token } = this.newIds();
    const payload: JsonObject = { ...ctx.base, id, token, type: InteractionTypes.MessageComponent, data, message: this.world.messageJson(message) };
    return this.register({ id, token, type: InteractionTypes.MessageComponent, payload, userId, channelId: ctx.channel.id, componentMessageId: message.id, ...(ctx.guild ? { guildId: ctx.guild.id } : {}) });
  }

  submitModal(input: ModalSubmitInput): InteractionHandle {
    const from = input.from;
    let modal: JsonObject | undefined;
    if (from) {
      if (!from.modalData) throw new SimUsageError(`interaction ${from.id} did not open a modal (${from.describe()})`);
      modal = from.modalData;
    } else if (input.customId && input.components) {
      modal = { custom_id: input.customId, components: toJsonArray(input.components) };
    } else throw new SimUsageError('submitModal needs `from` (a handle that opened a modal) or customId + components');
    const userId = input.userId ?? from?.userId;
    if (!userId) throw new SimUsageError('submitModal needs a userId');
    const guildId = input.guildId ?? from?.guildId;
    const channelId = input.channelId ?? from?.channelId;
    const ctx = this.context({ userId, ...(guildId ? { guildId } : {}), ...(channelId ? { channelId } : {}), ...(input.locale ? { locale: input.locale } : {}) });

    const used = new Set<string>();
    const submitted = (component: Record<string, unknown>): JsonObject => {
      const customId = asString(component.custom_id) ?? '';
      const type = asNumber(component.type) ?? 0;
      const out: JsonObject = { type, id: asNumber(component.id) ?? 0, custom_id: customId };
      const given = input.fields[customId];
      if (given !== undefined) used.add(customId);
      if (type === 4) {
        const value = typeof given === 'string' ? given : Array.isArray(given) ? given.join('') : (asString(component.value) ?? '');
        const required = component.required !== false;
        if (required && value === '') throw new SimUsageError(`modal field "${customId}" is required`);
        const min = asNumber(component.min_length);
        const max = asNumber(component.max_length) ?? 4000;
        if (value !== '' && min !== undefined && value.length < min) throw new SimUsageError(`modal field "${customId}" is shorter than min_length ${min}`);
        if (value.length > max) throw new SimUsageError(`modal field "${customId}" is longer than max_length ${max}`);
        out.value = value;
      } else {
        const values = Array.isArray(given) ? given : given === undefined ? [] : [given];
        if (component.required !== false && values.length === 0 && type !== 19) throw new SimUsageError(`modal field "${customId}" is required`);
        out.values = values;
      }
      return out;
    };
    const mirror = (node: Record<string, unknown>): JsonObject => {
      const type = asNumber(node.type) ?? 0;
      if (type === 1) return { type: 1, id: asNumber(node.id) ?? 0, components: asArray(node.components).map((c) => submitted(asRecord(c))) };
      if (type === 18) return { type: 18, id: asNumber(node.id) ?? 0, component: submitted(asRecord(node.component)) };
      if (type === 10) return { type: 10, id: asNumber(node.id) ?? 0 };
      return submitted(node);
    };
    const components = asArray(modal.components).map((c) => mirror(asRecord(c)));
    for (const key of Object.keys(input.fields)) {
      if (!used.has(key)) throw new SimUsageError(`the modal has no field "${key}"`);
    }
    const data: JsonObject = { custom_id: asString(modal.custom_id) ?? '', components };
    const { id, token } = this.newIds();
    const payload: JsonObject = { ...ctx.base, id, token, type: InteractionTypes.ModalSubmit, data };
    const sourceMessageId = from?.componentMessageId;
    const sourceMessage = sourceMessageId ? this.world.messages.get(sourceMessageId) : undefined;
    if (sourceMessage && !sourceMessage.deleted) payload.message = this.world.messageJson(sourceMessage);
    return this.register({
      id,
      token,
      type: InteractionTypes.ModalSubmit,
      payload,
      userId,
      channelId: ctx.channel.id,
      ...(sourceMessage && !sourceMessage.deleted ? { componentMessageId: sourceMessage.id } : {}),
      ...(ctx.guild ? { guildId: ctx.guild.id } : {}),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Routes answering interactions

function numberModalComponents(data: JsonObject): JsonObject {
  let next = 1;
  const used = new Set<number>();
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(collect);
    else if (isRecord(node)) {
      const id = asNumber(node.id);
      if (id !== undefined) used.add(id);
      collect(node.components);
      collect(node.component);
    }
  };
  const assign = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(assign);
    else if (isRecord(node)) {
      if (node.id === undefined || node.id === null) {
        while (used.has(next)) next += 1;
        node.id = next;
        used.add(next);
      }
      assign(node.components);
      assign(node.component);
    }
  };
  const copy = toJsonObject(data);
  collect(copy.components);
  assign(copy.components);
  return copy;
}

export class InteractionRoutes {
  constructor(
    private readonly core: SimCore,
    private readonly validate: (kind: BodyKind, ctx: RouteContext, body: unknown) => void,
  ) {}

  private metadata(handle: InteractionHandle, extra: JsonObject = {}): JsonObject {
    const user = this.core.world.users.get(handle.userId);
    const meta: JsonObject = {
      id: handle.id,
      type: handle.type,
      user: user ? userJson(user) : null,
      authorizing_integration_owners: toJson(handle.payload.authorizing_integration_owners),
      ...extra,
    };
    if (handle.commandName) {
      meta.name = handle.commandName;
      meta.command_type = 1;
    }
    if (handle.componentMessageId && handle.type === InteractionTypes.MessageComponent) meta.interacted_message_id = handle.componentMessageId;
    return meta;
  }

  private tracked<T>(handle: InteractionHandle | undefined, route: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (handle && error instanceof DiscordApiError) handle.recordError(route, error);
      throw error;
    }
  }

  callback(ctx: RouteContext): RouteResult {
    const handle = this.core.interactions.get(ctx.params.interaction_id ?? '');
    if (!handle || handle.token !== ctx.params.interaction_token) throw ApiErrors.unknownInteraction();
    return this.tracked(handle, ctx.route, () => this.applyCallback(handle, ctx));
  }

  private applyCallback(handle: InteractionHandle, ctx: RouteContext): RouteResult {
    if (handle.ack) throw ApiErrors.alreadyAcknowledged();
    if (ctx.arrivedAt > handle.deadlineAt) {
      handle.expireIfDue();
      throw ApiErrors.unknownInteraction();
    }
    this.validate('interaction-callback', ctx, ctx.body);
    const body = asRecord(ctx.body);
    const type = asNumber(body.type) ?? 0;
    const data = asRecord(body.data);
    const allowed = ALLOWED_CALLBACKS[handle.type] ?? [];
    const needsMessage = (type === 6 || type === 7) && !handle.componentMessageId;
    if (!allowed.includes(type) || needsMessage) {
      const issue = {
        source: 'limit' as const,
        code: 'custom',
        path: ['type'],
        message: `Callback type ${type} is not valid for interaction type ${handle.type}${needsMessage ? ' without a source message' : ''}`,
        discordCode: 'INTERACTION_RESPONSE_TYPE_INVALID',
      };
      this.core.violations.push({ kind: 'interaction-response', method: ctx.method, path: ctx.path, route: ctx.route, body: toJson(ctx.body), issues: [issue], at: ctx.arrivedAt });
      throw ApiErrors.invalidFormBody(toErrorTree([issue]));
    }
    const channel = this.core.world.channels.get(handle.channelId);
    if (!channel) throw ApiErrors.unknownChannel();
    let message: MessageState | undefined;
    switch (type) {
      case 4: {
        this.core.assertNotEmpty(data, ctx.files);
        this.checkSize(handle, ctx);
        this.core.recordMentions(ctx.method, ctx.path, ctx.route, data);
        message = this.core.createMessage({
          channel,
          authorId: this.core.botUser.id,
          payload: data,
          files: ctx.files,
          allowEphemeral: true,
          type: handle.type === InteractionTypes.ApplicationCommand ? 20 : 0,
          webhookId: this.core.config.applicationId,
          applicationId: this.core.config.applicationId,
          interactionId: handle.id,
          interactionMetadata: this.metadata(handle),
        });
        handle.originalId = message.id;
        break;
      }
      case 5: {
        message = this.core.createMessage({
          channel,
          authorId: this.core.botUser.id,
          payload: { content: '', flags: asNumber(data.flags) ?? 0 },
          files: [],
          allowEphemeral: true,
          extraFlags: MessageFlags.Loading,
          type: handle.type === InteractionTypes.ApplicationCommand ? 20 : 0,
          webhookId: this.core.config.applicationId,
          applicationId: this.core.config.applicationId,
          interactionId: handle.id,
          interactionMetadata: this.metadata(handle),
        });
        handle.originalId = message.id;
        handle.loadingPending = true;
        break;
      }
      case 6:
        handle.updatePending = true;
        message = this.componentMessage(handle);
        break;
      case 7: {
        message = this.componentMessage(handle);
        this.checkSize(handle, ctx);
        this.core.recordMentions(ctx.method, ctx.path, ctx.route, data);
        this.core.editMessage(message, data, ctx.files);
        break;
      }
      case 8:
        handle.choiceData = toJsonArray(data.choices);
        break;
      case 9:
        handle.modalData = numberModalComponents(toJsonObject(data));
        break;
    }
    handle.acknowledge(type, ctx.body, ctx.arrivedAt);
    if (ctx.query.get('with_response') !== 'true') return { status: 204 };
    const interaction: JsonObject = { id: handle.id, type: handle.type };
    if (message) {
      interaction.response_message_id = message.id;
      interaction.response_message_loading = type === 5;
      interaction.response_message_ephemeral = (message.flags & MessageFlags.Ephemeral) !== 0;
    }
    const resource: JsonObject = { type };
    if (message && type !== 6) resource.message = this.core.world.messageJson(message);
    return { status: 200, body: { interaction, resource } };
  }

  private componentMessage(handle: InteractionHandle): MessageState {
    const message = handle.componentMessageId ? this.core.world.messages.get(handle.componentMessageId) : undefined;
    if (!message || message.deleted) throw ApiErrors.unknownMessage();
    return message;
  }

  private checkSize(handle: InteractionHandle, ctx: RouteContext): void {
    const limit = asNumber(handle.payload.attachment_size_limit) ?? DEFAULT_ATTACHMENT_LIMIT;
    const total = ctx.files.reduce((sum, f) => sum + f.bytes.length, 0);
    if (total > limit) throw ApiErrors.entityTooLarge();
  }

  /** Resolves the interaction behind `/webhooks/{application_id}/{token}` routes. */
  private webhook(ctx: RouteContext): InteractionHandle {
    const token = ctx.params.webhook_token ?? '';
    const handle = this.core.interactionsByToken.get(token);
    if (ctx.params.webhook_id !== this.core.config.applicationId) throw ApiErrors.unknownWebhook();
    if (!handle) throw this.core.expiredTokens.has(token) ? ApiErrors.invalidWebhookToken() : ApiErrors.unknownWebhook();
    if (ctx.arrivedAt > handle.createdAt + this.core.config.tokenLifetimeMs) {
      const error = ApiErrors.invalidWebhookToken();
      handle.recordError(ctx.route, error);
      throw error;
    }
    if (!handle.ack || handle.type === InteractionTypes.ApplicationCommandAutocomplete) {
      const error = ApiErrors.unknownWebhook();
      handle.recordError(ctx.route, error);
      throw error;
    }
    return handle;
  }

  private targetMessage(handle: InteractionHandle, messageId: string): MessageState {
    if (messageId === '@original') {
      const message = handle.originalMessage();
      if (!message) throw ApiErrors.unknownMessage();
      return message;
    }
    const mine = new Set([handle.originalId, handle.componentMessageId, ...handle.followUpIds]);
    const message = this.core.world.messages.get(messageId);
    if (!message || message.deleted || !mine.has(messageId)) throw ApiErrors.unknownMessage();
    return message;
  }

  getMessage(ctx: RouteContext): RouteResult {
    const handle = this.webhook(ctx);
    return this.tracked(handle, ctx.route, () => ({ status: 200, body: this.core.world.messageJson(this.targetMessage(handle, ctx.params.message_id ?? '@original')) }));
  }

  editMessage(ctx: RouteContext): RouteResult {
    const handle = this.webhook(ctx);
    return this.tracked(handle, ctx.route, () => {
      const messageId = ctx.params.message_id ?? '@original';
      const message = this.targetMessage(handle, messageId);
      this.validate('webhook-edit', ctx, ctx.body);
      const body = asRecord(ctx.body);
      this.checkSize(handle, ctx);
      this.core.recordMentions(ctx.method, ctx.path, ctx.route, body);
      const wasLoading = handle.loadingPending && message.id === handle.originalId;
      this.core.editMessage(message, body, ctx.files, { clearLoading: wasLoading, markEdited: !wasLoading });
      if (wasLoading) handle.loadingPending = false;
      if (handle.updatePending && message.id === handle.componentMessageId) handle.updatePending = false;
      handle.stateChanged();
      return { status: 200, body: this.core.world.messageJson(message) };
    });
  }

  deleteMessage(ctx: RouteContext): RouteResult {
    const handle = this.webhook(ctx);
    return this.tracked(handle, ctx.route, () => {
      const message = this.targetMessage(handle, ctx.params.message_id ?? '@original');
      this.core.deleteMessage(message);
      handle.stateChanged();
      return { status: 204 };
    });
  }

  followUp(ctx: RouteContext): RouteResult {
    const handle = this.webhook(ctx);
    return this.tracked(handle, ctx.route, () => {
      this.validate('webhook-execute', ctx, ctx.body);
      const body = asRecord(ctx.body);
      this.checkSize(handle, ctx);
      this.core.recordMentions(ctx.method, ctx.path, ctx.route, body);
      const wait = ctx.query.get('wait') === 'true';
      let message: MessageState;
      if (handle.loadingPending) {
        // The first follow-up after a deferred reply replaces the loading message and keeps the
        // deferral's ephemerality.
        const loading = handle.originalId ? this.core.world.messages.get(handle.originalId) : undefined;
        if (!loading || loading.deleted) throw ApiErrors.unknownMessage();
        this.core.assertNotEmpty(body, ctx.files);
        const { flags: _ignored, ...rest } = body;
        this.core.editMessage(loading, rest, ctx.files, { clearLoading: true, markEdited: false });
        handle.loadingPending = false;
        message = loading;
      } else {
        this.core.assertNotEmpty(body, ctx.files);
        const channel = this.core.world.channels.get(handle.channelId);
        if (!channel) throw ApiErrors.unknownChannel();
        const originalId = handle.originalMessage()?.id;
        message = this.core.createMessage({
          channel,
          authorId: this.core.botUser.id,
          payload: body,
          files: ctx.files,
          allowEphemeral: true,
          webhookId: this.core.config.applicationId,
          applicationId: this.core.config.applicationId,
          interactionId: handle.id,
          interactionMetadata: this.metadata(handle, originalId ? { original_response_message_id: originalId } : {}),
        });
        handle.followUpIds.push(message.id);
      }
      handle.stateChanged();
      return wait ? { status: 200, body: this.core.world.messageJson(message) } : { status: 204 };
    });
  }
}
