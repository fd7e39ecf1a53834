/**
 * The index block: one entry per data block, in file order (docs/formats/table.md §3). A reader
 * decodes it once at open into parallel arrays (separator strings, offsets, sizes) and binary-
 * searches the separators' windows (key-windows.ts); the index stays in memory for the
 * reader's life.
 */
import { StrataError, type StrataErrorDetails } from '../errors.ts'
import { ByteArena } from './arena.ts'
import { BLOCK_ITEM_COUNT_MAX, BLOCK_SIZE_BYTES_MAX, KEY_SIZE_BYTES_MAX } from './limits.ts'
import { ByteReader, VARINT_SIZE_BYTES_MAX } from './varint.ts'
import { SortedKeyWindows } from './key-windows.ts'

/** Where a block lives: its on-disk (codec-encoded) bytes. */
export interface BlockHandle {
  offsetBytes: number
  sizeBytes: number
}

/** The decoded index. `separatorKeys[i]` >= the last key of block i and < the first key of block i + 1 (or equal to it when one key's versions span both). */
export interface TableIndex {
  separatorKeys: string[]
  offsetsBytes: Float64Array
  sizesBytes: Uint32Array
  /** The separators' windows: lowerBound over them reads few separator strings. */
  windows: SortedKeyWindows
}

/**
 * Encodes the index block.
 *
 * | size | field          | encoding                                       |
 * |-----:|----------------|------------------------------------------------|
 * |  1–4 | blockCount     | varint                                         |
 * | then per data block, in file order:                                     |
 * |  1–3 | separatorSize  | varint, bytes of the separator key             |
 * |    n | separatorKey   | latin1 bytes                                   |
 * |  1–8 | offsetBytes    | varint, where the block's on-disk bytes start  |
 * |  1–5 | sizeBytes      | varint, the block's on-disk size               |
 */
export function encodeIndex(separatorKeys: readonly string[], handles: readonly BlockHandle[]): Uint8Array {
  const arena = new ByteArena(64 + separatorKeys.length * 32)
  arena.reserve(VARINT_SIZE_BYTES_MAX)
  arena.varint(separatorKeys.length)
  for (let i = 0; i < separatorKeys.length; i++) {
    const key = separatorKeys[i]
    arena.reserve(3 * VARINT_SIZE_BYTES_MAX + key.length)
    arena.varint(key.length)
    arena.latin1(key, 0)
    arena.varint(handles[i].offsetBytes)
    arena.varint(handles[i].sizeBytes)
  }
  return arena.view()
}

/** Smallest encoded index entry: separatorSize, offsetBytes and sizeBytes of one byte each. */
const INDEX_ENTRY_SIZE_BYTES_MIN = 3

/** Decodes the index block; throws CORRUPTION on anything out of order or out of range. */
export function decodeIndex(raw: Uint8Array, details: StrataErrorDetails, dataEndBytes: number): TableIndex {
  const reader = new ByteReader(raw, `index block of ${details.fileName}`, details)
  const blockCount = reader.varint()
  if (blockCount > BLOCK_ITEM_COUNT_MAX) reader.fail(`block count ${blockCount} exceeds ${BLOCK_ITEM_COUNT_MAX}`)
  // Each entry takes at least 3 bytes (three one-byte varints), which bounds a forged count
  // before the arrays below are allocated: 114 fuzzed bytes asked for 400 MB without this.
  if (blockCount * INDEX_ENTRY_SIZE_BYTES_MIN > raw.length - reader.position) reader.fail(`block count ${blockCount} exceeds what ${raw.length} bytes can hold`)
  const separatorKeys = new Array<string>(blockCount)
  const offsetsBytes = new Float64Array(blockCount)
  const sizesBytes = new Uint32Array(blockCount)
  let expectedOffsetBytes = 0
  for (let i = 0; i < blockCount; i++) {
    const key = reader.latin1(reader.length(KEY_SIZE_BYTES_MAX))
    const offsetBytes = reader.varint()
    const sizeBytes = reader.varint()
    if (i > 0 && !(separatorKeys[i - 1] <= key)) reader.fail(`separator ${i} sorts before separator ${i - 1}`)
    if (offsetBytes !== expectedOffsetBytes) reader.fail(`block ${i} starts at ${offsetBytes}, expected ${expectedOffsetBytes}`)
    if (sizeBytes > BLOCK_SIZE_BYTES_MAX || sizeBytes === 0) reader.fail(`block ${i} size ${sizeBytes} out of range`)
    if (offsetBytes + sizeBytes > dataEndBytes) reader.fail(`block ${i} ends past the data region at ${dataEndBytes}`)
    separatorKeys[i] = key
    offsetsBytes[i] = offsetBytes
    sizesBytes[i] = sizeBytes
    expectedOffsetBytes = offsetBytes + sizeBytes
  }
  if (!reader.atEnd()) reader.fail(`${raw.length - reader.position} trailing bytes`)
  return { separatorKeys, offsetsBytes, sizesBytes, windows: new SortedKeyWindows(separatorKeys) }
}

/**
 * A short key `s` with `last` <= s < `next` (LevelDB's FindShortestSeparator): the common
 * prefix plus one incremented byte when that fits, else `last` itself.
 */
export function shortestSeparator(last: string, next: string): string {
  const limit = Math.min(last.length, next.length)
  let i = 0
  while (i < limit && last.charCodeAt(i) === next.charCodeAt(i)) i++
  if (i >= limit) return last
  const byte = last.charCodeAt(i)
  if (byte < 0xff && byte + 1 < next.charCodeAt(i)) {
    return last.slice(0, i) + String.fromCharCode(byte + 1)
  }
  return last
}

/** Throws CORRUPTION unless `handle` lies inside [0, endBytes). */
export function checkHandle(handle: BlockHandle, endBytes: number, what: string, details: StrataErrorDetails): void {
  if (handle.sizeBytes > BLOCK_SIZE_BYTES_MAX || handle.offsetBytes + handle.sizeBytes > endBytes) {
    throw new StrataError('CORRUPTION', `Cannot open ${details.fileName}: ${what} block at ${handle.offsetBytes} of ${handle.sizeBytes} bytes lies outside the ${endBytes}-byte body`, { details })
  }
}
