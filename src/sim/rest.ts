/**
 * REST: request parsing (JSON and multipart), auth, injected faults, rate-limit headers,
 * recording, routing, and the handlers for everything that is not an interaction route.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimCore, UploadedFile } from './core.js';
import { MessageFlags } from './core.js';
import { ApiErrors, DiscordApiError } from './errors.js';
import { FaultInjector, templateToRegExp, type Fault } from './faults.js';
import type { InteractionFactory } from './interactions.js';
import { InteractionRoutes } from './interactions.js';
import { asArray, asNumber, asRecord, asString, deepFreeze, ParsedJsonCache, toJson, type JsonObject, type JsonValue } from './json.js';
import { Permissions } from './permissions.js';
import type { RouteContext, RouteDefinition, RouteResult } from './route.js';
import { roleJson, TEXT_CHANNEL_TYPES, userJson, type ChannelState, type CommandState, type GuildState, type MessageState } from './state.js';
import type { RecordedFile, RecordedRequest } from './types.js';
import { toErrorTree, type BodyKind, type ViolationIssue } from './validation.js';

const API_PREFIX = '/api/v10';

interface CompiledRoute extends RouteDefinition {
  pattern: RegExp;
  paramNames: string[];
  literalSegments: number;
}

function compile(def: RouteDefinition): CompiledRoute {
  const paramNames: string[] = [];
  let literalSegments = 0;
  const source = def.template
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1]) {
        paramNames.push(param[1]);
        return '([^/]+)';
      }
      if (segment) literalSegments += 1;
      return segment.replace(/[.*+?^${}()|[\]\\@]/g, '\\$&');
    })
    .join('/');
  return { ...def, pattern: new RegExp(`^${source}/?$`), paramNames, literalSegments };
}

const buckets = new Map<string, string>();

/** Opaque like Discord's; the same for every request on a route, so worked out once per route. */
function bucketFor(method: string, route: string): string {
  const key = `${method} ${route}`;
  let bucket = buckets.get(key);
  if (bucket === undefined) {
    bucket = createHash('sha1').update(key).digest('hex').slice(0, 32);
    if (buckets.size < 10_000) buckets.set(key, bucket);
  }
  return bucket;
}

function redactHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[key] = key === 'authorization' ? text.replace(/^(\w+)\s+.+$/, '$1 [redacted]') : text;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

interface ParsedBody {
  body: unknown;
  /** The JSON text of `body`, when there was one. */
  text?: string;
  files: UploadedFile[];
  multipart: boolean;
}

async function parseBody(contentType: string, raw: Buffer, json: ParsedJsonCache): Promise<ParsedBody> {
  if (raw.length === 0) return { body: undefined, files: [], multipart: false };
  if (contentType.startsWith('multipart/form-data')) {
    // undici's Request implements the multipart parser fetch uses; no extra dependency needed.
    const form = await new Request('http://sim.local/', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
    let body: unknown;
    let text: string | undefined;
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') {
          text = value;
          try {
            body = deepFreeze(JSON.parse(value));
          } catch {
            throw ApiErrors.invalidJson();
          }
        }
        continue;
      }
      files.push({
        field,
        filename: value.name,
        contentType: value.type || 'application/octet-stream',
        bytes: Buffer.from(await value.arrayBuffer()),
      });
    }
    return { body, ...(text === undefined ? {} : { text }), files, multipart: true };
  }
  try {
    const { value, text } = json.parse(raw);
    return { body: value, text, files: [], multipart: false };
  } catch {
    throw ApiErrors.invalidJson();
  }
}

export class RestServer {
  readonly faults = new FaultInjector();
  private readonly routes: CompiledRoute[];
  private readonly discordRoutes: RegExp[];
  private readonly hanging = new Set<ServerResponse>();
  private readonly interactionRoutes: InteractionRoutes;
  private readonly jsonBodies = new ParsedJsonCache();
  private seq = 0;

  constructor(
    private readonly core: SimCore,
    private readonly factory: InteractionFactory,
    pathsList: Readonly<Record<string, readonly string[]>>,
  ) {
    this.interactionRoutes = new InteractionRoutes(core, (kind, ctx, body) => this.validate(kind, ctx, body));
    this.routes = this.definitions()
      .map(compile)
      // Literal segments win over parameters (`/messages/@original` before `/messages/{id}`).
      .sort((a, b) => b.literalSegments - a.literalSegments);
    const known = new Set<string>();
    for (const list of Object.values(pathsList)) for (const path of list) known.add(path);
    this.discordRoutes = [...known].map((p) => templateToRegExp(p));
  }

  /** Every implemented route template per method, for the docs and the spec cross-check test. */
  get implementedRoutes(): { method: string; template: string }[] {
    return this.routes.map((r) => ({ method: r.method, template: r.template }));
  }

  private validate(kind: BodyKind, ctx: RouteContext, body: unknown): void {
    const issues: ViolationIssue[] = this.core.validator.validateParsed(kind, body, body === ctx.body ? ctx.bodyText : undefined);
    if (ctx.files.length > 10) {
      issues.push({ source: 'limit', code: 'custom', path: ['files'], message: 'Must be 10 or fewer in length.', discordCode: 'BASE_TYPE_MAX_LENGTH' });
    }
    if (issues.length === 0) return;
    this.core.violations.push({
      kind: issues.some((i) => i.source === 'schema') ? 'schema' : 'limit',
      method: ctx.method,
      path: ctx.path,
      route: ctx.route,
      body: toJson(body),
      issues,
      at: ctx.arrivedAt,
    });
    if (this.core.config.validation === 'reject') throw ApiErrors.invalidFormBody(toErrorTree(issues));
  }

  // --- plumbing -------------------------------------------------------------------------------

  private match(method: string, path: string): { route?: CompiledRoute; params: Record<string, string>; pathKnown: boolean } {
    let pathKnown = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, i) => {
        params[name] = m[i + 1] ?? '';
      });
      return { route, params, pathKnown };
    }
    return { params: {}, pathKnown };
  }

  private rateLimitHeaders(method: string, route: string): Record<string, string> {
    const now = Date.now() / 1000;
    return {
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '4',
      'x-ratelimit-reset': (now + 1).toFixed(3),
      'x-ratelimit-reset-after': '1.000',
      'x-ratelimit-bucket': bucketFor(method, route),
    };
  }

  private send(res: ServerResponse, record: RecordedRequest, status: number, body: JsonValue | undefined, headers: Record<string, string>): void {
    record.status = status;
    record.endedAt = this.core.clock.now();
    if (body !== undefined) record.response = body;
    if (!res.destroyed) {
      const payload = body === undefined || status === 204 ? undefined : JSON.stringify(body);
      res.writeHead(status, {
        ...headers,
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
      });
      res.end(payload);
    }
    this.core.requestDone(record);
  }

  private async applyFault(fault: Fault, res: ServerResponse, record: RecordedRequest, method: string, route: string): Promise<boolean> {
    const { spec } = fault;
    record.fault = `#${fault.id} ${spec.hang ? 'hang' : (spec.status ?? 'delay')}`;
    if (spec.hang) {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return true;
    }
    if (spec.delayMs) await new Promise<void>((resolve) => this.core.setTimer(spec.delayMs ?? 0, resolve));
    if (spec.status === undefined) return false;
    if (spec.status === 429) {
      const retryAfter = spec.retryAfter ?? 1;
      const scope = spec.scope ?? (spec.global ? 'global' : 'user');
      const headers: Record<string, string> = {
        'retry-after': String(retryAfter),
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': (Date.now() / 1000 + retryAfter).toFixed(3),
        'x-ratelimit-reset-after': retryAfter.toFixed(3),
        'x-ratelimit-bucket': bucketFor(method, route),
        'x-ratelimit-scope': scope,
      };
      if (spec.global) headers['x-ratelimit-global'] = 'true';
      this.send(res, record, 429, { message: 'You are being rate limited.', retry_after: retryAfter, global: spec.global === true }, headers);
      return true;
    }
    const messages: Record<number, string> = { 500: '500: Internal Server Error', 502: '502: Bad Gateway', 503: '503: Service Unavailable' };
    this.send(res, record, spec.status, { message: messages[spec.status] ?? 'Server error', code: 0 }, {});
    return true;
  }

  /** @internal Handles one HTTP request under `/api`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const arrivedAt = this.core.clock.now();
    const rawPath = url.pathname.startsWith(`${API_PREFIX}/`) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    // discord.js percent-encodes `@original`; match and record the decoded form.
    const path = rawPath
      .split('/')
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          return segment;
        }
      })
      .join('/');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const record: RecordedRequest = {
      seq: ++this.seq,
      method,
      path,
      query,
      route: null,
      headers: redactHeaders(req.headers),
      body: undefined,
      files: [],
      startedAt: arrivedAt,
    };
    this.core.requests.push(record);

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch {
      return;
    }
    const versioned = url.pathname.startsWith(`${API_PREFIX}/`);
    const { route, params, pathKnown } = versioned ? this.match(method, path) : { params: {}, pathKnown: false };
    if (route) record.route = route.template;
    const routeKey = route?.template ?? path;

    const fault = this.faults.take(method, path, route?.template ?? null);
    if (fault && (await this.applyFault(fault, res, record, method, routeKey))) return;

    const headers = this.rateLimitHeaders(method, routeKey);
    try {
      let parsed: ParsedBody = { body: undefined, files: [], multipart: false };
      if (method !== 'GET' && method !== 'HEAD') parsed = await parseBody(req.headers['content-type'] ?? '', raw, this.jsonBodies);
      // Deep-frozen when parsed (routes cannot mutate it): the record shares it, no copy.
      record.body = parsed.body;
      record.files = parsed.files.map<RecordedFile>((f) => ({ field: f.field, filename: f.filename, contentType: f.contentType, size: f.bytes.length, bytes: f.bytes }));

      if (!route) {
        const knownToDiscord = versioned && this.discordRoutes.some((r) => r.test(path));
        const status = pathKnown ? 405 : 404;
        this.core.unknownRoutes.push({ method, path: versioned ? path : url.pathname, knownToDiscord, status, at: arrivedAt });
        this.core.config.log(`rest: ${status} for ${method} ${url.pathname}${knownToDiscord ? ' (a Discord route the simulator does not implement)' : ''}`);
        throw pathKnown ? ApiErrors.methodNotAllowed() : ApiErrors.notFound();
      }
      if (route.auth && req.headers.authorization !== `Bot ${this.core.config.token}`) throw ApiErrors.unauthorized();

      const ctx: RouteContext = { method, path, route: route.template, params, query: url.searchParams, body: parsed.body, ...(parsed.text === undefined ? {} : { bodyText: parsed.text }), files: parsed.files, multipart: parsed.multipart, arrivedAt, request: record };
      const result: RouteResult = await route.handler(ctx);
      this.send(res, record, result.status, result.body, { ...headers, ...result.headers });
    } catch (error) {
      if (error instanceof DiscordApiError) {
        if (error.code === 50006) {
          this.core.violations.push({
            kind: 'empty-message',
            method,
            path,
            route: routeKey,
            body: record.body,
            issues: [{ source: 'limit', code: 'custom', path: [], message: error.message, discordCode: 'EMPTY_MESSAGE' }],
            at: arrivedAt,
          });
        }
        this.send(res, record, error.status, error.toBody(), headers);
        return;
      }
      this.core.config.log(`rest: internal error on ${method} ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      this.send(res, record, 500, { message: '500: Internal Server Error', code: 0 }, headers);
    }
  }

  /** @internal */
  close(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  // --- route table ----------------------------------------------------------------------------

  private definitions(): RouteDefinition[] {
    const r = (method: string, template: string, handler: RouteDefinition['handler'], auth = true): RouteDefinition => ({ method, template, handler, auth });
    const i = this.interactionRoutes;
    return [
      r('GET', '/gateway', () => ({ status: 200, body: { url: this.core.gateway.url } }), false),
      r('GET', '/gateway/bot', () => this.gatewayBot()),
      r('GET', '/users/@me', () => ({ status: 200, body: this.currentUser() })),
      r('GET', '/users/{user_id}', (ctx) => this.getUser(ctx)),
      r('POST', '/users/@me/channels', (ctx) => this.createDm(ctx)),
      r('GET', '/applications/@me', () => ({ status: 200, body: this.application() })),
      r('GET', '/oauth2/applications/@me', () => ({ status: 200, body: this.application() })),

      r('GET', '/applications/{application_id}/commands', (ctx) => this.listCommands(ctx)),
      r('PUT', '/applications/{application_id}/commands', (ctx) => this.bulkCommands(ctx)),
      r('POST', '/applications/{application_id}/commands', (ctx) => this.createCommand(ctx)),
      r('GET', '/applications/{application_id}/commands/{command_id}', (ctx) => this.getCommand(ctx)),
      r('PATCH', '/applications/{application_id}/commands/{command_id}', (ctx) => this.patchCommand(ctx)),
      r('DELETE', '/applications/{application_id}/commands/{command_id}', (ctx) => this.deleteCommand(ctx)),
      r('GET', '/applications/{application_id}/guilds/{guild_id}/commands', (ctx) => this.listCommands(ctx)),
      r('PUT', '/applications/{application_id}/guilds/{guild_id}/commands', (ctx) => this.bulkCommands(ctx)),
      r('POST', '/applications/{application_id}/guilds/{guild_id}/commands', (ctx) => this.createCommand(ctx)),
      r('GET', '/applications/{application_id}/guilds/{guild_id}/commands/{command_id}', (ctx) => this.getCommand(ctx)),
      r('PATCH', '/applications/{application_id}/guilds/{guild_id}/commands/{command_id}', (ctx) => this.patchCommand(ctx)),
      r('DELETE', '/applications/{application_id}/guilds/{guild_id}/commands/{command_id}', (ctx) => this.deleteCommand(ctx)),

      r('POST', '/interactions/{interaction_id}/{interaction_token}/callback', (ctx) => i.callback(ctx), false),
      r('POST', '/webhooks/{webhook_id}/{webhook_token}', (ctx) => i.followUp(ctx), false),
      r('GET', '/webhooks/{webhook_id}/{webhook_token}/messages/@original', (ctx) => i.getMessage(ctx), false),
      r('PATCH', '/webhooks/{webhook_id}/{webhook_token}/messages/@original', (ctx) => i.editMessage(ctx), false),
      r('DELETE', '/webhooks/{webhook_id}/{webhook_token}/messages/@original', (ctx) => i.deleteMessage(ctx), false),
      r('GET', '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}', (ctx) => i.getMessage(ctx), false),
      r('PATCH', '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}', (ctx) => i.editMessage(ctx), false),
      r('DELETE', '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}', (ctx) => i.deleteMessage(ctx), false),

      r('GET', '/channels/{channel_id}', (ctx) => this.getChannel(ctx)),
      r('GET', '/channels/{channel_id}/messages', (ctx) => this.listMessages(ctx)),
      r('POST', '/channels/{channel_id}/messages', (ctx) => this.createMessage(ctx)),
      r('GET', '/channels/{channel_id}/messages/{message_id}', (ctx) => this.getMessage(ctx)),
      r('PATCH', '/channels/{channel_id}/messages/{message_id}', (ctx) => this.editMessage(ctx)),
      r('DELETE', '/channels/{channel_id}/messages/{message_id}', (ctx) => this.deleteMessage(ctx)),
      r('POST', '/channels/{channel_id}/typing', (ctx) => this.typing(ctx)),

      r('GET', '/guilds/{guild_id}', (ctx) => this.getGuild(ctx)),
      r('GET', '/guilds/{guild_id}/channels', (ctx) => this.guildChannels(ctx)),
      r('GET', '/guilds/{guild_id}/roles', (ctx) => this.guildRoles(ctx)),
      r('GET', '/guilds/{guild_id}/members/{user_id}', (ctx) => this.guildMember(ctx)),
    ];
  }

  // --- users, application, gateway ------------------------------------------------------------

  private gatewayBot(): RouteResult {
    return {
      status: 200,
      body: {
        url: this.core.gateway.url,
        shards: 1,
        session_start_limit: { total: 1000, remaining: Math.max(0, 1000 - this.core.gateway.identifyCount), reset_after: 86_400_000, max_concurrency: 1 },
      },
    };
  }

  private currentUser(): JsonObject {
    return { ...userJson(this.core.botUser), verified: true, mfa_enabled: false, email: null, locale: 'en-US', premium_type: 0, bio: '' };
  }

  private application(): JsonObject {
    return {
      id: this.core.config.applicationId,
      name: this.core.config.botUsername,
      icon: null,
      description: '',
      summary: '',
      type: null,
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: 'a'.repeat(64),
      flags: this.core.privilegedIntentFlags(),
      hook: true,
      is_monetized: false,
      is_verified: false,
      is_discoverable: false,
      owner: { id: '1', username: 'owner', discriminator: '0', avatar: null, global_name: null, public_flags: 0, flags: 0 },
      team: null,
      bot: this.currentUser(),
      approximate_guild_count: this.core.world.guilds.size,
      integration_types_config: { '0': {} },
      redirect_uris: [],
      interactions_endpoint_url: null,
      tags: [],
    };
  }

  private getUser(ctx: RouteContext): RouteResult {
    const user = this.core.world.users.get(ctx.params.user_id ?? '');
    if (!user) throw ApiErrors.unknownUser();
    return { status: 200, body: userJson(user) };
  }

  private createDm(ctx: RouteContext): RouteResult {
    this.validate('dm-create', ctx, ctx.body);
    const recipientId = asString(asRecord(ctx.body).recipient_id) ?? '';
    if (!this.core.world.users.has(recipientId)) throw ApiErrors.unknownUser();
    const channel = this.factory.dmChannelFor(recipientId);
    return { status: 200, body: this.core.world.channelJson(channel) };
  }

  // --- commands -------------------------------------------------------------------------------

  private commandScope(ctx: RouteContext): Map<string, CommandState> {
    if (ctx.params.application_id !== this.core.config.applicationId) throw new DiscordApiError(403, 50001, 'Missing Access');
    const guildId = ctx.params.guild_id;
    if (guildId === undefined) return this.core.world.globalCommands;
    const guild = this.core.world.guilds.get(guildId);
    if (!guild || !guild.members.has(this.core.botUser.id)) throw ApiErrors.missingAccess();
    let scoped = this.core.world.guildCommands.get(guildId);
    if (!scoped) {
      scoped = new Map();
      this.core.world.guildCommands.set(guildId, scoped);
    }
    return scoped;
  }

  /** The command as Discord echoes it back. */
  commandJson(command: CommandState): JsonObject {
    return { ...command.data, id: command.id, application_id: this.core.config.applicationId, version: command.version, ...(command.guildId ? { guild_id: command.guildId } : {}) };
  }

  /** @internal Also used by `sim.seedCommands`. */
  upsertCommand(scope: Map<string, CommandState>, guildId: string | undefined, body: Record<string, unknown>, existing?: CommandState): { command: CommandState; created: boolean } {
    const type = asNumber(body.type) ?? 1;
    const name = asString(body.name) ?? '';
    const match = existing ?? [...scope.values()].find((c) => c.data.name === name && (asNumber(c.data.type) ?? 1) === type);
    const dmp = body.default_member_permissions;
    const data: JsonObject = {
      type,
      name,
      name_localizations: toJson(body.name_localizations ?? null),
      description: asString(body.description) ?? '',
      description_localizations: toJson(body.description_localizations ?? null),
      default_member_permissions: dmp === null || dmp === undefined ? null : String(dmp),
      contexts: toJson(body.contexts ?? null),
      integration_types: toJson(body.integration_types ?? [0]),
      nsfw: body.nsfw === true,
    };
    if (body.options != null) data.options = toJson(body.options);
    if (!guildId) data.dm_permission = body.dm_permission !== false;
    const command: CommandState = { id: match?.id ?? this.core.ids.next(), version: this.core.ids.next(), data, ...(guildId ? { guildId } : {}) };
    scope.set(command.id, command);
    return { command, created: !match };
  }

  private listCommands(ctx: RouteContext): RouteResult {
    const scope = this.commandScope(ctx);
    return { status: 200, body: [...scope.values()].map((c) => this.commandJson(c)) };
  }

  private bulkCommands(ctx: RouteContext): RouteResult {
    const scope = this.commandScope(ctx);
    this.validate('command-bulk', ctx, ctx.body);
    const bodies = asArray(ctx.body).map(asRecord);
    const previous = [...scope.values()];
    scope.clear();
    const result = bodies.map((body) => {
      const keep = previous.find((c) => c.data.name === body.name && (asNumber(c.data.type) ?? 1) === (asNumber(body.type) ?? 1));
      return this.upsertCommand(scope, ctx.params.guild_id, body, keep).command;
    });
    return { status: 200, body: result.map((c) => this.commandJson(c)) };
  }

  private createCommand(ctx: RouteContext): RouteResult {
    const scope = this.commandScope(ctx);
    this.validate('command-create', ctx, ctx.body);
    const { command, created } = this.upsertCommand(scope, ctx.params.guild_id, asRecord(ctx.body));
    return { status: created ? 201 : 200, body: this.commandJson(command) };
  }

  private findCommand(ctx: RouteContext): { scope: Map<string, CommandState>; command: CommandState } {
    const scope = this.commandScope(ctx);
    const command = scope.get(ctx.params.command_id ?? '');
    if (!command) throw ApiErrors.unknownCommand();
    return { scope, command };
  }

  private getCommand(ctx: RouteContext): RouteResult {
    return { status: 200, body: this.commandJson(this.findCommand(ctx).command) };
  }

  private patchCommand(ctx: RouteContext): RouteResult {
    const { scope, command } = this.findCommand(ctx);
    this.validate('command-patch', ctx, ctx.body);
    const merged: Record<string, unknown> = { ...command.data, ...asRecord(ctx.body) };
    const { command: updated } = this.upsertCommand(scope, ctx.params.guild_id, merged, command);
    return { status: 200, body: this.commandJson(updated) };
  }

  private deleteCommand(ctx: RouteContext): RouteResult {
    const { scope, command } = this.findCommand(ctx);
    scope.delete(command.id);
    return { status: 204 };
  }

  // --- channels and messages ------------------------------------------------------------------

  private channel(ctx: RouteContext): { channel: ChannelState; perms: bigint } {
    const channel = this.core.world.channels.get(ctx.params.channel_id ?? '');
    if (!channel) throw ApiErrors.unknownChannel();
    if (channel.guildId) {
      const guild = this.core.world.guilds.get(channel.guildId);
      if (!guild?.members.has(this.core.botUser.id)) throw ApiErrors.unknownChannel();
    } else if (!channel.recipientId) {
      throw ApiErrors.unknownChannel();
    }
    const perms = this.core.world.permissionsFor(this.core.botUser.id, channel);
    if (!(perms & Permissions.ViewChannel)) throw ApiErrors.missingAccess();
    return { channel, perms };
  }

  private getChannel(ctx: RouteContext): RouteResult {
    const { channel } = this.channel(ctx);
    return { status: 200, body: this.core.world.channelJson(channel) };
  }

  private listMessages(ctx: RouteContext): RouteResult {
    const { channel, perms } = this.channel(ctx);
    if (!(perms & Permissions.ReadMessageHistory)) return { status: 200, body: [] };
    const limit = Math.min(100, Math.max(1, Number(ctx.query.get('limit') ?? 50) || 50));
    let list = this.core.world.channelMessageList(channel.id, false);
    const before = ctx.query.get('before');
    const after = ctx.query.get('after');
    const around = ctx.query.get('around');
    if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
    if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after));
    let page: MessageState[];
    if (around) {
      const index = list.findIndex((m) => BigInt(m.id) >= BigInt(around));
      const start = Math.max(0, (index < 0 ? list.length : index) - Math.floor(limit / 2));
      page = list.slice(start, start + limit);
    } else if (after && !before) {
      page = list.slice(0, limit);
    } else {
      page = list.slice(-limit);
    }
    return { status: 200, body: page.reverse().map((m) => this.core.world.messageJson(m)) };
  }

  private requireMessage(channel: ChannelState, id: string): MessageState {
    const message = this.core.world.messages.get(id);
    if (!message || message.deleted || message.channelId !== channel.id || message.flags & MessageFlags.Ephemeral) throw ApiErrors.unknownMessage();
    return message;
  }

  private getMessage(ctx: RouteContext): RouteResult {
    const { channel, perms } = this.channel(ctx);
    if (!(perms & Permissions.ReadMessageHistory)) throw ApiErrors.missingAccess();
    return { status: 200, body: this.core.world.messageJson(this.requireMessage(channel, ctx.params.message_id ?? '')) };
  }

  private checkDmRecipient(channel: ChannelState): void {
    if (channel.guildId) return;
    const recipient = channel.recipientId ? this.core.world.users.get(channel.recipientId) : undefined;
    if (!recipient || recipient.bot || !recipient.dmsOpen || !this.core.shareGuildWithBot(recipient.id)) throw ApiErrors.cannotDmUser();
  }

  private createMessage(ctx: RouteContext): RouteResult {
    const { channel, perms } = this.channel(ctx);
    if (!TEXT_CHANNEL_TYPES.has(channel.type)) throw ApiErrors.nonTextChannel();
    this.validate('message-create', ctx, ctx.body);
    const body = asRecord(ctx.body);
    if (!(perms & Permissions.SendMessages)) throw ApiErrors.missingPermissions();
    this.core.assertNotEmpty(body, ctx.files);
    if (asArray(body.embeds).length > 0 && !(perms & Permissions.EmbedLinks)) throw ApiErrors.missingPermissions();
    if (ctx.files.length > 0 && !(perms & Permissions.AttachFiles)) throw ApiErrors.missingPermissions();
    const limit = channel.guildId ? this.attachmentLimit(this.core.world.guilds.get(channel.guildId)) : 10 * 1024 * 1024;
    if (ctx.files.reduce((sum, f) => sum + f.bytes.length, 0) > limit) throw ApiErrors.entityTooLarge();
    this.checkDmRecipient(channel);
    this.core.recordMentions(ctx.method, ctx.path, ctx.route, body);

    const nonce = body.nonce;
    const nonceKey = (typeof nonce === 'string' || typeof nonce === 'number') && body.enforce_nonce === true ? `${channel.id}|${String(nonce)}` : undefined;
    if (nonceKey) {
      const seen = this.core.nonces.get(nonceKey);
      const earlier = seen ? this.core.world.messages.get(seen.messageId) : undefined;
      if (seen && earlier && ctx.arrivedAt - seen.at <= this.core.config.nonceWindowMs) {
        return { status: 200, body: this.core.world.messageJson(earlier) };
      }
    }
    const message = this.core.createMessage({ channel, authorId: this.core.botUser.id, payload: body, files: ctx.files });
    if (nonceKey) this.core.nonces.set(nonceKey, { messageId: message.id, at: ctx.arrivedAt });
    return { status: 200, body: this.core.world.messageJson(message) };
  }

  private attachmentLimit(guild: GuildState | undefined): number {
    if (!guild) return 10 * 1024 * 1024;
    return guild.premiumTier >= 3 ? 100 * 1024 * 1024 : guild.premiumTier === 2 ? 50 * 1024 * 1024 : 10 * 1024 * 1024;
  }

  private editMessage(ctx: RouteContext): RouteResult {
    const { channel, perms } = this.channel(ctx);
    const message = this.requireMessage(channel, ctx.params.message_id ?? '');
    this.validate('message-edit', ctx, ctx.body);
    if (message.authorId !== this.core.botUser.id) throw ApiErrors.cannotEditOthers();
    const body = asRecord(ctx.body);
    if (asArray(body.embeds).length > 0 && !(perms & Permissions.EmbedLinks)) throw ApiErrors.missingPermissions();
    if (ctx.files.length > 0 && !(perms & Permissions.AttachFiles)) throw ApiErrors.missingPermissions();
    this.core.recordMentions(ctx.method, ctx.path, ctx.route, body);
    this.core.editMessage(message, body, ctx.files);
    return { status: 200, body: this.core.world.messageJson(message) };
  }

  private deleteMessage(ctx: RouteContext): RouteResult {
    const { channel, perms } = this.channel(ctx);
    const message = this.requireMessage(channel, ctx.params.message_id ?? '');
    if (message.authorId !== this.core.botUser.id && !(perms & Permissions.ManageMessages)) throw ApiErrors.missingPermissions();
    this.core.deleteMessage(message);
    return { status: 204 };
  }

  private typing(ctx: RouteContext): RouteResult {
    const { perms } = this.channel(ctx);
    if (!(perms & Permissions.SendMessages)) throw ApiErrors.missingPermissions();
    return { status: 204 };
  }

  // --- guilds ---------------------------------------------------------------------------------

  private guild(ctx: RouteContext): GuildState {
    const guild = this.core.world.guilds.get(ctx.params.guild_id ?? '');
    if (!guild || !guild.members.has(this.core.botUser.id)) throw ApiErrors.unknownGuild();
    return guild;
  }

  private getGuild(ctx: RouteContext): RouteResult {
    const guild = this.guild(ctx);
    const body = this.core.world.guildJson(guild);
    if (ctx.query.get('with_counts') === 'true') {
      body.approximate_member_count = guild.members.size;
      body.approximate_presence_count = 0;
    }
    return { status: 200, body };
  }

  private guildChannels(ctx: RouteContext): RouteResult {
    const guild = this.guild(ctx);
    const channels = guild.channels
      .map((id) => this.core.world.channels.get(id))
      .filter((c): c is ChannelState => c !== undefined)
      .map((c) => this.core.world.channelJson(c));
    return { status: 200, body: channels };
  }

  private guildRoles(ctx: RouteContext): RouteResult {
    const guild = this.guild(ctx);
    return { status: 200, body: [...guild.roles.values()].map(roleJson) };
  }

  private guildMember(ctx: RouteContext): RouteResult {
    const guild = this.guild(ctx);
    const member = guild.members.get(ctx.params.user_id ?? '');
    if (!member) throw ApiErrors.unknownMember();
    return { status: 200, body: this.core.world.memberJson(member) };
  }
}
