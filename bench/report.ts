// bench/RESULTS.md from a BenchReport. The `## OCR` section belongs to the OCR benchmark: whatever
// it holds in the existing file is carried over untouched, so a rerun here never erases it.
import type { BenchReport, BotRun, CommandResult } from './harness.js';
import type { LatencyStats } from './load.js';

export const OCR_HEADING = '## OCR';
const OCR_PLACEHOLDER = `${OCR_HEADING}\n\n_To be filled by the OCR benchmark (\`npm run bench:ocr\`)._\n`;

/** Figures of an earlier run kept for comparison (e.g. before a fix), from bench/limiter-comparison.json. */
export type Comparison = {
  title: string;
  description: string;
  runs: Array<{ label: string; bot: Pick<BotRun, 'throughput' | 'ack' | 'final' | 'lateAcks' | 'completed' | 'n'> }>;
};

export type TargetCheck = { target: string; measured: string; met: boolean | null; note: string };

const KB_KEYS = new Set(['facts', 'donors', 'alternatives', 'autocomplete']);

/** The median of an odd count; of an even count the larger middle value, the stricter one for a latency ratio. */
export function upperMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const ms = (v: number): string => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)) : '–');
const num = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const ratio = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');
const mib = (kb: number | undefined): string => (kb !== undefined && Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MiB` : '–');
// Older saved reports have no CPU figures.
const cpu = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(2) : '–');
const lat = (s: LatencyStats): string => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}`;

export function evaluateTargets(r: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const c of r.commands.filter((x) => KB_KEYS.has(x.key))) {
    if (!c.bot || !c.baseline || !c.ratios) {
      checks.push({ target: `${c.label}: ≥ 0.8× baseline throughput, p99 ≤ 1.5× baseline p99`, measured: c.skipped ?? 'not run', met: null, note: '' });
      continue;
    }
    // Each half of the target is judged on the median of its own figure over the rounds. The p99
    // of the round picked for its median throughput is one draw among five: /donors on 2026-11-29
    // read 1.61, 1.01, 0.70, 1.05 and 1.29× in five rounds of the same code.
    const rounds = c.rounds && c.rounds.length > 1 ? c.rounds : null;
    const p99 = rounds ? upperMedian(rounds.map((x) => x.finalP99)) : c.ratios.finalP99;
    const met = c.ratios.throughput >= 0.8 && p99 <= 1.5;
    checks.push({
      target: `${c.label}: ≥ 0.8× baseline throughput, p99 ≤ 1.5× baseline p99`,
      measured: rounds
        ? `${ratio(c.ratios.throughput)} throughput, ${ratio(p99)} p99 (medians of ${rounds.length} rounds)`
        : `${ratio(c.ratios.throughput)} throughput, ${ratio(p99)} p99 (${ms(c.bot.final.p99)} vs ${ms(c.baseline.final.p99)} ms)`,
      met,
      note: [
        rounds
          ? `${rounds.length} alternated rounds, each ratio's median on its own; the round with the median throughput ratio (in the tables below): p99 ${ratio(c.ratios.finalP99)} (${ms(c.bot.final.p99)} vs ${ms(c.baseline.final.p99)} ms); rounds: ${rounds.map((x) => `${ratio(x.throughput)} / p99 ${ratio(x.finalP99)}`).join(', ')}`
          : '',
        c.bot.failed > 0 ? `${c.bot.failed} failed` : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  const pledge = r.commands.find((c) => c.key === 'pledge');
  if (pledge?.bot) {
    const b = pledge.bot;
    checks.push({
      target: '/pledge: ≥ 200 recorded pledges/s, every acknowledgement inside 3 s',
      measured: `${num(b.throughput)} pledges/s at concurrency ${pledge.load}; ${b.lateAcks} late acks; ack max ${ms(b.ack.max)} ms`,
      met: b.throughput >= 200 && b.lateAcks === 0 && b.failed === 0,
      note: b.failed > 0 ? `${b.failed} failed` : '',
    });
  } else checks.push({ target: '/pledge: ≥ 200 recorded pledges/s, every acknowledgement inside 3 s', measured: pledge?.skipped ?? 'not run', met: null, note: '' });
  const rate = r.commands.find((c) => c.key === 'pledge-rate');
  const finalRun = rate?.bot ? rate : pledge;
  if (finalRun?.bot) {
    const b = finalRun.bot;
    const sustained = finalRun.mode === 'open' ? b.throughput >= finalRun.load * 0.95 : b.throughput >= 200;
    checks.push({
      target: '/pledge: p99 to the final answer < 1 s at 200 pledges/s',
      measured: `p99 ${ms(b.final.p99)} ms (${finalRun.label}; ${num(b.throughput)} answered/s)`,
      met: b.final.p99 < 1000 && sustained && b.lateAcks === 0,
      note: finalRun.mode === 'closed' ? 'closed loop: no open-loop run' : '',
    });
  }
  const s = r.scale;
  const bigStats = s?.commands?.find((c) => c.key === 'stats' && c.load === 1);
  const bigStatsLoaded = s?.commands?.find((c) => c.key === 'stats' && c.load !== 1);
  if (bigStats?.bot) {
    checks.push({
      target: '/stats at 100,000 pledges: p99 < 50 ms',
      measured:
        `one at a time: p99 ${ms(bigStats.bot.final.p99)} ms to the final answer (baseline ${ms(bigStats.baseline?.final.p99 ?? NaN)} ms); ` +
        `store reads p99 ${ms(s?.reads?.totals.p99 ?? NaN)} ms; at concurrency ${bigStatsLoaded?.load ?? '–'}: p99 ${ms(bigStatsLoaded?.bot?.final.p99 ?? NaN)} ms, ${num(bigStatsLoaded?.bot?.throughput ?? NaN)}/s`,
      met: bigStats.bot.final.p99 < 50,
      note: 'one at a time is the latency an organizer sees; under a closed loop latency is concurrency ÷ throughput',
    });
  } else if (s?.reads) {
    checks.push({
      target: '/stats at 100,000 pledges: p99 < 50 ms',
      measured: `no /stats command: totals() p99 ${ms(s.reads.totals.p99)} ms, totals+chart p99 ${ms(s.reads.statsMessage.p99)} ms (in-process, ${s.reads.counted} pledges)`,
      met: s.reads.statsMessage.p99 < 50 ? true : false,
      note: 'proxy: the figures /stats would send, without the Discord round trip',
    });
  } else checks.push({ target: '/stats at 100,000 pledges: p99 < 50 ms', measured: r.scaleSkipped ?? 'not run', met: null, note: '' });
  if (r.startup) {
    const { bot, baseline } = r.startup;
    const raw = bot.rssAfterReadyKb / baseline.rssAfterReadyKb;
    const gc = bot.rssAfterGcKb / baseline.rssAfterGcKb;
    const both = Number.isFinite(gc) ? raw <= 1.15 && gc <= 1.15 : raw <= 1.15;
    checks.push({
      target: `RSS after ready with ${r.startup.guilds} guilds ≤ 1.15× baseline`,
      measured: `${mib(bot.rssAfterReadyKb)} vs ${mib(baseline.rssAfterReadyKb)} (${ratio(raw)}); after a full GC ${mib(bot.rssAfterGcKb)} vs ${mib(baseline.rssAfterGcKb)} (${ratio(gc)})`,
      met: both,
      note: 'met only if both readings are',
    });
  } else checks.push({ target: 'RSS after ready with 1,000 guilds ≤ 1.15× baseline', measured: r.startupSkipped ?? 'not run', met: null, note: '' });
  return checks;
}

function commandTable(commands: CommandResult[]): string[] {
  const lines = [
    '| Case | Bot | n | ok | Throughput (/s) | Ack p50 / p95 / p99 (ms) | Final p50 / p95 / p99 (ms) | Late acks | CPU ms / interaction: bot · simulator | Peak RSS |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const c of commands) {
    if (c.skipped || !c.bot || !c.baseline) {
      lines.push(`| ${c.label} | – | – | – | – | – | – | – | – | skipped: ${c.skipped ?? 'not run'} |`);
      continue;
    }
    for (const [name, run] of [['baseline', c.baseline], ['**bot**', c.bot]] as const) {
      lines.push(
        `| ${c.label} | ${name} | ${run.n} | ${run.completed} | ${num(run.throughput)} | ${lat(run.ack)} | ${lat(run.final)} | ${run.lateAcks} | ${cpu(run.cpuMsPerInteraction)} · ${cpu(run.simCpuMsPerInteraction)} | ${mib(run.peakRssKb)} |`,
      );
    }
  }
  return lines;
}

function ratioTable(commands: CommandResult[]): string[] {
  const lines = ['| Case | Load | Throughput bot/baseline | Ack p99 bot/baseline | Final p99 bot/baseline |', '|---|---|--:|--:|--:|'];
  for (const c of commands) {
    if (!c.ratios) continue;
    lines.push(`| ${c.label} | ${c.mode === 'closed' ? `concurrency ${c.load}` : `${c.load}/s open loop`} | ${ratio(c.ratios.throughput)} | ${ratio(c.ratios.ackP99)} | ${ratio(c.ratios.finalP99)} |`);
  }
  return lines;
}

export function renderMarkdown(r: BenchReport, extras: { comparison?: Comparison; analysis?: string; previous?: string } = {}): string {
  const o = r.options;
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push(`Generated by \`npm run bench\` (bench/run.ts); how to run and what is measured: [docs/benchmarks.md](../docs/benchmarks.md).`, '');
  out.push('## Run', '');
  out.push(`- Date: ${r.startedAt} → ${r.finishedAt}`);
  out.push(`- Machine: ${r.machine.nproc} cores (\`nproc\`), CPU ${r.machine.cpuModel}, ${r.machine.platform}, Node ${r.machine.node}`);
  out.push(`- Load average (1/5/15 min) before: ${r.loadBefore.map((x) => x.toFixed(2)).join(' / ')}, after: ${r.loadAfter.map((x) => x.toFixed(2)).join(' / ')}`);
  if (r.speedBefore !== undefined && r.speedAfter !== undefined) {
    out.push(`- Machine speed probe (bench/machine.ts \`speedProbe\`, µs per unit of fixed JSON and SHA-256 work, lower is faster): ${r.speedBefore.toFixed(1)} before, ${r.speedAfter.toFixed(1)} after`);
  }
  out.push(
    `- Options: n=${o.n} per command and bot (after ${o.warmup} warm-up), concurrency ${o.concurrency}, ${o.rounds ?? 1} alternated round(s) of each knowledge command and autocomplete, open-loop /pledge at ${o.pledgeRate}/s, ` +
      `start-up case ${o.guilds} guilds × ${o.channelsPerGuild} channels, ${o.pledges.toLocaleString('en-US')} pledges in one server${o.only ? `, only ${o.only.join(',')}` : ''}`,
  );
  out.push(
    '- The real bot runs as deployed (`node dist/src/index.js`, LOG_LEVEL=info) on a temporary SQLite file at the store\'s default ' +
      '(WAL, synchronous=NORMAL, group commit: docs/store.md "Durability"), with `OCR_WORKERS=0`: the automatic screenshot check is measured ' +
      'apart (`npm run bench:ocr`, section OCR below) and is not in the /pledge, start-up or RSS figures.',
  );
  out.push('', '```text', `$ free -h`, r.machine.memory, '```', '');

  out.push('## Targets', '');
  out.push('| Target | Measured | Met | Note |', '|---|---|:-:|---|');
  for (const t of evaluateTargets(r)) out.push(`| ${t.target} | ${t.measured} | ${t.met === null ? 'n/a' : t.met ? '✅ met' : '❌ missed'} | ${t.note} |`);
  out.push('');

  out.push('## Commands', '');
  out.push('Latencies from the dispatch of INTERACTION_CREATE: *ack* to the interaction callback, *final* to the answer the member sees (for a deferred reply, the PATCH of `@original`; otherwise the same as ack).', '');
  out.push(...commandTable(r.commands), '');
  out.push(...ratioTable(r.commands), '');
  out.push(`Peak RSS of the real bot over all command runs: ${mib(r.botPeakRssKb)}.`, '');
  if (r.pledgeCheck) {
    out.push(
      `Pledges the store counts after the /pledge runs: ${r.pledgeCheck.storeCounted} (answers that said "pledge #N", warm-ups included: ${r.pledgeCheck.answeredRecorded}).`,
      '',
    );
  }
  const problems = r.commands.flatMap((c) => (c.bot && c.bot.problemCount > 0 ? [`- ${c.label}: ${c.bot.problemCount} warn/error lines, e.g. \`${(c.bot.problems[0] ?? '').slice(0, 200)}\``] : []));
  if (problems.length) out.push('Warnings the bot logged during measured runs:', '', ...problems, '');
  const failures = r.commands.flatMap((c) =>
    (['bot', 'baseline'] as const).flatMap((k) => {
      const run = c[k];
      return run && run.errors.length ? [`- ${c.label} (${k}): ${run.errors.join('; ')}`] : [];
    }),
  );
  if (failures.length) out.push('Failed interactions:', '', ...failures, '');

  out.push('## discord.js global limiter and deferred answers', '');
  if (r.limiter) {
    const l = r.limiter;
    out.push(
      `The bare baseline on /pledge (defer, then edit @original), closed loop at concurrency ${l.concurrency}: first with @discordjs/rest as shipped ` +
        '(`globalRequestsPerSecond` 50 applied to the webhook edit), then with `exemptTokenWebhooksFromGlobalLimit` from src/bot/client.ts, which the real bot now uses.',
      '',
    );
    out.push('| Baseline REST | Answered/s | Ack p50 / p95 / p99 (ms) | Final p50 / p95 / p99 (ms) | Late acks |', '|---|--:|--:|--:|--:|');
    for (const [name, run] of [['global limiter on webhook edits (as shipped)', l.limited], ['interaction webhooks exempt (bot\'s fix)', l.exempt]] as const) {
      out.push(`| ${name} | ${num(run.throughput)} | ${lat(run.ack)} | ${lat(run.final)} | ${run.lateAcks} |`);
    }
    out.push('');
  } else out.push(`Skipped: ${r.limiterSkipped ?? 'not run'}.`, '');

  if (extras.comparison) {
    const cmp = extras.comparison;
    out.push(`## ${cmp.title}`, '', cmp.description, '');
    out.push('| Run | n | ok | Answered/s | Ack p50 / p95 / p99 (ms) | Final p50 / p95 / p99 (ms) | Late acks |', '|---|--:|--:|--:|--:|--:|--:|');
    for (const run of cmp.runs) {
      out.push(`| ${run.label} | ${run.bot.n} | ${run.bot.completed} | ${num(run.bot.throughput)} | ${lat(run.bot.ack)} | ${lat(run.bot.final)} | ${run.bot.lateAcks} |`);
    }
    for (const c of r.commands.filter((x) => (x.key === 'pledge' || x.key === 'pledge-rate') && x.bot)) {
      const b = c.bot as BotRun;
      out.push(`| this run, ${c.label} | ${b.n} | ${b.completed} | ${num(b.throughput)} | ${lat(b.ack)} | ${lat(b.final)} | ${b.lateAcks} |`);
    }
    out.push('');
  }

  out.push('## The store alone', '');
  if (r.store) {
    out.push('`PledgeService.submit` in-process on a fresh SQLite file, one server, ten in flight: the ceiling for recorded pledges per second whatever Discord, the image checks and the bot add.', '');
    out.push('| synchronous | Screenshots | Pledges | Pledges/s | Backend calls per pledge |', '|---|---|--:|--:|---|');
    for (const x of r.store.rates) {
      const calls = Object.entries(x.opsPerPledge).map(([k, v]) => `${k} ${v}`).join(', ');
      out.push(`| ${x.synchronous} | ${x.images === 'shared' ? 'one shared by all' : 'one each'} | ${x.pledges} | ${num(x.perSecond)} | ${calls} |`);
    }
    out.push('', `One keyv set (one SQLite commit), p50 / p95 / p99: FULL ${lat(r.store.commitMs.FULL)} ms, NORMAL ${lat(r.store.commitMs.NORMAL)} ms.`, '');
    if (r.store.images) {
      const im = r.store.images;
      out.push(
        'The image half of /pledge, in-process, ten in flight (the bot decodes two at a time):',
        '',
        '| Step | Per second | p50 / p95 / p99 (ms) |',
        '|---|--:|--:|',
        `| takeScreenshot (download from the simulator CDN, checks, decode, SHA-256, dHash) | ${num(im.intake.perSecond)} | ${lat(im.intake.latency)} |`,
        `| strippedCopy (re-encoded copy for the review card) | ${num(im.strippedCopy.perSecond)} | ${lat(im.strippedCopy.latency)} |`,
        '',
      );
    }
  } else out.push(`Skipped: ${r.storeSkipped ?? 'not run'}.`, '');

  out.push('## Start-up with many guilds', '');
  if (r.startup) {
    const s = r.startup;
    out.push(`${s.guilds} guilds × ${s.channelsPerGuild} channels, created by the simulator in ${ms(s.simCreateMs)} ms before either bot connected.`, '');
    out.push(
      '| Bot | Spawn → ready (ms) | IDENTIFY → ready (ms) | of which the simulator sending GUILD_CREATEs (ms) | RSS 2 s after ready | RSS after a full GC | Peak RSS (VmHWM) |',
      '|---|--:|--:|--:|--:|--:|--:|',
    );
    for (const [name, run] of [['baseline', s.baseline], ['**bot**', s.bot]] as const) {
      out.push(
        `| ${name} | ${ms(run.readyMs)} | ${ms(run.identifyToReadyMs)} | ${ms(run.identifyToLastGuildCreateMs)} | ${mib(run.rssAfterReadyKb)} | ${mib(run.rssAfterGcKb)} | ${mib(run.hwmKb)} |`,
      );
    }
    out.push(
      '',
      `Ratios bot/baseline: ready ${ratio(s.bot.readyMs / s.baseline.readyMs)}, RSS after ready ${ratio(s.bot.rssAfterReadyKb / s.baseline.rssAfterReadyKb)}, ` +
        `after a full GC ${ratio(s.bot.rssAfterGcKb / s.baseline.rssAfterGcKb)}. Both children run with \`--expose-gc --import dist/bench/gc-probe.js\` in this case only.`,
      '',
    );
  } else out.push(`Skipped: ${r.startupSkipped ?? 'not run'}.`, '');

  out.push('## One server with many pledges', '');
  if (r.scale) {
    const s = r.scale;
    out.push(`Seeded through \`PledgeService.submit\` (distinct screenshots, half auto-verified), batches of 50:`, '');
    out.push('| synchronous | Pledges | Time (s) | Pledges/s |', '|---|--:|--:|--:|');
    for (const p of s.seed.phases) out.push(`| ${p.synchronous} | ${p.pledges} | ${num(p.ms / 1000, 1)} | ${num(p.perSecond)} |`);
    const full = s.seed.phases.find((p) => p.synchronous === 'FULL');
    if (full && full.perSecond > 0) {
      out.push('', `At synchronous=FULL (fsync on every commit) seeding ${s.seed.requested.toLocaleString('en-US')} pledges would take about ${num(s.seed.requested / full.perSecond / 60, 1)} min.`);
    }
    out.push('');
    if (s.reads) {
      out.push(`In-process timings at ${s.reads.counted.toLocaleString('en-US')} counted pledges (p50 / p95 / p99 / max, ms):`, '');
      out.push('| Operation | Calls | p50 / p95 / p99 | max |', '|---|--:|--:|--:|');
      const rows: Array<[string, LatencyStats]> = [
        ['PledgeService.totals(guild)', s.reads.totals],
        ['PledgeService.campaignTotals()', s.reads.campaignTotals],
        ['both + statsMessage() (embed and PNG chart)', s.reads.statsMessage],
        ['milestone check (afterChange, nothing crossed)', s.reads.milestoneCheck],
      ];
      for (const [name, st] of rows) out.push(`| ${name} | ${st.count} | ${lat(st)} | ${ms(st.max)} |`);
      out.push('');
    }
    if (s.botReadyMs !== undefined) out.push(`The real bot started on this store in ${ms(s.botReadyMs)} ms (spawn → ready; start-up reconciles every pledge).`, '');
    if (s.commands?.length) out.push(...commandTable(s.commands), '', ...ratioTable(s.commands), '');
    for (const n of s.notes) out.push(`- ${n}`);
    if (s.notes.length) out.push('');
  } else out.push(`Skipped: ${r.scaleSkipped ?? 'not run'}.`, '');

  if (r.notes.length) out.push('## Notes from this run', '', ...r.notes.map((n) => `- ${n}`), '');
  if (extras.analysis) out.push(extras.analysis.trim(), '');

  const ocrAt = extras.previous?.indexOf(`\n${OCR_HEADING}`) ?? -1;
  out.push(ocrAt >= 0 && extras.previous ? extras.previous.slice(ocrAt + 1).trimEnd() + '\n' : OCR_PLACEHOLDER);
  return out.join('\n');
}
