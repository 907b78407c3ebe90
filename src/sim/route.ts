/** Shapes shared by the REST plumbing and the route handlers. */
import type { UploadedFile } from './core.js';
import type { JsonValue } from './json.js';
import type { RecordedRequest } from './types.js';

export interface RouteContext {
  method: string;
  /** Path below `/api/v10`. */
  path: string;
  /** Route template as in Discord's spec. */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body or the multipart `payload_json`; undefined when there was none. */
  body: unknown;
  /** The JSON text `body` was parsed from (the validator remembers verdicts by it). */
  bodyText?: string;
  files: UploadedFile[];
  multipart: boolean;
  /** Simulated arrival time; deadlines are judged against it. */
  arrivedAt: number;
  request: RecordedRequest;
}

export interface RouteResult {
  status: number;
  body?: JsonValue;
  headers?: Record<string, string>;
}

export type RouteHandler = (ctx: RouteContext) => RouteResult | Promise<RouteResult>;

export interface RouteDefinition {
  method: string;
  /** Template in the spec's `{param}` syntax. */
  template: string;
  /** Webhook and interaction routes authenticate by the token in the path, not the header. */
  auth: boolean;
  handler: RouteHandler;
}
