// The benchmark harness works end to end at toy sizes (the figures themselves are not judged here:
// a shared CI box makes any timing assertion flaky), and the REST exemption it measures holds.
import { RESTEvents, type RateLimitData } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench, type BenchReport, type BotRun } from '../../bench/harness.js';
import { evaluateTargets, renderMarkdown } from '../../bench/report.js';
import { createClient } from '../../src/bot/client.js';
import { loadConfig } from '../../src/config.js';
import { simulatorEnv } from '../../src/sandbox/harness.js';
import { DiscordSimulator } from '../../src/sim/index.js';

function expectFigures(run: BotRun | undefined): void {
  expect(run).toBeDefined();
  if (!run) return;
  expect(run.n).toBe(20);
  expect(run.completed).toBe(20);
  expect(run.failed).toBe(0);
  for (const v of [run.throughput, run.ack.p50, run.ack.p95, run.ack.p99, run.final.p99, run.peakRssKb, run.readyMs]) {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(0);
  }
  // CPU time comes in 10 ms ticks: twenty quick interactions may round to zero.
  for (const v of [run.cpuMsPerInteraction, run.simCpuMsPerInteraction]) {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0);
  }
}

describe('bench harness at toy sizes', () => {
  let report: BenchReport;

  beforeAll(async () => {
    report = await runBench({ n: 20, concurrency: 5, warmup: 5, only: ['facts'], guilds: 0, pledges: 0, deadlineMs: 90_000 });
  }, 120_000);

  it('GIVEN one command WHEN the bench runs THEN the bot and the baseline both have throughput, latency and RSS figures', () => {
    expect(report.commands.map((c) => c.key)).toEqual(['facts']);
    const facts = report.commands[0];
    expectFigures(facts?.bot);
    expectFigures(facts?.baseline);
    expect(Number.isFinite(facts?.ratios?.throughput)).toBe(true);
    expect(Number.isFinite(facts?.ratios?.finalP99)).toBe(true);
    expect(report.botPeakRssKb).toBeGreaterThan(0);
    expect(report.startupSkipped).toBe('not requested');
    expect(report.scaleSkipped).toBe('not requested');
  });

  it('GIVEN the report WHEN rendered THEN it has the machine, the tables, the targets and an OCR section last', () => {
    const md = renderMarkdown(report);
    expect(md).toContain(`${report.machine.nproc} cores`);
    expect(md).toContain(report.machine.node);
    expect(md).toMatch(/\| \/facts topic \| \*\*bot\*\* \| 20 \| 20 \| \d+/);
    expect(md.trimEnd().split('\n').filter((l) => l.startsWith('## ')).at(-1)).toBe('## OCR');
    expect(evaluateTargets(report).find((t) => t.target.startsWith('/facts'))?.met).not.toBeNull();
  });

  it('GIVEN a previous RESULTS.md with a filled OCR section WHEN rendered again THEN that section is kept as it was', () => {
    const previous = `# old\n\n## OCR\n\nFilled by the OCR bench: 97 % recall.\n`;
    expect(renderMarkdown(report, { previous }).endsWith('## OCR\n\nFilled by the OCR bench: 97 % recall.\n')).toBe(true);
  });
});

describe('the bot REST client: interaction webhooks are outside the global limiter', () => {
  let sim: DiscordSimulator;

  beforeAll(async () => {
    sim = await DiscordSimulator.start();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('GIVEN 60 requests at once WHEN they are token-authenticated webhook edits THEN none waits for the global limit, but 60 bot-authenticated ones do', async () => {
    const client = createClient(loadConfig(simulatorEnv(sim, 'sqlite://:memory:'), { requireToken: true }));
    client.rest.setToken(sim.token);
    const limited: RateLimitData[] = [];
    client.rest.on(RESTEvents.RateLimited, (info) => limited.push(info));
    try {
      // Unknown tokens and channels get 404s: the limiter acts before any answer, which is all this checks.
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          client.rest.patch(`/webhooks/${sim.applicationId}/token-${i}/messages/@original`, { body: { content: 'x' }, auth: false }).catch(() => undefined),
        ),
      );
      expect(limited.filter((l) => l.global)).toEqual([]);
      await Promise.all(Array.from({ length: 60 }, (_, i) => client.rest.get(`/channels/${1000 + i}`).catch(() => undefined)));
      expect(limited.filter((l) => l.global).length).toBeGreaterThan(0);
    } finally {
      await client.destroy();
    }
  });
});
