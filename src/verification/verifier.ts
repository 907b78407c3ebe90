// The one call the bot makes: screenshot bytes in, verdict out.
import { createOcrPool, type OcrPool, type OcrPoolOptions } from './pool.js';
import { prepareForOcr, type PrepareOptions } from './preprocess.js';
import { assessText, type Verdict } from './score.js';

export type VerificationResult = {
  verdict: Verdict;
  /** 0..1, for ordering and display; the verdict does not come from a threshold on it. */
  score: number;
  /** What was recognized that counts for or against (shown on the review card). */
  evidence: string[];
  /** Characters of recognized text: near 0 means OCR saw nothing (blank, photo, tiny image). */
  textChars: number;
  /** Wall time of this call, including the wait for a free worker. */
  ms: number;
};

export type VerifyOptions = {
  /** The pledge's image matched another member's: the answer is at best `review`. */
  duplicate?: boolean;
  /** Overrides the pool's recognition timeout for this call. */
  timeoutMs?: number;
};

export type VerifierOptions = OcrPoolOptions &
  Partial<PrepareOptions> & {
    /** Share an existing pool instead of starting one (close() then leaves it running). */
    pool?: OcrPool;
  };

export interface ScreenshotVerifier {
  readonly pool: OcrPool;
  /**
   * Rejects with UnreadableImageError (not an image / too large to decode) or an OcrError
   * (timeout, worker failure, pool closed or full). Never resolves `verified` for a duplicate.
   */
  verify(image: Uint8Array, opts?: VerifyOptions): Promise<VerificationResult>;
  close(): Promise<void>;
}

/** Defaults of PrepareOptions, chosen with bench/ocr.ts (see bench/ocr-results.md and docs/verification.md). */
export const DEFAULT_WORKING_WIDTH = 700;
export const DEFAULT_LANDSCAPE_WIDTH = 1600;
export const DEFAULT_MIN_WIDTH = 600;

export function defaultPrepareOptions(opts: Partial<PrepareOptions> = {}): PrepareOptions {
  return {
    workingWidth: opts.workingWidth ?? DEFAULT_WORKING_WIDTH,
    landscapeWidth: opts.landscapeWidth ?? DEFAULT_LANDSCAPE_WIDTH,
    minWidth: opts.minWidth ?? DEFAULT_MIN_WIDTH,
  };
}

export type DetailedVerification = {
  result: VerificationResult;
  /** The OCR output as recognized. */
  text: string;
  /** Why the verdict is not `verified`. */
  missing: string[];
};

/** verify() with what a debugging tool or a benchmark also wants to see. */
export async function verifyDetailed(pool: OcrPool, image: Uint8Array, prep: PrepareOptions, opts: VerifyOptions = {}): Promise<DetailedVerification> {
  const started = performance.now();
  const prepared = await prepareForOcr(image, prep);
  const ocr = await pool.recognize(prepared.pgm, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  const assessment = assessText(ocr.text, { duplicate: opts.duplicate === true });
  return {
    result: {
      verdict: assessment.verdict,
      score: assessment.score,
      evidence: assessment.evidence,
      textChars: ocr.text.trim().length,
      ms: Math.round(performance.now() - started),
    },
    text: ocr.text,
    missing: assessment.missing,
  };
}

export async function createScreenshotVerifier(opts: VerifierOptions = {}): Promise<ScreenshotVerifier> {
  const ownPool = opts.pool === undefined;
  const pool = opts.pool ?? (await createOcrPool(opts));
  const prep = defaultPrepareOptions(opts);
  return {
    pool,
    async verify(image, vopts = {}) {
      return (await verifyDetailed(pool, image, prep, vopts)).result;
    },
    async close() {
      if (ownPool) await pool.close();
    },
  };
}
