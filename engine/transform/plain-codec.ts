/**
 * PlainCodec: the block envelope with only the checksum axis on (no compression, encryption
 * or parity). It is the format every other transform extends: the integrity stack sets flag
 * bits and adds regions, but a block with all flags clear is byte-identical to this one.
 *
 * Block envelope, format version 1 (docs/formats/block.md):
 * | offset | size | field              | encoding                                         |
 * |-------:|-----:|--------------------|--------------------------------------------------|
 * |      0 |    1 | formatVersion      | u8, currently 1                                  |
 * |      1 |    1 | blockType          | u8, BlockType                                    |
 * |      2 |    1 | flags              | u8; bit 0 compressed, 1 encrypted, 2 parity; 0 here |
 * |      3 |    1 | reserved           | u8, zero                                         |
 * |      4 |    4 | payloadSizeBytes   | u32 LE                                           |
 * |      8 |   16 | checksum           | XXH3-128 of bytes 0–7 then the payload           |
 * |     24 |    n | payload            | the raw block (here)                             |
 */
import { StrataError } from '../errors.ts'
import { xxh3128, xxh3128MatchesAround, XXH3_128_SIZE_BYTES } from '../checksum/xxh3.ts'
import type { BlockCodec, BlockContext } from './block-codec.ts'
import { OutputSlab } from './output-slab.ts'
import { u32At } from '../le-bytes.ts'

export const BLOCK_FORMAT_VERSION = 1
export const BLOCK_HEADER_SIZE_BYTES = 1 + 1 + 1 + 1 + 4 + XXH3_128_SIZE_BYTES

function describe(context: BlockContext): string {
  return `block at offset ${context.offsetBytes} of ${context.fileName}`
}

function details(context: BlockContext) {
  return { fileName: context.fileName, offsetBytes: context.offsetBytes, blockType: context.blockType }
}

/** Checksum-only codec. */
export class PlainCodec implements BlockCodec {
  readonly #outputs = new OutputSlab()

  encode(raw: Uint8Array, context: BlockContext): Uint8Array {
    const out = this.#outputs.allocate(BLOCK_HEADER_SIZE_BYTES + raw.length)
    const view = new DataView(out.buffer, out.byteOffset, BLOCK_HEADER_SIZE_BYTES)
    out[0] = BLOCK_FORMAT_VERSION
    out[1] = context.blockType
    out[2] = 0
    out[3] = 0
    view.setUint32(4, raw.length, true)
    out.set(raw, BLOCK_HEADER_SIZE_BYTES)
    out.set(xxh3128(out.subarray(0, 8), raw), 8)
    return out
  }

  decode(onDisk: Uint8Array, context: BlockContext): Uint8Array {
    if (onDisk.length < BLOCK_HEADER_SIZE_BYTES) {
      throw new StrataError('CORRUPTION', `Cannot read ${describe(context)}: ${onDisk.length} bytes is shorter than a block header`, { details: details(context) })
    }
    const payloadSizeBytes = u32At(onDisk, 4)
    const payload = onDisk.subarray(BLOCK_HEADER_SIZE_BYTES)
    if (!xxh3128MatchesAround(onDisk, 8)) {
      throw new StrataError('CHECKSUM_MISMATCH', `Cannot read ${describe(context)}: checksum mismatch`, { details: details(context) })
    }
    if (onDisk[0] !== BLOCK_FORMAT_VERSION) {
      throw new StrataError('UNSUPPORTED_FORMAT_VERSION', `Cannot read ${describe(context)}: block format version ${onDisk[0]}, this build reads ${BLOCK_FORMAT_VERSION}`, { details: details(context) })
    }
    if (onDisk[1] !== context.blockType) {
      throw new StrataError('CORRUPTION', `Cannot read ${describe(context)}: block type ${onDisk[1]}, expected ${context.blockType}`, { details: details(context) })
    }
    if (onDisk[2] !== 0 || onDisk[3] !== 0) {
      throw new StrataError('CORRUPTION', `Cannot read ${describe(context)}: flags ${onDisk[2]} need a transform this codec lacks`, { details: details(context) })
    }
    if (payloadSizeBytes !== payload.length) {
      throw new StrataError('CORRUPTION', `Cannot read ${describe(context)}: payload size ${payloadSizeBytes}, block holds ${payload.length}`, { details: details(context) })
    }
    return payload
  }
}
