// Screenshot verification for pledges: OCR (tesseract.js, offline) and evidence scoring, plus the
// durable job queue the pledge flow uses. No discord.js here; docs/verification.md has the details.
export {
  createScreenshotVerifier,
  defaultPrepareOptions,
  verifyDetailed,
  type DetailedVerification,
  DEFAULT_LANDSCAPE_WIDTH,
  DEFAULT_MIN_WIDTH,
  DEFAULT_WORKING_WIDTH,
  type ScreenshotVerifier,
  type VerificationResult,
  type VerifierOptions,
  type VerifyOptions,
} from './verifier.js';
export {
  createOcrPool,
  OcrError,
  OcrTimeoutError,
  OcrUnavailableError,
  type OcrLogger,
  type OcrPool,
  type OcrPoolOptions,
  type OcrPoolStats,
  type OcrResult,
} from './pool.js';
export { prepareForOcr, UnreadableImageError, type PreparedImage, type PrepareOptions } from './preprocess.js';
export { assessText, type Assessment, type AssessOptions, type Verdict } from './score.js';
export type { OcrLang, OcrModel } from './runtime.js';
export {
  jobId,
  JOB_STATES,
  VerificationJobInputError,
  VerificationJobs,
  verificationJobSchema,
  type EnqueueInput,
  type JobContext,
  type JobHandler,
  type JobRef,
  type JobState,
  type RunReport,
  type VerificationJob,
  type VerificationJobsOptions,
} from './jobs.js';
export { PledgeChecks, CHECK_MAX_ATTEMPTS, type CheckNotice, type PledgeChecksOptions } from './pledgeChecks.js';
export { CheckReplies, REPLY_TTL_MS, checkReplySchema, type CheckReply } from './replies.js';
