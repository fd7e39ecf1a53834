/**
 * BlockBuilder: encodes sorted entries into one raw data block (docs/formats/table.md §2).
 * Keys are prefix-compressed against the previous key; every `restartInterval` entries, or
 * sooner once the entries since the last restart reach `restartSpanBytes`, a restart point
 * stores the full key so a reader can binary-search the restarts. The byte bound keeps the
 * linear part of a seek short when entries are large: with 256-byte values a 4 KiB block holds
 * ~14 entries, so a count of 16 left one restart per block and a seek decoded ~7 entries; with
 * the bound every entry is a restart and a seek is a binary search (docs/formats/table.md §2). The builder
 * writes into a reused arena and hands out a view of it; the caller (TableWriter) passes the
 * view to the block codec, which copies it, before adding the next entry.
 *
 * Data block entry:
 * | size | field          | encoding                                                  |
 * |-----:|----------------|-----------------------------------------------------------|
 * |  1–3 | sharedBytes    | varint: bytes shared with the previous key (0 at a restart) |
 * |  1–3 | unsharedBytes  | varint: key bytes that follow                             |
 * |  1–4 | valueSizeBytes | varint: value bytes (0 for a Delete)                      |
 * |    1 | kind           | u8: EntryKind (0 Delete, 1 Put, 2 BlobHandle)             |
 * |  1–8 | seqno          | varint, < 2^53                                            |
 * |    n | keySuffix      | the key's last `unsharedBytes` bytes                      |
 * |    m | value          | the value bytes                                           |
 * |    4 | kvChecksum     | u32 LE, table format version 2 only: kvChecksum(key, seqno, kind, value) |
 *
 * Block trailer, after the last entry:
 * | size | field          | encoding                                                  |
 * |-----:|----------------|-----------------------------------------------------------|
 * |  4·r | restartOffsets | u32 LE each: offset of a restart entry from block start; the first is 0 |
 * |    4 | restartCount   | u32 LE, r >= 1                                            |
 */
import assert from 'node:assert/strict'
import type { EntryKind } from '../entry.ts'
import { KV_CHECKSUM_SIZE_BYTES, NO_KV_CHECKSUM } from '../transform/kv-checksum.ts'
import { ByteArena } from './arena.ts'
import { VARINT_SIZE_BYTES_MAX } from './varint.ts'
import { RESTART_SPAN_BYTES_DEFAULT } from './limits.ts'

/** Bytes of the restart count at the end of a block. */
export const RESTART_COUNT_SIZE_BYTES = 4
/** Bytes of one restart offset. */
export const RESTART_OFFSET_SIZE_BYTES = 4
/** Upper bound on the fixed part of an entry: four varints and the kind byte. */
const ENTRY_HEADER_SIZE_BYTES_MAX = 3 * 5 + 1 + VARINT_SIZE_BYTES_MAX + KV_CHECKSUM_SIZE_BYTES

export class BlockBuilder {
  readonly #arena: ByteArena
  readonly #restartInterval: number
  readonly #restartSpanBytes: number
  readonly #restartOffsets: number[] = []
  #entryCountSinceRestart = 0
  #entryCount = 0
  #lastKey = ''
  /** Table format version 2: each entry ends with its per-KV checksum. */
  readonly #kvChecksums: boolean

  /**
   * `restartSpanBytes`: entry bytes after which the next entry starts a restart even before
   * `restartInterval` entries; Infinity restarts by count alone (as blocks written before the
   * bound, which readers read the same way).
   */
  constructor(restartInterval: number, blockSizeBytes: number, kvChecksums = false, restartSpanBytes = RESTART_SPAN_BYTES_DEFAULT) {
    assert(restartInterval >= 1)
    assert(restartSpanBytes >= 1)
    this.#restartInterval = restartInterval
    this.#restartSpanBytes = restartSpanBytes
    this.#kvChecksums = kvChecksums
    this.#arena = new ByteArena(blockSizeBytes * 2)
  }

  get entryCount(): number {
    return this.#entryCount
  }

  /** The last key added since the last reset. */
  get lastKey(): string {
    return this.#lastKey
  }

  /** Size of the block if finished now. */
  estimatedSizeBytes(): number {
    return this.#arena.sizeBytes + (this.#restartOffsets.length + 1) * RESTART_OFFSET_SIZE_BYTES
  }

  /**
   * Adds one entry; the caller keeps internal order. `kvChecksum` is the entry's per-KV checksum,
   * stored after it in a block of format version 2: the caller computes it from the same fields
   * (TableWriter compares it with the one its source yielded before handing it here).
   */
  add(key: string, seqno: number, kind: EntryKind, value: Uint8Array, kvChecksum = NO_KV_CHECKSUM): void {
    const arena = this.#arena
    let sharedBytes = 0
    const restartOffsets = this.#restartOffsets
    if (this.#entryCount === 0 || this.#entryCountSinceRestart === this.#restartInterval ||
      arena.sizeBytes - restartOffsets[restartOffsets.length - 1] >= this.#restartSpanBytes) {
      restartOffsets.push(arena.sizeBytes)
      this.#entryCountSinceRestart = 0
    } else {
      sharedBytes = sharedPrefixSizeBytes(this.#lastKey, key)
    }
    arena.reserve(ENTRY_HEADER_SIZE_BYTES_MAX + key.length - sharedBytes + value.length)
    arena.varint(sharedBytes)
    arena.varint(key.length - sharedBytes)
    arena.varint(value.length)
    arena.u8(kind)
    arena.varint(seqno)
    arena.latin1(key, sharedBytes)
    if (value.length > 0) arena.bytesOf(value)
    if (this.#kvChecksums) {
      if (kvChecksum === NO_KV_CHECKSUM) assert.fail('a block with per-KV checksums was handed an entry without one')
      arena.u32(kvChecksum)
    }
    this.#lastKey = key
    this.#entryCountSinceRestart++
    this.#entryCount++
  }

  /** Appends the restart array and returns the raw block: a view valid until reset(). */
  finish(): Uint8Array {
    assert(this.#entryCount > 0, 'a data block holds at least one entry')
    const arena = this.#arena
    arena.reserve((this.#restartOffsets.length + 1) * RESTART_OFFSET_SIZE_BYTES)
    for (const offset of this.#restartOffsets) arena.u32(offset)
    arena.u32(this.#restartOffsets.length)
    return arena.view()
  }

  reset(): void {
    this.#arena.reset()
    this.#restartOffsets.length = 0
    this.#entryCountSinceRestart = 0
    this.#entryCount = 0
    this.#lastKey = ''
  }
}

/** Number of leading characters `a` and `b` share. */
export function sharedPrefixSizeBytes(a: string, b: string): number {
  const limit = a.length < b.length ? a.length : b.length
  let i = 0
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return i
}
