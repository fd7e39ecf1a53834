/**
 * Sequential scan of a blob file: every frame in file order, for GC relocation and verify.
 * In a finished file (one with a footer) every byte between header and footer must be a valid
 * frame and the count must match the footer, so any failure is thrown as corruption. In an
 * unfinished file (live, or left by a crash) the scan stops cleanly at the first bytes that do
 * not form a whole, verified frame and reports where and why in `end` (a torn tail).
 * Reads are synchronous, two per frame (header, then key and body).
 */
import { StrataError, isStrataError } from '../../engine/errors.ts'
import type { BlobHandle } from '../handle.ts'
import { FILE_HEADER_SIZE_BYTES, FRAME_HEADER_SIZE_BYTES, RecordKind, frameChecksumMatches, frameSizeBytes, parseFrameHeader } from './format.ts'
import { checkedFrameOf, type BlobFileReader, type CheckedFrame } from './reader.ts'

/** One frame met by the scan. */
export interface ScannedFrame {
  /** The handle that reads this frame (what the index holds if the frame is live). */
  handle: BlobHandle
  key: Uint8Array
  /**
   * The decoded, verified value; undefined when scanning with `decodeValues: false`, except for a
   * frame an ECC repair vouched for (`checkedFrame.frameChecksum` 'repaired', repair reported).
   */
  value: Uint8Array | undefined
  /** The whole frame as on disk, for `BlobFileWriter.copyFrames` (relocation). */
  frameBytes: Uint8Array
  rawValueSizeBytes: number
  originFileNumber: number
  /** The frame as `BlobFileReader.decodeValue` takes it: a check decodes each body itself (check.ts). */
  checkedFrame: CheckedFrame
}

/** How a scan ended. */
export interface ScanEnd {
  /**
   * 'footer': a finished file, every frame read. 'end-of-file': an unfinished file ending at a
   * frame boundary. 'torn': an unfinished file whose bytes from `offsetBytes` on are not a whole
   * valid frame (a write the crash cut short; nothing there was ever durably acknowledged).
   */
  kind: 'footer' | 'end-of-file' | 'torn'
  /** Where the valid frames end. */
  offsetBytes: number
  frameCount: number
  /** For 'torn': what was wrong with the bytes at `offsetBytes`. */
  reason?: string
}

/** Options of `scanBlobFile`. */
export interface ScanOptions {
  /** Decode and verify every body through the codec (and yield the value). Default true. */
  decodeValues?: boolean
  /** Where the first frame starts (default right after the file header): a resync point. */
  startOffsetBytes?: number
}

/** An iterable scan; `end` is set once iteration has finished. */
export class BlobFileScan implements Iterable<ScannedFrame> {
  end: ScanEnd | undefined = undefined
  readonly #reader: BlobFileReader
  readonly #decodeValues: boolean
  readonly #startOffsetBytes: number

  constructor(reader: BlobFileReader, options: ScanOptions = {}) {
    this.#reader = reader
    this.#decodeValues = options.decodeValues ?? true
    this.#startOffsetBytes = options.startOffsetBytes ?? FILE_HEADER_SIZE_BYTES
  }

  *[Symbol.iterator](): Iterator<ScannedFrame> {
    const reader = this.#reader
    const finished = reader.footer !== undefined
    const endBytes = reader.framesEndBytes()
    let offsetBytes = this.#startOffsetBytes
    let frameCount = 0
    const stop = (reason: string): void => {
      if (finished) {
        throw new StrataError('CORRUPTION', `Cannot scan blob file ${reader.file.path} at offset ${offsetBytes}: ${reason}`, { details: { fileName: reader.file.path, offsetBytes } })
      }
      this.end = { kind: 'torn', offsetBytes, frameCount, reason }
    }
    // Each pass consumes at least FRAME_HEADER_SIZE_BYTES, so the loop is bounded by the file size.
    while (offsetBytes < endBytes) {
      const frame = this.#readFrame(offsetBytes, endBytes, finished)
      if (typeof frame === 'string') return stop(frame)
      frameCount++
      yield frame
      offsetBytes += frame.frameBytes.length
    }
    if (finished && this.#startOffsetBytes === FILE_HEADER_SIZE_BYTES && frameCount !== reader.footer?.frameCount) {
      throw new StrataError('CORRUPTION', `Cannot scan blob file ${reader.file.path}: found ${frameCount} frames, footer says ${reader.footer?.frameCount}`, { details: { fileName: reader.file.path } })
    }
    this.end = { kind: finished ? 'footer' : 'end-of-file', offsetBytes, frameCount }
  }

  /** Reads and verifies the frame at `offsetBytes`; a string says why there is none. */
  #readFrame(offsetBytes: number, endBytes: number, finished: boolean): ScannedFrame | string {
    const reader = this.#reader
    const remainingBytes = endBytes - offsetBytes
    if (remainingBytes < FRAME_HEADER_SIZE_BYTES) return `${remainingBytes} trailing bytes are shorter than a frame header`
    const header = new Uint8Array(FRAME_HEADER_SIZE_BYTES)
    if (reader.file.read(header, offsetBytes) !== header.length) return 'frame header cut short'
    if (header[0] === RecordKind.Footer && !finished) return 'an incomplete footer (the file was being finished)'
    const fields = parseFrameHeader(header)
    if (typeof fields === 'string') return fields
    const sizeBytes = frameSizeBytes(fields.keySizeBytes, fields.bodySizeBytes)
    if (sizeBytes > remainingBytes) return `frame of ${sizeBytes} bytes runs past the end at ${endBytes}`
    const frameBytes = new Uint8Array(sizeBytes)
    frameBytes.set(header)
    const rest = frameBytes.subarray(FRAME_HEADER_SIZE_BYTES)
    if (reader.file.read(rest, offsetBytes + FRAME_HEADER_SIZE_BYTES) !== rest.length) return 'frame cut short'
    const frame = checkedFrameOf(offsetBytes, fields, frameBytes)
    if (!frameChecksumMatches(frameBytes, frame.key, frame.body)) frame.frameChecksum = 'pending'
    let value: Uint8Array | undefined
    // A frame whose checksum failed is decoded whatever the options: only an ECC repair of its
    // body can vouch for the header that locates the next frame (BlobFileReader.decodeValue).
    if (this.#decodeValues || frame.frameChecksum === 'pending') {
      try {
        value = reader.decodeValue(frame)
      } catch (error) {
        if (frame.frameChecksum === 'pending') return 'frame checksum mismatch'
        // In a finished file a bad body is corruption, and decodeValue's error names the key.
        if (finished) throw error
        return `body does not verify: ${(error as Error).message}`
      }
    }
    const handle = { fileNumber: reader.fileNumber, offsetBytes, frameSizeBytes: sizeBytes, rawValueSizeBytes: fields.rawValueSizeBytes }
    return { handle, key: frame.key, value, frameBytes, rawValueSizeBytes: fields.rawValueSizeBytes, originFileNumber: fields.originFileNumber, checkedFrame: frame }
  }
}

/**
 * Scans every frame of the file `reader` reads, in order.
 * @example
 * ```ts
 * const scan = scanBlobFile(reader)
 * for (const frame of scan) if (isLive(frame.key, frame.handle)) live.push(frame)
 * if (scan.end?.kind === 'torn') log(`torn tail at ${scan.end.offsetBytes}: ${scan.end.reason}`)
 * ```
 * @throws {StrataError} (while iterating) `CORRUPTION` or a codec code in a finished file; `IO_ERROR`.
 */
export function scanBlobFile(reader: BlobFileReader, options: ScanOptions = {}): BlobFileScan {
  return new BlobFileScan(reader, options)
}

/** Where an unfinished file's last verified frame ends, and the frames up to there. */
export interface VerifiedExtent {
  /** End of the last frame whose body verified (the file header's end when none did). */
  endBytes: number
  /** Frames before `endBytes`, body-damaged ones included. */
  frameCount: number
  /** Their raw value bytes (from their headers, which their frame checksums vouched for). */
  rawValueBytesTotal: number
}

/**
 * How much of an unfinished blob file (one a crash left without its footer) holds written
 * frames: up to the end of the last frame whose body verifies. A frame that fails does not end
 * it when a verified frame follows: a sync that made the later frame durable made this one
 * durable too, so its bytes are damage, not a write the crash cut short, and recovery must
 * neither cut them nor the intact frames after them (found by review, 2026-11-26: one flipped
 * byte in such a file cost every later synced write). A frame whose header the frame checksum
 * vouches for is stepped over by its length; past one whose header or key is damaged the walk
 * looks for the next offset where a whole frame verifies (frame checksum and body), which no
 * torn or damaged bytes match by chance. Bytes after the last verified frame are the torn tail.
 * @throws {StrataError} `IO_ERROR`.
 */
export function verifiedExtentOf(reader: BlobFileReader): VerifiedExtent {
  const extent: VerifiedExtent = { endBytes: FILE_HEADER_SIZE_BYTES, frameCount: 0, rawValueBytesTotal: 0 }
  let frameCount = 0
  let rawValueBytesTotal = 0
  let startOffsetBytes: number | undefined = FILE_HEADER_SIZE_BYTES
  while (startOffsetBytes !== undefined) {
    const scan = scanBlobFile(reader, { decodeValues: false, startOffsetBytes })
    for (const frame of scan) {
      frameCount++
      rawValueBytesTotal += frame.rawValueSizeBytes
      if (frame.value !== undefined || bodyVerifies(reader, frame.checkedFrame)) {
        Object.assign(extent, { endBytes: frame.handle.offsetBytes + frame.frameBytes.length, frameCount, rawValueBytesTotal })
      }
    }
    startOffsetBytes = scan.end?.kind === 'torn' ? nextVerifiedFrameOffset(reader, scan.end.offsetBytes + 1) : undefined
  }
  return extent
}

function bodyVerifies(reader: BlobFileReader, frame: CheckedFrame): boolean {
  try {
    reader.decodeValue(frame)
    return true
  } catch (error) {
    if (isStrataError(error, 'IO_ERROR')) throw error
    return false
  }
}

/** Bytes read at a time while looking for a resync point. */
const RESYNC_WINDOW_BYTES = 1024 * 1024

/**
 * The first offset at or after `fromBytes` where a whole frame verifies (kind byte, zero
 * reserved bytes, sizes in bounds, frame checksum, body), or undefined. The kind and reserved
 * bytes reject almost every offset before anything is hashed.
 */
function nextVerifiedFrameOffset(reader: BlobFileReader, fromBytes: number): number | undefined {
  const endBytes = reader.framesEndBytes()
  const window = new Uint8Array(RESYNC_WINDOW_BYTES)
  for (let windowStart = fromBytes; windowStart + FRAME_HEADER_SIZE_BYTES <= endBytes; windowStart += RESYNC_WINDOW_BYTES - FRAME_HEADER_SIZE_BYTES) {
    const readBytes = reader.file.read(window.subarray(0, Math.min(RESYNC_WINDOW_BYTES, endBytes - windowStart)), windowStart)
    for (let at = 0; at + FRAME_HEADER_SIZE_BYTES <= readBytes; at++) {
      if (window[at] !== RecordKind.Frame || window[at + 1] !== 0 || window[at + 2] !== 0 || window[at + 3] !== 0) continue
      if (frameVerifiesAt(reader, windowStart + at)) return windowStart + at
    }
    if (windowStart + readBytes >= endBytes) break
  }
  return undefined
}

function frameVerifiesAt(reader: BlobFileReader, offsetBytes: number): boolean {
  const scan = scanBlobFile(reader, { decodeValues: false, startOffsetBytes: offsetBytes })
  const first = scan[Symbol.iterator]().next()
  if (first.done === true) return false
  return first.value.value !== undefined || (first.value.checkedFrame.frameChecksum !== 'pending' && bodyVerifies(reader, first.value.checkedFrame))
}
