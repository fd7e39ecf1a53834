/**
 * Names of the files in a database directory, and their parser. The DB (orphan cleanup,
 * recovery), the manifest and the blob layer all build names here so that one place decides
 * the spelling. Numbers come from one allocator (VersionSet.nextFileNumber) and are padded to
 * six digits; larger numbers simply get more digits.
 */

/** Name of the file holding the name of the current manifest. */
export const CURRENT_FILE_NAME = 'CURRENT'
/** CURRENT is replaced by writing this file, syncing it and renaming it over CURRENT. */
export const CURRENT_TEMP_FILE_NAME = 'CURRENT.tmp'
/** The directory lock. */
export const LOCK_FILE_NAME = 'LOCK'

const NUMBER_DIGITS_MIN = 6

function padNumber(fileNumber: number): string {
  if (!Number.isSafeInteger(fileNumber) || fileNumber < 0) {
    throw new Error(`file number ${fileNumber} is not a non-negative safe integer`)
  }
  return String(fileNumber).padStart(NUMBER_DIGITS_MIN, '0')
}

/** `000007.wal` */
export function walFileName(fileNumber: number): string {
  return `${padNumber(fileNumber)}.wal`
}

/** `000012.sst` */
export function tableFileName(fileNumber: number): string {
  return `${padNumber(fileNumber)}.sst`
}

/** `000013.blob` */
export function blobFileName(fileNumber: number): string {
  return `${padNumber(fileNumber)}.blob`
}

/** `MANIFEST-000005` */
export function manifestFileName(fileNumber: number): string {
  return `MANIFEST-${padNumber(fileNumber)}`
}

/** What a file name in a database directory is. */
export type ParsedFileName =
  | { kind: 'wal' | 'table' | 'blob' | 'manifest'; fileNumber: number }
  | { kind: 'current' | 'current-temp' | 'lock' }

const NUMBERED = /^(?:(\d+)\.(wal|sst|blob)|MANIFEST-(\d+))$/
const KIND_BY_EXTENSION = { wal: 'wal', sst: 'table', blob: 'blob' } as const

/**
 * Parses a name built by this file; anything else (including a non-canonical spelling such as
 * `7.wal`) returns undefined, so orphan cleanup never deletes a file it did not name.
 * @example
 * ```ts
 * parseFileName('000012.sst') // { kind: 'table', fileNumber: 12 }
 * ```
 */
export function parseFileName(name: string): ParsedFileName | undefined {
  if (name === CURRENT_FILE_NAME) return { kind: 'current' }
  if (name === CURRENT_TEMP_FILE_NAME) return { kind: 'current-temp' }
  if (name === LOCK_FILE_NAME) return { kind: 'lock' }
  const match = NUMBERED.exec(name)
  if (match === null) return undefined
  const digits = match[1] ?? match[3]
  const fileNumber = Number(digits)
  if (!Number.isSafeInteger(fileNumber) || padNumber(fileNumber) !== digits) return undefined
  const extension = match[2] as keyof typeof KIND_BY_EXTENSION | undefined
  return { kind: extension === undefined ? 'manifest' : KIND_BY_EXTENSION[extension], fileNumber }
}
