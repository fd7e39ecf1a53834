/**
 * The compression axis of the block transform: none or zstd (level 1–22, optional dictionary),
 * one synchronous call per block. A block is stored raw when zstd would not make it smaller
 * (the pipeline then leaves the compressed flag clear), and decompression never allocates more
 * than the raw size recorded in the block's codec context, itself bounded by a limit, so a
 * forged size cannot exhaust memory.
 *
 * Not safe for concurrent use from several threads (it keeps scratch buffers); one instance
 * per codec, used from one thread, is the contract.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { StrataError } from '../errors.ts'
import type { BlockContext } from './block-codec.ts'
import { blockError } from './block-error.ts'
import {
  RAW_BLOCK_SIZE_BYTES_MAX,
  ZSTD_LEVEL_MAX,
  ZSTD_LEVEL_MIN,
  ZSTD_WINDOW_LOG_MAX,
  ZSTD_WINDOW_LOG_MIN,
} from './limits.ts'

// The low-level binding lets us decompress into a buffer we sized from the (bounded) recorded
// raw size; the high-level `decompress` trusts the frame's own content size, which a forged
// frame controls. It is CommonJS wrapping a native addon, so named ESM imports do not resolve.
type ZstdBinding = typeof import('zstd-napi/binding.js')
const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding

/** Compression type ids as stored in the codec context and bound into the AAD. Frozen. */
export const CompressionType = {
  None: 0,
  Zstd: 1,
} as const
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType]

/** A zstd dictionary and the id recorded in every block compressed with it (1 … 2^32 − 1). */
export interface ZstdDictionary {
  id: number
  bytes: Uint8Array
}

/** How blocks are compressed. */
export type CompressionConfig =
  | { kind: 'none' }
  | {
      kind: 'zstd'
      /** zstd level, 1–22. */
      level: number
      /** Dictionary used for writes; its id is recorded per block. */
      dictionary?: ZstdDictionary
      /** Further dictionaries that older blocks may name (read only). */
      dictionaries?: readonly ZstdDictionary[]
      /** zstd window log (10–31) for writes; absent means zstd's default for the level. */
      windowLog?: number
    }

/**
 * The codec context of a compressed block: what a reader needs to decompress it.
 * | offset | size | field           | encoding                                   |
 * |-------:|-----:|-----------------|--------------------------------------------|
 * |      0 |    1 | compressionType | u8, CompressionType (1 = zstd)              |
 * |      1 |    1 | windowLog       | u8, 0 = level default, else 10–31           |
 * |      2 |    2 | reserved        | zero                                       |
 * |      4 |    4 | dictionaryId    | u32 LE, 0 = no dictionary                   |
 * |      8 |    4 | rawSizeBytes    | u32 LE, size after decompression            |
 * Layout: docs/formats/block.md §3.
 */
export interface CompressionContext {
  compressionType: CompressionType
  windowLog: number
  dictionaryId: number
  rawSizeBytes: number
}
export const COMPRESSION_CONTEXT_SIZE_BYTES = 1 + 1 + 2 + 4 + 4

/** The context of a block that was stored without compression (never written to disk). */
export const NO_COMPRESSION: Readonly<CompressionContext> = Object.freeze({
  compressionType: CompressionType.None,
  windowLog: 0,
  dictionaryId: 0,
  rawSizeBytes: 0,
})

/** Writes `context` at `offsetBytes` of `out` (byte table on CompressionContext). */
export function writeCompressionContext(out: Uint8Array, offsetBytes: number, context: CompressionContext): void {
  assert(context.compressionType === CompressionType.Zstd)
  const view = new DataView(out.buffer, out.byteOffset + offsetBytes, COMPRESSION_CONTEXT_SIZE_BYTES)
  view.setUint8(0, context.compressionType)
  view.setUint8(1, context.windowLog)
  view.setUint16(2, 0, true)
  view.setUint32(4, context.dictionaryId, true)
  view.setUint32(8, context.rawSizeBytes, true)
}

/** Reads and validates a codec context; disk is input, so every field gets a typed check. */
export function readCompressionContext(bytes: Uint8Array, offsetBytes: number, where: BlockContext): CompressionContext {
  if (bytes.length < offsetBytes + COMPRESSION_CONTEXT_SIZE_BYTES) {
    throw blockError('CORRUPTION', where, 'payload too short for its compression context')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offsetBytes, COMPRESSION_CONTEXT_SIZE_BYTES)
  const compressionType = view.getUint8(0)
  const windowLog = view.getUint8(1)
  if (compressionType !== CompressionType.Zstd) {
    throw blockError('CORRUPTION', where, `unknown compression type ${compressionType}`, { compressionType })
  }
  if (windowLog !== 0 && (windowLog < ZSTD_WINDOW_LOG_MIN || windowLog > ZSTD_WINDOW_LOG_MAX)) {
    throw blockError('CORRUPTION', where, `zstd window log ${windowLog} out of range`, { windowLog })
  }
  if (view.getUint16(2, true) !== 0) {
    throw blockError('CORRUPTION', where, 'reserved bytes of the compression context are not zero')
  }
  return { compressionType, windowLog, dictionaryId: view.getUint32(4, true), rawSizeBytes: view.getUint32(8, true) }
}

function validateDictionary(dictionary: ZstdDictionary): void {
  if (!Number.isInteger(dictionary.id) || dictionary.id < 1 || dictionary.id > 0xffff_ffff) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot use zstd dictionary: id ${dictionary.id} is not in 1..2^32-1`)
  }
  if (!(dictionary.bytes instanceof Uint8Array) || dictionary.bytes.length === 0) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot use zstd dictionary ${dictionary.id}: no dictionary bytes`)
  }
}

function validateZstdConfig(config: Extract<CompressionConfig, { kind: 'zstd' }>): void {
  if (!Number.isInteger(config.level) || config.level < ZSTD_LEVEL_MIN || config.level > ZSTD_LEVEL_MAX) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot configure zstd: level ${config.level} is not in ${ZSTD_LEVEL_MIN}..${ZSTD_LEVEL_MAX}`)
  }
  const windowLog = config.windowLog
  if (windowLog !== undefined && (!Number.isInteger(windowLog) || windowLog < ZSTD_WINDOW_LOG_MIN || windowLog > ZSTD_WINDOW_LOG_MAX)) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot configure zstd: window log ${windowLog} is not in ${ZSTD_WINDOW_LOG_MIN}..${ZSTD_WINDOW_LOG_MAX}`)
  }
  if (config.dictionary !== undefined) validateDictionary(config.dictionary)
  for (const dictionary of config.dictionaries ?? []) validateDictionary(dictionary)
}

/** What `BlockCompressor.compress` produced: a view into scratch memory, valid until the next call. */
export interface CompressedBody {
  body: Uint8Array
  context: CompressionContext
}

/**
 * Compresses and decompresses block bodies for one configuration.
 * @example
 * ```ts
 * const compressor = new BlockCompressor({ kind: 'zstd', level: 3 })
 * const packed = compressor.compress(raw, 12)        // undefined when it would not save 12 bytes
 * if (packed) compressor.decompress(packed.body, packed.context, where)
 * ```
 */
export class BlockCompressor {
  readonly config: CompressionConfig
  #cctx: InstanceType<ZstdBinding['CCtx']> | undefined
  #dctx = new zstd.DCtx()
  #writeContext: CompressionContext = { ...NO_COMPRESSION }
  #ddicts = new Map<number, InstanceType<ZstdBinding['DDict']>>()
  #scratch = new Uint8Array(0)
  readonly #rawSizeBytesMax: number

  /** @throws {StrataError} `INVALID_ARGUMENT` for a level, window log or dictionary out of range. */
  constructor(config: CompressionConfig, options: { rawSizeBytesMax?: number } = {}) {
    this.config = config
    this.#rawSizeBytesMax = options.rawSizeBytesMax ?? RAW_BLOCK_SIZE_BYTES_MAX
    assert(this.#rawSizeBytesMax <= RAW_BLOCK_SIZE_BYTES_MAX)
    if (config.kind === 'none') return
    validateZstdConfig(config)
    const cctx = new zstd.CCtx()
    cctx.setParameter(zstd.CParameter.compressionLevel, config.level)
    if (config.windowLog !== undefined) cctx.setParameter(zstd.CParameter.windowLog, config.windowLog)
    // Our own XXH3-128 covers the block; zstd's frame checksum would only cost time.
    cctx.setParameter(zstd.CParameter.checksumFlag, 0)
    if (config.dictionary !== undefined) cctx.loadDictionary(config.dictionary.bytes)
    this.#cctx = cctx
    this.#writeContext = {
      compressionType: CompressionType.Zstd,
      windowLog: config.windowLog ?? 0,
      dictionaryId: config.dictionary?.id ?? 0,
      rawSizeBytes: 0,
    }
    for (const dictionary of [...(config.dictionaries ?? []), ...(config.dictionary ? [config.dictionary] : [])]) {
      this.#ddicts.set(dictionary.id, new zstd.DDict(dictionary.bytes))
    }
  }

  /**
   * Compresses `raw`; returns undefined when compression is off or would not save more than
   * `overheadBytes` (the codec context the caller must then store), so the block is stored raw.
   */
  compress(raw: Uint8Array, overheadBytes: number): CompressedBody | undefined {
    if (this.#cctx === undefined) return undefined
    assert(raw.length <= this.#rawSizeBytesMax, 'raw block exceeds rawSizeBytesMax')
    const boundBytes = zstd.compressBound(raw.length)
    if (this.#scratch.length < boundBytes) this.#scratch = new Uint8Array(Math.max(boundBytes, 2 * this.#scratch.length))
    const sizeBytes = this.#cctx.compress2(this.#scratch, raw)
    if (sizeBytes + overheadBytes >= raw.length) return undefined
    return { body: this.#scratch.subarray(0, sizeBytes), context: { ...this.#writeContext, rawSizeBytes: raw.length } }
  }

  /**
   * Decompresses `body` into a new buffer of exactly `context.rawSizeBytes`.
   * @throws {StrataError} `CORRUPTION` when the size exceeds the limit, the dictionary is unknown,
   * or the frame does not decode to exactly the recorded size.
   */
  decompress(body: Uint8Array, context: CompressionContext, where: BlockContext): Uint8Array {
    const rawSizeBytes = context.rawSizeBytes
    if (rawSizeBytes > this.#rawSizeBytesMax) {
      throw blockError('CORRUPTION', where, `raw size ${rawSizeBytes} exceeds the limit ${this.#rawSizeBytesMax}`, { rawSizeBytes })
    }
    let ddict: InstanceType<ZstdBinding['DDict']> | undefined
    if (context.dictionaryId !== 0) {
      ddict = this.#ddicts.get(context.dictionaryId)
      if (ddict === undefined) {
        throw blockError('CORRUPTION', where, `zstd dictionary ${context.dictionaryId} is not configured`, { dictionaryId: context.dictionaryId })
      }
    }
    // Uninitialised memory is safe here: the size check below guarantees every byte was written.
    const buffer = Buffer.allocUnsafeSlow(rawSizeBytes)
    const out = new Uint8Array(buffer.buffer, buffer.byteOffset, rawSizeBytes)
    let writtenBytes: number
    try {
      writtenBytes = ddict === undefined ? this.#dctx.decompress(out, body) : this.#dctx.decompressUsingDDict(out, body, ddict)
    } catch (cause) {
      throw blockError('CORRUPTION', where, `zstd frame does not decode: ${(cause as Error).message}`, { rawSizeBytes }, cause)
    }
    if (writtenBytes !== rawSizeBytes) {
      throw blockError('CORRUPTION', where, `zstd frame decodes to ${writtenBytes} bytes, expected ${rawSizeBytes}`, { rawSizeBytes })
    }
    return out
  }
}
