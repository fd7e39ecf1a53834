/**
 * Key windows: for sorted keys, the 4 bytes of each key after the prefix all of them share,
 * packed big-endian into a u32 and zero-padded past a key's end. Windows order keys: a smaller
 * window belongs to a smaller key (padding makes a key's window no larger than that of a key it
 * is a prefix of), so a binary search compares windows in one small typed array and reads a key
 * itself only where two windows tie. Reading the keys themselves (strings in the index, entries
 * in a block) cost a cache miss per probe on a tree larger than the CPU caches.
 * In memory only: built when a block or an index is decoded, never stored.
 */

import { sharedPrefixSizeBytes } from './block-builder.ts'

/** Key bytes in one window. */
export const KEY_WINDOW_SIZE_BYTES = 4

/** The window of `key` at `start` (`key` is a latin1 string: one byte per char). */
export function keyWindowOf(key: string, start: number): number {
  let window = 0
  for (let position = start; position < start + KEY_WINDOW_SIZE_BYTES; position++) {
    window = window * 256 + (position < key.length ? key.charCodeAt(position) : 0)
  }
  return window
}

/** The window of the key in `bytes[keyOffset, keyOffset + keySizeBytes)` at `start`, as keyWindowOf. */
export function keyWindowOfBytes(bytes: Uint8Array, keyOffset: number, keySizeBytes: number, start: number): number {
  let window = 0
  for (let position = start; position < start + KEY_WINDOW_SIZE_BYTES; position++) {
    window = window * 256 + (position < keySizeBytes ? bytes[keyOffset + position] : 0)
  }
  return window
}

/** Windows over a sorted array of latin1 keys (an index's separators), for lowerBound. */
export class SortedKeyWindows {
  readonly #keys: readonly string[]
  readonly #prefix: string
  readonly #windows: Uint32Array

  /** `keys` must be ascending (decodeIndex checks it) and stay unchanged. */
  constructor(keys: readonly string[]) {
    this.#keys = keys
    const count = keys.length
    this.#prefix = count === 0 ? '' : keys[0].slice(0, sharedPrefixSizeBytes(keys[0], keys[count - 1]))
    this.#windows = new Uint32Array(count)
    const start = this.#prefix.length
    for (let i = 0; i < count; i++) this.#windows[i] = keyWindowOf(keys[i], start)
  }

  /** Index of the first key >= `key` (> `key` when strict), or the key count when none is. */
  lowerBound(key: string, strict: boolean): number {
    const keys = this.#keys
    const prefix = this.#prefix
    // Every key starts with the prefix: a key that does not sorts before or after all of them.
    if (!key.startsWith(prefix)) return key < prefix ? 0 : keys.length
    const target = keyWindowOf(key, prefix.length)
    const windows = this.#windows
    let low = 0
    let high = keys.length
    while (low < high) {
      const middle = (low + high) >>> 1
      const window = windows[middle]
      let before = window < target
      if (window === target) {
        const separator = keys[middle]
        before = separator < key || (strict && separator === key)
      }
      if (before) low = middle + 1
      else high = middle
    }
    return low
  }
}
