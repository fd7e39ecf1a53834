/**
 * Errors of the level adapter: Strata's codes mapped onto abstract-level's (README "Errors"),
 * the StrataError kept as `cause` so nothing a forensics tool needs is lost.
 */
import { StrataError, type StrataErrorCode } from '../index.ts'

/** An error with an abstract-level code (`LEVEL_*`); `cause` holds the StrataError behind it. */
export class LevelError extends Error {
  /** Stable abstract-level code, e.g. `LEVEL_LOCKED`. */
  readonly code: string

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LevelError'
    this.code = code
  }
}

/**
 * Strata codes with an abstract-level equivalent. Codes absent here (INVALID_ARGUMENT,
 * DECRYPT_FAILED, UNKNOWN_KEY_EPOCH, MISSING_KEY, UNSUPPORTED_FORMAT_VERSION) have none, so the
 * StrataError reaches the caller unchanged.
 */
const LEVEL_CODES: Partial<Record<StrataErrorCode, string>> = {
  CLOSED: 'LEVEL_DATABASE_NOT_OPEN',
  LOCKED: 'LEVEL_LOCKED',
  IO_ERROR: 'LEVEL_IO_ERROR',
  READ_ONLY: 'LEVEL_READONLY',
  CORRUPTION: 'LEVEL_CORRUPTION',
  CHECKSUM_MISMATCH: 'LEVEL_CORRUPTION',
  UNRECOVERABLE: 'LEVEL_CORRUPTION',
}

/** The error a level caller sees for `error` thrown by the engine. */
export function toLevelError(error: unknown): unknown {
  if (!(error instanceof StrataError)) return error
  const code = LEVEL_CODES[error.code]
  return code === undefined ? error : new LevelError(code, error.message, { cause: error })
}

/**
 * The error `_open()` rejects with; abstract-level wraps it as the `cause` of a
 * `LEVEL_DATABASE_NOT_OPEN`. NOT_FOUND has no level code: its message says "does not exist",
 * as level callers (and the compliance suite) expect, and its cause is the StrataError.
 */
export function toOpenError(error: unknown, location: string): unknown {
  if (error instanceof StrataError && error.code === 'NOT_FOUND') {
    return new Error(`Cannot open ${location}: database does not exist and createIfMissing is false`, { cause: error })
  }
  return toLevelError(error)
}
