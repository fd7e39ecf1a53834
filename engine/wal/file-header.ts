/**
 * The header every log file starts with. The WAL and the manifest share one framing (this
 * header, then records as in record.ts) and differ only in the magic, so one reader and one
 * writer serve both, as in LevelDB where the MANIFEST is a log file too.
 * Layout: docs/formats/wal.md §2.
 */
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { StrataError } from '../errors.ts'
import { WAL_FILE_NUMBER_MAX } from './limits.ts'

/** Which kind of log a file holds; each kind has its own magic. */
export type LogFileKind = 'wal' | 'manifest'

const MAGIC_BY_KIND: Readonly<Record<LogFileKind, string>> = { wal: 'SWAL', manifest: 'SMAN' }

/** The format version this code writes; a reader accepts exactly the versions it knows. */
export const LOG_FORMAT_VERSION = 1
export const LOG_FORMAT_VERSION_MIN = 1
export const LOG_FORMAT_VERSION_MAX = 1

const MAGIC_SIZE_BYTES = 4
/** Size of the file header, computed from the byte table of encodeLogFileHeader. */
export const LOG_FILE_HEADER_SIZE_BYTES = MAGIC_SIZE_BYTES + 1 + 3 + 8 + 4

/** What a file header says. */
export interface LogFileHeader {
  kind: LogFileKind
  formatVersion: number
  fileNumber: number
}

/**
 * Encodes the log file header (docs/formats/wal.md §2). Integers are little-endian.
 * | offset | size | field         | encoding                                     |
 * |-------:|-----:|---------------|----------------------------------------------|
 * |      0 |    4 | magic         | "SWAL" (WAL) or "SMAN" (manifest), ASCII     |
 * |      4 |    1 | formatVersion | u8, currently 1                              |
 * |      5 |    3 | reserved      | zero                                         |
 * |      8 |    8 | fileNumber    | u64 LE, the log number (≤ 2^53 - 1)          |
 * |     16 |    4 | checksum      | u32 LE, zlib.crc32 of bytes 0–15             |
 */
export function encodeLogFileHeader(kind: LogFileKind, fileNumber: number): Uint8Array {
  if (!Number.isSafeInteger(fileNumber) || fileNumber < 0 || fileNumber > WAL_FILE_NUMBER_MAX) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot create log file: file number ${fileNumber} is not a u53`)
  }
  const bytes = new Uint8Array(LOG_FILE_HEADER_SIZE_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(Buffer.from(MAGIC_BY_KIND[kind], 'latin1'), 0)
  bytes[4] = LOG_FORMAT_VERSION
  view.setUint32(8, fileNumber % 2 ** 32, true)
  view.setUint32(12, Math.floor(fileNumber / 2 ** 32), true)
  view.setUint32(16, zlib.crc32(bytes.subarray(0, 16)), true)
  return bytes
}

/** True when `bytes` (shorter than a header) could be the start of a header of `kind`. */
export function isLogFileHeaderPrefix(kind: LogFileKind, bytes: Uint8Array): boolean {
  const magic = Buffer.from(MAGIC_BY_KIND[kind], 'latin1')
  for (let i = 0; i < Math.min(bytes.length, MAGIC_SIZE_BYTES); i++) {
    if (bytes[i] !== magic[i]) return false
  }
  return true
}

/**
 * Decodes and checks a full header read from `fileName`.
 * @throws {StrataError} `CORRUPTION` on a wrong magic, non-zero reserved bytes or a checksum
 * mismatch; `UNSUPPORTED_FORMAT_VERSION` on a version outside the range this code reads.
 */
export function decodeLogFileHeader(kind: LogFileKind, bytes: Uint8Array, fileName: string): LogFileHeader {
  if (bytes.length !== LOG_FILE_HEADER_SIZE_BYTES) {
    throw new Error(`decodeLogFileHeader needs ${LOG_FILE_HEADER_SIZE_BYTES} bytes, got ${bytes.length}`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const details = { fileName, offsetBytes: 0 }
  const magic = Buffer.from(bytes.subarray(0, MAGIC_SIZE_BYTES)).toString('latin1')
  if (magic !== MAGIC_BY_KIND[kind]) {
    throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: bad magic ${JSON.stringify(magic)}`, { details })
  }
  // Version before checksum: a future version may lay out the rest of the header differently.
  const formatVersion = bytes[4]
  if (formatVersion < LOG_FORMAT_VERSION_MIN || formatVersion > LOG_FORMAT_VERSION_MAX) {
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION',
      `Cannot read ${kind} file ${fileName}: format version ${formatVersion} is outside ` +
      `${LOG_FORMAT_VERSION_MIN}–${LOG_FORMAT_VERSION_MAX}`, { details: { ...details, formatVersion } })
  }
  if (view.getUint32(16, true) !== zlib.crc32(bytes.subarray(0, 16))) {
    throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: file header checksum mismatch`, { details })
  }
  if (bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: reserved header bytes are not zero`, { details })
  }
  const high = view.getUint32(12, true)
  if (high >= 2 ** 21) {
    throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: file number exceeds 2^53`, { details })
  }
  return { kind, formatVersion, fileNumber: high * 2 ** 32 + view.getUint32(8, true) }
}
