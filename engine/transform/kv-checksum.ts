/**
 * Per-KV checksums (opt-in `integrity.perKeyChecksums`, off by default and in the RocksDbParity
 * preset): a CRC-32 of one entry (key, seqno, kind, value), computed when the write enters the
 * memtable and carried in every table entry, so a reader can check one entry without its block
 * and a bug or a memory flip after the block checksum was verified is caught
 * (docs/per-kv-checksums.md).
 *
 * The CRC is CRC-32/ISO-HDLC, the one zlib computes (so `zlib.crc32` over the framed bytes gives
 * the same number, which the test checks). Short inputs run through a table-driven loop in JS
 * that reads the key from a latin1 string or a byte range in place: zlib.crc32 costs about 330 ns
 * per call here (js-building-blocks.md §2) and needs a view per range, which is more than the
 * whole loop over a 16-byte key and a 100-byte value. Values of LONG_VALUE_BYTES_MIN bytes and
 * more go to zlib.crc32, which is faster per byte.
 *
 * Input framing (17 bytes of header, then the key, then the value):
 * | offset | size | field        | encoding                                  |
 * |-------:|-----:|--------------|-------------------------------------------|
 * |      0 |    4 | keySizeBytes | u32 LE                                    |
 * |      4 |    1 | kind         | u8, EntryKind                             |
 * |      5 |    8 | seqno        | u64 LE (two u32 halves, low first)        |
 * |     13 |    4 | valueSize    | u32 LE                                    |
 * |     17 |    k | key          | key bytes                                 |
 * |   17+k |    v | value        | value bytes                               |
 * Both sizes are framed, so ("ab", "c") and ("a", "bc") differ and nothing can slide between
 * key and value.
 */
import { crc32 } from 'node:zlib'

/** Bytes of a stored per-KV checksum (u32 LE). */
export const KV_CHECKSUM_SIZE_BYTES = 4

/** Values at least this long are hashed by zlib.crc32 (native, faster per byte) instead of the JS loop. */
const LONG_VALUE_BYTES_MIN = 256

const CRC_TABLE = buildTable()

function buildTable(): Int32Array {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
}

/** Folds the 17 framing bytes into the (inverted) CRC state `c`. */
function header(keySizeBytes: number, seqno: number, kind: number, valueSizeBytes: number): number {
  let c = ~0
  c = u32(c, keySizeBytes)
  c = CRC_TABLE[(c ^ kind) & 0xff] ^ (c >>> 8)
  c = u32(c, seqno % 0x1_0000_0000)
  c = u32(c, Math.floor(seqno / 0x1_0000_0000))
  return u32(c, valueSizeBytes)
}

function u32(c: number, value: number): number {
  c = CRC_TABLE[(c ^ value) & 0xff] ^ (c >>> 8)
  c = CRC_TABLE[(c ^ (value >>> 8)) & 0xff] ^ (c >>> 8)
  c = CRC_TABLE[(c ^ (value >>> 16)) & 0xff] ^ (c >>> 8)
  return CRC_TABLE[(c ^ (value >>> 24)) & 0xff] ^ (c >>> 8)
}

/** Folds `bytes[start, end)` into the state and returns the final CRC (unsigned). */
function finishWithValue(c: number, bytes: Uint8Array, start: number, end: number): number {
  if (end - start >= LONG_VALUE_BYTES_MIN) return crc32(bytes.subarray(start, end), ~c >>> 0)
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

/**
 * The checksum of one entry whose key is a latin1 string (the engine's key form: memtable,
 * table writer).
 * @example
 * ```ts
 * const stored = kvChecksum('user:1', 42, EntryKind.Put, value)
 * ```
 */
export function kvChecksum(key: string, seqno: number, kind: number, value: Uint8Array): number {
  let c = header(key.length, seqno, kind, value.length)
  for (let i = 0; i < key.length; i++) c = CRC_TABLE[(c ^ key.charCodeAt(i)) & 0xff] ^ (c >>> 8)
  return finishWithValue(c, value, 0, value.length)
}

/**
 * The same checksum over byte ranges read in place (a table reader's key scratch and the value
 * inside its block): key `keyBytes[0, keySizeBytes)`, value `valueBytes[valueOffset, +valueSizeBytes)`.
 */
export function kvChecksumOfRanges(keyBytes: Uint8Array, keySizeBytes: number, seqno: number, kind: number,
  valueBytes: Uint8Array, valueOffset: number, valueSizeBytes: number): number {
  let c = header(keySizeBytes, seqno, kind, valueSizeBytes)
  for (let i = 0; i < keySizeBytes; i++) c = CRC_TABLE[(c ^ keyBytes[i]) & 0xff] ^ (c >>> 8)
  return finishWithValue(c, valueBytes, valueOffset, valueOffset + valueSizeBytes)
}
