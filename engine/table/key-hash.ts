/**
 * MurmurHash3 x86 32-bit over a latin1 key string, in pure JS. A hash-wasm call costs ~650 ns on
 * a 16-byte key against ~36 ns here (js-building-blocks.md §4), and hashing the string directly
 * avoids turning it back into bytes. The result is frozen by the filter format (hash version 1).
 */

/** Seed of the filter hash (the LevelDB Bloom seed); part of filter hash version 1. */
export const FILTER_HASH_SEED = 0xbc9f1d34

/** MurmurHash3_x86_32 of the latin1 bytes of `key`; an unsigned 32-bit integer. */
export function murmur3Hash32(key: string, seed: number = FILTER_HASH_SEED): number {
  const length = key.length
  let hash = seed | 0
  let i = 0
  for (; i + 4 <= length; i += 4) {
    let chunk = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24)
    chunk = Math.imul(chunk, 0xcc9e2d51)
    chunk = (chunk << 15) | (chunk >>> 17)
    hash ^= Math.imul(chunk, 0x1b873593)
    hash = (hash << 13) | (hash >>> 19)
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0
  }
  const tailBytes = length & 3
  if (tailBytes > 0) {
    let chunk = key.charCodeAt(i)
    if (tailBytes > 1) chunk |= key.charCodeAt(i + 1) << 8
    if (tailBytes > 2) chunk |= key.charCodeAt(i + 2) << 16
    chunk = Math.imul(chunk, 0xcc9e2d51)
    chunk = (chunk << 15) | (chunk >>> 17)
    hash ^= Math.imul(chunk, 0x1b873593)
  }
  hash ^= length
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}
