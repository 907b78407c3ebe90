/**
 * Shared simulator internals: configuration, the world, records, and message operations used
 * by both the channel routes and the interaction routes.
 */
import { extname } from 'node:path';
import { SimCdn } from './cdn.js';
import { SimClock } from './clock.js';
import { ApiErrors } from './errors.js';
import type { SimGateway } from './gateway.js';
import { GatewayIntents } from './gateway.js';
import type { InteractionHandle } from './interactions.js';
import { asArray, asNumber, asRecord, asString, deepFreeze, frozenJsonArray, isRecord, toJson, toJsonArray, toJsonObject, type JsonObject } from './json.js';
import { SnowflakeGenerator } from './snowflake.js';
import { WorldState, type AttachmentState, type ChannelState, type MessageState, type UserState } from './state.js';
import type {
  ComponentView,
  EmbedView,
  MentionWarning,
  RecordedRequest,
  SimMessage,
  UnknownRoute,
  Violation,
} from './types.js';
import type { BodyValidator } from './validation.js';
import { riskyMentions } from './validation.js';

export interface SimConfig {
  token: string;
  applicationId: string;
  botUsername: string;
  heartbeatIntervalMs: number;
  ackDeadlineMs: number;
  tokenLifetimeMs: number;
  nonceWindowMs: number;
  privilegedIntents: number;
  /** `reject`: violations answer 400 like Discord; `record`: they are recorded and the request proceeds. */
  validation: 'reject' | 'record';
  log: (line: string) => void;
}

export interface UploadedFile {
  /** Multipart field name, e.g. `files[0]`. */
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export const MessageFlags = {
  SuppressEmbeds: 1 << 2,
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsVoiceMessage: 1 << 13,
  IsComponentsV2: 1 << 15,
} as const;

const SENDABLE_FLAGS =
  MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications | MessageFlags.IsVoiceMessage | MessageFlags.IsComponentsV2;
const EDITABLE_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.IsComponentsV2;

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
};

export interface MessageCreateInput {
  channel: ChannelState;
  authorId: string;
  payload: Record<string, unknown>;
  files: UploadedFile[];
  /** Whether the ephemeral flag may be honoured (interaction responses only). */
  allowEphemeral?: boolean;
  extraFlags?: number;
  type?: number;
  webhookId?: string;
  applicationId?: string;
  interactionId?: string;
  interactionMetadata?: JsonObject;
}

/** Files referenced by `files[n]` map to `attachments[].id == n`. */
function fileIndex(field: string): string | undefined {
  return /^files\[(\d+)\]$/.exec(field)?.[1] ?? /^file(\d*)$/.exec(field)?.[1];
}

export class SimCore {
  readonly clock = new SimClock();
  readonly ids = new SnowflakeGenerator(() => this.clock.now());
  readonly world: WorldState;
  readonly cdn: SimCdn;
  readonly botUser: UserState;
  gateway!: SimGateway;
  validator!: BodyValidator;

  readonly requests: RecordedRequest[] = [];
  readonly violations: Violation[] = [];
  readonly mentionWarnings: MentionWarning[] = [];
  readonly unknownRoutes: UnknownRoute[] = [];
  readonly interactions = new Map<string, InteractionHandle>();
  readonly interactionsByToken = new Map<string, InteractionHandle>();
  /** Tokens of interactions forgotten by `expireInteractions`: webhook routes answer 50027 for them, as Discord does after 15 minutes. */
  readonly expiredTokens = new Set<string>();
  /** `channelId|nonce` → message id and when it was posted, for enforce_nonce. */
  readonly nonces = new Map<string, { messageId: string; at: number }>();
  private readonly messageListeners = new Set<(message: MessageState) => void>();
  private readonly requestListeners = new Set<(request: RecordedRequest) => void>();
  readonly timers = new Set<NodeJS.Timeout>();
  /** numberComponents' result per frozen input list. */
  private readonly numbered = new WeakMap<object, JsonObject[]>();

  constructor(readonly config: SimConfig) {
    this.world = new WorldState(this.ids, this.clock, config.applicationId);
    this.cdn = new SimCdn(this.ids, this.clock);
    this.botUser = {
      id: config.applicationId,
      username: config.botUsername,
      globalName: null,
      bot: true,
      locale: 'en-US',
      dmsOpen: false,
    };
    this.world.users.set(this.botUser.id, this.botUser);
  }

  /** A timer that `stop()` clears and that never keeps the process alive. */
  setTimer(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
    return timer;
  }

  clearTimer(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  // --- listeners ------------------------------------------------------------------------------

  onMessageChange(listener: (message: MessageState) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  private messageChanged(message: MessageState): void {
    for (const listener of [...this.messageListeners]) listener(message);
  }

  onRequestDone(listener: (request: RecordedRequest) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  requestDone(request: RecordedRequest): void {
    for (const listener of [...this.requestListeners]) listener(request);
  }

  // --- records --------------------------------------------------------------------------------

  recordMentions(method: string, path: string, route: string, payload: Record<string, unknown>): void {
    const mentions = riskyMentions(payload.content, payload.allowed_mentions);
    if (mentions.length === 0) return;
    const warning: MentionWarning = {
      method,
      path,
      route,
      content: asString(payload.content) ?? '',
      mentions,
      at: this.clock.now(),
    };
    if (payload.allowed_mentions !== undefined) warning.allowed_mentions = toJson(payload.allowed_mentions);
    this.mentionWarnings.push(warning);
  }

  // --- messages -------------------------------------------------------------------------------

  guessContentType(filename: string): string {
    return CONTENT_TYPES[extname(filename).toLowerCase()] ?? 'application/octet-stream';
  }

  private buildAttachments(channelId: string, files: UploadedFile[], meta: unknown, ephemeral: boolean): AttachmentState[] {
    const entries = asArray(meta).map(asRecord);
    return files.map((file, position) => {
      const index = fileIndex(file.field) ?? String(position);
      const entry = entries.find((e) => String(e.id) === index) ?? {};
      const filename = asString(entry.filename) ?? file.filename;
      const contentType = file.contentType && file.contentType !== 'application/octet-stream' ? file.contentType : this.guessContentType(filename);
      const asset = this.cdn.register(file.bytes, { filename, contentType, channelId });
      const attachment: AttachmentState = {
        id: asset.id,
        filename,
        size: file.bytes.length,
        contentType,
        bytes: file.bytes,
        url: asset.url,
        proxyUrl: asset.proxy_url,
        ephemeral,
      };
      const description = asString(entry.description);
      if (description !== undefined) attachment.description = description;
      const title = asString(entry.title);
      if (title !== undefined) attachment.title = title;
      return attachment;
    });
  }

  /** Discord numbers components that come without an `id`. */
  private numberComponents(components: unknown): JsonObject[] {
    // A frozen list cannot change, so its numbered copy is worked out once (see ParsedJsonCache).
    const frozen = typeof components === 'object' && components !== null && Object.isFrozen(components);
    if (frozen) {
      const known = this.numbered.get(components);
      if (known) return known;
    }
    const list = this.numberedCopy(components);
    if (frozen) this.numbered.set(components, list);
    return list;
  }

  private numberedCopy(components: unknown): JsonObject[] {
    const list = toJsonArray(components);
    const used = new Set<number>();
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (isRecord(node)) {
        const id = asNumber(node.id);
        if (id !== undefined) used.add(id);
        collect(node.components);
        collect(node.component);
        collect(node.accessory);
      }
    };
    collect(list);
    let next = 1;
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
        assign(node.accessory);
      }
    };
    assign(list);
    return deepFreeze(list);
  }

  isEmpty(message: Pick<MessageState, 'content' | 'embeds' | 'attachments' | 'components'>, hasPoll = false): boolean {
    return (
      message.content.trim() === '' &&
      message.embeds.length === 0 &&
      message.attachments.length === 0 &&
      message.components.length === 0 &&
      !hasPoll
    );
  }

  /** Throws 50006 when the payload would make an empty message. */
  assertNotEmpty(payload: Record<string, unknown>, files: UploadedFile[]): void {
    const content = asString(payload.content) ?? '';
    const empty =
      content.trim() === '' &&
      asArray(payload.embeds).length === 0 &&
      asArray(payload.components).length === 0 &&
      asArray(payload.sticker_ids).length === 0 &&
      files.length === 0 &&
      payload.poll == null;
    if (empty) throw ApiErrors.emptyMessage();
  }

  createMessage(input: MessageCreateInput): MessageState {
    const { payload, channel } = input;
    let flags = (asNumber(payload.flags) ?? 0) & (SENDABLE_FLAGS | (input.allowEphemeral ? MessageFlags.Ephemeral : 0));
    flags |= input.extraFlags ?? 0;
    const ephemeral = (flags & MessageFlags.Ephemeral) !== 0;
    const message: MessageState = {
      id: this.ids.next(),
      channelId: channel.id,
      authorId: input.authorId,
      content: asString(payload.content) ?? '',
      embeds: frozenJsonArray(payload.embeds),
      components: this.numberComponents(payload.components),
      attachments: this.buildAttachments(channel.id, input.files, payload.attachments, ephemeral),
      flags,
      tts: payload.tts === true,
      type: input.type ?? 0,
      createdAt: this.clock.now(),
      deleted: false,
    };
    if (channel.guildId) message.guildId = channel.guildId;
    const nonce = payload.nonce;
    if (typeof nonce === 'string' || typeof nonce === 'number') message.nonce = nonce;
    if (payload.allowed_mentions !== undefined) message.allowedMentions = toJson(payload.allowed_mentions);
    if (input.webhookId) message.webhookId = input.webhookId;
    if (input.applicationId) message.applicationId = input.applicationId;
    if (input.interactionId) message.interactionId = input.interactionId;
    if (input.interactionMetadata) message.interactionMetadata = input.interactionMetadata;
    this.world.addMessage(message);
    if (!ephemeral) this.dispatchMessageEvent('MESSAGE_CREATE', channel, this.world.messageJson(message));
    this.messageChanged(message);
    return message;
  }

  /** Applies an edit payload: only the fields present change; `attachments` lists those to keep. */
  editMessage(message: MessageState, payload: Record<string, unknown>, files: UploadedFile[], options: { markEdited?: boolean; clearLoading?: boolean } = {}): void {
    const next = {
      content: 'content' in payload ? (asString(payload.content) ?? '') : message.content,
      embeds: 'embeds' in payload ? frozenJsonArray(payload.embeds) : message.embeds,
      components: 'components' in payload ? this.numberComponents(payload.components) : message.components,
      attachments: message.attachments,
    };
    const ephemeral = (message.flags & MessageFlags.Ephemeral) !== 0;
    const uploaded = this.buildAttachments(message.channelId, files, payload.attachments, ephemeral);
    if ('attachments' in payload && payload.attachments !== undefined) {
      const keep = new Set(asArray(payload.attachments).map((a) => String(asRecord(a).id)));
      next.attachments = [...message.attachments.filter((a) => keep.has(a.id)), ...uploaded];
    } else {
      next.attachments = [...message.attachments, ...uploaded];
    }
    if (this.isEmpty(next)) throw ApiErrors.emptyMessage();
    message.content = next.content;
    message.embeds = next.embeds;
    message.components = next.components;
    message.attachments = next.attachments;
    const requested = asNumber(payload.flags);
    if (requested !== undefined) message.flags = (message.flags & ~EDITABLE_FLAGS) | (requested & EDITABLE_FLAGS);
    if (options.clearLoading) message.flags &= ~MessageFlags.Loading;
    if ('allowed_mentions' in payload) message.allowedMentions = toJson(payload.allowed_mentions);
    if (options.markEdited !== false) message.editedAt = this.clock.now();
    const channel = this.world.channels.get(message.channelId);
    if (channel && !ephemeral) this.dispatchMessageEvent('MESSAGE_UPDATE', channel, this.world.messageJson(message));
    this.messageChanged(message);
  }

  deleteMessage(message: MessageState): void {
    message.deleted = true;
    const channel = this.world.channels.get(message.channelId);
    if (channel && !(message.flags & MessageFlags.Ephemeral)) {
      const d: JsonObject = { id: message.id, channel_id: message.channelId };
      if (channel.guildId) d.guild_id = channel.guildId;
      this.dispatchMessageEvent('MESSAGE_DELETE', channel, d);
    }
    this.messageChanged(message);
  }

  dispatchMessageEvent(t: string, channel: ChannelState, d: JsonObject): void {
    // Without MESSAGE_CONTENT, guild messages arrive with empty content unless the bot wrote them
    // or is mentioned in them.
    const authorId = asString(asRecord(d.author).id);
    const content = asString(d.content);
    const visible = authorId === this.botUser.id || (content !== undefined && content.includes(`<@${this.botUser.id}>`));
    const shaped = (intents: number): JsonObject => {
      if (visible || !channel.guildId || intents & GatewayIntents.MessageContent || content === undefined) return d;
      return { ...d, content: '', embeds: [], attachments: [], components: [] };
    };
    if (channel.guildId) {
      const guildId = channel.guildId;
      this.gateway.dispatch(t, (intents) => ({ ...shaped(intents), guild_id: guildId }), { intent: GatewayIntents.GuildMessages, guildId });
    } else {
      this.gateway.dispatch(t, d, { intent: GatewayIntents.DirectMessages });
    }
  }

  snapshot(message: MessageState): SimMessage {
    const view: SimMessage = {
      id: message.id,
      channel_id: message.channelId,
      author: this.world.authorJson(message),
      content: message.content,
      // Frozen when stored (frozenJsonArray, numberComponents): shared, not copied.
      embeds: message.embeds as EmbedView[],
      components: message.components as ComponentView[],
      attachments: message.attachments.map((a) => {
        const out: SimMessage['attachments'][number] = {
          id: a.id,
          filename: a.filename,
          size: a.size,
          url: a.url,
          proxy_url: a.proxyUrl,
          bytes: Buffer.from(a.bytes),
        };
        if (a.contentType) out.content_type = a.contentType;
        if (a.description !== undefined) out.description = a.description;
        if (a.title !== undefined) out.title = a.title;
        return out;
      }),
      flags: message.flags,
      tts: message.tts,
      type: message.type,
      timestamp: this.world.iso(message.createdAt),
      edited_timestamp: message.editedAt === undefined ? null : this.world.iso(message.editedAt),
      deleted: message.deleted,
    };
    if (message.guildId) view.guild_id = message.guildId;
    if (message.nonce !== undefined) view.nonce = message.nonce;
    if (message.allowedMentions !== undefined) view.allowed_mentions = toJson(message.allowedMentions);
    if (message.webhookId) view.webhook_id = message.webhookId;
    if (message.applicationId) view.application_id = message.applicationId;
    if (message.interactionMetadata) view.interaction_metadata = toJsonObject(message.interactionMetadata);
    return view;
  }

  /** Application flags for the privileged intents enabled (the *_LIMITED variants of an unverified bot). */
  privilegedIntentFlags(): number {
    let flags = 1 << 23; // APPLICATION_COMMAND_BADGE
    if (this.config.privilegedIntents & GatewayIntents.GuildPresences) flags |= 1 << 13;
    if (this.config.privilegedIntents & GatewayIntents.GuildMembers) flags |= 1 << 15;
    if (this.config.privilegedIntents & GatewayIntents.MessageContent) flags |= 1 << 19;
    return flags;
  }

  shareGuildWithBot(userId: string): boolean {
    for (const guild of this.world.guilds.values()) {
      if (guild.members.has(userId) && guild.members.has(this.botUser.id)) return true;
    }
    return false;
  }
}
