// `npm run sandbox`: try the bot without Discord. The real bot runs against the local simulator
// with a demo server; a person types slash commands and button labels at a prompt, or replays a
// script with `--script file` (a transcript, exit code 1 if any step failed). See docs/sandbox.md.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Sandbox, type SessionOptions } from './session.js';
import { OptionTypes, type CommandDef } from './script.js';

export type Out = (line: string) => void;

export type ScriptResult = { ok: boolean; failures: string[] };

export type RunScriptOptions = {
  out?: Out;
  /** Folder of the script: files it names are looked up there too. */
  scriptDir?: string;
  /** Keep the temp folder (store, bot.log) for a look afterwards. */
  keepTempDir?: boolean;
};

const stdoutLine: Out = (line) => process.stdout.write(`${line}\n`);

function fileDirs(scriptDir?: string): string[] {
  const dirs = [process.cwd(), ...(scriptDir ? [scriptDir] : []), path.join(process.cwd(), 'sandbox')];
  return [...new Set(dirs.map((d) => path.resolve(d)))];
}

/**
 * Runs lines as if typed, echoing each after the prompt. A form the bot opens (a modal) takes its
 * answers from the lines that follow. Every step runs even after a failure, so the transcript is whole.
 */
export async function runScript(lines: readonly string[], options: RunScriptOptions = {}): Promise<ScriptResult> {
  const out = options.out ?? stdoutLine;
  let next = 0;
  const take = (): string | null => (next < lines.length ? (lines[next++] ?? '') : null);
  const sessionOptions: SessionOptions = {
    out,
    fileDirs: fileDirs(options.scriptDir),
    ...(options.keepTempDir ? { keepTempDir: true } : {}),
    ask: async (prompt) => {
      const answer = take();
      if (answer !== null) out(`${prompt}${answer}`);
      return answer;
    },
  };
  const started = Date.now();
  const session = await Sandbox.start(sessionOptions);
  const failures: string[] = [];
  try {
    session.banner().forEach(out);
    let lastWasComment = false;
    for (let line = take(); line !== null; line = take()) {
      if (!line.trim()) {
        lastWasComment = false;
        continue;
      }
      // Comments are the script's narration: printed as they are, not as something typed.
      const comment = line.trim().startsWith('#');
      if (!(comment && lastWasComment)) out('');
      lastWasComment = comment;
      if (comment) {
        out(line.trim());
        continue;
      }
      out(`${session.prompt}${line}`);
      const result = await session.run(line);
      if (!result.ok) failures.push(`line ${next}: ${line}`);
      if (result.quit) break;
    }
  } finally {
    await session.stop();
  }
  if (options.keepTempDir) out(`Store and bot log kept in ${path.dirname(session.logPath)}`);
  out('');
  out(
    failures.length
      ? `✗ ${failures.length} step(s) failed: ${failures.join('; ')}`
      : `✓ all steps answered (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return { ok: failures.length === 0, failures };
}

/** Tab completion for command names, subcommands, option names and the sandbox's words. */
export function completer(commands: readonly CommandDef[]): (line: string) => [string[], string] {
  const words = ['help', 'quit', 'as ', 'lang ', 'press ', 'select ', 'channel '];
  return (line) => {
    if (!line.startsWith('/')) {
      const hits = words.filter((w) => w.startsWith(line));
      return [hits, line];
    }
    const parts = line.split(' ');
    const last = parts.at(-1) ?? '';
    const command = commands.find((c) => `/${c.name}` === parts[0]);
    if (parts.length === 1 || !command) {
      return [commands.map((c) => `/${c.name} `).filter((c) => c.startsWith(last)), last];
    }
    let defs = command.options;
    for (const p of parts.slice(1, -1)) {
      const sub = defs.find((d) => d.name === p && (d.type === OptionTypes.Subcommand || d.type === OptionTypes.SubcommandGroup));
      if (sub) defs = sub.options;
    }
    const names = defs.map((d) => (d.type === OptionTypes.Subcommand || d.type === OptionTypes.SubcommandGroup ? `${d.name} ` : `${d.name}:`));
    return [names.filter((n) => n.startsWith(last)), last];
  };
}

/**
 * Lines from stdin, one per `ask`. Lines are queued as they arrive: a pasted block or a pipe
 * delivers many at once, and each must wait for the step before it to finish.
 */
function lineReader(rl: readline.Interface, tty: boolean, out: Out): { ask(prompt: string): Promise<string | null>; close(): void } {
  const queue: string[] = [];
  let waiting: { prompt: string; resolve: (line: string | null) => void } | null = null;
  let closed = false;
  rl.on('line', (line) => {
    if (!waiting) return void queue.push(line);
    const { prompt, resolve } = waiting;
    waiting = null;
    // Without a terminal nothing echoes what was read: print it after its prompt, like a transcript.
    if (!tty) out(`${prompt}${line}`);
    resolve(line);
  });
  rl.on('close', () => {
    closed = true;
    waiting?.resolve(null);
    waiting = null;
  });
  return {
    ask(prompt) {
      const queued = queue.shift();
      if (queued !== undefined) {
        out(`${prompt}${queued}`);
        return Promise.resolve(queued);
      }
      if (closed) return Promise.resolve(null);
      if (tty) {
        rl.setPrompt(prompt);
        rl.prompt();
      }
      return new Promise((resolve) => {
        waiting = { prompt, resolve };
      });
    },
    close() {
      if (!closed) rl.close();
    },
  };
}

async function interactive(options: { keepTempDir: boolean }): Promise<number> {
  const out = stdoutLine;
  const tty = process.stdin.isTTY === true;
  out('Starting the simulator and the bot…');
  let reader: ReturnType<typeof lineReader> | null = null;
  const session = await Sandbox.start({
    out,
    ask: (prompt) => reader?.ask(prompt) ?? Promise.resolve(null),
    fileDirs: fileDirs(),
    keepTempDir: options.keepTempDir,
  });
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: tty, completer: completer(session.commands) });
  const lines = lineReader(rl, tty, out);
  reader = lines;
  // Ctrl-C at the prompt (TTY) arrives on readline; when stdin is a pipe it is a process signal.
  // A second one while a step is still running gives up waiting for it.
  let interrupts = 0;
  const interrupt = () => {
    if (++interrupts > 1) process.exit(130);
    out('');
    lines.close();
  };
  const terminate = () => lines.close();
  rl.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', terminate);

  let failures = 0;
  try {
    session.banner().forEach(out);
    out(`Bot log: ${session.logPath}${options.keepTempDir ? '' : ' (removed on exit; --keep to keep it)'}`);
    for (;;) {
      const input = await lines.ask(session.prompt);
      if (input === null) break;
      const result = await session.run(input);
      if (!result.ok) failures++;
      if (result.quit) break;
    }
  } finally {
    lines.close();
    out('Stopping the bot and the simulator…');
    await session.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', terminate);
  }
  // Piped input is a script in all but name: let a failed step show in the exit code.
  return failures > 0 && !tty ? 1 : 0;
}

const USAGE = `Usage: npm run sandbox [-- --script <file>] [--keep]
  (no options)      an interactive prompt: type help once it starts
  --script <file>   run the lines of <file> as if typed; exit code 1 if a step failed
  --keep            keep the temporary store and bot log (their folder is printed)`;

export async function main(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  const keepTempDir = args.includes('--keep');
  if (args.includes('--help') || args.includes('-h')) {
    stdoutLine(USAGE);
    return 0;
  }
  const scriptAt = args.indexOf('--script');
  if (scriptAt >= 0) {
    const file = args[scriptAt + 1];
    if (!file) {
      process.stderr.write(`--script needs a file\n${USAGE}\n`);
      return 2;
    }
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) {
      process.stderr.write(`cannot read ${file}\n`);
      return 2;
    }
    const result = await runScript(text.split(/\r?\n/), { scriptDir: path.dirname(path.resolve(file)), keepTempDir });
    return result.ok ? 0 : 1;
  }
  const unknown = args.filter((a) => a !== '--keep');
  if (unknown.length) {
    process.stderr.write(`unknown argument ${unknown.join(' ')}\n${USAGE}\n`);
    return 2;
  }
  return interactive({ keepTempDir });
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`sandbox failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
