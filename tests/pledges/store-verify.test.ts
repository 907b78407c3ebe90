import { describe, expect, it } from 'vitest';
import { PledgeService } from '../../src/pledges/index.js';
import { runStoreVerify } from '../../src/scripts/store-verify.js';
import { openTestStore, recordingLogger, tempSqliteUrl } from '../store/cases.js';
import { G1, G2, submission, user } from './helpers.js';

describe('store:verify', () => {
  it('reconciles every server, prints what it fixed, and exits 0', async () => {
    const url = tempSqliteUrl();
    const store = await openTestStore(url, { namespace: 'quitgpt' });
    const pledges = new PledgeService({ store });
    await pledges.submit(submission(G1, user()));
    await pledges.submit(submission(G1, user()));
    await pledges.submit(submission(G2, user()));
    await store.kv.set(`totals:${G1}`, {
      byStatus: { pending: 5, verified: 0, rejected: 0, withdrawn: 0 }, counted: 5, daily: {}, updatedAt: null,
    });
    await store.close();

    const lines: string[] = [];
    const first = await runStoreVerify({ url, out: (l) => lines.push(l), log: recordingLogger().log });
    expect(first.exitCode).toBe(0);
    expect(lines.join('\n')).toContain(`server ${G1}: 2 counted, 2 pledges, 2 numbers: repaired`);
    expect(lines).toContain(`  fixed server ${G1} counted: 5 → 2`);
    expect(lines).toContain(`server ${G2}: 1 counted, 1 pledges, 1 numbers: ok`);
    expect(lines).toContain('campaign: 3 counted in 2 servers: repaired');
    expect(lines.at(-1)).toBe('repairs written');

    const again: string[] = [];
    await runStoreVerify({ url, out: (l) => again.push(l), log: recordingLogger().log });
    expect(again.at(-1)).toBe('nothing to repair');
  });

  it('exits 1 when the store cannot be read', async () => {
    const lines: string[] = [];
    const res = await runStoreVerify({
      url: 'postgres://postgres@127.0.0.1:1/x',
      out: (l) => lines.push(l),
      log: recordingLogger().log,
      opTimeoutMs: 1000,
    });
    expect(res.exitCode).toBe(1);
    expect(lines.at(-1)).toMatch(/^cannot read the store: /);
    const bad = await runStoreVerify({ url: 'ftp://x', out: (l) => lines.push(l), log: recordingLogger().log });
    expect(bad.exitCode).toBe(1);
  });
});
