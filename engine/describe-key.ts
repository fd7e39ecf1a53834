/**
 * A key as the engine's error messages show it, in the form blobtree's describeKey gives its
 * byte keys (blobtree/blob-file/format.ts): quoted when printable ASCII, else hex, cut at 64
 * bytes so a message stays readable whatever the key. This one takes the engine's latin1 key
 * string (entry.ts), so a message costs no copy of the key into bytes unless it needs hex.
 */
import { Buffer } from 'node:buffer'

/** Key bytes a message shows; longer keys are cut and their size given. */
const KEY_TEXT_BYTES_MAX = 64

/**
 * The key as a message shows it.
 * @example
 * ```ts
 * describeKey('user:1')   // '"user:1"'
 * describeKey('\x00\xff') // '0x00ff'
 * ```
 */
export function describeKey(key: string): string {
  const shown = key.length > KEY_TEXT_BYTES_MAX ? key.slice(0, KEY_TEXT_BYTES_MAX) : key
  const more = key.length > KEY_TEXT_BYTES_MAX ? `… (${key.length} bytes)` : ''
  for (let i = 0; i < shown.length; i++) {
    const code = shown.charCodeAt(i)
    // Quotes and backslashes go to hex too, so a quoted key never needs escaping.
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return `0x${Buffer.from(shown, 'latin1').toString('hex')}${more}`
  }
  return `"${shown}"${more}`
}
