/**
 * Block anatomy: what a block envelope (docs/formats/block.md) says about itself, read without
 * trusting it and without a key: header fields, whether the checksum holds, where the block ends
 * (ECC trailer included), the encryption and compression contexts in the clear, and the AAD a
 * reader would rebuild. `dump-block` prints it; `scrub` walks a file with `blockExtentAt`.
 */
import { BLOCK_FORMAT_VERSION, BLOCK_HEADER_SIZE_BYTES, BlockFlag, BlockType } from '../transform/mod.ts'
import {
  AEAD_TAG_SIZE_BYTES,
  COMPRESSION_CONTEXT_SIZE_BYTES,
  ECC_TRAILER_SIZE_BYTES,
  ENCRYPTION_CONTEXT_SIZE_BYTES,
  encodeAad,
  isKnownSuite,
  nonceSizeOf,
  readEccTrailer,
  xxh3128Matches,
  type EccTrailer,
} from './transform-internals.ts'

/** Suite names by id (CipherSuite in encrypt.ts). */
const SUITE_NAMES: Readonly<Record<number, string>> = { 1: 'aes-256-gcm', 2: 'chacha20-poly1305', 3: 'xchacha20-poly1305', 4: 'aes-256-gcm-siv' }
const BLOCK_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(BlockType).map(([name, id]) => [id, name]))
/**
 * ECC check bytes are at most 4 parity shards of ceil(n / 1) bytes (ECC_PARITY_SHARD_COUNT_MAX
 * with one data shard), so a block's trailer ends within 4n + 16 bytes after its protected n bytes.
 */
const ECC_CHECK_SIZE_FACTOR_MAX = 4

export interface BlockAnatomy {
  offsetBytes: number
  /** Whole block, ECC region included; undefined when its end could not be found. */
  sizeBytes: number | undefined
  formatVersion: number
  blockType: number
  blockTypeName: string
  flags: number
  flagNames: string[]
  reserved: number
  payloadSizeBytes: number
  checksumOk: boolean
  ecc: (EccTrailer & { regionSizeBytes: number }) | undefined
  encryption: { suiteId: number; suiteName: string; keyEpoch: number; nonceHex: string } | undefined
  compression: { compressionType: number; windowLog: number; dictionaryId: number; rawSizeBytes: number } | undefined
  bodySizeBytes: number
  /** The AAD a reader rebuilds for this block in file `fileNumber` (encrypted blocks only). */
  aadHex: string | undefined
}

/**
 * Where the block starting at `bytes[0]` ends, or undefined. Without the parity flag the header
 * says; with it, the ECC trailer (magic, CRC, sizes that add up) is searched for after the payload.
 */
export function blockExtentAt(bytes: Uint8Array): { sizeBytes: number; ecc: EccTrailer | undefined } | undefined {
  if (bytes.length < BLOCK_HEADER_SIZE_BYTES) return undefined
  const protectedSizeBytes = BLOCK_HEADER_SIZE_BYTES + new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true)
  if (protectedSizeBytes > bytes.length) return undefined
  if ((bytes[2] & BlockFlag.Parity) === 0) return { sizeBytes: protectedSizeBytes, ecc: undefined }
  const lastEndBytes = Math.min(bytes.length, protectedSizeBytes * (1 + ECC_CHECK_SIZE_FACTOR_MAX) + ECC_TRAILER_SIZE_BYTES)
  for (let endBytes = protectedSizeBytes + ECC_TRAILER_SIZE_BYTES; endBytes <= lastEndBytes; endBytes++) {
    const start = endBytes - ECC_TRAILER_SIZE_BYTES
    // "SECC": cheap magic test before the full trailer check.
    if (bytes[start] !== 0x53 || bytes[start + 1] !== 0x45 || bytes[start + 2] !== 0x43 || bytes[start + 3] !== 0x43) continue
    const trailer = readEccTrailer(bytes.subarray(0, endBytes))
    if (trailer !== undefined && trailer.protectedSizeBytes === protectedSizeBytes) return { sizeBytes: endBytes, ecc: trailer }
  }
  return undefined
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Reads what `bytes` (starting at the block, running at most to the end of the region that may hold it) says. */
export function anatomize(bytes: Uint8Array, offsetBytes: number, fileNumber: number): BlockAnatomy {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const flags = bytes[2]
  const payloadSizeBytes = view.getUint32(4, true)
  const extent = blockExtentAt(bytes)
  const protectedEndBytes = Math.min(bytes.length, BLOCK_HEADER_SIZE_BYTES + payloadSizeBytes)
  const payload = bytes.subarray(BLOCK_HEADER_SIZE_BYTES, protectedEndBytes)
  const checksumOk = extent !== undefined && xxh3128Matches(bytes, 8, bytes.subarray(0, 8), payload)
  const flagNames = [
    ...((flags & BlockFlag.Compressed) !== 0 ? ['compressed'] : []),
    ...((flags & BlockFlag.Encrypted) !== 0 ? ['encrypted'] : []),
    ...((flags & BlockFlag.Parity) !== 0 ? ['parity'] : []),
    ...((flags & ~(BlockFlag.Compressed | BlockFlag.Encrypted | BlockFlag.Parity)) !== 0 ? ['UNKNOWN-BITS'] : []),
  ]
  let cursor = 0
  let encryption: BlockAnatomy['encryption']
  if ((flags & BlockFlag.Encrypted) !== 0 && payload.length >= ENCRYPTION_CONTEXT_SIZE_BYTES) {
    const suiteId = payload[0]
    const nonceSizeBytes = isKnownSuite(suiteId) ? nonceSizeOf(suiteId) : 0
    const keyEpoch = new DataView(payload.buffer, payload.byteOffset, payload.length).getUint32(4, true)
    encryption = { suiteId, suiteName: SUITE_NAMES[suiteId] ?? 'unknown', keyEpoch, nonceHex: hex(payload.subarray(ENCRYPTION_CONTEXT_SIZE_BYTES, ENCRYPTION_CONTEXT_SIZE_BYTES + nonceSizeBytes)) }
    cursor = ENCRYPTION_CONTEXT_SIZE_BYTES + nonceSizeBytes
  }
  let compression: BlockAnatomy['compression']
  if ((flags & BlockFlag.Compressed) !== 0 && payload.length >= cursor + COMPRESSION_CONTEXT_SIZE_BYTES) {
    const context = new DataView(payload.buffer, payload.byteOffset + cursor, COMPRESSION_CONTEXT_SIZE_BYTES)
    compression = { compressionType: context.getUint8(0), windowLog: context.getUint8(1), dictionaryId: context.getUint32(4, true), rawSizeBytes: context.getUint32(8, true) }
    cursor += COMPRESSION_CONTEXT_SIZE_BYTES
  }
  const aadHex = encryption === undefined ? undefined : hex(encodeAad({
    blockFormatVersion: bytes[0], blockType: bytes[1], blockFlags: flags, fileNumber, keyEpoch: encryption.keyEpoch, suiteId: encryption.suiteId,
    compressionType: compression?.compressionType ?? 0, windowLog: compression?.windowLog ?? 0, dictionaryId: compression?.dictionaryId ?? 0, rawSizeBytes: compression?.rawSizeBytes ?? 0,
  }))
  return {
    offsetBytes,
    sizeBytes: extent?.sizeBytes,
    formatVersion: bytes[0],
    blockType: bytes[1],
    blockTypeName: BLOCK_TYPE_NAMES[bytes[1]] ?? 'unknown',
    flags,
    flagNames,
    reserved: bytes[3],
    payloadSizeBytes,
    checksumOk,
    ecc: extent?.ecc && { ...extent.ecc, regionSizeBytes: (extent.sizeBytes) - BLOCK_HEADER_SIZE_BYTES - payloadSizeBytes },
    encryption,
    compression,
    bodySizeBytes: Math.max(0, payload.length - cursor),
    aadHex,
  }
}

/** Human lines for `dump-block`. */
export function formatAnatomy(anatomy: BlockAnatomy): string[] {
  const lines = [
    `offset      ${anatomy.offsetBytes}`,
    `size        ${anatomy.sizeBytes === undefined ? 'unknown (block end not found)' : `${anatomy.sizeBytes} bytes`}`,
    `header      version ${anatomy.formatVersion}${anatomy.formatVersion === BLOCK_FORMAT_VERSION ? '' : ' (UNSUPPORTED)'}, type ${anatomy.blockType} (${anatomy.blockTypeName}), flags 0x${anatomy.flags.toString(16).padStart(2, '0')} (${anatomy.flagNames.join(', ') || 'none'}), reserved ${anatomy.reserved}`,
    `payload     ${anatomy.payloadSizeBytes} bytes`,
    `checksum    ${anatomy.checksumOk ? 'ok' : 'MISMATCH'} (XXH3-128)`,
  ]
  if (anatomy.encryption) {
    const e = anatomy.encryption
    lines.push(`encryption  suite ${e.suiteName} (${e.suiteId}), key epoch ${e.keyEpoch}, nonce ${e.nonceHex}, tag ${AEAD_TAG_SIZE_BYTES} bytes`)
  }
  if (anatomy.compression) {
    const c = anatomy.compression
    lines.push(`compression ${c.compressionType === 1 ? 'zstd' : `type ${c.compressionType}`}, window log ${c.windowLog}, dictionary ${c.dictionaryId}, raw ${c.rawSizeBytes} bytes`)
  }
  lines.push(`body        ${anatomy.bodySizeBytes} bytes${anatomy.encryption ? ' (ciphertext and tag)' : anatomy.compression ? ' (zstd frame)' : ' (raw)'}`)
  if (anatomy.ecc) {
    const { config, protectedSizeBytes, regionSizeBytes } = anatomy.ecc
    const scheme = config.kind === 'sec-ded' ? 'sec-ded' : config.kind === 'xor' ? `xor D=${config.dataShards}` : `reed-solomon D=${config.dataShards} P=${config.parityShards}`
    lines.push(`ecc         ${scheme}, protects ${protectedSizeBytes} bytes, region ${regionSizeBytes} bytes`)
  }
  if (anatomy.aadHex) lines.push(`aad         ${anatomy.aadHex}`)
  return lines
}
