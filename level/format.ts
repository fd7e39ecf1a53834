/**
 * The three formats the adapter speaks natively (manifest `encodings`): abstract-level hands
 * the private API keys and values already encoded to one of them and expects output in the
 * format named by `keyEncoding` / `valueEncoding`. The engine takes strings (as UTF-8) and
 * Uint8Arrays as they are, and returns Buffers, so only output needs converting.
 */
import { Buffer } from 'node:buffer'

/** What abstract-level passes to (and expects back from) the private API. */
export type LevelFormat = 'buffer' | 'view' | 'utf8'

/** A key or value as the private API sees it. */
export type LevelBytes = string | Uint8Array

/** `bytes` from the engine in `format`. A Buffer is a Uint8Array, but `view` asks for a plain one. */
export function toFormat(bytes: Buffer, format: string): LevelBytes {
  if (format === 'utf8') return bytes.toString('utf8')
  if (format === 'view') return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return bytes
}
