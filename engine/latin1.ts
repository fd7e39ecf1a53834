/**
 * Typed access to Buffer's undocumented-in-types latin1 fast paths. `latin1Slice` and
 * `latin1Write` exist on every Node Buffer (they back `toString('latin1')` and
 * `write(s, 'latin1')` without the encoding dispatch) but @types/node does not declare them.
 */
import { Buffer } from 'node:buffer'

/** A Buffer with the latin1 methods declared. */
export interface Latin1Buffer extends Buffer {
  latin1Slice(startBytes: number, endBytes: number): string
  latin1Write(text: string, offsetBytes: number): number
}

/** `bytes` as a Latin1Buffer view (no copy); a Buffer is returned as it is. */
export function latin1View(bytes: Uint8Array): Latin1Buffer {
  if (Buffer.isBuffer(bytes)) return bytes as Latin1Buffer
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Latin1Buffer
}

// Buffer's native latin1Slice accepts any ArrayBufferView as `this` (node_buffer.cc checks
// IsArrayBufferView), so a plain Uint8Array is read without first wrapping it in a Buffer view.
const nativeLatin1Slice = (Buffer.prototype as Latin1Buffer).latin1Slice as (this: Uint8Array, startBytes: number, endBytes: number) => string

/**
 * The latin1 string of `bytes[startBytes, endBytes)`, for a Buffer or a plain Uint8Array alike.
 * Calling the native slice on a Uint8Array directly took 0.09 µs per 16-byte key against
 * 0.16-0.29 µs for latin1View(bytes).latin1Slice (a Buffer view allocated per call).
 */
export function latin1Slice(bytes: Uint8Array, startBytes: number, endBytes: number): string {
  if (endBytes - startBytes === LATIN1_FIXED_SIZE_BYTES) return latin1Of16(bytes, startBytes)
  return nativeLatin1Slice.call(bytes, startBytes, endBytes)
}

/**
 * Strings of this many bytes are built by one fixed-arity String.fromCharCode call instead of the
 * native latin1Slice, whose call into C++ dominates at key sizes: 44 ns against 102-106 ns a
 * 16-byte string (engine/latin1.bench.ts, two runs at load average ~4). 16 bytes is db_bench's
 * and the bench suite's default key size and a 128-bit id's; other
 * sizes keep the native call (a call with a spread array of codes, or two joined halves, loses
 * the gain: `fromCharCode.apply` took 203 ns, js-building-blocks.md §1).
 */
const LATIN1_FIXED_SIZE_BYTES = 16

/** The latin1 string of the 16 bytes at `startBytes` (see LATIN1_FIXED_SIZE_BYTES). */
function latin1Of16(bytes: Uint8Array, startBytes: number): string {
  const b = bytes
  const o = startBytes
  return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7],
    b[o + 8], b[o + 9], b[o + 10], b[o + 11], b[o + 12], b[o + 13], b[o + 14], b[o + 15])
}

/** A new uninitialised Latin1Buffer outside the pool (kept long, reused). */
export function allocLatin1(sizeBytes: number): Latin1Buffer {
  return Buffer.allocUnsafeSlow(sizeBytes) as Latin1Buffer
}

/**
 * Strings this long or shorter are written with a JS loop; longer ones with latin1Write, whose
 * native dispatch dominates at key sizes: 16-byte keys took 25-41 ns a key in the loop against
 * 55-78 ns through latin1Write (write batches), and a caller key 124-148 ns against 200-212 ns for
 * Buffer.from(key, 'latin1').
 */
const LATIN1_LOOP_SIZE_BYTES_MAX = 64

/**
 * Writes the characters of `text` from `startIndex` into `target` at `offsetBytes` as latin1
 * bytes and returns the offset after them; the caller made room.
 */
export function writeLatin1(target: Latin1Buffer, offsetBytes: number, text: string, startIndex = 0): number {
  if (text.length - startIndex <= LATIN1_LOOP_SIZE_BYTES_MAX) {
    let position = offsetBytes
    for (let i = startIndex; i < text.length; i++) target[position++] = text.charCodeAt(i)
    return position
  }
  return offsetBytes + target.latin1Write(startIndex === 0 ? text : text.slice(startIndex), offsetBytes)
}
