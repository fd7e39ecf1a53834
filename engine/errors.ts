/**
 * StrataError: the one error class callers may branch on, identified by a stable `code`.
 * Codes are added, never renamed or reused; callers never match on message text.
 * A broken internal invariant is not a StrataError but an assertion failure (node:assert).
 */

/** Every code a StrataError may carry. */
export type StrataErrorCode =
  | 'INVALID_ARGUMENT'
  | 'CLOSED'
  | 'LOCKED'
  | 'IO_ERROR'
  | 'READ_ONLY'
  | 'NOT_FOUND'
  | 'CORRUPTION'
  | 'CHECKSUM_MISMATCH'
  | 'DECRYPT_FAILED'
  | 'UNKNOWN_KEY_EPOCH'
  | 'MISSING_KEY'
  | 'UNRECOVERABLE'
  | 'UNSUPPORTED_FORMAT_VERSION'
  /** A value too large to return whole (a streamed value past `streamGetSizeBytesMax`: use getStream). */
  | 'VALUE_TOO_LARGE'

/** Facts that locate a failure for forensics: file, offset, block type, key epoch. */
export type StrataErrorDetails = Readonly<Record<string, string | number | bigint | boolean>>

/**
 * The error every public entry point throws or rejects with.
 * @example
 * ```ts
 * try { await db.get(key) } catch (e) { if (e instanceof StrataError && e.code === 'CLOSED') reopen() }
 * ```
 */
export class StrataError extends Error {
  /** Stable machine-readable code. */
  readonly code: StrataErrorCode
  /** Where the failure was found (file name, offset, …). */
  readonly details: StrataErrorDetails

  constructor(
    code: StrataErrorCode,
    message: string,
    options: { cause?: unknown; details?: StrataErrorDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StrataError'
    this.code = code
    this.details = options.details ?? {}
  }
}

/** True when `error` is a StrataError with the given code. */
export function isStrataError(error: unknown, code?: StrataErrorCode): error is StrataError {
  return error instanceof StrataError && (code === undefined || error.code === code)
}

/** Wraps a Node.js system error (ENOSPC, EIO, …) from `action` into an IO_ERROR. */
export function ioError(action: string, path: string, cause: unknown): StrataError {
  const errno = (cause as { code?: unknown })?.code
  return new StrataError('IO_ERROR', `Cannot ${action} ${path}: ${String(errno ?? cause)}`, {
    cause,
    details: { path, errno: typeof errno === 'string' ? errno : 'unknown' },
  })
}
