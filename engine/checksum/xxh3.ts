/**
 * XXH3-128 over byte ranges, synchronous. hash-wasm needs one async instantiation; it happens
 * once at module load (top-level await), after which every call is synchronous, which is what
 * the sync read path needs. One shared hasher: JS is single-threaded, and each call runs
 * init → update → digest without yielding.
 */
import { createXXHash128 } from 'hash-wasm'

/** Size of an XXH3-128 digest. */
export const XXH3_128_SIZE_BYTES = 16

const hasher = await createXXHash128()

/** XXH3-128 (seed 0) of the concatenation of `parts`; returns the 16-byte big-endian digest. */
export function xxh3128(...parts: Uint8Array[]): Uint8Array {
  hasher.init()
  for (const part of parts) hasher.update(part)
  return hasher.digest('binary')
}

/** True when the 16 bytes of `expected` at `offset` equal the XXH3-128 of `parts`. */
export function xxh3128Matches(expected: Uint8Array, offset: number, ...parts: Uint8Array[]): boolean {
  const actual = xxh3128(...parts)
  for (let i = 0; i < XXH3_128_SIZE_BYTES; i++) {
    if (actual[i] !== expected[offset + i]) return false
  }
  return true
}
