/**
 * The plain block envelope (engine/transform/plain-codec.ts, docs/formats/block.md) written as
 * a separate 24-byte header in front of the caller's value, so a frame body reaches the file as
 * two iovecs (envelope header, the value itself) instead of one fresh copy of the value.
 * Why: PlainCodec.encode allocates header + value and copies the value into it; for a 16 KiB
 * load that is one extra 512 MiB of fresh memory touched per 512 MiB stored, the largest
 * user-space cost of the write path (scripts/blob-load-profile.ts under --cpu-prof). The bytes
 * are identical to PlainCodec's (blobtree/blob-file/plain-envelope.test.ts compares them), so
 * readers decode with PlainCodec unchanged. Any other codec still goes through `encode`.
 *
 * Envelope header, format version 1 (same table as plain-codec.ts):
 * | offset | size | field            | encoding                                   |
 * |-------:|-----:|------------------|--------------------------------------------|
 * |      0 |    1 | formatVersion    | u8, 1                                      |
 * |      1 |    1 | blockType        | u8, BlockType                              |
 * |      2 |    1 | flags            | u8, 0 (no transform)                       |
 * |      3 |    1 | reserved         | u8, 0                                      |
 * |      4 |    4 | payloadSizeBytes | u32 LE                                     |
 * |      8 |   16 | checksum         | XXH3-128 of bytes 0–7 then the payload     |
 */
import assert from 'node:assert/strict'
import { xxh3128 } from '../../engine/checksum/xxh3.ts'
import type { BlockCodec } from '../../engine/transform/block-codec.ts'
import { BLOCK_FORMAT_VERSION, BLOCK_HEADER_SIZE_BYTES, PlainCodec } from '../../engine/transform/plain-codec.ts'

/** Size of the envelope header written before the payload. */
export const PLAIN_ENVELOPE_HEADER_SIZE_BYTES = BLOCK_HEADER_SIZE_BYTES
assert(PLAIN_ENVELOPE_HEADER_SIZE_BYTES === 1 + 1 + 1 + 1 + 4 + 16)

/**
 * True when `codec` is exactly the checksum-only PlainCodec, whose output this module can write
 * in two parts. A subclass might change the bytes, so it does not qualify.
 */
export function isPlainCodec(codec: BlockCodec): boolean {
  return codec instanceof PlainCodec && Object.getPrototypeOf(codec) === PlainCodec.prototype
}

/**
 * Writes the envelope header of `payload` into `target` at `offset` (table above); the payload
 * itself is written after it by the caller, unchanged.
 */
export function writePlainEnvelopeHeader(target: Uint8Array, offset: number, blockType: number, payload: Uint8Array): void {
  assert(payload.length < 2 ** 32, 'payload size is stored as u32')
  // Byte writes, not a DataView over a subarray: this runs once per separated value.
  target[offset] = BLOCK_FORMAT_VERSION
  target[offset + 1] = blockType
  target[offset + 2] = 0
  target[offset + 3] = 0
  const sizeBytes = payload.length
  target[offset + 4] = sizeBytes & 0xff
  target[offset + 5] = (sizeBytes >>> 8) & 0xff
  target[offset + 6] = (sizeBytes >>> 16) & 0xff
  target[offset + 7] = sizeBytes >>> 24
  target.set(xxh3128(target.subarray(offset, offset + 8), payload), offset + 8)
}
