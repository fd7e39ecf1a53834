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
 * The level code of each Strata code; undefined where abstract-level has no equivalent, so the
 * StrataError reaches the caller unchanged. A Record over every code, so that a code added to
 * the engine does not compile until it is placed here (and in docs/level.md "Errors").
 */
const LEVEL_CODES: Readonly<Record<StrataErrorCode, string | undefined>> = {
  CLOSED: 'LEVEL_DATABASE_NOT_OPEN',
  LOCKED: 'LEVEL_LOCKED',
  IO_ERROR: 'LEVEL_IO_ERROR',
  READ_ONLY: 'LEVEL_READONLY',
  CORRUPTION: 'LEVEL_CORRUPTION',
  CHECKSUM_MISMATCH: 'LEVEL_CORRUPTION',
  UNRECOVERABLE: 'LEVEL_CORRUPTION',
  // Open only: toOpenError words it as level callers expect.
  NOT_FOUND: undefined,
  INVALID_ARGUMENT: undefined,
  DECRYPT_FAILED: undefined,
  UNKNOWN_KEY_EPOCH: undefined,
  MISSING_KEY: undefined,
  UNSUPPORTED_FORMAT_VERSION: undefined,
  // A streamed value past streamGetSizeBytesMax: the caller needs BlobDb's getStream(), which no
  // level code says.
  VALUE_TOO_LARGE: undefined,
}

/** The abstract-level code a StrataError with `code` becomes, or undefined: it stays a StrataError. */
export function levelCodeOf(code: StrataErrorCode): string | undefined {
  return LEVEL_CODES[code]
}

/** The error a level caller sees for `error` thrown by the engine. */
export function toLevelError(error: unknown): unknown {
  if (!(error instanceof StrataError)) return error
  const code = levelCodeOf(error.code)
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
