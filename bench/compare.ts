// Builds bench/limiter-comparison.json from reports of two builds of the bot run one after the other
// (before and after a change), so RESULTS.md can show them side by side:
//   node dist/bench/compare.js "before the fix" before1.json before2.json -- "after the fix" after1.json after2.json
// Runs of the two builds should alternate in time: the machine's load drifts.
import { readFileSync } from 'node:fs';
import type { BenchReport } from './harness.js';
import type { Comparison } from './report.js';

function main(argv: string[]): Comparison {
  const groups: Array<{ name: string; files: string[] }> = [];
  let current: { name: string; files: string[] } | null = null;
  for (const arg of argv) {
    if (arg === '--') current = null;
    else if (!current) {
      current = { name: arg, files: [] };
      groups.push(current);
    } else current.files.push(arg);
  }
  if (groups.length < 2 || groups.some((g) => g.files.length === 0)) {
    throw new Error('usage: compare.js "<label A>" a1.json [a2.json…] -- "<label B>" b1.json [b2.json…]');
  }
  const rows: Array<{ key: string; run: Comparison['runs'][number] }> = [];
  for (const g of groups) {
    g.files.forEach((file, i) => {
      const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
      for (const c of report.commands) {
        if (!c.bot) continue;
        rows.push({ key: c.label, run: { label: `${c.label}: ${g.name}, run ${i + 1} (${report.startedAt.slice(11, 16)} UTC)`, bot: c.bot } });
      }
    });
  }
  // Grouped by case, so the builds' rows for one case sit together (sort is stable).
  const order = [...new Set(rows.map((r) => r.key))];
  const runs = rows.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key)).map((r) => r.run);
  return {
    title: 'Global limiter fix: the bot before and after',
    description:
      `The real bot built ${groups.map((g) => `${g.name}`).join(' and ')}, runs alternating in time on the same machine ` +
      '(closed loop, the same cases). Each row is one run; compare rows of the same case.',
    runs,
  };
}

try {
  process.stdout.write(`${JSON.stringify(main(process.argv.slice(2)), null, 2)}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
