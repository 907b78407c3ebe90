import { describe, expect, it } from 'vitest';
import { Cooldowns, LIMITS } from '../../src/cooldowns.js';

describe('Cooldowns', () => {
  it('GIVEN a member over the limit THEN refused with the time the oldest use expires, others unaffected', () => {
    let t = 1_000_000;
    const c = new Cooldowns(() => t);
    const limit = LIMITS.pledgeSubmitPerMember;
    for (let i = 0; i < limit.max; i++) {
      expect(c.take([{ key: 'a', limit }]).ok).toBe(true);
      t += 1_000;
    }
    const refused = c.take([{ key: 'a', limit }]);
    expect(refused).toEqual({ ok: false, retryAt: 1_000_000 + limit.windowMs });
    expect(c.take([{ key: 'b', limit }]).ok).toBe(true);
    t = 1_000_000 + limit.windowMs + 1;
    expect(c.take([{ key: 'a', limit }]).ok).toBe(true);
  });

  it('GIVEN a server-wide limit reached THEN a fresh member is refused too, and a refused try is not counted', () => {
    const t = 5_000_000;
    const c = new Cooldowns(() => t);
    const server = LIMITS.statsExportPerServer;
    for (let i = 0; i < server.max; i++) {
      expect(c.take([{ key: `m${i}`, limit: LIMITS.statsExportPerMember }, { key: 'g', limit: server }]).ok).toBe(true);
    }
    expect(c.take([{ key: 'fresh', limit: LIMITS.statsExportPerMember }, { key: 'g', limit: server }]).ok).toBe(false);
    // The refusal did not use up the fresh member's own allowance.
    expect(c.take([{ key: 'fresh', limit: LIMITS.statsExportPerMember }]).ok).toBe(true);
  });
});
