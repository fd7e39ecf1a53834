/**
 * Little-endian reads straight from a byte array, for hot decode paths: a DataView over a
 * view's range is an allocation per call (blob frame headers and block envelopes are parsed
 * once per read).
 */

/** The u32 LE at `offset` (caller checks bounds). */
export function u32At(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16)) + bytes[offset + 3] * 2 ** 24
}

/** The u64 LE at `offset` as a number (exact below 2^53; callers bound what they accept). */
export function u64At(bytes: Uint8Array, offset: number): number {
  return u32At(bytes, offset) + u32At(bytes, offset + 4) * 2 ** 32
}
