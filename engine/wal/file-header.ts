/**
 * The header every log file starts with. The WAL and the manifest share one framing (this
 * header, then records as in record.ts) and differ only in the magic, so one reader and one
 * writer serve both, as in LevelDB where the MANIFEST is a log file too.
 *
 * Two versions, chosen per file by the writer: 1 (20 bytes) for a plaintext log, 2 (56 bytes)
 * for an encrypted one, which adds the suite, key epoch, per-file salt and a header tag
 * (log-cipher.ts). A plaintext writer still writes version 1 byte for byte, so plaintext logs
 * and the manifest keep their format and older builds keep reading them.
 * Layout: docs/formats/wal.md §2.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { StrataError } from '../errors.ts'
import { WAL_FILE_NUMBER_MAX } from './limits.ts'

/** Which kind of log a file holds; each kind has its own magic. */
export type LogFileKind = 'wal' | 'manifest'

const MAGIC_BY_KIND: Readonly<Record<LogFileKind, string>> = { wal: 'SWAL', manifest: 'SMAN' }

/** The format version of a plaintext log (what the manifest and an unencrypted WAL write). */
export const LOG_FORMAT_VERSION = 1
/** The format version of an encrypted log. */
export const LOG_FORMAT_VERSION_ENCRYPTED = 2
/** A reader accepts exactly the versions in this range. */
export const LOG_FORMAT_VERSION_MIN = 1
export const LOG_FORMAT_VERSION_MAX = 2

const MAGIC_SIZE_BYTES = 4
/** Bytes that decide a header's size: the magic and the version. */
export const LOG_FILE_HEADER_PREFIX_SIZE_BYTES = MAGIC_SIZE_BYTES + 1
/** Size of a version-1 file header, from the byte table of encodeLogFileHeader. */
export const LOG_FILE_HEADER_SIZE_BYTES = MAGIC_SIZE_BYTES + 1 + 3 + 8 + 4
/** Size of the per-file salt an encrypted log's key is derived with. */
export const LOG_SALT_SIZE_BYTES = 16
/** Size of the header tag (an AEAD tag). */
export const LOG_HEADER_TAG_SIZE_BYTES = 16
/** Bytes 0 … this of a version-2 header are the header tag's AAD. */
export const ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES = MAGIC_SIZE_BYTES + 1 + 1 + 2 + 8 + 4 + LOG_SALT_SIZE_BYTES
/** Size of a version-2 (encrypted) file header, from the byte table of encodeEncryptedHeader. */
export const ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES = ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES + LOG_HEADER_TAG_SIZE_BYTES + 4

/** The encryption facts a version-2 header records. */
export interface LogHeaderEncryption {
  suiteId: number
  keyEpoch: number
  salt: Uint8Array
  /** AEAD tag over `authenticatedBytes` (empty plaintext), proving the key at open. */
  headerTag: Uint8Array
  /** Header bytes 0–35, the header tag's AAD. */
  authenticatedBytes: Uint8Array
}

/** What a file header says. */
export interface LogFileHeader {
  kind: LogFileKind
  formatVersion: number
  fileNumber: number
  /** Present exactly for version 2. */
  encryption?: LogHeaderEncryption
}

/** What the writer of an encrypted log supplies: the facts, and the tag over header bytes 0–35. */
export interface LogHeaderSealer {
  readonly suiteId: number
  readonly keyEpoch: number
  readonly salt: Uint8Array
  headerTag(authenticatedBytes: Uint8Array): Uint8Array
}

function checkFileNumber(fileNumber: number): void {
  if (!Number.isSafeInteger(fileNumber) || fileNumber < 0 || fileNumber > WAL_FILE_NUMBER_MAX) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot create log file: file number ${fileNumber} is not a u53`)
  }
}

function setFileNumber(view: DataView, offsetBytes: number, fileNumber: number): void {
  view.setUint32(offsetBytes, fileNumber % 2 ** 32, true)
  view.setUint32(offsetBytes + 4, Math.floor(fileNumber / 2 ** 32), true)
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
export function encodeLogFileHeader(kind: LogFileKind, fileNumber: number, sealer?: LogHeaderSealer): Uint8Array {
  checkFileNumber(fileNumber)
  if (sealer !== undefined) return encodeEncryptedHeader(kind, LOG_FORMAT_VERSION_ENCRYPTED, fileNumber, sealer)
  const bytes = new Uint8Array(LOG_FILE_HEADER_SIZE_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(Buffer.from(MAGIC_BY_KIND[kind], 'latin1'), 0)
  bytes[4] = LOG_FORMAT_VERSION
  setFileNumber(view, 8, fileNumber)
  view.setUint32(16, zlib.crc32(bytes.subarray(0, 16)), true)
  return bytes
}

/**
 * Encodes the header of an encrypted log (docs/formats/wal.md §2.2). Integers are little-endian.
 * | offset | size | field         | encoding                                            |
 * |-------:|-----:|---------------|-----------------------------------------------------|
 * |      0 |    4 | magic         | "SWAL" (WAL) or "SMAN" (manifest), ASCII            |
 * |      4 |    1 | formatVersion | u8, 2 (4 for each copy of a sealed hardened manifest's header) |
 * |      5 |    1 | suiteId       | u8, CipherSuite (1–4)                               |
 * |      6 |    2 | reserved      | zero                                                |
 * |      8 |    8 | fileNumber    | u64 LE, the log number (≤ 2^53 - 1)                 |
 * |     16 |    4 | keyEpoch      | u32 LE, the epoch whose key the file key derives from |
 * |     20 |   16 | salt          | random per file (OS CSPRNG), the HKDF salt          |
 * |     36 |   16 | headerTag     | AEAD tag, empty plaintext, AAD = bytes 0–35         |
 * |     52 |    4 | checksum      | u32 LE, zlib.crc32 of bytes 0–51                    |
 */
export function encodeEncryptedHeader(kind: LogFileKind, formatVersion: number, fileNumber: number, sealer: LogHeaderSealer): Uint8Array {
  checkFileNumber(fileNumber)
  assert.equal(sealer.salt.length, LOG_SALT_SIZE_BYTES)
  const bytes = new Uint8Array(ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(Buffer.from(MAGIC_BY_KIND[kind], 'latin1'), 0)
  bytes[4] = formatVersion
  bytes[5] = sealer.suiteId
  setFileNumber(view, 8, fileNumber)
  view.setUint32(16, sealer.keyEpoch, true)
  bytes.set(sealer.salt, 20)
  const tag = sealer.headerTag(bytes.subarray(0, ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES))
  assert.equal(tag.length, LOG_HEADER_TAG_SIZE_BYTES)
  bytes.set(tag, ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES)
  const checksumOffsetBytes = ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES - 4
  view.setUint32(checksumOffsetBytes, zlib.crc32(bytes.subarray(0, checksumOffsetBytes)), true)
  return bytes
}

/**
 * The size of the header that starts with `prefix` (LOG_FILE_HEADER_PREFIX_SIZE_BYTES bytes).
 * @throws {StrataError} `CORRUPTION` on a wrong magic; `UNSUPPORTED_FORMAT_VERSION` on a
 * version outside the range this code reads.
 */
export function logFileHeaderSizeOf(kind: LogFileKind, prefix: Uint8Array, fileName: string): number {
  assert.equal(prefix.length, LOG_FILE_HEADER_PREFIX_SIZE_BYTES)
  checkMagicAndVersion(kind, prefix, fileName)
  return prefix[4] === LOG_FORMAT_VERSION ? LOG_FILE_HEADER_SIZE_BYTES : ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES
}

function checkMagicAndVersion(kind: LogFileKind, bytes: Uint8Array, fileName: string): void {
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
 * Decodes and checks a full header (of the size logFileHeaderSizeOf gave) read from `fileName`.
 * The header tag of a version-2 header is not checked here (that needs the key: log-cipher.ts).
 * @throws {StrataError} `CORRUPTION` on a wrong magic, non-zero reserved bytes or a checksum
 * mismatch; `UNSUPPORTED_FORMAT_VERSION` on a version outside the range this code reads.
 */
export function decodeLogFileHeader(kind: LogFileKind, bytes: Uint8Array, fileName: string): LogFileHeader {
  checkMagicAndVersion(kind, bytes, fileName)
  const formatVersion = bytes[4]
  const sizeBytes = formatVersion === LOG_FORMAT_VERSION ? LOG_FILE_HEADER_SIZE_BYTES : ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES
  if (bytes.length !== sizeBytes) {
    throw new Error(`decodeLogFileHeader needs ${sizeBytes} bytes for version ${formatVersion}, got ${bytes.length}`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const details = { fileName, offsetBytes: 0 }
  const checksumOffsetBytes = sizeBytes - 4
  if (view.getUint32(checksumOffsetBytes, true) !== zlib.crc32(bytes.subarray(0, checksumOffsetBytes))) {
    throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: file header checksum mismatch`, { details })
  }
  // Reserved: bytes 5–7 in version 1, 6–7 in version 2 (byte 5 holds the suite).
  const reservedStartBytes = formatVersion === LOG_FORMAT_VERSION ? 5 : 6
  for (let i = reservedStartBytes; i < 8; i++) {
    if (bytes[i] !== 0) {
      throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: reserved header bytes are not zero`, { details })
    }
  }
  const high = view.getUint32(12, true)
  if (high >= 2 ** 21) {
    throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: file number exceeds 2^53`, { details })
  }
  const header: LogFileHeader = { kind, formatVersion, fileNumber: high * 2 ** 32 + view.getUint32(8, true) }
  if (formatVersion === LOG_FORMAT_VERSION_ENCRYPTED) {
    const tagEndBytes = ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES + LOG_HEADER_TAG_SIZE_BYTES
    header.encryption = {
      suiteId: bytes[5],
      keyEpoch: view.getUint32(16, true),
      salt: bytes.slice(20, 20 + LOG_SALT_SIZE_BYTES),
      headerTag: bytes.slice(ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES, tagEndBytes),
      authenticatedBytes: bytes.slice(0, ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES),
    }
  }
  return header
}
