// `npm run verify-screenshot -- <file>...`: what the verifier makes of screenshots, without the bot.
// Moderators and developers use it to see why an image went to review.
//
// One JSON line per readable file on stdout, in the order given:
//   {"file":…,"verdict":"verified|review|unrelated","score":…,"evidence":[…],"text_chars":…,"ms":…}
// (with --text, also "text": the OCR output). A file that cannot be read or decoded gets a line on
// stderr instead. Exit 0 when every file was verified; 2 when any input was unreadable (the others
// are still printed); 1 when OCR itself failed (timeout, worker failure) and nothing was unreadable.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { createOcrPool, type OcrPool, type OcrPoolOptions } from '../verification/pool.js';
import { UnreadableImageError } from '../verification/preprocess.js';
import { defaultPrepareOptions, verifyDetailed } from '../verification/verifier.js';
import { isMain } from './isMain.js';

export type VerifyScreenshotOutput = {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
};

export type VerifyScreenshotOptions = {
  /** Include the OCR text in each line. */
  text?: boolean;
  /** Mark every file as a possible duplicate (shows what `review` for duplicates looks like). */
  duplicate?: boolean;
  pool?: OcrPoolOptions;
};

export type VerifyScreenshotLine = {
  file: string;
  verdict: string;
  score: number;
  evidence: string[];
  text_chars: number;
  ms: number;
  text?: string;
};

const processOutput: VerifyScreenshotOutput = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

type Outcome = { kind: 'ok'; line: VerifyScreenshotLine } | { kind: 'unreadable' | 'failed'; message: string };

/** Returns the exit code rather than exiting, so tests can run it in-process. */
export async function runVerifyScreenshot(files: readonly string[], out: VerifyScreenshotOutput = processOutput, opts: VerifyScreenshotOptions = {}): Promise<number> {
  if (files.length === 0) {
    out.stderr('usage: verify-screenshot [--text] [--duplicate] <file>...');
    return 2;
  }
  let pool: OcrPool;
  try {
    pool = await createOcrPool({ size: Math.min(files.length, availableParallelism()), ...opts.pool });
  } catch (err) {
    out.stderr(`verify-screenshot: OCR could not start: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const prep = defaultPrepareOptions();
  try {
    const one = async (file: string): Promise<Outcome> => {
      const started = performance.now();
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        return { kind: 'unreadable', message: err instanceof Error ? err.message : String(err) };
      }
      try {
        const v = await verifyDetailed(pool, bytes, prep, { duplicate: opts.duplicate === true });
        const line: VerifyScreenshotLine = {
          file,
          verdict: v.result.verdict,
          score: v.result.score,
          evidence: v.result.evidence,
          text_chars: v.result.textChars,
          ms: Math.round(performance.now() - started),
        };
        if (opts.text === true) line.text = v.text;
        return { kind: 'ok', line };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return { kind: err instanceof UnreadableImageError ? 'unreadable' : 'failed', message };
      }
    };
    // All files are queued at once (the pool runs as many as it has workers); lines come out in order.
    const pending = files.map(one);
    let code = 0;
    for (let i = 0; i < files.length; i++) {
      const outcome = await pending[i];
      if (outcome === undefined) continue;
      if (outcome.kind === 'ok') out.stdout(JSON.stringify(outcome.line));
      else {
        out.stderr(`verify-screenshot: ${files[i] ?? ''}: ${outcome.kind === 'unreadable' ? 'unreadable' : 'OCR failed'}: ${outcome.message}`);
        code = outcome.kind === 'unreadable' ? 2 : Math.max(code, 1);
      }
    }
    return code;
  } finally {
    await pool.close();
  }
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const files = args.filter((a) => a !== '--text' && a !== '--duplicate');
  runVerifyScreenshot(files, processOutput, { text: args.includes('--text'), duplicate: args.includes('--duplicate') }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`verify-screenshot: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
