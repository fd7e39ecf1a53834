/**
 * The blob file format, version 1: byte layouts of the file header, the frame header and the
 * footer, their encoders and their checked decoders. Writer and reader share this file so that
 * each layout is written down once; docs/formats/blob-file.md is the prose specification.
 *
 * A blob file:  [file header 40 B] [frame]* [footer 56 B, only when cleanly finished]
 * A frame:      [frame header 40 B] [key] [body = BlockCodec envelope of the value]
 * All integers are little-endian. u64 fields hold values ≤ 2^53 − 1 (exact doubles).
 */
import { describeKey as describeInternalKey } from '../../engine/describe-key.ts'
import { u32At, u64At } from '../../engine/le-bytes.ts'
import { Buffer } from 'node:buffer'
import { StrataError } from '../../engine/errors.ts'
import { xxh3128, xxh3128Matches, xxh3128MatchesAround, XXH3_128_SIZE_BYTES } from '../../engine/checksum/xxh3.ts'
import {
  BLOB_BODY_SIZE_BYTES_MAX,
  BLOB_FILE_NUMBER_MAX,
  BLOB_KEY_SIZE_BYTES_MAX,
  BLOB_VALUE_SIZE_BYTES_MAX,
} from '../limits.ts'

/** "SBLF": the first four bytes of every blob file, and bytes 32–35 of its footer. */
export const BLOB_FILE_MAGIC = Uint8Array.of(0x53, 0x42, 0x4c, 0x46)

/** The format version this build writes and the only one it reads. */
export const BLOB_FILE_FORMAT_VERSION = 1

/** What the first byte of a record after the file header says it is. */
export const RecordKind = {
  /** A value frame. */
  Frame: 1,
  /** The footer of a cleanly finished file. */
  Footer: 2,
} as const

/**
 * How many leading bytes of the on-disk body the frame checksum covers. The body starts with the
 * block envelope header, whose bytes 8–23 are the checksum of the whole body, so covering the
 * first 32 bytes binds the body to this frame's key: a body moved to another frame fails.
 */
export const FRAME_CHECKSUM_BODY_PREFIX_BYTES = 32

// --- file header -------------------------------------------------------------------------------

/** What the file header says about its file. */
export interface BlobFileHeader {
  fileNumber: number
  /** Which codec configuration wrote the bodies (opaque to this layer; 0 = PlainCodec). */
  codecId: number
}

/**
 * File header, docs/formats/blob-file.md §2.
 * | offset | size | field         | encoding                                   |
 * |-------:|-----:|---------------|--------------------------------------------|
 * |      0 |    4 | magic         | "SBLF"                                     |
 * |      4 |    1 | formatVersion | u8, currently 1                            |
 * |      5 |    3 | reserved      | zero                                       |
 * |      8 |    8 | fileNumber    | u64 LE                                     |
 * |     16 |    4 | codecId       | u32 LE, codec configuration of the bodies  |
 * |     20 |    4 | reserved      | zero                                       |
 * |     24 |   16 | checksum      | XXH3-128 of bytes 0–23                     |
 */
export const FILE_HEADER_SIZE_BYTES = 4 + 1 + 3 + 8 + 4 + 4 + XXH3_128_SIZE_BYTES
const FILE_HEADER_CHECKED_BYTES = FILE_HEADER_SIZE_BYTES - XXH3_128_SIZE_BYTES

function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % 2 ** 32, true)
  view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true)
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function allZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index++) if (bytes[index] !== 0) return false
  return true
}

function hasMagic(bytes: Uint8Array, offset: number): boolean {
  for (let index = 0; index < BLOB_FILE_MAGIC.length; index++) {
    if (bytes[offset + index] !== BLOB_FILE_MAGIC[index]) return false
  }
  return true
}

/** Encodes the file header (table above). */
export function encodeFileHeader(header: BlobFileHeader): Uint8Array {
  const out = new Uint8Array(FILE_HEADER_SIZE_BYTES)
  const view = viewOf(out)
  out.set(BLOB_FILE_MAGIC, 0)
  out[4] = BLOB_FILE_FORMAT_VERSION
  setU64(view, 8, header.fileNumber)
  view.setUint32(16, header.codecId, true)
  out.set(xxh3128(out.subarray(0, FILE_HEADER_CHECKED_BYTES)), FILE_HEADER_CHECKED_BYTES)
  return out
}

/**
 * Decodes and verifies a file header read from disk, in this order: length, magic, version,
 * checksum, reserved bytes, file number.
 * @throws {StrataError} `CORRUPTION` (short, bad magic, reserved bits, file number),
 * `UNSUPPORTED_FORMAT_VERSION`, `CHECKSUM_MISMATCH`.
 */
export function decodeFileHeader(bytes: Uint8Array, fileName: string): BlobFileHeader {
  const details = { fileName, offsetBytes: 0 }
  if (bytes.length < FILE_HEADER_SIZE_BYTES) {
    throw new StrataError('CORRUPTION', `Cannot open blob file ${fileName}: ${bytes.length} bytes is shorter than the ${FILE_HEADER_SIZE_BYTES}-byte file header`, { details })
  }
  if (!hasMagic(bytes, 0)) {
    throw new StrataError('CORRUPTION', `Cannot open blob file ${fileName}: magic is not "SBLF"`, { details })
  }
  // The version comes before the checksum: a later version may lay out (and sum) the rest differently.
  if (bytes[4] !== BLOB_FILE_FORMAT_VERSION) {
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION', `Cannot open blob file ${fileName}: format version ${bytes[4]}, this build reads ${BLOB_FILE_FORMAT_VERSION}`, { details: { ...details, formatVersion: bytes[4] } })
  }
  if (!xxh3128Matches(bytes, FILE_HEADER_CHECKED_BYTES, bytes.subarray(0, FILE_HEADER_CHECKED_BYTES))) {
    throw new StrataError('CHECKSUM_MISMATCH', `Cannot open blob file ${fileName}: file header checksum mismatch`, { details })
  }
  if (!allZero(bytes, 5, 8) || !allZero(bytes, 20, 24)) {
    throw new StrataError('CORRUPTION', `Cannot open blob file ${fileName}: reserved header bytes are not zero`, { details })
  }
  const fileNumber = u64At(bytes, 8)
  if (fileNumber > BLOB_FILE_NUMBER_MAX) {
    throw new StrataError('CORRUPTION', `Cannot open blob file ${fileName}: file number ${fileNumber} exceeds ${BLOB_FILE_NUMBER_MAX}`, { details })
  }
  return { fileNumber, codecId: u32At(bytes, 16) }
}

// --- frame header ------------------------------------------------------------------------------

/** The fixed-size part of a frame. */
export interface FrameHeader {
  keySizeBytes: number
  rawValueSizeBytes: number
  bodySizeBytes: number
  /**
   * The file number the body was encoded for (its BlockContext.fileNumber, bound into an AEAD's
   * AAD). Equal to the holding file's number unless GC relocated the frame: relocation copies
   * frames byte for byte, so the body keeps the context it was encrypted under.
   */
  originFileNumber: number
}

/**
 * Frame header, docs/formats/blob-file.md §3.
 * | offset | size | field             | encoding                                                  |
 * |-------:|-----:|-------------------|-----------------------------------------------------------|
 * |      0 |    1 | kind              | u8, 1 = frame (RecordKind.Frame)                          |
 * |      1 |    3 | reserved          | zero                                                      |
 * |      4 |    4 | keySizeBytes      | u32 LE, ≤ BLOB_KEY_SIZE_BYTES_MAX                         |
 * |      8 |    4 | rawValueSizeBytes | u32 LE, ≤ BLOB_VALUE_SIZE_BYTES_MAX                       |
 * |     12 |    4 | bodySizeBytes     | u32 LE, ≤ BLOB_BODY_SIZE_BYTES_MAX                        |
 * |     16 |    8 | originFileNumber  | u64 LE, BlockContext.fileNumber of the body               |
 * |     24 |   16 | checksum          | XXH3-128 of bytes 0–23, the key, and the body's first     |
 * |        |      |                   | min(32, bodySizeBytes) bytes                              |
 * |     40 |    k | key               | keySizeBytes bytes                                        |
 * |   40+k |    b | body              | BlockCodec output, BlockType.BlobFrame, bodySizeBytes     |
 */
export const FRAME_HEADER_SIZE_BYTES = 1 + 3 + 4 + 4 + 4 + 8 + XXH3_128_SIZE_BYTES
const FRAME_HEADER_CHECKED_BYTES = FRAME_HEADER_SIZE_BYTES - XXH3_128_SIZE_BYTES

/** Largest frame a valid file can hold; bounds a frame size read from a handle. */
export const FRAME_SIZE_BYTES_MAX = FRAME_HEADER_SIZE_BYTES + BLOB_KEY_SIZE_BYTES_MAX + BLOB_BODY_SIZE_BYTES_MAX

/**
 * Where frameChecksum lays out what it hashes, grown to the largest key seen (module-level: JS is
 * single-threaded and frameChecksum never yields). Starts at 256 bytes of key.
 */
let frameChecksumScratch = new Uint8Array(FRAME_HEADER_CHECKED_BYTES + 256 + FRAME_CHECKSUM_BODY_PREFIX_BYTES)

/**
 * The body is `bodyHead` then `bodyTail` (a body written as two parts); the sum covers its first
 * 32 bytes. The covered bytes are copied into one range and hashed with one hasher update: four
 * parts (header, key, envelope header, start of the value) cost 0.62 µs through hash-wasm, the
 * same 72 bytes as one part 0.25-0.27 µs (100,000 calls of each, interleaved, two runs).
 */
function frameChecksum(header: Uint8Array, headerOffset: number, key: Uint8Array, bodyHead: Uint8Array, bodyTail?: Uint8Array): Uint8Array {
  const coveredSizeBytes = FRAME_HEADER_CHECKED_BYTES + key.length + FRAME_CHECKSUM_BODY_PREFIX_BYTES
  if (frameChecksumScratch.length < coveredSizeBytes) frameChecksumScratch = new Uint8Array(coveredSizeBytes)
  const scratch = frameChecksumScratch
  // Byte loops, not set(subarray): a view is an allocation, and these are a few dozen bytes.
  for (let index = 0; index < FRAME_HEADER_CHECKED_BYTES; index++) scratch[index] = header[headerOffset + index]
  let end = FRAME_HEADER_CHECKED_BYTES
  for (let index = 0; index < key.length; index++) scratch[end++] = key[index]
  const headBytes = Math.min(FRAME_CHECKSUM_BODY_PREFIX_BYTES, bodyHead.length)
  for (let index = 0; index < headBytes; index++) scratch[end++] = bodyHead[index]
  if (bodyTail !== undefined) {
    const tailBytes = Math.min(FRAME_CHECKSUM_BODY_PREFIX_BYTES - headBytes, bodyTail.length)
    for (let index = 0; index < tailBytes; index++) scratch[end++] = bodyTail[index]
  }
  return xxh3128(scratch.subarray(0, end))
}

/**
 * Writes the frame header for `key` and `body` into `target` at `offset` (table above), checksum
 * included. The caller writes key and body after it. A body written in two parts (an envelope
 * header, then the value: plain-envelope.ts) passes them as `body` and `bodyTail`.
 */
export function writeFrameHeader(target: Uint8Array, offset: number, fields: FrameHeader, key: Uint8Array, body: Uint8Array, bodyTail?: Uint8Array): void {
  // Byte writes at `offset`, not a DataView over a subarray: this runs once per separated value.
  target[offset] = RecordKind.Frame
  target[offset + 1] = 0
  target[offset + 2] = 0
  target[offset + 3] = 0
  setU32At(target, offset + 4, fields.keySizeBytes)
  setU32At(target, offset + 8, fields.rawValueSizeBytes)
  setU32At(target, offset + 12, fields.bodySizeBytes)
  setU32At(target, offset + 16, fields.originFileNumber % 2 ** 32)
  setU32At(target, offset + 20, Math.floor(fields.originFileNumber / 2 ** 32))
  target.set(frameChecksum(target, offset, key, body, bodyTail), offset + FRAME_HEADER_CHECKED_BYTES)
}

function setU32At(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value & 0xff
  target[offset + 1] = (value >>> 8) & 0xff
  target[offset + 2] = (value >>> 16) & 0xff
  target[offset + 3] = value >>> 24
}

/**
 * Reads the fields of a frame header without trusting them: returns a reason string when a
 * field is out of bounds (the caller decides between torn tail and corruption), else the fields.
 * The checksum is verified separately by `frameChecksumMatches`, once key and body are read.
 */
export function parseFrameHeader(header: Uint8Array): FrameHeader | string {
  if (header.length < FRAME_HEADER_SIZE_BYTES) return `${header.length} bytes is shorter than a frame header`
  if (header[0] !== RecordKind.Frame) return `record kind ${header[0]} is not a frame`
  if (!allZero(header, 1, 4)) return 'reserved frame header bytes are not zero'
  const fields: FrameHeader = {
    keySizeBytes: u32At(header, 4),
    rawValueSizeBytes: u32At(header, 8),
    bodySizeBytes: u32At(header, 12),
    originFileNumber: u64At(header, 16),
  }
  if (fields.keySizeBytes > BLOB_KEY_SIZE_BYTES_MAX) return `key size ${fields.keySizeBytes} exceeds ${BLOB_KEY_SIZE_BYTES_MAX}`
  if (fields.rawValueSizeBytes > BLOB_VALUE_SIZE_BYTES_MAX) return `value size ${fields.rawValueSizeBytes} exceeds ${BLOB_VALUE_SIZE_BYTES_MAX}`
  if (fields.bodySizeBytes > BLOB_BODY_SIZE_BYTES_MAX) return `body size ${fields.bodySizeBytes} exceeds ${BLOB_BODY_SIZE_BYTES_MAX}`
  if (fields.originFileNumber > BLOB_FILE_NUMBER_MAX) return `origin file number ${fields.originFileNumber} exceeds ${BLOB_FILE_NUMBER_MAX}`
  return fields
}

/**
 * True when the checksum in `header` covers this header, `key` and the start of `body`. A frame
 * read whole (key and body views into `header`'s bytes, right after the header) is hashed as one
 * range in place (xxh3128MatchesAround): one hasher update instead of three.
 */
export function frameChecksumMatches(header: Uint8Array, key: Uint8Array, body: Uint8Array): boolean {
  const keyOffset = header.byteOffset + FRAME_HEADER_SIZE_BYTES
  if (key.buffer === header.buffer && body.buffer === header.buffer && key.byteOffset === keyOffset && body.byteOffset === keyOffset + key.length) {
    const coveredEnd = FRAME_HEADER_SIZE_BYTES + key.length + Math.min(FRAME_CHECKSUM_BODY_PREFIX_BYTES, body.length)
    return xxh3128MatchesAround(header, FRAME_HEADER_CHECKED_BYTES, coveredEnd)
  }
  return storedChecksumEquals(header, frameChecksum(header, 0, key, body))
}

/**
 * True when the checksum in `header` covers this header, `key` and the body as ECC repaired it:
 * `repaired` (the envelope header and payload a codec's repair produced) in place of the body's
 * first bytes, then the body as read from where `repaired` ends (its ECC region, which a repair
 * does not rewrite; reached only when the payload is under 8 bytes). For a frame whose checksum
 * failed on the bytes read: a match proves the damage was inside the body and the repair undid it.
 */
export function frameChecksumMatchesRepairedBody(header: Uint8Array, key: Uint8Array, repaired: Uint8Array, body: Uint8Array): boolean {
  const tail = body.subarray(Math.min(repaired.length, body.length))
  return storedChecksumEquals(header, frameChecksum(header, 0, key, repaired, tail))
}

function storedChecksumEquals(header: Uint8Array, actual: Uint8Array): boolean {
  for (let index = 0; index < XXH3_128_SIZE_BYTES; index++) {
    if (actual[index] !== header[FRAME_HEADER_CHECKED_BYTES + index]) return false
  }
  return true
}

/** Frame size on disk for a key and body of the given sizes. */
export function frameSizeBytes(keySizeBytes: number, bodySizeBytes: number): number {
  return FRAME_HEADER_SIZE_BYTES + keySizeBytes + bodySizeBytes
}

// --- footer ------------------------------------------------------------------------------------

/** What the footer of a finished file records. */
export interface BlobFileFooter {
  frameCount: number
  rawValueBytesTotal: number
  /** Bytes from the end of the file header to the start of the footer (all frames). */
  framesSizeBytes: number
}

/**
 * Footer, docs/formats/blob-file.md §4. Present only in a file closed by `finish()`; a file
 * without one was being written when the process stopped.
 * | offset | size | field              | encoding                                   |
 * |-------:|-----:|--------------------|--------------------------------------------|
 * |      0 |    1 | kind               | u8, 2 = footer (RecordKind.Footer)         |
 * |      1 |    7 | reserved           | zero                                       |
 * |      8 |    8 | frameCount         | u64 LE                                     |
 * |     16 |    8 | rawValueBytesTotal | u64 LE, sum of rawValueSizeBytes           |
 * |     24 |    8 | framesSizeBytes    | u64 LE, bytes between file header and footer |
 * |     32 |    4 | magic              | "SBLF"                                     |
 * |     36 |    1 | formatVersion      | u8, currently 1                            |
 * |     37 |    3 | reserved           | zero                                       |
 * |     40 |   16 | checksum           | XXH3-128 of bytes 0–39                     |
 */
export const FOOTER_SIZE_BYTES = 1 + 7 + 8 + 8 + 8 + 4 + 1 + 3 + XXH3_128_SIZE_BYTES
const FOOTER_CHECKED_BYTES = FOOTER_SIZE_BYTES - XXH3_128_SIZE_BYTES

/** Encodes the footer (table above). */
export function encodeFooter(footer: BlobFileFooter): Uint8Array {
  const out = new Uint8Array(FOOTER_SIZE_BYTES)
  const view = viewOf(out)
  out[0] = RecordKind.Footer
  setU64(view, 8, footer.frameCount)
  setU64(view, 16, footer.rawValueBytesTotal)
  setU64(view, 24, footer.framesSizeBytes)
  out.set(BLOB_FILE_MAGIC, 32)
  out[36] = BLOB_FILE_FORMAT_VERSION
  out.set(xxh3128(out.subarray(0, FOOTER_CHECKED_BYTES)), FOOTER_CHECKED_BYTES)
  return out
}

/**
 * Decodes the last FOOTER_SIZE_BYTES of a file. Returns undefined when they are not a valid
 * footer (the file was not finished, or its tail is damaged: the caller scans to find out).
 * @throws {StrataError} `UNSUPPORTED_FORMAT_VERSION` for a valid footer of another version.
 */
export function decodeFooter(bytes: Uint8Array, fileName: string): BlobFileFooter | undefined {
  if (bytes.length !== FOOTER_SIZE_BYTES) return undefined
  if (bytes[0] !== RecordKind.Footer || !hasMagic(bytes, 32)) return undefined
  if (!xxh3128Matches(bytes, FOOTER_CHECKED_BYTES, bytes.subarray(0, FOOTER_CHECKED_BYTES))) return undefined
  if (bytes[36] !== BLOB_FILE_FORMAT_VERSION) {
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION', `Cannot open blob file ${fileName}: footer format version ${bytes[36]}, this build reads ${BLOB_FILE_FORMAT_VERSION}`, { details: { fileName, formatVersion: bytes[36] } })
  }
  if (!allZero(bytes, 1, 8) || !allZero(bytes, 37, 40)) return undefined
  return { frameCount: u64At(bytes, 8), rawValueBytesTotal: u64At(bytes, 16), framesSizeBytes: u64At(bytes, 24) }
}

// --- keys in messages --------------------------------------------------------------------------

/**
 * A key as error messages show it (the engine's describeKey: quoted when printable ASCII, else
 * hex, cut at 64 bytes), for key bytes.
 */
export function describeKey(key: Uint8Array): string {
  return describeInternalKey(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1'))
}
