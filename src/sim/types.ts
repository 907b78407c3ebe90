/** Public types of the simulator's test API (what tests read back). */
import type { JsonObject, JsonValue } from './json.js';
import type { ViolationIssue } from './validation.js';

export type { ViolationIssue } from './validation.js';

export interface EmbedView {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  timestamp?: string;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text?: string; icon_url?: string };
  author?: { name?: string; url?: string; icon_url?: string };
  image?: { url: string };
  thumbnail?: { url: string };
  [key: string]: unknown;
}

export interface ComponentView {
  type: number;
  id?: number;
  custom_id?: string;
  label?: string;
  style?: number;
  disabled?: boolean;
  url?: string;
  placeholder?: string;
  min_values?: number;
  max_values?: number;
  options?: { label: string; value: string; description?: string; default?: boolean }[];
  components?: ComponentView[];
  component?: ComponentView;
  accessory?: ComponentView;
  [key: string]: unknown;
}

export interface SimAttachment {
  id: string;
  filename: string;
  size: number;
  content_type?: string;
  description?: string;
  title?: string;
  url: string;
  proxy_url: string;
  /** The uploaded bytes, as the CDN serves them. */
  bytes: Buffer;
}

/** A message as a test sees it: Discord's fields plus what the sender sent and the file bytes. */
export interface SimMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: JsonObject;
  content: string;
  embeds: EmbedView[];
  components: ComponentView[];
  attachments: SimAttachment[];
  flags: number;
  tts: boolean;
  type: number;
  nonce?: string | number;
  /** `allowed_mentions` as the bot sent it; undefined when it sent none. */
  allowed_mentions?: JsonValue;
  timestamp: string;
  edited_timestamp: string | null;
  webhook_id?: string;
  application_id?: string;
  interaction_metadata?: JsonObject;
  deleted: boolean;
}

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  bytes: Buffer;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Path below `/api/v10`, e.g. `/channels/123/messages`. */
  path: string;
  query: Record<string, string>;
  /** Route template as in Discord's spec, e.g. `/channels/{channel_id}/messages`; null if unknown. */
  route: string | null;
  headers: Record<string, string>;
  /** Parsed JSON body, or the parsed `payload_json` of a multipart body. */
  body: unknown;
  files: RecordedFile[];
  /** Undefined until the response has been sent (or forever, for a hung request). */
  status?: number;
  response?: JsonValue;
  /** Set when an injected fault answered instead of the route. */
  fault?: string;
  startedAt: number;
  endedAt?: number;
}

export interface Violation {
  kind: 'schema' | 'limit' | 'empty-message' | 'interaction-response';
  method: string;
  path: string;
  route: string;
  body: unknown;
  issues: ViolationIssue[];
  at: number;
}

export interface MentionWarning {
  method: string;
  path: string;
  route: string;
  content: string;
  /** The mentions that would ping (e.g. `@everyone`, `<@123>`). */
  mentions: string[];
  allowed_mentions?: JsonValue;
  at: number;
}

export interface UnknownRoute {
  method: string;
  path: string;
  /** True when Discord has this route (the simulator does not implement it), false if nobody does. */
  knownToDiscord: boolean;
  /** 404 for a path nobody serves, 405 when only the method is wrong. */
  status: number;
  at: number;
}

export interface AckInfo {
  /** Interaction callback type (4, 5, 6, 7, 8, 9). */
  type: number;
  /** Simulated time of the callback request's arrival. */
  at: number;
  /** Milliseconds from dispatch to callback. */
  latencyMs: number;
}

export interface InteractionErrorRecord {
  route: string;
  status: number;
  code: number;
  message: string;
  at: number;
}
