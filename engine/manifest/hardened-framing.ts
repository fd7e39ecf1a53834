/**
 * The byte layout of a hardened manifest (format version 3, docs/formats/manifest.md §6): a
 * file header written twice, then one record pair per version edit, each pair holding two
 * verbatim copies of a record header (size, index, CRC-32, XXH3-128) followed by two copies of
 * the payload. This file encodes and checks single structures; hardened-reader.ts walks a file
 * and decides which copy to trust, hardened-writer.ts appends.
 *
 * Why both checksums: the CRC-32 is the log framing's (wal.md §3), seeded by the file number,
 * and catches every burst up to 32 bits cheaply; XXH3-128 makes accepting a damaged copy as the
 * good one a 2^-128 event, which matters once the reader chooses between copies.
 */
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { StrataError } from '../errors.ts'
import { XXH3_128_SIZE_BYTES, xxh3128, xxh3128Matches } from '../checksum/xxh3.ts'
import { VERSION_EDIT_SIZE_BYTES_MAX } from './limits.ts'

/** The manifest magic, shared with format version 1 (the log framing's `SMAN`). */
export const MANIFEST_MAGIC = 'SMAN'
/** Format version of a manifest in the plain log framing (docs/formats/wal.md). */
export const MANIFEST_FORMAT_VERSION_PLAIN = 1
/**
 * Format version of a hardened manifest: mirrored header and records, XXH3-128 per record.
 * Not 2: the log framing's version 2 is an encrypted log (wal.md §2.2), for either magic, so
 * an SMAN file of version 2 is a log-framing file. Builds that read versions 1–2 meet 3 as
 * UNSUPPORTED_FORMAT_VERSION, which is the truth.
 */
export const MANIFEST_FORMAT_VERSION_HARDENED = 3

const MAGIC_BYTES = Buffer.from(MANIFEST_MAGIC, 'latin1')

/** One copy of the file header; the layout of wal.md §2 (version 1) with version 3. */
export const HARDENED_HEADER_COPY_SIZE_BYTES = 4 + 1 + 3 + 8 + 4
/** The mirrored file header: two identical copies. */
export const HARDENED_FILE_HEADER_SIZE_BYTES = 2 * HARDENED_HEADER_COPY_SIZE_BYTES
/** One copy of a record header. */
export const HARDENED_RECORD_HEADER_COPY_SIZE_BYTES = 4 + 4 + 4 + XXH3_128_SIZE_BYTES
/** Both record header copies, which precede both payload copies. */
export const HARDENED_PAIR_HEADER_SIZE_BYTES = 2 * HARDENED_RECORD_HEADER_COPY_SIZE_BYTES

/** The CRC-32 of a log record (wal.md §3): bytes 0–7 of its header, then the payload, seeded. */
export function logRecordCrc32(headerPrefix: Uint8Array, payload: Uint8Array, fileNumber: number): number {
  return zlib.crc32(payload, zlib.crc32(headerPrefix, fileNumber % 2 ** 32))
}

function u64Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(8)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, value % 2 ** 32, true)
  view.setUint32(4, Math.floor(value / 2 ** 32), true)
  return bytes
}

// Every record of a file hashes the same file number: keep its bytes rather than allocate a
// typed array per record, which cost more than the hash itself when reading (profiled).
let fileNumberBytesCache: { fileNumber: number, bytes: Uint8Array } = { fileNumber: -1, bytes: new Uint8Array(8) }

function fileNumberBytes(fileNumber: number): Uint8Array {
  if (fileNumberBytesCache.fileNumber !== fileNumber) fileNumberBytesCache = { fileNumber, bytes: u64Bytes(fileNumber) }
  return fileNumberBytesCache.bytes
}

/**
 * Encodes the mirrored file header of a hardened manifest (docs/formats/manifest.md §6.1):
 * this 20-byte copy, then the same 20 bytes again.
 * | offset | size | field         | encoding                                  |
 * |-------:|-----:|---------------|-------------------------------------------|
 * |      0 |    4 | magic         | "SMAN", ASCII                             |
 * |      4 |    1 | formatVersion | u8, 3                                     |
 * |      5 |    3 | reserved      | zero                                      |
 * |      8 |    8 | fileNumber    | u64 LE, the manifest's number (≤ 2^53 − 1) |
 * |     16 |    4 | checksum      | u32 LE, zlib.crc32 of bytes 0–15          |
 */
export function encodeHardenedFileHeader(fileNumber: number): Uint8Array {
  if (!Number.isSafeInteger(fileNumber) || fileNumber < 0) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot create manifest: file number ${fileNumber} is not a u53`)
  }
  const bytes = new Uint8Array(HARDENED_FILE_HEADER_SIZE_BYTES)
  bytes.set(MAGIC_BYTES, 0)
  bytes[4] = MANIFEST_FORMAT_VERSION_HARDENED
  bytes.set(u64Bytes(fileNumber), 8)
  new DataView(bytes.buffer).setUint32(16, zlib.crc32(bytes.subarray(0, 16)), true)
  bytes.copyWithin(HARDENED_HEADER_COPY_SIZE_BYTES, 0, HARDENED_HEADER_COPY_SIZE_BYTES)
  return bytes
}

/** What one 20-byte header copy says, when its magic, checksum and reserved bytes check out. */
export interface HeaderCopy {
  formatVersion: number
  fileNumber: number
}

/**
 * Decodes one 20-byte header copy (either format version: their header layouts agree), or
 * undefined when the copy is damaged (wrong magic, checksum, reserved bytes or a number ≥ 2^53).
 */
export function decodeHeaderCopy(bytes: Uint8Array): HeaderCopy | undefined {
  if (bytes.length < HARDENED_HEADER_COPY_SIZE_BYTES) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, HARDENED_HEADER_COPY_SIZE_BYTES)
  for (let i = 0; i < MAGIC_BYTES.length; i++) if (bytes[i] !== MAGIC_BYTES[i]) return undefined
  if (view.getUint32(16, true) !== zlib.crc32(bytes.subarray(0, 16))) return undefined
  if (bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) return undefined
  const high = view.getUint32(12, true)
  if (high >= 2 ** 21) return undefined
  return { formatVersion: bytes[4], fileNumber: high * 2 ** 32 + view.getUint32(8, true) }
}

/** True when `bytes` starts with the magic and names format version 3, whatever else is damaged. */
export function claimsHardenedFormat(bytes: Uint8Array): boolean {
  if (bytes.length < 5) return false
  for (let i = 0; i < MAGIC_BYTES.length; i++) if (bytes[i] !== MAGIC_BYTES[i]) return false
  return bytes[4] === MANIFEST_FORMAT_VERSION_HARDENED
}

/**
 * Encodes one record header copy of a hardened manifest (docs/formats/manifest.md §6.2); a
 * pair is this copy twice, then the payload twice.
 * | offset | size | field            | encoding                                                  |
 * |-------:|-----:|------------------|-----------------------------------------------------------|
 * |      0 |    4 | payloadSizeBytes | u32 LE, ≤ VERSION_EDIT_SIZE_BYTES_MAX (64 MiB)            |
 * |      4 |    4 | recordIndex      | u32 LE, 0 for the snapshot record, then +1 per pair       |
 * |      8 |    4 | crc32            | u32 LE, crc32 of bytes 0–7 then the payload, seeded by the file number mod 2^32 (wal.md §3) |
 * |     12 |   16 | xxh3             | XXH3-128 (big-endian digest) of bytes 0–11, the file number as u64 LE, then the payload |
 */
export function encodeHardenedRecordHeader(payload: Uint8Array, recordIndex: number, fileNumber: number): Uint8Array {
  const header = new Uint8Array(HARDENED_RECORD_HEADER_COPY_SIZE_BYTES)
  const view = new DataView(header.buffer)
  view.setUint32(0, payload.length, true)
  view.setUint32(4, recordIndex, true)
  view.setUint32(8, logRecordCrc32(header.subarray(0, 8), payload, fileNumber), true)
  header.set(xxh3128(header.subarray(0, 12), fileNumberBytes(fileNumber), payload), 12)
  return header
}

/**
 * The payload of one copy of the pair at `pairOffsetBytes` of `file`, when that copy checks
 * out: size within the limit and inside the file, index `recordIndex`, both checksums.
 * Undefined otherwise. Copy B's payload position comes from copy B's own size field, so a
 * damaged size in copy A never hides copy B.
 */
export function checkRecordCopy(
  file: Uint8Array, pairOffsetBytes: number, copyIndex: 0 | 1, recordIndex: number, fileNumber: number,
): Uint8Array | undefined {
  const headerOffsetBytes = pairOffsetBytes + copyIndex * HARDENED_RECORD_HEADER_COPY_SIZE_BYTES
  const header = file.subarray(headerOffsetBytes, headerOffsetBytes + HARDENED_RECORD_HEADER_COPY_SIZE_BYTES)
  if (header.length < HARDENED_RECORD_HEADER_COPY_SIZE_BYTES) return undefined
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength)
  const payloadSizeBytes = view.getUint32(0, true)
  if (payloadSizeBytes > VERSION_EDIT_SIZE_BYTES_MAX) return undefined
  if (view.getUint32(4, true) !== recordIndex) return undefined
  const payloadOffsetBytes = pairOffsetBytes + HARDENED_PAIR_HEADER_SIZE_BYTES + copyIndex * payloadSizeBytes
  if (payloadOffsetBytes + payloadSizeBytes > file.length) return undefined
  const payload = file.subarray(payloadOffsetBytes, payloadOffsetBytes + payloadSizeBytes)
  if (view.getUint32(8, true) !== logRecordCrc32(header.subarray(0, 8), payload, fileNumber)) return undefined
  if (!xxh3128Matches(header, 12, header.subarray(0, 12), fileNumberBytes(fileNumber), payload)) return undefined
  return payload
}

/** The payload size a record header copy at `headerOffsetBytes` claims (unchecked), if readable. */
export function claimedPayloadSizeBytes(file: Uint8Array, headerOffsetBytes: number): number | undefined {
  if (headerOffsetBytes + 4 > file.length) return undefined
  return new DataView(file.buffer, file.byteOffset + headerOffsetBytes, 4).getUint32(0, true)
}
