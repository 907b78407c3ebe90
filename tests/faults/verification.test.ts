// The automatic screenshot check across a crash (issue #7): the bot as `npm start` runs it, in a
// child process, is SIGKILLed right after it told the member "recorded, being checked" and before
// the check ran. Restarted on the same store, it finishes the check once: the pledge is verified,
// the member's answer shows the verdict (edited with the answer's token, kept in the store), the job
// ends done and its screenshot is deleted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { en } from '../../src/i18n/en.js';
import { createDemoWorld, simulatorEnv } from '../../src/sandbox/harness.js';
import { deployCommands } from '../../src/scripts/deploy.js';
import { createSettings } from '../../src/settings/index.js';
import { DiscordSimulator, type RecordedRequest } from '../../src/sim/index.js';
import { VerificationJobs, jobId } from '../../src/verification/index.js';
import { KB_DIR, expectCleanWire, pledgeSlash, spawnBot, tempDir, withStore, type ChildBot } from './helpers.js';

const SAMPLE = readFileSync(path.resolve('tests/fixtures/screenshots/sample-ios-cancelled-en.png'));

let sim: DiscordSimulator;
let tmp: { dir: string; remove(): Promise<void> };
let bot: ChildBot | undefined;

beforeAll(async () => {
  sim = await DiscordSimulator.start({ heartbeatIntervalMs: 500, ackDeadlineMs: 30_000 });
  tmp = await tempDir('quitgpt-verify-crash-');
});
afterAll(async () => {
  await bot?.kill();
  await sim?.stop();
  await tmp?.remove();
});

/** An edit of the member's original answer (the interaction webhook's @original message). */
function isAnswerEdit(r: RecordedRequest, text: string): boolean {
  const body = r.body as { content?: unknown } | undefined;
  return r.method === 'PATCH' && r.path.endsWith('/messages/@original') && typeof body?.content === 'string' && body.content.includes(text);
}

describe('a restart during verification', () => {
  it('GIVEN a pledge whose check was queued WHEN the bot is killed before it ran and restarted THEN the check runs once, the pledge is verified and the member’s answer shows it', async () => {
    const world = createDemoWorld(sim, { name: 'Verify crash' });
    const guildId = world.guild.id;
    const storeUrl = `sqlite://${path.join(tmp.dir, 'verify.sqlite')}`;
    await withStore(storeUrl, (store) => createSettings(store).update(guildId, { reviewChannelId: world.channels.review, moderatorRoleId: world.roles.moderators }));
    const env = simulatorEnv(sim, storeUrl, { kbDir: KB_DIR, logLevel: 'info', ocrWorkers: 1 });
    await deployCommands(loadConfig(env, { requireToken: true }));
    const member = world.users.member;

    bot = await spawnBot(env, tmp.dir);
    const running = bot;
    // Killed the moment Discord has the "being checked" answer: the job is stored, not yet run.
    const killed = sim.waitForRequest((r) => isAnswerEdit(r, en.pledge.checking), 30_000).then(() => running.child.kill('SIGKILL'));
    const handle = pledgeSlash(sim, { guildId, channelId: world.channels.general }, member.id, SAMPLE);
    const first = await handle.waitForReply(() => true, 30_000);
    await killed;
    expect(await running.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const n = Number(/pledge #(\d+)/.exec(first.content)?.[1]);
    expect(first.content).toBe(`${en.pledge.created(n)}\n${en.pledge.checking}`);
    const ref = { guildId, pledgeId: n, version: 1 };

    await withStore(storeUrl, async (store, pledges) => {
      const job = await new VerificationJobs(store).get(ref);
      expect(job, 'the job was durable before the member read "being checked"').toMatchObject({ state: 'pending', hasImage: true });
      const found = await pledges.get(guildId, member.id);
      expect(found.ok && found.record).toMatchObject({ pledgeId: n, status: 'pending' });
      expect(found.ok && found.record?.check).toBeUndefined();
    });

    // ── Restart: the pending job runs, the verdict reaches the member's answer ──
    bot = await spawnBot(env, tmp.dir);
    const final = await handle.waitForReply((m) => m.content.includes(en.pledge.checkResult.verified), 120_000);
    expect(final.content).toBe(`${en.pledge.created(n)}\n${en.pledge.checkResult.verified}`);
    const restarted = bot;
    await expect.poll(() => restarted.logs.some((l) => l.msg === 'verification: jobs left by the previous run finished'), { timeout: 30_000 }).toBe(true);
    expect(restarted.logs.find((l) => l.msg === 'verification: jobs left by the previous run finished')).toMatchObject({ done: 1, failed: 0, interrupted: 0 });

    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toEqual({ code: 0, signal: null });

    await withStore(storeUrl, async (store, pledges) => {
      const found = await pledges.get(guildId, member.id);
      const record = found.ok ? found.record : null;
      expect(record).toMatchObject({ pledgeId: n, status: 'verified', version: 1, check: { verdict: 'verified' } });
      expect(record?.reviewerId).toBeUndefined();
      const job = await new VerificationJobs(store).get(ref);
      expect(job, 'run once, by the restarted bot').toMatchObject({ state: 'done', attempts: 1, result: { verdict: 'verified' } });
      expect(await store.blobs.get(`verify-job:${jobId(ref)}`), 'the screenshot is gone once checked').toBeUndefined();
      const totals = await pledges.totals(guildId);
      expect(totals.byStatus).toMatchObject({ pending: 0, verified: 1 });
      expect(totals.counted).toBe(1);
    });
    const verdictEdits = sim.requests.filter((r) => isAnswerEdit(r, en.pledge.checkResult.verified));
    expect(verdictEdits, 'the verdict was shown once').toHaveLength(1);
    expectCleanWire(sim);
  }, 240_000);
});
