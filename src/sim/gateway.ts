/**
 * The gateway: HELLO/IDENTIFY/READY/GUILD_CREATE, heartbeats, sequence numbers, RESUME with
 * replay, and the faults a real connection suffers (drops, op 7, op 9).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { SimClock } from './clock.js';
import { asArray, asNumber, asRecord, asString, isRecord, type JsonObject, type JsonValue } from './json.js';

export const GatewayOpcodes = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  RequestSoundboardSounds: 31,
} as const;

export const GatewayIntents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildModeration: 1 << 2,
  GuildExpressions: 1 << 3,
  GuildIntegrations: 1 << 4,
  GuildWebhooks: 1 << 5,
  GuildInvites: 1 << 6,
  GuildVoiceStates: 1 << 7,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  DirectMessages: 1 << 12,
  DirectMessageReactions: 1 << 13,
  DirectMessageTyping: 1 << 14,
  MessageContent: 1 << 15,
  GuildScheduledEvents: 1 << 16,
  AutoModerationConfiguration: 1 << 20,
  AutoModerationExecution: 1 << 21,
  GuildMessagePolls: 1 << 24,
  DirectMessagePolls: 1 << 25,
} as const;

const ALL_INTENTS = Object.values(GatewayIntents).reduce((all, bit) => all | bit, 0);
export const PRIVILEGED_INTENTS = GatewayIntents.GuildMembers | GatewayIntents.GuildPresences | GatewayIntents.MessageContent;

export interface GatewayLogEntry {
  at: number;
  connection: number;
  direction: 'in' | 'out';
  op: number;
  t: string | null;
  s: number | null;
  /** The payload's `d` for dispatches and client payloads (tokens redacted). */
  d?: JsonValue;
}

export interface ConnectionRecord {
  id: number;
  /** `/gateway` for fresh connections, `/gateway-resume` when the client used resume_gateway_url. */
  path: string;
  query: Record<string, string>;
  openedAt: number;
  closedAt?: number;
  /** Close code as the server saw it (1006 when the TCP connection just went away). */
  closeCode?: number;
}

export interface SessionInfo {
  id: string;
  intents: number;
  shard: [number, number];
  seq: number;
  connected: boolean;
  invalidated: boolean;
  /** Dispatches kept for a RESUME to replay (none once the session has ended). */
  buffered: number;
}

interface Dispatch {
  t: string;
  s: number;
  d: JsonValue;
}

/** Who receives a dispatch: an intent the session must hold, and the guild for shard routing. */
export interface DispatchTarget {
  intent?: number;
  /** Guild the event belongs to (routes it to the right shard); omit for DMs and global events. */
  guildId?: string;
}

export interface GatewayHooks {
  token: string;
  heartbeatIntervalMs: number;
  /** Privileged intents enabled for the application (in the developer portal). */
  privilegedIntents: number;
  clock: SimClock;
  readyPayload(session: SessionInfo, resumeUrl: string, guildIds: string[]): JsonObject;
  /** Guild ids the bot is in (READY lists them as unavailable). */
  guildIds(): string[];
  guildCreate(guildId: string, intents: number): JsonObject | undefined;
  requestGuildMembers(request: Record<string, unknown>, intents: number): JsonObject[];
  log(line: string): void;
}

class Session {
  seq = 0;
  readonly buffer: Dispatch[] = [];
  connection: Connection | undefined;
  invalidated = false;

  constructor(
    readonly id: string,
    readonly intents: number,
    readonly shard: [number, number],
  ) {}

  /** Nothing can resume an ended session, so what it buffered for a resume goes with it. */
  end(): void {
    this.invalidated = true;
    this.buffer.length = 0;
  }

  info(): SessionInfo {
    return {
      id: this.id,
      intents: this.intents,
      shard: [this.shard[0], this.shard[1]],
      seq: this.seq,
      connected: this.connection !== undefined,
      invalidated: this.invalidated,
      buffered: this.buffer.length,
    };
  }
}

const MAX_BUFFERED_DISPATCHES = 5000;
const SEND_LIMIT_PER_MINUTE = 120;

class Connection {
  session: Session | undefined;
  /** The session is attached and receives dispatches (after READY or RESUMED). */
  live = false;
  received: number[] = [];
  private deflate: zlib.Deflate | undefined;
  private identifyCompress = false;
  private chain: Promise<void> = Promise.resolve();
  reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    zlibStream: boolean,
    private readonly record: (entry: GatewayLogEntry) => void,
    private readonly clock: SimClock,
  ) {
    if (zlibStream) this.deflate = zlib.createDeflate();
  }

  useIdentifyCompression(): void {
    if (!this.deflate) this.identifyCompress = true;
  }

  send(op: number, d: JsonValue, t: string | null = null, s: number | null = null): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const entry: GatewayLogEntry = { at: this.clock.now(), connection: this.id, direction: 'out', op, t, s };
    if (op === GatewayOpcodes.Dispatch) entry.d = d;
    this.record(entry);
    const text = JSON.stringify({ op, d, s, t });
    const deflate = this.deflate;
    if (deflate) {
      // zlib-stream: one shared deflate context, every message ends on a Z_SYNC_FLUSH boundary.
      this.chain = this.chain.then(
        () =>
          new Promise<void>((resolve) => {
            const chunks: Buffer[] = [];
            const onData = (chunk: Buffer): void => {
              chunks.push(chunk);
            };
            deflate.on('data', onData);
            deflate.write(text);
            deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
              setImmediate(() => {
                deflate.off('data', onData);
                if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.concat(chunks));
                resolve();
              });
            });
          }),
      );
      return;
    }
    if (this.identifyCompress) {
      this.ws.send(zlib.deflateSync(text));
      return;
    }
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  dispose(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.deflate?.close();
  }
}

function redact(d: unknown): JsonValue {
  if (!isRecord(d)) return (d ?? null) as JsonValue;
  const copy: Record<string, unknown> = { ...d };
  if ('token' in copy) copy.token = '[redacted]';
  return JSON.parse(JSON.stringify(copy)) as JsonValue;
}

export class SimGateway {
  readonly log: GatewayLogEntry[] = [];
  /** Every WebSocket connection, oldest first. */
  readonly connectionLog: ConnectionRecord[] = [];
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private baseUrl = '';
  private readonly waiters = new Set<{ predicate: (e: GatewayLogEntry) => boolean; resolve: (e: GatewayLogEntry) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly hooks: GatewayHooks) {}

  /** @internal */
  setBaseUrl(wsBase: string): void {
    this.baseUrl = wsBase;
  }

  /** The URL `GET /gateway/bot` hands out. */
  get url(): string {
    return `${this.baseUrl}/gateway`;
  }

  /** READY's `resume_gateway_url`; a distinct path so tests can see that resumes use it. */
  get resumeUrl(): string {
    return `${this.baseUrl}/gateway-resume`;
  }

  /** @internal */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/gateway' && url.pathname !== '/gateway-resume') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, url));
  }

  private record(entry: GatewayLogEntry): void {
    this.log.push(entry);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(entry)) {
        this.waiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
  }

  private onConnection(ws: WebSocket, url: URL): void {
    const compress = url.searchParams.get('compress');
    const connection = new Connection(this.nextConnectionId++, ws, compress === 'zlib-stream', (e) => this.record(e), this.hooks.clock);
    this.connections.add(connection);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const record: ConnectionRecord = { id: connection.id, path: url.pathname, query, openedAt: this.hooks.clock.now() };
    this.connectionLog.push(record);
    ws.on('message', (data, isBinary) => this.onMessage(connection, data, isBinary));
    ws.on('close', (code) => {
      record.closedAt = this.hooks.clock.now();
      record.closeCode = code;
      this.onClose(connection, code);
    });
    ws.on('error', () => undefined);

    const version = url.searchParams.get('v');
    if (version !== null && version !== '10') {
      connection.close(4012, 'Invalid API version');
      return;
    }
    const encoding = url.searchParams.get('encoding');
    if (encoding !== null && encoding !== 'json') {
      connection.close(4002, 'The simulator only speaks encoding=json');
      return;
    }
    if (compress !== null && compress !== 'zlib-stream') {
      connection.close(4002, `Unsupported compression ${compress}`);
      return;
    }
    connection.send(GatewayOpcodes.Hello, {
      heartbeat_interval: this.hooks.heartbeatIntervalMs,
      _trace: ['["gateway-sim",{"micros":0}]'],
    });
  }

  private onClose(connection: Connection, code: number): void {
    connection.dispose();
    this.connections.delete(connection);
    const session = connection.session;
    if (session && session.connection === connection) {
      session.connection = undefined;
      // Closing with 1000/1001 ends the session; any other code leaves it resumable.
      if (code === 1000 || code === 1001) session.end();
    }
  }

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    const now = this.hooks.clock.now();
    connection.received = connection.received.filter((t) => now - t < 60_000);
    connection.received.push(now);
    if (connection.received.length > SEND_LIMIT_PER_MINUTE) {
      connection.close(4008, 'Rate limited.');
      return;
    }
    let payload: unknown;
    try {
      // Clients send text frames; binary ones are accepted too since the bytes are the same JSON.
      void isBinary;
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      payload = JSON.parse(bytes.toString('utf8'));
    } catch {
      connection.close(4002, 'Error while decoding payload.');
      return;
    }
    const record = asRecord(payload);
    const op = asNumber(record.op);
    this.record({ at: now, connection: connection.id, direction: 'in', op: op ?? -1, t: null, s: null, d: redact(record.d) });
    if (op === undefined) {
      connection.close(4002, 'Error while decoding payload.');
      return;
    }
    switch (op) {
      case GatewayOpcodes.Heartbeat:
        connection.send(GatewayOpcodes.HeartbeatAck, null);
        return;
      case GatewayOpcodes.Identify:
        this.identify(connection, asRecord(record.d));
        return;
      case GatewayOpcodes.Resume:
        this.resume(connection, asRecord(record.d));
        return;
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestSoundboardSounds:
        if (!connection.session) connection.close(4003, 'Not authenticated.');
        return;
      case GatewayOpcodes.RequestGuildMembers: {
        const session = connection.session;
        if (!session) {
          connection.close(4003, 'Not authenticated.');
          return;
        }
        for (const chunk of this.hooks.requestGuildMembers(asRecord(record.d), session.intents)) {
          this.sendDispatch(session, 'GUILD_MEMBERS_CHUNK', chunk);
        }
        return;
      }
      default:
        connection.close(4001, 'Unknown opcode.');
    }
  }

  private identify(connection: Connection, d: Record<string, unknown>): void {
    if (connection.session) {
      connection.close(4005, 'Already authenticated.');
      return;
    }
    if (asString(d.token) !== this.hooks.token) {
      connection.close(4004, 'Authentication failed.');
      return;
    }
    const intents = asNumber(d.intents);
    if (intents === undefined || !Number.isInteger(intents) || (intents & ~ALL_INTENTS) !== 0) {
      connection.close(4013, 'Invalid intent(s).');
      return;
    }
    if ((intents & PRIVILEGED_INTENTS & ~this.hooks.privilegedIntents) !== 0) {
      connection.close(4014, 'Disallowed intent(s).');
      return;
    }
    const shardRaw = asArray(d.shard);
    const shard: [number, number] = shardRaw.length === 2 ? [asNumber(shardRaw[0]) ?? -1, asNumber(shardRaw[1]) ?? -1] : [0, 1];
    if (shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1]) {
      connection.close(4010, 'Invalid shard.');
      return;
    }
    if (d.compress === true) connection.useIdentifyCompression();

    const session = new Session(randomBytes(16).toString('hex'), intents, shard);
    this.sessions.set(session.id, session);
    connection.session = session;
    session.connection = connection;
    connection.live = true;
    this.hooks.log(`gateway: IDENTIFY accepted, session ${session.id}`);
    const guildIds = this.hooks.guildIds().filter((id) => this.onShard(session, id));
    this.sendDispatch(session, 'READY', this.hooks.readyPayload(session.info(), this.resumeUrl, guildIds));
    if (intents & GatewayIntents.Guilds) {
      for (const guildId of guildIds) {
        const guild = this.hooks.guildCreate(guildId, intents);
        if (guild) this.sendDispatch(session, 'GUILD_CREATE', guild);
      }
    }
  }

  private resume(connection: Connection, d: Record<string, unknown>): void {
    if (asString(d.token) !== this.hooks.token) {
      connection.close(4004, 'Authentication failed.');
      return;
    }
    const session = this.sessions.get(asString(d.session_id) ?? '');
    const seq = asNumber(d.seq) ?? 0;
    if (!session || session.invalidated) {
      connection.send(GatewayOpcodes.InvalidSession, false);
      return;
    }
    if (seq > session.seq) {
      connection.close(4007, 'Invalid seq.');
      return;
    }
    const previous = session.connection;
    if (previous && previous !== connection) {
      previous.session = undefined;
      previous.close(4000, 'Session resumed elsewhere');
    }
    session.connection = connection;
    connection.session = session;
    connection.live = true;
    let replayed = 0;
    for (const event of session.buffer) {
      if (event.s > seq) {
        connection.send(GatewayOpcodes.Dispatch, event.d, event.t, event.s);
        replayed += 1;
      }
    }
    this.hooks.log(`gateway: RESUME of ${session.id} from seq ${seq}, replayed ${replayed}`);
    this.sendDispatch(session, 'RESUMED', { _trace: ['["gateway-sim",{"micros":0}]'] });
  }

  private onShard(session: Session, guildId: string | undefined): boolean {
    const [id, count] = session.shard;
    if (count === 1) return true;
    if (guildId === undefined) return id === 0;
    return Number((BigInt(guildId) >> 22n) % BigInt(count)) === id;
  }

  private sendDispatch(session: Session, t: string, d: JsonValue): void {
    session.seq += 1;
    const event: Dispatch = { t, s: session.seq, d };
    session.buffer.push(event);
    if (session.buffer.length > MAX_BUFFERED_DISPATCHES) session.buffer.shift();
    const connection = session.connection;
    if (connection?.live) connection.send(GatewayOpcodes.Dispatch, d, t, event.s);
  }

  /**
   * @internal Sends a dispatch to every session entitled to it (buffered while disconnected).
   * `d` may depend on the session's intents (member lists, message content).
   */
  dispatch(t: string, d: JsonValue | ((intents: number) => JsonValue), target: DispatchTarget = {}): number {
    let delivered = 0;
    for (const session of this.sessions.values()) {
      if (session.invalidated) continue;
      if (target.intent !== undefined && (session.intents & target.intent) === 0) continue;
      if (!this.onShard(session, target.guildId)) continue;
      this.sendDispatch(session, t, typeof d === 'function' ? d(session.intents) : d);
      delivered += 1;
    }
    return delivered;
  }

  /** Sessions that can still receive events (connected now, or resumable). */
  get activeSessions(): SessionInfo[] {
    return [...this.sessions.values()].filter((s) => !s.invalidated).map((s) => s.info());
  }

  get allSessions(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => s.info());
  }

  /** True while some session is identified and attached to an open socket. */
  get connected(): boolean {
    return [...this.sessions.values()].some((s) => !s.invalidated && s.connection?.live === true);
  }

  get identifyCount(): number {
    return this.log.filter((e) => e.direction === 'in' && e.op === GatewayOpcodes.Identify).length;
  }

  get resumeCount(): number {
    return this.log.filter((e) => e.direction === 'out' && e.t === 'RESUMED').length;
  }

  private liveConnections(): Connection[] {
    return [...this.connections].filter((c) => c.session !== undefined);
  }

  /**
   * Cuts the bot's socket(s). Without a code the TCP connection is destroyed (the client sees
   * 1006); with one, a close frame is sent (4000 = unknown error, resumable).
   */
  drop(options: { code?: number; reason?: string } = {}): void {
    for (const connection of this.liveConnections()) {
      connection.live = false;
      if (options.code === undefined) connection.ws.terminate();
      else connection.close(options.code, options.reason ?? 'Simulated drop');
    }
  }

  /** Sends op 7 RECONNECT; closes the socket itself if the client has not within `graceMs`. */
  requestReconnect(graceMs = 5000): void {
    for (const connection of this.liveConnections()) {
      connection.send(GatewayOpcodes.Reconnect, null);
      connection.live = false;
      connection.reconnectTimer = setTimeout(() => connection.close(4000, 'Reconnect requested'), graceMs);
      connection.reconnectTimer.unref();
    }
  }

  /** Sends op 9. Not resumable: the session is gone and events until the next IDENTIFY are lost. */
  invalidateSession(resumable: boolean): void {
    for (const connection of this.liveConnections()) {
      const session = connection.session;
      if (!session) continue;
      if (!resumable) {
        session.end();
        session.connection = undefined;
        connection.session = undefined;
      }
      connection.live = false;
      connection.send(GatewayOpcodes.InvalidSession, resumable);
    }
  }

  /** Sends op 1; the client must answer with a heartbeat at once. */
  requestHeartbeat(): void {
    for (const connection of this.liveConnections()) connection.send(GatewayOpcodes.Heartbeat, null);
  }

  /** Resolves with the first log entry (past or future) matching the predicate. */
  waitFor(predicate: (entry: GatewayLogEntry) => boolean, timeoutMs = 5000, options: { includePast?: boolean } = {}): Promise<GatewayLogEntry> {
    if (options.includePast !== false) {
      const past = this.log.find(predicate);
      if (past) return Promise.resolve(past);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`gateway.waitFor timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const waiter = {
        predicate,
        timer,
        resolve: (entry: GatewayLogEntry) => {
          clearTimeout(timer);
          resolve(entry);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** @internal */
  async close(): Promise<void> {
    for (const waiter of this.waiters) clearTimeout(waiter.timer);
    this.waiters.clear();
    for (const connection of this.connections) {
      connection.dispose();
      connection.ws.terminate();
    }
    this.connections.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
