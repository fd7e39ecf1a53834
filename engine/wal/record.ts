/**
 * One record of a log file: a 12-byte header and an opaque payload. The payload is the
 * caller's (the DB encodes a write batch, the manifest a version edit); this file only frames
 * and checks it. Layout: docs/formats/wal.md §3.
 *
 * Checksum choice: `zlib.crc32` rather than XXH3-128 (used for table blocks). Log records are
 * small and written one by one on the write path, where the per-call cost dominates:
 * zlib.crc32 costs 333 ns per 280-byte record against 650–783 ns for hash-wasm's XXH64/XXH128
 * (js-building-blocks.md §2). CRC-32 detects every burst error up to 32 bits and all odd bit
 * counts, which is what a torn write or a flipped bit produces; the record index and the
 * file-number seed cover misplaced records, which a stronger hash would not help with.
 */
import zlib from 'node:zlib'

/** Size of a record header, from the byte table of encodeRecordHeader. */
export const RECORD_HEADER_SIZE_BYTES = 4 + 4 + 4

/**
 * The crc32 seed that binds a record to its file: the file number modulo 2^32. A record
 * copied from another log (misdirected write, stale file) then fails its checksum.
 */
export function recordChecksumSeed(fileNumber: number): number {
  return fileNumber % 2 ** 32
}

/**
 * Checksum of a record: zlib.crc32 over header bytes 0–7 (size and index) continued over the
 * payload, starting from `seed`. Two calls instead of a concatenation: copying the payload
 * would cost more than the second call's ~300 ns fixed cost.
 */
export function recordChecksum(headerPrefix: Uint8Array, payload: Uint8Array, seed: number): number {
  return zlib.crc32(payload, zlib.crc32(headerPrefix, seed))
}

/**
 * Encodes the header of a record (docs/formats/wal.md §3). Integers are little-endian.
 * | offset | size | field            | encoding                                                |
 * |-------:|-----:|------------------|---------------------------------------------------------|
 * |      0 |    4 | payloadSizeBytes | u32 LE, ≤ WAL_RECORD_PAYLOAD_BYTES_MAX                  |
 * |      4 |    4 | recordIndex      | u32 LE, 0 for the file's first record, then +1 each     |
 * |      8 |    4 | checksum         | u32 LE, crc32 of bytes 0–7 then the payload, seeded     |
 * |      … |    n | payload          | payloadSizeBytes opaque bytes (follows the header)      |
 */
export function encodeRecordHeader(payload: Uint8Array, recordIndex: number, seed: number): Uint8Array {
  const header = new Uint8Array(RECORD_HEADER_SIZE_BYTES)
  const view = new DataView(header.buffer)
  view.setUint32(0, payload.length, true)
  view.setUint32(4, recordIndex, true)
  view.setUint32(8, recordChecksum(header.subarray(0, 8), payload, seed), true)
  return header
}

/** The fields of a record header as read from disk (not yet validated). */
export interface RecordHeader {
  payloadSizeBytes: number
  recordIndex: number
  checksum: number
}

/** Reads the three header fields from `bytes` at `offset` (12 bytes must be present). */
export function decodeRecordHeader(bytes: Uint8Array, offset: number): RecordHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_SIZE_BYTES)
  return {
    payloadSizeBytes: view.getUint32(0, true),
    recordIndex: view.getUint32(4, true),
    checksum: view.getUint32(8, true),
  }
}
