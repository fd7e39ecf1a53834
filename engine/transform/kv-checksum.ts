/**
 * Per-KV checksums (opt-in, off in the RocksDbParity preset): a 32-bit CRC-32 of one entry,
 * stored beside it so a reader can check a single value without the block. CRC-32 through
 * zlib.crc32 rather than XXH3: it costs about 330 ns per short call here against 650–780 ns
 * for a hash-wasm call (reference/js-building-blocks.md §2), and 32 bits suffice to catch a
 * corrupted entry that already passed its block's XXH3-128.
 *
 * Input framing: u32 LE key size ‖ key ‖ value, so ("ab", "c") and ("a", "bc") differ.
 */
import { crc32 } from 'node:zlib'

/**
 * The checksum of one key/value pair.
 * @example
 * ```ts
 * const stored = kvChecksum(key, value)
 * if (kvChecksum(key, readValue) !== stored) throw new StrataError('CHECKSUM_MISMATCH', …)
 * ```
 */
export function kvChecksum(key: Uint8Array, value: Uint8Array): number {
  const keySize = new Uint8Array(4)
  new DataView(keySize.buffer).setUint32(0, key.length, true)
  return crc32(value, crc32(key, crc32(keySize)))
}
