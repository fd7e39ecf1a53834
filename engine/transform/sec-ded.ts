/**
 * SEC-DED: a Hsiao (72,64) code, one check byte per 8-byte word of the protected bytes (12.5 %).
 * It corrects any single bit flip in a word (in the data or in its check byte) and detects any
 * two, without the checksum-guided search parity needs, so a lone flipped bit (the common
 * bit-rot case) is fixed in one pass.
 *
 * Hsiao's construction: every column of the parity-check matrix has odd weight and all columns
 * differ. The 8 check bits use the weight-1 columns; the 64 data bits use the 56 weight-3 columns
 * and 8 weight-5 columns. One flip gives an odd-weight syndrome equal to its column; two flips
 * give a non-zero even-weight syndrome, which no column matches, so they are detected, never
 * "corrected" into a third error. A last partial word is treated as zero-padded.
 */
import assert from 'node:assert/strict'

/** Check bytes per protected word. */
export const SEC_DED_WORD_SIZE_BYTES = 8

function popcount8(value: number): number {
  let count = 0
  for (let bit = 0; bit < 8; bit++) count += (value >> bit) & 1
  return count
}

/** COLUMNS[i]: the syndrome of data bit i (bit i % 8 of byte ⌊i / 8⌋ of the word). */
const COLUMNS: number[] = []
for (const weight of [3, 5]) {
  for (let value = 0; value < 256 && COLUMNS.length < 64; value++) {
    if (popcount8(value) === weight) COLUMNS.push(value)
  }
}
assert.equal(COLUMNS.length, 64)

/** TABLE[k * 256 + b]: the check byte contribution of byte value b at byte k of a word. */
const TABLE = new Uint8Array(8 * 256)
for (let byteIndex = 0; byteIndex < 8; byteIndex++) {
  for (let value = 0; value < 256; value++) {
    let check = 0
    for (let bit = 0; bit < 8; bit++) if ((value >> bit) & 1) check ^= COLUMNS[byteIndex * 8 + bit]
    TABLE[byteIndex * 256 + value] = check
  }
}

/** SYNDROME_TO_BIT[s]: the data bit (0..63) a syndrome names, 64 + k for check bit k, −1 for none. */
const SYNDROME_TO_BIT = new Int16Array(256).fill(-1)
COLUMNS.forEach((column, bit) => (SYNDROME_TO_BIT[column] = bit))
for (let bit = 0; bit < 8; bit++) SYNDROME_TO_BIT[1 << bit] = 64 + bit

/** Check bytes for `sizeBytes` protected bytes. */
export function secDedSizeOf(sizeBytes: number): number {
  return Math.ceil(sizeBytes / SEC_DED_WORD_SIZE_BYTES)
}

function checkByte(data: Uint8Array, start: number): number {
  let check = 0
  const end = Math.min(start + SEC_DED_WORD_SIZE_BYTES, data.length)
  for (let index = start; index < end; index++) check ^= TABLE[((index - start) << 8) | data[index]]
  return check
}

/**
 * Writes the check bytes of `data` into `out` at `offsetBytes`. Whole words are unrolled (eight
 * table lookups, no bounds arithmetic): 1.9x faster than checkByte per word (3.2 vs 6.2 µs per
 * 4 KiB, runs back to back on this machine).
 */
export function computeSecDed(data: Uint8Array, out: Uint8Array, offsetBytes: number): void {
  const wholeWordCount = data.length >> 3
  for (let word = 0, at = 0; word < wholeWordCount; word++, at += SEC_DED_WORD_SIZE_BYTES) {
    out[offsetBytes + word] =
      TABLE[data[at]] ^ TABLE[256 | data[at + 1]] ^ TABLE[512 | data[at + 2]] ^ TABLE[768 | data[at + 3]] ^
      TABLE[1024 | data[at + 4]] ^ TABLE[1280 | data[at + 5]] ^ TABLE[1536 | data[at + 6]] ^ TABLE[1792 | data[at + 7]]
  }
  if (wholeWordCount < secDedSizeOf(data.length)) out[offsetBytes + wholeWordCount] = checkByte(data, wholeWordCount * SEC_DED_WORD_SIZE_BYTES)
}

/** What `correctSecDed` did. */
export interface SecDedResult {
  /** The corrected copy of the data. */
  data: Uint8Array
  /** Bits flipped back (data and check bits). */
  correctedBitCount: number
}

/**
 * Corrects single-bit errors per word; returns undefined when some word has an error it cannot
 * correct (two or more flips). `data` and `checks` are not modified.
 */
export function correctSecDed(data: Uint8Array, checks: Uint8Array): SecDedResult | undefined {
  assert.equal(checks.length, secDedSizeOf(data.length))
  let corrected: Uint8Array | undefined
  let correctedBitCount = 0
  for (let word = 0; word < checks.length; word++) {
    const start = word * SEC_DED_WORD_SIZE_BYTES
    const syndrome = checks[word] ^ checkByte(data, start)
    if (syndrome === 0) continue
    const bit = SYNDROME_TO_BIT[syndrome]
    if (bit < 0) return undefined
    correctedBitCount++
    if (bit >= 64) continue // the check byte itself was hit; the data is intact
    const index = start + (bit >> 3)
    if (index >= data.length) return undefined // names a padding bit: not a single flip
    corrected ??= data.slice()
    corrected[index] ^= 1 << (bit & 7)
  }
  return { data: corrected ?? data.slice(), correctedBitCount }
}
