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

/** A new uninitialised Latin1Buffer outside the pool (kept long, reused). */
export function allocLatin1(sizeBytes: number): Latin1Buffer {
  return Buffer.allocUnsafeSlow(sizeBytes) as Latin1Buffer
}
