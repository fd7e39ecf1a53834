/**
 * BlobFileReader: reads value frames from one blob file by handle, with one synchronous
 * `VfsFile.read` per frame, and verifies everything before returning a byte: the frame bounds
 * against the file, the header fields against the handle, the frame checksum (header, key and
 * body prefix), the stored key against the key the index asked for, then the body through the
 * block codec and its size. A frame checksum that fails while the rest agrees may be the body's
 * ECC-repairable damage: then only a repair that makes it match vouches for the frame
 * (`decodeValue`; docs/formats/blob-file.md §3). Corrupt data is never returned: every failure is
 * a StrataError that names the file, the offset and the key. Layout: docs/formats/blob-file.md,
 * tables in writer.ts.
 *
 * Safe to share between callers on one thread; holds no state besides the open file. To read
 * the file still being written, open the reader on the writer's own `VfsFile` (`writer.file`),
 * so that its size is current.
 */
import { Buffer } from 'node:buffer'
import { StrataError, isStrataError, type StrataErrorCode } from '../../engine/errors.ts'
import type { VfsFile } from '../../engine/vfs/vfs.ts'
import { BlockType, type BlockCodec, type BlockContext } from '../../engine/transform/block-codec.ts'
import { PlainCodec } from '../../engine/transform/plain-codec.ts'
import type { BlobHandle } from '../handle.ts'
import {
  FILE_HEADER_SIZE_BYTES,
  FOOTER_SIZE_BYTES,
  FRAME_HEADER_SIZE_BYTES,
  decodeFileHeader,
  decodeFooter,
  describeKey,
  frameChecksumMatches,
  frameChecksumMatchesRepairedBody,
  frameSizeBytes,
  parseFrameHeader,
  type BlobFileFooter,
  type FrameHeader,
} from './format.ts'

/** Options of `BlobFileReader.open`. */
export interface BlobFileReaderOptions {
  /** The block transform the bodies were written with. Default: PlainCodec. */
  codec?: BlockCodec
  /** When set, a header naming another file number is CORRUPTION (a misplaced file). */
  expectedFileNumber?: number
}

/**
 * Where a frame's checksum stands. 'matched': over the bytes as read. 'pending': it failed, but
 * the header agrees with the handle and the key with the one asked for, and the damage may lie
 * in the body's first 32 bytes, which the body's ECC covers: only `decodeValue` can vouch for
 * the frame, through a repair that makes the checksum match. 'repaired': such a repair did.
 */
export type FrameChecksumState = 'matched' | 'pending' | 'repaired'

/** A frame read and checked up to (not including) its body. */
export interface CheckedFrame {
  offsetBytes: number
  fields: FrameHeader
  /** The whole on-disk frame; `key` and `body` are views into it. */
  frameBytes: Uint8Array
  key: Uint8Array
  body: Uint8Array
  frameChecksum: FrameChecksumState
  /**
   * The value `decodeValue` decoded while vouching for a 'pending' frame; later calls return it,
   * so the repair is made and reported once.
   */
  repairedValue?: Uint8Array
}

/** What `frameStatus` found at a handle. */
export type FrameStatus = 'durable' | 'missing' | 'corrupt'

function keysEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}

/**
 * Reads one blob file.
 * @example
 * ```ts
 * const reader = BlobFileReader.open(vfs.openRead('/db/000012.blob'), { expectedFileNumber: 12 })
 * const value = reader.read(handle, key)   // throws rather than return corrupt bytes
 * ```
 */
export class BlobFileReader {
  readonly fileNumber: number
  readonly codecId: number
  /** The footer when the file was cleanly finished; undefined for a live or crashed file. */
  readonly footer: BlobFileFooter | undefined
  readonly file: VfsFile
  readonly codec: BlockCodec

  private constructor(file: VfsFile, codec: BlockCodec, fileNumber: number, codecId: number, footer: BlobFileFooter | undefined) {
    this.file = file
    this.codec = codec
    this.fileNumber = fileNumber
    this.codecId = codecId
    this.footer = footer
  }

  /**
   * Opens a blob file: verifies its header and looks for a footer.
   * @throws {StrataError} `CORRUPTION` (short file, bad magic, other file number),
   * `CHECKSUM_MISMATCH`, `UNSUPPORTED_FORMAT_VERSION`, `IO_ERROR`.
   */
  static open(file: VfsFile, options: BlobFileReaderOptions = {}): BlobFileReader {
    const headerBytes = new Uint8Array(FILE_HEADER_SIZE_BYTES)
    const readBytes = file.read(headerBytes, 0)
    const header = decodeFileHeader(headerBytes.subarray(0, readBytes), file.path)
    if (options.expectedFileNumber !== undefined && header.fileNumber !== options.expectedFileNumber) {
      throw new StrataError('CORRUPTION', `Cannot open blob file ${file.path}: header names file ${header.fileNumber}, expected ${options.expectedFileNumber}`, { details: { fileName: file.path, fileNumber: header.fileNumber } })
    }
    return new BlobFileReader(file, options.codec ?? new PlainCodec(), header.fileNumber, header.codecId, readFooter(file))
  }

  /**
   * For a file the manifest lists as sealed (its footer was synced before the seal edit): the
   * CORRUPTION a missing or damaged footer is, naming the file; undefined when the footer reads.
   * `action` names what could not be done ("check", "relocate").
   */
  sealedFooterDamage(action: string): StrataError | undefined {
    if (this.footer !== undefined) return undefined
    const fileName = this.file.path
    return new StrataError('CORRUPTION', `Cannot ${action} blob file ${fileName}: the manifest lists it as sealed, but it has no footer`,
      { details: { fileName, fileNumber: this.fileNumber } })
  }

  /**
   * A reader of the same open file that decodes bodies through `codec` instead (a scrub passes
   * the checking view of the file's codec, engine/transform `checkingEccRegions`). The two share
   * the file: close one of them, once.
   */
  withCodec(codec: BlockCodec): BlobFileReader {
    return new BlobFileReader(this.file, codec, this.fileNumber, this.codecId, this.footer)
  }

  /** Where the frames end: the footer's start in a finished file, else the file's current size. */
  framesEndBytes(): number {
    return this.footer === undefined ? this.file.sizeBytes() : FILE_HEADER_SIZE_BYTES + this.footer.framesSizeBytes
  }

  /**
   * Returns the value the frame at `handle` holds. With `expectedKey`, the stored key must equal
   * it (the index and the blob file must agree on whose value this is).
   * @throws {StrataError} `CORRUPTION` (bounds, sizes, key mismatch), `CHECKSUM_MISMATCH`,
   * codec errors (`DECRYPT_FAILED`, …) re-thrown with the key, `INVALID_ARGUMENT` for a handle
   * into another file, `IO_ERROR`.
   */
  read(handle: BlobHandle, expectedKey?: Uint8Array): Uint8Array {
    const frame = this.readCheckedFrame(handle, expectedKey)
    return this.decodeValue(frame)
  }

  /**
   * Classifies the frame at `handle` for WAL replay: 'missing' when its bytes lie past the end
   * of the file (never made durable: replay stops there), 'corrupt' when present but failing a
   * check, 'durable' when the whole frame verifies, body included.
   * @throws {StrataError} `INVALID_ARGUMENT` for a handle into another file, `IO_ERROR`.
   */
  frameStatus(handle: BlobHandle, expectedKey?: Uint8Array): FrameStatus {
    this.#checkFileNumber(handle)
    if (handle.offsetBytes + handle.frameSizeBytes > this.framesEndBytes()) return 'missing'
    try {
      this.read(handle, expectedKey)
      return 'durable'
    } catch (error) {
      if (isStrataError(error) && error.code !== 'IO_ERROR' && error.code !== 'INVALID_ARGUMENT') return 'corrupt'
      throw error
    }
  }

  /** True when `frameStatus(handle, expectedKey)` is 'durable'. */
  isDurable(handle: BlobHandle, expectedKey?: Uint8Array): boolean {
    return this.frameStatus(handle, expectedKey) === 'durable'
  }

  /**
   * Reads the frame at `handle` and checks everything but the body's own checksum: bounds,
   * header fields against the handle, frame checksum, key. For relocation and for `read`. A
   * frame whose checksum failed while all else agrees comes back 'pending': its bytes are not to
   * be trusted (nor copied) until `decodeValue` has returned its value.
   * @throws {StrataError} as `read`.
   */
  readCheckedFrame(handle: BlobHandle, expectedKey?: Uint8Array): CheckedFrame {
    this.#checkFileNumber(handle)
    const { offsetBytes, frameSizeBytes: sizeBytes } = handle
    // No closures and no key description on the success path: under tsx each closure costs a
    // __name() call, and describeKey costs more than the checks (scripts/blob-load-profile.ts).
    const endBytes = this.framesEndBytes()
    if (offsetBytes < FILE_HEADER_SIZE_BYTES || sizeBytes < FRAME_HEADER_SIZE_BYTES || offsetBytes + sizeBytes > endBytes) {
      throw this.#frameError('CORRUPTION', offsetBytes, keyTextOf(expectedKey), `frame of ${sizeBytes} bytes lies outside the frames region ${FILE_HEADER_SIZE_BYTES}..${endBytes}`, expectedKey)
    }
    // Unzeroed (every byte is overwritten by the read, which must return sizeBytes: checked next)
    // and unpooled, so a value kept by the caller pins its own frame only. A plain Uint8Array view,
    // as the codec's other callers get.
    const frameBytes = new Uint8Array(Buffer.allocUnsafeSlow(sizeBytes).buffer, 0, sizeBytes)
    const readBytes = this.file.read(frameBytes, offsetBytes)
    if (readBytes !== sizeBytes) throw this.#frameError('CORRUPTION', offsetBytes, keyTextOf(expectedKey), `read ${readBytes} of ${sizeBytes} frame bytes`, expectedKey)
    const fields = parseFrameHeader(frameBytes)
    if (typeof fields === 'string') throw this.#frameError('CORRUPTION', offsetBytes, keyTextOf(expectedKey), fields, expectedKey)
    const storedSizeBytes = frameSizeBytes(fields.keySizeBytes, fields.bodySizeBytes)
    if (storedSizeBytes !== sizeBytes) throw this.#frameError('CORRUPTION', offsetBytes, keyTextOf(expectedKey), `frame header adds up to ${storedSizeBytes} bytes, handle says ${sizeBytes}`, expectedKey)
    if (fields.rawValueSizeBytes !== handle.rawValueSizeBytes) {
      throw this.#frameError('CORRUPTION', offsetBytes, keyTextOf(expectedKey), `frame header says value size ${fields.rawValueSizeBytes}, handle says ${handle.rawValueSizeBytes}`, expectedKey)
    }
    const frame = checkedFrameOf(offsetBytes, fields, frameBytes)
    const keyMatches = expectedKey === undefined || keysEqual(frame.key, expectedKey)
    if (!frameChecksumMatches(frameBytes, frame.key, frame.body)) {
      // A different key is damage no ECC covers; the same key leaves the body's first 32 bytes.
      if (!keyMatches) throw this.#frameError('CHECKSUM_MISMATCH', offsetBytes, keyTextOf(expectedKey), 'frame checksum mismatch', expectedKey)
      frame.frameChecksum = 'pending'
    } else if (!keyMatches) {
      throw this.#frameError('CORRUPTION', offsetBytes, keyTextOf(expectedKey), `frame holds key ${describeKey(frame.key)}`, expectedKey)
    }
    return frame
  }

  /**
   * Decodes and verifies a checked frame's body through the codec; returns the raw value (a view
   * into the frame's bytes, or a repaired copy). A 'pending' frame is vouched for here or never:
   * the codec's ECC repair of the body must pass the body's checksum, then make the frame
   * checksum match over the repaired envelope header (`acceptRepair`), and only then is it
   * reported and the body decrypted and decompressed; the frame becomes 'repaired'.
   * @throws {StrataError} the codec's code (`CHECKSUM_MISMATCH`, `DECRYPT_FAILED`, …) or
   * `CORRUPTION`, naming the file, offset and the frame's key; `CHECKSUM_MISMATCH` for a
   * 'pending' frame no repair vouched for.
   */
  decodeValue(frame: CheckedFrame): Uint8Array {
    if (frame.repairedValue !== undefined) return frame.repairedValue
    const bodyOffsetBytes = frame.offsetBytes + FRAME_HEADER_SIZE_BYTES + frame.fields.keySizeBytes
    const context: BlockContext = { fileNumber: frame.fields.originFileNumber, holderFileNumber: this.fileNumber, blockType: BlockType.BlobFrame, fileName: this.file.path, offsetBytes: bodyOffsetBytes }
    const pending = frame.frameChecksum === 'pending'
    if (pending) context.acceptRepair = (repaired) => vouchByRepair(frame, repaired)
    let value: Uint8Array
    try {
      value = this.codec.decode(frame.body, context)
    } catch (error) {
      if (frame.frameChecksum === 'pending') throw this.#unvouched(frame, error)
      const code = isStrataError(error) ? error.code : 'CORRUPTION'
      const reason = error instanceof Error ? error.message : String(error)
      throw this.#frameError(code, frame.offsetBytes, keyTextOf(frame.key), `body: ${reason}`, frame.key, error)
    }
    // The body verified as read: the damage is in the header or key, which no ECC covers.
    if (frame.frameChecksum === 'pending') throw this.#unvouched(frame)
    if (value.length !== frame.fields.rawValueSizeBytes) {
      throw this.#frameError('CORRUPTION', frame.offsetBytes, keyTextOf(frame.key), `body decodes to ${value.length} bytes, header says ${frame.fields.rawValueSizeBytes}`, frame.key)
    }
    if (pending) frame.repairedValue = value
    return value
  }

  close(): void {
    this.file.close()
  }

  #checkFileNumber(handle: BlobHandle): void {
    if (handle.fileNumber !== this.fileNumber) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot read blob file ${this.file.path}: handle names file ${handle.fileNumber}, this is file ${this.fileNumber}`, { details: { fileName: this.file.path, fileNumber: handle.fileNumber } })
    }
  }

  #unvouched(frame: CheckedFrame, cause?: unknown): StrataError {
    const reason = cause instanceof Error ? `frame checksum mismatch (no ECC repair of the body matches it: ${cause.message})` : 'frame checksum mismatch'
    return this.#frameError('CHECKSUM_MISMATCH', frame.offsetBytes, keyTextOf(frame.key), reason, frame.key, cause)
  }

  #frameError(code: StrataErrorCode, offsetBytes: number, keyText: string, reason: string, key?: Uint8Array, cause?: unknown): StrataError {
    const details: Record<string, string | number> = { fileName: this.file.path, fileNumber: this.fileNumber, offsetBytes, blockType: BlockType.BlobFrame }
    if (key !== undefined) details.keyHex = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
    return new StrataError(code, `Cannot read blob for ${keyText} at offset ${offsetBytes} of ${this.file.path}: ${reason}`, { details, cause })
  }
}

/** How messages name the key of a frame (built on failure only). */
function keyTextOf(key: Uint8Array | undefined): string {
  return key === undefined ? 'an unknown key' : `key ${describeKey(key)}`
}

/**
 * The codec's `acceptRepair` for a 'pending' frame: true, and the frame 'repaired', when the
 * repaired envelope header makes the frame checksum match. Marked as soon as accepted, so a body
 * that then fails to decrypt or decompress is reported as the body's failure, not the frame's.
 */
function vouchByRepair(frame: CheckedFrame, repaired: Uint8Array): boolean {
  if (!frameChecksumMatchesRepairedBody(frame.frameBytes, frame.key, repaired, frame.body)) return false
  frame.frameChecksum = 'repaired'
  return true
}

/**
 * Splits a frame's bytes into key and body views (sizes already checked against the bytes); the
 * frame checksum is the caller's to check, and counts as matched until it says otherwise.
 */
export function checkedFrameOf(offsetBytes: number, fields: FrameHeader, frameBytes: Uint8Array): CheckedFrame {
  const keyEnd = FRAME_HEADER_SIZE_BYTES + fields.keySizeBytes
  return { offsetBytes, fields, frameBytes, key: frameBytes.subarray(FRAME_HEADER_SIZE_BYTES, keyEnd), body: frameBytes.subarray(keyEnd, keyEnd + fields.bodySizeBytes), frameChecksum: 'matched' }
}

function readFooter(file: VfsFile): BlobFileFooter | undefined {
  const sizeBytes = file.sizeBytes()
  if (sizeBytes < FILE_HEADER_SIZE_BYTES + FOOTER_SIZE_BYTES) return undefined
  const bytes = new Uint8Array(FOOTER_SIZE_BYTES)
  if (file.read(bytes, sizeBytes - FOOTER_SIZE_BYTES) !== FOOTER_SIZE_BYTES) return undefined
  const footer = decodeFooter(bytes, file.path)
  // A footer must sit exactly after the frames it counts; a footer-shaped tail that does not
  // is frame data (or damage), and the file is treated as unfinished.
  if (footer === undefined || FILE_HEADER_SIZE_BYTES + footer.framesSizeBytes + FOOTER_SIZE_BYTES !== sizeBytes) return undefined
  return footer
}
