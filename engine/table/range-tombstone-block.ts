/**
 * The range-tombstone block: every RangeTombstone of the table, sorted by start key then seqno
 * descending (docs/formats/table.md §6). Tables hold few of them, so readers decode the whole
 * list at open and keep it in memory.
 */
import type { StrataErrorDetails } from '../errors.ts'
import type { RangeTombstone } from '../entry.ts'
import { ByteArena } from './arena.ts'
import { BLOCK_ITEM_COUNT_MAX, KEY_SIZE_BYTES_MAX } from './limits.ts'
import { ByteReader, VARINT_SIZE_BYTES_MAX } from './varint.ts'

/** Sort order of tombstones in the block: start ascending, then seqno descending. */
export function compareRangeTombstones(a: RangeTombstone, b: RangeTombstone): number {
  if (a.start < b.start) return -1
  if (a.start > b.start) return 1
  return b.seqno - a.seqno
}

/**
 * Encodes sorted range tombstones.
 *
 * | size | field     | encoding                                   |
 * |-----:|-----------|--------------------------------------------|
 * |  1–4 | count     | varint                                     |
 * | then per tombstone, in compareRangeTombstones order:        |
 * |  1–3 | startSize | varint                                     |
 * |    n | start     | latin1 bytes, inclusive                    |
 * |  1–3 | endSize   | varint                                     |
 * |    m | end       | latin1 bytes, exclusive; end > start       |
 * |  1–8 | seqno     | varint, < 2^53                             |
 */
export function encodeRangeTombstones(tombstones: readonly RangeTombstone[]): Uint8Array {
  const arena = new ByteArena(64)
  arena.reserve(VARINT_SIZE_BYTES_MAX)
  arena.varint(tombstones.length)
  for (const tombstone of tombstones) {
    arena.reserve(3 * VARINT_SIZE_BYTES_MAX + tombstone.start.length + tombstone.end.length)
    arena.varint(tombstone.start.length)
    arena.latin1(tombstone.start, 0)
    arena.varint(tombstone.end.length)
    arena.latin1(tombstone.end, 0)
    arena.varint(tombstone.seqno)
  }
  return arena.view()
}

/** Decodes the block; throws CORRUPTION when out of order or malformed. */
export function decodeRangeTombstones(raw: Uint8Array, details: StrataErrorDetails): RangeTombstone[] {
  const reader = new ByteReader(raw, `range-tombstone block of ${details.fileName}`, details)
  const count = reader.varint()
  if (count > BLOCK_ITEM_COUNT_MAX) reader.fail(`count ${count} exceeds ${BLOCK_ITEM_COUNT_MAX}`)
  const tombstones: RangeTombstone[] = []
  for (let i = 0; i < count; i++) {
    const start = reader.latin1(reader.length(KEY_SIZE_BYTES_MAX))
    const end = reader.latin1(reader.length(KEY_SIZE_BYTES_MAX))
    const seqno = reader.varint()
    const tombstone = { start, end, seqno }
    if (!(start < end)) reader.fail(`tombstone ${i} is empty or inverted`)
    if (i > 0 && compareRangeTombstones(tombstones[i - 1], tombstone) > 0) reader.fail(`tombstone ${i} out of order`)
    tombstones.push(tombstone)
  }
  if (!reader.atEnd()) reader.fail(`${raw.length - reader.position} trailing bytes`)
  return tombstones
}
