/**
 * XXH3-128 over byte ranges, synchronous, from two implementations of the same function chosen by
 * input size, because neither is fastest everywhere. Measured here, an 8-byte header part plus a
 * payload, median of 5 interleaved rounds (`node --import tsx engine/checksum/xxh3.bench.ts`):
 *
 * | payload  | hash-wasm | xxhash-addon | native / wasm |
 * |----------|-----------|--------------|---------------|
 * | 1 KiB    | 0.87 µs   | 1.04 µs      | 1.21          |
 * | 2 KiB    | 1.04 µs   | 1.05 µs      | 1.03          |
 * | 4 KiB    | 1.34 µs   | 1.14 µs      | 0.83          |
 * | 16 KiB   | 3.75 µs   | 1.69 µs      | 0.44          |
 * | 1 MiB    | 184 µs    | 29.1 µs      | 0.15          |
 *
 * hash-wasm (portable WebAssembly, no SIMD) has the lower fixed cost per call; xxhash-addon (the
 * reference C implementation with SSE2/AVX2 behind N-API, prebuilt for linux-x64 inside its npm
 * package and built with node-gyp elsewhere) costs ~1 µs of N-API calls and a 16-byte digest
 * Buffer per hash but runs 6x faster per byte. Blob frames (large values) and synced batches are
 * where the bytes are, table blocks (~4 KiB) sit at the crossover. Both give the canonical
 * big-endian digest; the tests check them against each other on every length class.
 *
 * hash-wasm needs one async instantiation; it happens once at module load (top-level await), after
 * which every call is synchronous, which is what the sync read path needs. One shared hasher of
 * each kind: JS is single-threaded, and each call runs reset → update → digest without yielding.
 */
import { createXXHash128 } from 'hash-wasm'
import xxhashAddon from 'xxhash-addon'

/** Size of an XXH3-128 digest. */
export const XXH3_128_SIZE_BYTES = 16

/** Total input size from which the native hasher is used (the crossover in the table above). */
export const NATIVE_MIN_INPUT_BYTES = 4096

const wasmHasher = await createXXHash128()
const nativeHasher = new xxhashAddon.XXHash128(Buffer.alloc(8))

/** XXH3-128 (seed 0) of the concatenation of `parts` through hash-wasm. Exported for the tests. */
export function xxh3128Wasm(...parts: Uint8Array[]): Uint8Array {
  wasmHasher.init()
  for (const part of parts) wasmHasher.update(part)
  return wasmHasher.digest('binary')
}

/** XXH3-128 (seed 0) of the concatenation of `parts` through xxhash-addon. Exported for the tests. */
export function xxh3128Native(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return xxhashAddon.XXHash128.hash(parts[0] as Buffer)
  nativeHasher.reset()
  for (const part of parts) nativeHasher.update(part as Buffer)
  return nativeHasher.digest()
}

/** XXH3-128 (seed 0) of the concatenation of `parts`; returns the 16-byte big-endian digest. */
export function xxh3128(...parts: Uint8Array[]): Uint8Array {
  let totalBytes = 0
  for (const part of parts) totalBytes += part.length
  return totalBytes >= NATIVE_MIN_INPUT_BYTES ? xxh3128Native(...parts) : xxh3128Wasm(...parts)
}

/** Longest header `xxh3128MatchesAround` hashes in place; longer ones are hashed as two parts. */
const AROUND_HEADER_SIZE_BYTES_MAX = 64

/** The bytes `xxh3128MatchesAround` borrows (module-level: JS is single-threaded and it never yields). */
const borrowedBytes = new Uint8Array(AROUND_HEADER_SIZE_BYTES_MAX)

/**
 * True when the 16 bytes at `checksumOffset` of `block` equal the XXH3-128 of the bytes before
 * them then the bytes from after them to `endOffset`: the layout of a block envelope (an 8-byte
 * header) and of a blob frame (a 24-byte header, then key and body), whose checksum sits between
 * a header and what it covers. Hashes one contiguous range instead of two parts: the header's
 * length of bytes just before the covered bytes (from byte 16 on) is saved, overwritten with the
 * header, hashed together with the covered bytes, and restored before the comparison (also when
 * hashing throws), so the caller's bytes are unchanged. One part is one call into xxhash-addon
 * instead of four (reset, two updates, digest): an 8-byte header and a 16 KiB payload verify in
 * 1.20-1.23 µs instead of 1.70, a 4 KiB payload in 0.98 instead of 1.40 (median of 9 interleaved
 * rounds of 50,000, two runs, on the 2-core machine); through hash-wasm each update costs ~0.3 µs,
 * so a 72-byte frame checksum of three parts (1.0 µs) takes 0.34-0.39 as one.
 */
export function xxh3128MatchesAround(block: Uint8Array, checksumOffset: number, endOffset = block.length): boolean {
  const coveredOffset = checksumOffset + XXH3_128_SIZE_BYTES
  if (checksumOffset > AROUND_HEADER_SIZE_BYTES_MAX || endOffset < coveredOffset || endOffset > block.length) {
    return xxh3128Matches(block, checksumOffset, block.subarray(0, checksumOffset), block.subarray(coveredOffset, endOffset))
  }
  // The header moves to end where the covered bytes start: [rangeOffset, coveredOffset).
  const rangeOffset = XXH3_128_SIZE_BYTES
  // Byte loops, not subarray views: a view is an allocation, and these are a few dozen bytes.
  for (let i = 0; i < checksumOffset; i++) borrowedBytes[i] = block[rangeOffset + i]
  let actual: Uint8Array
  try {
    // Backwards: with a header longer than 16 bytes the two ranges overlap, the target later.
    for (let i = checksumOffset - 1; i >= 0; i--) block[rangeOffset + i] = block[i]
    actual = xxh3128(block.subarray(rangeOffset, endOffset))
  } finally {
    for (let i = 0; i < checksumOffset; i++) block[rangeOffset + i] = borrowedBytes[i]
  }
  for (let i = 0; i < XXH3_128_SIZE_BYTES; i++) {
    if (actual[i] !== block[checksumOffset + i]) return false
  }
  return true
}

/** True when the 16 bytes of `expected` at `offset` equal the XXH3-128 of `parts`. */
export function xxh3128Matches(expected: Uint8Array, offset: number, ...parts: Uint8Array[]): boolean {
  const actual = xxh3128(...parts)
  for (let i = 0; i < XXH3_128_SIZE_BYTES; i++) {
    if (actual[i] !== expected[offset + i]) return false
  }
  return true
}
