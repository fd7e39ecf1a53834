/**
 * ReportError: the typed error of reports/. reports/ reads result files only and does not
 * import engine/, so it carries its own small set of stable codes. The CLI maps
 * INVALID_ARGUMENT to exit status 2 (usage) and everything else to a message and status 2 too,
 * because a report that cannot be built is never a regression verdict.
 */

/** Every code a ReportError may carry; codes are added, never renamed. */
export type ReportErrorCode =
  | 'INVALID_ARGUMENT' // a command-line argument or option is wrong
  | 'INVALID_RESULT' // a result file (or an import input) does not have the expected shape
  | 'UNSUPPORTED_FORMAT_VERSION' // a result file has a schemaVersion this reader does not know
  | 'IO_ERROR' // a file or folder could not be read or written

/** Facts that locate the failure: file, field path, line number. */
export type ReportErrorDetails = Readonly<Record<string, string | number | boolean>>

/**
 * The error every reports/ entry point throws.
 * @example
 * ```ts
 * throw new ReportError('INVALID_RESULT', 'Cannot read run.json: workloads is not an array', { details: { path: 'run.json' } })
 * ```
 */
export class ReportError extends Error {
  readonly code: ReportErrorCode
  readonly details: ReportErrorDetails
  constructor(
    code: ReportErrorCode,
    message: string,
    options: { cause?: unknown; details?: ReportErrorDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ReportError'
    this.code = code
    this.details = options.details ?? {}
  }
}

/** True when `error` is a ReportError (with `code`, when given). */
export function isReportError(error: unknown, code?: ReportErrorCode): error is ReportError {
  return error instanceof ReportError && (code === undefined || error.code === code)
}
