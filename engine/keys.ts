/**
 * Conversion of caller keys and values at the API boundary. Callers pass Uint8Array (Buffers
 * included) or strings (encoded as UTF-8); inside, keys are latin1 strings (entry.ts).
 */
import { Buffer } from 'node:buffer'
import { StrataError } from './errors.ts'
import { KEY_SIZE_BYTES_MAX, VALUE_SIZE_BYTES_MAX } from './limits.ts'
import { keyToString } from './entry.ts'
import { writeLatin1, type Latin1Buffer } from './latin1.ts'

/** What the public API accepts as a key or value. */
export type BytesLike = Uint8Array | string

/**
 * Validates a caller key and returns its internal latin1 form. Throws INVALID_ARGUMENT.
 * The empty key is a valid key (as in LevelDB and RocksDB): it sorts before every other key,
 * and abstract-level's compliance suite stores it.
 */
export function toInternalKey(key: unknown, action: string, opIndex?: number): string {
  let bytes: Uint8Array
  if (key instanceof Uint8Array) bytes = key
  else if (typeof key === 'string') bytes = Buffer.from(key, 'utf8')
  else {
    throw new StrataError('INVALID_ARGUMENT', `Cannot ${describeAction(action, opIndex)}: key must be a Uint8Array or string, got ${describeType(key)}`)
  }
  if (bytes.length > KEY_SIZE_BYTES_MAX) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot ${describeAction(action, opIndex)}: key of ${bytes.length} bytes exceeds ${KEY_SIZE_BYTES_MAX}`)
  }
  return keyToString(bytes)
}

/** Validates a caller value and returns its bytes (not copied). Throws INVALID_ARGUMENT. */
export function toValueBytes(value: unknown, action: string, opIndex?: number): Uint8Array {
  let bytes: Uint8Array
  if (value instanceof Uint8Array) bytes = value
  else if (typeof value === 'string') bytes = Buffer.from(value, 'utf8')
  else {
    throw new StrataError('INVALID_ARGUMENT', `Cannot ${describeAction(action, opIndex)}: value must be a Uint8Array or string, got ${describeType(value)}`)
  }
  if (bytes.length > VALUE_SIZE_BYTES_MAX) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot ${describeAction(action, opIndex)}: value of ${bytes.length} bytes exceeds ${VALUE_SIZE_BYTES_MAX}`)
  }
  return bytes
}

/**
 * The action an error message names, with the batch op it failed at. Built only when a message
 * is: formatting "write batch (op i)" for every op up front cost two strings per op on the
 * write path.
 */
function describeAction(action: string, opIndex: number | undefined): string {
  return opIndex === undefined ? action : `${action} (op ${opIndex})`
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** An internal key back to a Buffer for the caller. */
export function toCallerKey(key: string): Buffer {
  const bytes = Buffer.allocUnsafe(key.length) as Latin1Buffer
  writeLatin1(bytes, 0, key)
  return bytes
}

/** A copy of stored bytes for the caller: stored bytes may be views into cached blocks. */
export function toCallerValue(value: Uint8Array): Buffer {
  return Buffer.from(value)
}
