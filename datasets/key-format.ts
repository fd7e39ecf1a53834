/**
 * Key bytes from a key index: an 8-byte big-endian index followed by deterministic filler up to the
 * key size. Big-endian first means byte order equals index order, so `sequential` inserts arrive
 * sorted and a range [i, j) of indices is a range of keys. Every call returns a fresh array, because
 * engines may keep the key they were given (a memtable does).
 */

/** The index prefix: 8 bytes, so key sizes start here. */
export const KEY_SIZE_BYTES_MIN = 8
/** Keeps a mistyped parameter from allocating gigabytes per key. */
export const KEY_SIZE_BYTES_MAX = 4096

/** Checks a key size and returns it. */
export function checkKeySize(keySizeBytes: number): number {
  if (!Number.isInteger(keySizeBytes) || keySizeBytes < KEY_SIZE_BYTES_MIN || keySizeBytes > KEY_SIZE_BYTES_MAX) {
    throw new RangeError(`Key size must be an integer in [${KEY_SIZE_BYTES_MIN}, ${KEY_SIZE_BYTES_MAX}] bytes, got ${keySizeBytes}`)
  }
  return keySizeBytes
}

/**
 * Encodes key `index` (a safe integer ≥ 0) as `keySizeBytes` bytes.
 * @example
 * ```ts
 * encodeKey(1, 16) // 00 00 00 00 00 00 00 01 then 8 filler bytes
 * ```
 */
export function encodeKey(index: number, keySizeBytes: number): Uint8Array {
  const key = new Uint8Array(keySizeBytes)
  const high = Math.floor(index / 2 ** 32)
  const low = index >>> 0
  key[0] = high >>> 24; key[1] = (high >>> 16) & 0xff; key[2] = (high >>> 8) & 0xff; key[3] = high & 0xff
  key[4] = low >>> 24; key[5] = (low >>> 16) & 0xff; key[6] = (low >>> 8) & 0xff; key[7] = low & 0xff
  // Filler: printable bytes that vary with the index (like YCSB's "user…" digits), not zeros that a
  // prefix-compressing engine would fold away for free.
  let state = Math.imul(low ^ high, 0x9e3779b1) >>> 0
  for (let position = KEY_SIZE_BYTES_MIN; position < keySizeBytes; position++) {
    state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) >>> 0
    key[position] = 0x61 + (state % 26) // 'a'..'z'
  }
  return key
}

/** The index a key encodes (its first 8 bytes). */
export function decodeKeyIndex(key: Uint8Array): number {
  if (key.length < KEY_SIZE_BYTES_MIN) throw new RangeError(`Key of ${key.length} bytes is shorter than the ${KEY_SIZE_BYTES_MIN}-byte index`)
  const high = ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0
  const low = ((key[4] << 24) | (key[5] << 16) | (key[6] << 8) | key[7]) >>> 0
  return high * 2 ** 32 + low
}
