// Callers branch on these classes: a StoreUnavailableError means "try again later", an
// InvalidRecord means "this one record is damaged" and must never take the whole command down.

export type UnavailableReason = 'timeout' | 'backend-error' | 'closed' | 'lock-timeout';

/**
 * The backend could not be reached or did not answer in time. Nothing about the record is known:
 * the operation may or may not have been applied (a timed-out write can still land later), so a
 * caller should tell the member to try again; every pledge operation is safe to retry.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly reason: UnavailableReason;
  readonly operation: string;

  constructor(operation: string, reason: UnavailableReason, cause?: unknown) {
    super(`store unavailable during ${operation}: ${describe(reason, cause)}`, { cause });
    this.reason = reason;
    this.operation = operation;
  }
}

/** STORE_URL (or another option) cannot work: a person has to fix the configuration. */
export class StoreConfigError extends Error {
  override name = 'StoreConfigError';
}

/** A stored value that is not valid JSON or does not match its zod schema. */
export type InvalidRecord = {
  readonly kind: 'invalid-record';
  readonly key: string;
  readonly collection: string;
  /** Human-readable zod issues (`path: message`), or why the raw value could not be decoded. */
  readonly issues: readonly string[];
  /** The decoded value when it was JSON at all: lets a repair salvage ids from it. */
  readonly raw: unknown;
};

function describe(reason: UnavailableReason, cause: unknown): string {
  if (reason === 'timeout') return 'the backend did not answer in time';
  if (reason === 'closed') return 'the store was closed';
  if (reason === 'lock-timeout') return 'waited too long for a concurrent operation on the same server';
  if (cause instanceof Error) return cause.message || cause.name;
  return String(cause);
}
