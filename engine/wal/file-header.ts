/**
 * The header every log file starts with. The WAL and the manifest share one framing (this
 * header, then records as in record.ts) and differ only in the magic, so one reader and one
 * writer serve both, as in LevelDB where the MANIFEST is a log file too.
 *
 * Versions, chosen per file by the writer: 1 (20 bytes) for a plaintext log, 2 (56 bytes) for an
 * encrypted one, which adds the suite, key epoch, per-file salt and a header tag (log-cipher.ts).
 * A WAL that succeeds another writes 5 (36 bytes) or 6 (72 bytes): the same with a link, that
 * log's number and final size, which recovery needs to tell a tail the kernel lost from damage
 * (docs/formats/wal.md §4.1). The first WAL after an open and the manifest write 1 or 2 byte
 * for byte (3 and 4 are the hardened manifest's own framings, engine/manifest/). A version
 * number names one layout whatever the magic. Layout: docs/formats/wal.md §2.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { StrataError } from '../errors.ts'
import { WAL_FILE_NUMBER_MAX } from './limits.ts'

/** Which kind of log a file holds; each kind has its own magic. */
export type LogFileKind = 'wal' | 'manifest'

const MAGIC_BY_KIND: Readonly<Record<LogFileKind, string>> = { wal: 'SWAL', manifest: 'SMAN' }

/** The format version of a plaintext log without a link (what the manifest writes). */
export const LOG_FORMAT_VERSION = 1
/** The format version of an encrypted log without a link. */
export const LOG_FORMAT_VERSION_ENCRYPTED = 2
/** The format version of a plaintext WAL: version 1 plus the link to its predecessor. */
export const LOG_FORMAT_VERSION_LINKED = 5
/** The format version of an encrypted WAL: version 2 plus the link to its predecessor. */
export const LOG_FORMAT_VERSION_LINKED_ENCRYPTED = 6
/** The versions a reader of each kind accepts (3 and 4 are manifest framings read elsewhere). */
const VERSIONS_BY_KIND: Readonly<Record<LogFileKind, readonly number[]>> = {
  wal: [LOG_FORMAT_VERSION, LOG_FORMAT_VERSION_ENCRYPTED, LOG_FORMAT_VERSION_LINKED, LOG_FORMAT_VERSION_LINKED_ENCRYPTED],
  manifest: [LOG_FORMAT_VERSION, LOG_FORMAT_VERSION_ENCRYPTED],
}

const MAGIC_SIZE_BYTES = 4
/** Bytes that decide a header's size: the magic and the version. */
export const LOG_FILE_HEADER_PREFIX_SIZE_BYTES = MAGIC_SIZE_BYTES + 1
/** Size of a link: the predecessor's number (u64) and final size (u64). */
const LINK_SIZE_BYTES = 16
/** Size of a version-1 file header, from the byte table of encodeLogFileHeader. */
export const LOG_FILE_HEADER_SIZE_BYTES = MAGIC_SIZE_BYTES + 1 + 3 + 8 + 4
/** Size of a version-5 file header: version 1's with the link before the checksum. */
export const LINKED_LOG_FILE_HEADER_SIZE_BYTES = LOG_FILE_HEADER_SIZE_BYTES + LINK_SIZE_BYTES
/** Size of the per-file salt an encrypted log's key is derived with. */
export const LOG_SALT_SIZE_BYTES = 16
/** Size of the header tag (an AEAD tag). */
export const LOG_HEADER_TAG_SIZE_BYTES = 16
/** Bytes 0 … this of a version-2 header are the header tag's AAD. */
export const ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES = MAGIC_SIZE_BYTES + 1 + 1 + 2 + 8 + 4 + LOG_SALT_SIZE_BYTES
/** Size of a version-2 (encrypted) file header, from the byte table of encodeEncryptedHeader. */
export const ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES = ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES + LOG_HEADER_TAG_SIZE_BYTES + 4
/** Size of a version-6 file header: version 2's with the link inside the tag's AAD. */
export const LINKED_ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES = ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES + LINK_SIZE_BYTES

/** Where a version's fields are; one entry per version this module reads. */
interface HeaderLayout {
  sizeBytes: number
  encrypted: boolean
  /** Offset of the link, when the version has one. */
  linkOffsetBytes?: number
}

const LAYOUT_BY_VERSION: ReadonlyMap<number, HeaderLayout> = new Map([
  [LOG_FORMAT_VERSION, { sizeBytes: LOG_FILE_HEADER_SIZE_BYTES, encrypted: false }],
  [LOG_FORMAT_VERSION_ENCRYPTED, { sizeBytes: ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES, encrypted: true }],
  [LOG_FORMAT_VERSION_LINKED, { sizeBytes: LINKED_LOG_FILE_HEADER_SIZE_BYTES, encrypted: false, linkOffsetBytes: 16 }],
  [LOG_FORMAT_VERSION_LINKED_ENCRYPTED, {
    sizeBytes: LINKED_ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES, encrypted: true, linkOffsetBytes: ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES,
  }],
])

/**
 * The log a WAL succeeds, as its header records it: the number and the final size of the log
 * that was active until this one was created. That log takes no appends after the switch, so
 * its size then is its size for good.
 */
export interface LogPredecessor {
  fileNumber: number
  sizeBytes: number
}

/** The encryption facts a version-2 header records. */
export interface LogHeaderEncryption {
  suiteId: number
  keyEpoch: number
  salt: Uint8Array
  /** AEAD tag over `authenticatedBytes` (empty plaintext), proving the key at open. */
  headerTag: Uint8Array
  /** The header bytes before the tag (0–35, or 0–51 with a link), the header tag's AAD. */
  authenticatedBytes: Uint8Array
}

/** What a file header says. */
export interface LogFileHeader {
  kind: LogFileKind
  formatVersion: number
  fileNumber: number
  /** Present exactly for the encrypted versions (2, 6). */
  encryption?: LogHeaderEncryption
  /** Present exactly for versions 5 and 6: the log this one succeeds. */
  predecessor?: LogPredecessor
}

/** What the writer of an encrypted log supplies: the facts, and the tag over the header bytes before it. */
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

function setU53(view: DataView, offsetBytes: number, value: number): void {
  view.setUint32(offsetBytes, value % 2 ** 32, true)
  view.setUint32(offsetBytes + 4, Math.floor(value / 2 ** 32), true)
}

/** The u64 at `offsetBytes`, or undefined when it exceeds 2^53 − 1. */
function getU53(view: DataView, offsetBytes: number): number | undefined {
  const high = view.getUint32(offsetBytes + 4, true)
  return high >= 2 ** 21 ? undefined : high * 2 ** 32 + view.getUint32(offsetBytes, true)
}

/** True when `predecessor` is an older log of at least one byte. */
function isValidLink(fileNumber: number, predecessor: LogPredecessor): boolean {
  const { fileNumber: predecessorNumber, sizeBytes } = predecessor
  return Number.isSafeInteger(predecessorNumber) && predecessorNumber > 0 && predecessorNumber < fileNumber &&
    Number.isSafeInteger(sizeBytes) && sizeBytes > 0
}

/**
 * Encodes the log file header (docs/formats/wal.md §2): version 1 (20 bytes), or version 5
 * (36 bytes) when `predecessor` is given. Integers are little-endian.
 * | offset  | size | field                | encoding                                     |
 * |--------:|-----:|----------------------|----------------------------------------------|
 * |       0 |    4 | magic                | "SWAL" (WAL) or "SMAN" (manifest), ASCII     |
 * |       4 |    1 | formatVersion        | u8, 1 or 5                                   |
 * |       5 |    3 | reserved             | zero                                         |
 * |       8 |    8 | fileNumber           | u64 LE, the log number (≤ 2^53 - 1)          |
 * |      16 |    8 | predecessorNumber    | version 5: u64 LE, an older log's number     |
 * |      24 |    8 | predecessorSizeBytes | version 5: u64 LE, that log's final size     |
 * | 16 / 32 |    4 | checksum             | u32 LE, zlib.crc32 of the bytes before it    |
 * With a `sealer` the header is the encrypted one (encodeEncryptedHeader), version 2 or 6.
 */
export function encodeLogFileHeader(kind: LogFileKind, fileNumber: number, sealer?: LogHeaderSealer, predecessor?: LogPredecessor): Uint8Array {
  checkFileNumber(fileNumber)
  if (sealer !== undefined) {
    const formatVersion = predecessor === undefined ? LOG_FORMAT_VERSION_ENCRYPTED : LOG_FORMAT_VERSION_LINKED_ENCRYPTED
    return encodeEncryptedHeader(kind, formatVersion, fileNumber, sealer, predecessor)
  }
  const bytes = new Uint8Array(predecessor === undefined ? LOG_FILE_HEADER_SIZE_BYTES : LINKED_LOG_FILE_HEADER_SIZE_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(Buffer.from(MAGIC_BY_KIND[kind], 'latin1'), 0)
  bytes[4] = predecessor === undefined ? LOG_FORMAT_VERSION : LOG_FORMAT_VERSION_LINKED
  setU53(view, 8, fileNumber)
  if (predecessor !== undefined) setLink(view, 16, fileNumber, predecessor)
  view.setUint32(bytes.length - 4, zlib.crc32(bytes.subarray(0, bytes.length - 4)), true)
  return bytes
}

function setLink(view: DataView, offsetBytes: number, fileNumber: number, predecessor: LogPredecessor): void {
  if (!isValidLink(fileNumber, predecessor)) {
    throw new StrataError('INVALID_ARGUMENT',
      `Cannot create log file ${fileNumber}: predecessor ${predecessor.fileNumber} of ${predecessor.sizeBytes} bytes is not an older log`)
  }
  setU53(view, offsetBytes, predecessor.fileNumber)
  setU53(view, offsetBytes + 8, predecessor.sizeBytes)
}

/**
 * Encodes the header of an encrypted log (docs/formats/wal.md §2.2): version 2 (56 bytes), or
 * 6 (72 bytes) with a `predecessor`. Integers are little-endian.
 * | offset  | size | field                | encoding                                            |
 * |--------:|-----:|----------------------|-----------------------------------------------------|
 * |       0 |    4 | magic                | "SWAL" (WAL) or "SMAN" (manifest), ASCII            |
 * |       4 |    1 | formatVersion        | u8, 2 or 6 (4 for each copy of a sealed hardened manifest's header) |
 * |       5 |    1 | suiteId              | u8, CipherSuite (1–4)                               |
 * |       6 |    2 | reserved             | zero                                                |
 * |       8 |    8 | fileNumber           | u64 LE, the log number (≤ 2^53 - 1)                 |
 * |      16 |    4 | keyEpoch             | u32 LE, the epoch whose key the file key derives from |
 * |      20 |   16 | salt                 | random per file (OS CSPRNG), the HKDF salt          |
 * |      36 |    8 | predecessorNumber    | version 6: u64 LE, an older log's number            |
 * |      44 |    8 | predecessorSizeBytes | version 6: u64 LE, that log's final size            |
 * | 36 / 52 |   16 | headerTag            | AEAD tag, empty plaintext, AAD = every byte before it |
 * | 52 / 68 |    4 | checksum             | u32 LE, zlib.crc32 of the bytes before it           |
 */
export function encodeEncryptedHeader(
  kind: LogFileKind, formatVersion: number, fileNumber: number, sealer: LogHeaderSealer, predecessor?: LogPredecessor,
): Uint8Array {
  checkFileNumber(fileNumber)
  assert.equal(sealer.salt.length, LOG_SALT_SIZE_BYTES)
  const linkSizeBytes = predecessor === undefined ? 0 : LINK_SIZE_BYTES
  const bytes = new Uint8Array(ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES + linkSizeBytes)
  const view = new DataView(bytes.buffer)
  bytes.set(Buffer.from(MAGIC_BY_KIND[kind], 'latin1'), 0)
  bytes[4] = formatVersion
  bytes[5] = sealer.suiteId
  setU53(view, 8, fileNumber)
  view.setUint32(16, sealer.keyEpoch, true)
  bytes.set(sealer.salt, 20)
  if (predecessor !== undefined) setLink(view, ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES, fileNumber, predecessor)
  const aadSizeBytes = ENCRYPTED_LOG_HEADER_AAD_SIZE_BYTES + linkSizeBytes
  const tag = sealer.headerTag(bytes.subarray(0, aadSizeBytes))
  assert.equal(tag.length, LOG_HEADER_TAG_SIZE_BYTES)
  bytes.set(tag, aadSizeBytes)
  const checksumOffsetBytes = bytes.length - 4
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
  return layoutOf(kind, prefix, fileName).sizeBytes
}

/** The layout `bytes` (a header's start) names, after checking its magic and version. */
function layoutOf(kind: LogFileKind, bytes: Uint8Array, fileName: string): HeaderLayout {
  const details = { fileName, offsetBytes: 0 }
  const magic = Buffer.from(bytes.subarray(0, MAGIC_SIZE_BYTES)).toString('latin1')
  if (magic !== MAGIC_BY_KIND[kind]) {
    throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: bad magic ${JSON.stringify(magic)}`, { details })
  }
  // Version before checksum: a future version may lay out the rest of the header differently.
  const formatVersion = bytes[4]
  const layout = LAYOUT_BY_VERSION.get(formatVersion)
  if (layout === undefined || !VERSIONS_BY_KIND[kind].includes(formatVersion)) {
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION',
      `Cannot read ${kind} file ${fileName}: format version ${formatVersion} is not one of ${VERSIONS_BY_KIND[kind].join(', ')}`,
      { details: { ...details, formatVersion } })
  }
  return layout
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
  const layout = layoutOf(kind, bytes, fileName)
  const formatVersion = bytes[4]
  const { sizeBytes } = layout
  if (bytes.length !== sizeBytes) {
    throw new Error(`decodeLogFileHeader needs ${sizeBytes} bytes for version ${formatVersion}, got ${bytes.length}`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const corruption = (found: string) =>
    new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: ${found}`, { details: { fileName, offsetBytes: 0 } })
  const checksumOffsetBytes = sizeBytes - 4
  if (view.getUint32(checksumOffsetBytes, true) !== zlib.crc32(bytes.subarray(0, checksumOffsetBytes))) {
    throw corruption('file header checksum mismatch')
  }
  // Reserved: bytes 5–7 of a plaintext header, 6–7 of an encrypted one (byte 5 holds the suite).
  for (let i = layout.encrypted ? 6 : 5; i < 8; i++) {
    if (bytes[i] !== 0) throw corruption('reserved header bytes are not zero')
  }
  const fileNumber = getU53(view, 8)
  if (fileNumber === undefined) throw corruption('file number exceeds 2^53')
  const header: LogFileHeader = { kind, formatVersion, fileNumber }
  if (layout.linkOffsetBytes !== undefined) {
    const predecessorNumber = getU53(view, layout.linkOffsetBytes)
    const predecessorSizeBytes = getU53(view, layout.linkOffsetBytes + 8)
    if (predecessorNumber === undefined || predecessorSizeBytes === undefined) throw corruption('predecessor link exceeds 2^53')
    const predecessor = { fileNumber: predecessorNumber, sizeBytes: predecessorSizeBytes }
    if (!isValidLink(fileNumber, predecessor)) {
      throw corruption(`predecessor link names log ${predecessorNumber} of ${predecessorSizeBytes} bytes, not an older log`)
    }
    header.predecessor = predecessor
  }
  if (layout.encrypted) {
    const aadSizeBytes = sizeBytes - LOG_HEADER_TAG_SIZE_BYTES - 4
    header.encryption = {
      suiteId: bytes[5],
      keyEpoch: view.getUint32(16, true),
      salt: bytes.slice(20, 20 + LOG_SALT_SIZE_BYTES),
      headerTag: bytes.slice(aadSizeBytes, aadSizeBytes + LOG_HEADER_TAG_SIZE_BYTES),
      authenticatedBytes: bytes.slice(0, aadSizeBytes),
    }
  }
  return header
}
