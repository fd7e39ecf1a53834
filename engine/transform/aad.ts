/**
 * The additional authenticated data (AAD) of an encrypted block: every fact a swap, relabel or
 * downgrade attack would change, in a fixed layout. It is rebuilt by the reader from the block
 * header, the codec context and the caller's BlockContext, and never stored. Threat model and
 * test vectors: docs/encryption.md.
 *
 * | offset | size | field              | encoding                                          |
 * |-------:|-----:|--------------------|---------------------------------------------------|
 * |      0 |    4 | magic              | "SAAD" (0x53 0x41 0x41 0x44), domain separation    |
 * |      4 |    1 | aadVersion         | u8, currently 1                                   |
 * |      5 |    1 | blockFormatVersion | u8, the envelope's version (1)                    |
 * |      6 |    1 | blockType          | u8, BlockType, from the caller's BlockContext      |
 * |      7 |    1 | blockFlags         | u8, the envelope's flags byte as written           |
 * |      8 |    8 | fileNumber         | u64 LE, from the caller's BlockContext             |
 * |     16 |    4 | keyEpoch           | u32 LE                                            |
 * |     20 |    1 | suiteId            | u8, CipherSuite                                   |
 * |     21 |    1 | compressionType    | u8, 0 none, 1 zstd                                |
 * |     22 |    1 | windowLog          | u8, 0 when not recorded                           |
 * |     23 |    1 | reserved           | zero                                              |
 * |     24 |    4 | dictionaryId       | u32 LE, 0 = none                                  |
 * |     28 |    4 | rawSizeBytes       | u32 LE, decompressed size; 0 when not compressed   |
 */
import assert from 'node:assert/strict'

export const AAD_VERSION = 1
export const AAD_SIZE_BYTES = 4 + 1 + 1 + 1 + 1 + 8 + 4 + 1 + 1 + 1 + 1 + 4 + 4
const AAD_MAGIC = [0x53, 0x41, 0x41, 0x44]

/** The facts an encrypted block's AAD binds. */
export interface AadFields {
  blockFormatVersion: number
  blockType: number
  blockFlags: number
  fileNumber: number
  keyEpoch: number
  suiteId: number
  compressionType: number
  windowLog: number
  dictionaryId: number
  rawSizeBytes: number
}

/** Encodes the AAD (byte table in the file comment) into a new buffer. */
export function encodeAad(fields: AadFields): Uint8Array {
  return encodeAadInto(fields, new Uint8Array(AAD_SIZE_BYTES))
}

/** Encodes the AAD into `out` (AAD_SIZE_BYTES long, reused by the codec per block) and returns it. */
export function encodeAadInto(fields: AadFields, out: Uint8Array): Uint8Array {
  assert(Number.isSafeInteger(fields.fileNumber) && fields.fileNumber >= 0, 'fileNumber must be a non-negative safe integer')
  assert.equal(out.length, AAD_SIZE_BYTES)
  const view = new DataView(out.buffer, out.byteOffset, AAD_SIZE_BYTES)
  out.set(AAD_MAGIC, 0)
  out[4] = AAD_VERSION
  out[5] = fields.blockFormatVersion
  out[6] = fields.blockType
  out[7] = fields.blockFlags
  view.setUint32(8, fields.fileNumber % 2 ** 32, true)
  view.setUint32(12, Math.floor(fields.fileNumber / 2 ** 32), true)
  view.setUint32(16, fields.keyEpoch, true)
  out[20] = fields.suiteId
  out[21] = fields.compressionType
  out[22] = fields.windowLog
  out[23] = 0
  view.setUint32(24, fields.dictionaryId, true)
  view.setUint32(28, fields.rawSizeBytes, true)
  return out
}
