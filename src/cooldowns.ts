// Per-member and per-server limits on the expensive commands, so one member (or a script) cannot
// crowd out everyone else. In memory on purpose: a restart forgives, and nothing personal is kept.
export type Limit = { max: number; windowMs: number };

export const LIMITS = {
  /** Downloading and decoding a screenshot is the heaviest thing a member can ask for. */
  pledgeSubmitPerMember: { max: 3, windowMs: 30_000 },
  /** An export reads every pledge of the server. */
  statsExportPerMember: { max: 2, windowMs: 60_000 },
  statsExportPerServer: { max: 5, windowMs: 60_000 },
} as const satisfies Record<string, Limit>;

export type CooldownResult = { ok: true } | { ok: false; retryAt: number };

export class Cooldowns {
  private readonly hits = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a use under every key if all allow it; otherwise records nothing and says when to retry. */
  take(checks: ReadonlyArray<{ key: string; limit: Limit }>): CooldownResult {
    const t = this.now();
    this.sweep(t);
    let retryAt = 0;
    for (const { key, limit } of checks) {
      const recent = this.recent(key, t, limit.windowMs);
      const oldest = recent[0];
      if (recent.length >= limit.max && oldest !== undefined) retryAt = Math.max(retryAt, oldest + limit.windowMs);
    }
    if (retryAt > 0) return { ok: false, retryAt };
    for (const { key, limit } of checks) this.hits.set(key, [...this.recent(key, t, limit.windowMs), t]);
    return { ok: true };
  }

  private recent(key: string, t: number, windowMs: number): number[] {
    return (this.hits.get(key) ?? []).filter((at) => at > t - windowMs);
  }

  /** Keeps memory bounded by the members active in the last few minutes. */
  private sweep(t: number): void {
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    const longest = Math.max(...Object.values(LIMITS).map((l) => l.windowMs));
    for (const [key, times] of this.hits) if ((times.at(-1) ?? 0) <= t - longest) this.hits.delete(key);
  }
}
