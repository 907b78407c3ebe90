// `npm run kb:check [dir]`: lets organizers check their kb/ edits before the bot reloads them.
// Exit 0 with a one-line summary when valid; exit 1 with one problem per line on stderr.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDotEnvOrReport } from '../config.js';
import { donorTotal } from '../kb/donors.js';
import { formatProblem, loadKnowledgeBase } from '../kb/load.js';
import type { KnowledgeBase } from '../kb/schema.js';

export type KbCheckOutput = {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
};

export type KbCheckOptions = { now?: Date };

const processOutput: KbCheckOutput = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** Returns the exit code rather than exiting, so tests can run it in-process. */
export async function runKbCheck(dir: string, out: KbCheckOutput = processOutput, options: KbCheckOptions = {}): Promise<number> {
  const result = await loadKnowledgeBase(dir, options.now ? { now: options.now } : {});
  if (!result.ok) {
    for (const problem of result.problems) out.stderr(formatProblem(problem));
    return 1;
  }
  out.stdout(summarize(dir, result.kb));
  return 0;
}

export function summarize(dir: string, kb: KnowledgeBase): string {
  const total = donorTotal(kb);
  const amount = `$${total.amount_usd.toLocaleString('en-US')}`;
  const facts = kb.topics.reduce((n, t) => n + t.facts.length, 0);
  const label = `${dir.replace(/[\\/]+$/, '')}/`;
  return (
    `${label} is valid: ${plural(kb.topics.length, 'topic')}, ${plural(facts, 'fact')}, ` +
    `${plural(kb.donors.length, 'donor')} (total ${total.is_minimum ? 'more than ' : ''}${amount}), ` +
    `${plural(kb.alternatives.length, 'alternative')}, ${plural(kb.timeline.length, 'timeline event')}`
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The folder the bot would load: the argument, else KB_DIR from the environment or `.env`, as `npm start` reads it. */
async function main(): Promise<number> {
  if (!loadDotEnvOrReport(processOutput.stderr)) return 1;
  // An empty KB_DIR (a blank line in .env) means "not set", not "the current folder".
  const dir = process.argv[2] || process.env['KB_DIR'] || 'kb';
  return runKbCheck(dir);
}

// Run only as a program, not when a test imports runKbCheck.
const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  process.exitCode = await main();
}
