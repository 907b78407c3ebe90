/** Injected REST faults: rate limits with Discord's headers, 5xx, slow and hanging responses. */

export interface FaultSpec {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /**
   * Path below `/api/v10` to match: a template (`/channels/:id/messages` or
   * `/channels/{channel_id}/messages`), an exact path, or a RegExp tested against the path.
   */
  route: string | RegExp;
  /** How many matching requests to affect (default 1). */
  count?: number;
  /** Status to answer with; omit to only delay or hang and then serve normally. */
  status?: 429 | 500 | 502 | 503;
  /** Seconds, for 429 (default 1). Fractions are sent as-is so tests stay fast. */
  retryAfter?: number;
  /** A global rate limit (`x-ratelimit-global`), which stops all of the bot's requests. */
  global?: boolean;
  /** `x-ratelimit-scope`; defaults to `global` for global limits, otherwise `user`. */
  scope?: 'user' | 'global' | 'shared';
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (until the simulator stops or the client gives up). */
  hang?: boolean;
}

export interface Fault {
  readonly id: number;
  readonly spec: FaultSpec;
  /** Requests still to be affected. */
  remaining: number;
  /** Requests affected so far. */
  hits: number;
}

export function templateToRegExp(template: string): RegExp {
  const escaped = template
    .split('/')
    .map((segment) => (/^:\w+$/.test(segment) || /^\{\w+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\@]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

export class FaultInjector {
  private nextId = 1;
  private readonly faults: Fault[] = [];

  add(spec: FaultSpec): Fault {
    const fault: Fault = { id: this.nextId++, spec, remaining: spec.count ?? 1, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  remove(fault: Fault): void {
    const index = this.faults.indexOf(fault);
    if (index >= 0) this.faults.splice(index, 1);
  }

  clear(): void {
    this.faults.length = 0;
  }

  get list(): readonly Fault[] {
    return this.faults;
  }

  /** @internal Consumes one use of the first fault matching the request. */
  take(method: string, path: string, route: string | null): Fault | undefined {
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      const { spec } = fault;
      if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) continue;
      const matches =
        typeof spec.route === 'string'
          ? spec.route === path || spec.route === route || templateToRegExp(spec.route).test(path)
          : spec.route.test(path);
      if (!matches) continue;
      fault.remaining -= 1;
      fault.hits += 1;
      return fault;
    }
    return undefined;
  }
}
