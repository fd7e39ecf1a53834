/**
 * TableProperties: the facts about a table that compaction, stats and verify need without
 * reading its data (docs/formats/table.md §5). Stored as named fields so a newer writer can add
 * fields an older reader skips; a field this reader needs and does not find is CORRUPTION, and a
 * field added after version 1 first shipped is optional (absent in older tables: unknown).
 */
import { StrataError, type StrataErrorDetails } from '../errors.ts'
import { ByteArena } from './arena.ts'
import { BLOCK_ITEM_COUNT_MAX, KEY_SIZE_BYTES_MAX } from './limits.ts'
import { ByteReader, VARINT_SIZE_BYTES_MAX } from './varint.ts'

/** What a table holds. Key bounds and seqno bounds cover point entries and range tombstones. */
export interface TableProperties {
  /** Table format version (footer). */
  formatVersion: number
  fileNumber: number
  /** Smallest point key or range-tombstone start; '' for an empty table. */
  smallestKey: string
  /**
   * Largest point key or range-tombstone end (an exclusive bound, so this key itself may be
   * absent); '' for an empty table.
   */
  largestKey: string
  /** Seqno bounds over every entry and range tombstone; 0 for an empty table. */
  smallestSeqno: number
  largestSeqno: number
  /** Point entries, every kind. */
  entryCount: number
  /** Point entries of kind Delete. */
  tombstoneCount: number
  /**
   * Point entries whose key equals the previous entry's: versions a newer one in this table
   * shadows (kept for a snapshot, or not yet merged away). Undefined for tables written before
   * the field existed: unknown, so compact() must assume there are some.
   */
  shadowedEntryCount?: number
  /** Point entries of kind BlobHandle. */
  blobHandleCount: number
  rangeTombstoneCount: number
  dataBlockCount: number
  /** Sum of key lengths of point entries. */
  rawKeySizeBytes: number
  /** Sum of value lengths of point entries (handle bytes for BlobHandle). */
  rawValueSizeBytes: number
  /** On-disk sizes of the regions. */
  dataSizeBytes: number
  indexSizeBytes: number
  filterSizeBytes: number
  /** Writer settings. */
  blockSizeBytes: number
  restartInterval: number
  filterBitsPerKey: number
  /** Wall-clock creation time, ms since the epoch. */
  creationTimeMs: number
  /** What wrote the table, e.g. "strata 0.1.0". */
  creator: string
}

type OptionalNumberField = 'shadowedEntryCount'
type NumberField = Exclude<keyof TableProperties, 'smallestKey' | 'largestKey' | 'creator' | OptionalNumberField>
type StringField = 'smallestKey' | 'largestKey' | 'creator'

const NUMBER_FIELDS: readonly NumberField[] = [
  'formatVersion', 'fileNumber', 'smallestSeqno', 'largestSeqno', 'entryCount', 'tombstoneCount',
  'blobHandleCount', 'rangeTombstoneCount', 'dataBlockCount', 'rawKeySizeBytes', 'rawValueSizeBytes',
  'dataSizeBytes', 'indexSizeBytes', 'filterSizeBytes', 'blockSizeBytes', 'restartInterval',
  'filterBitsPerKey', 'creationTimeMs',
]
const STRING_FIELDS: readonly StringField[] = ['smallestKey', 'largestKey', 'creator']
/** Fields added after tables without them were written: written when known, read when present. */
const OPTIONAL_NUMBER_FIELDS: readonly OptionalNumberField[] = ['shadowedEntryCount']

/** Property value types. */
const VALUE_TYPE_NUMBER = 0
const VALUE_TYPE_BYTES = 1

/**
 * Encodes the properties block: a count, then (name, type, value) triples in any order.
 *
 * | size | field      | encoding                                                    |
 * |-----:|------------|-------------------------------------------------------------|
 * |  1–2 | fieldCount | varint                                                      |
 * | then per field:                                                                |
 * |  1–2 | nameSize   | varint                                                      |
 * |    n | name       | ASCII, the TableProperties field name (e.g. "entryCount")   |
 * |    1 | valueType  | u8: 0 number, 1 bytes                                       |
 * |  1–8 | value      | type 0: varint (< 2^53)                                     |
 * |  1–3 + m | value  | type 1: varint size m, then m bytes (latin1 key or text)   |
 */
export function encodeProperties(properties: TableProperties): Uint8Array {
  const arena = new ByteArena(512 + properties.smallestKey.length + properties.largestKey.length)
  const numbers: [string, number][] = NUMBER_FIELDS.map((name) => [name, properties[name]])
  for (const name of OPTIONAL_NUMBER_FIELDS) {
    const value = properties[name]
    if (value !== undefined) numbers.push([name, value])
  }
  arena.reserve(VARINT_SIZE_BYTES_MAX)
  arena.varint(numbers.length + STRING_FIELDS.length)
  for (const [name, value] of numbers) {
    arena.reserve(2 * VARINT_SIZE_BYTES_MAX + name.length + 1)
    arena.varint(name.length)
    arena.latin1(name, 0)
    arena.u8(VALUE_TYPE_NUMBER)
    arena.varint(value)
  }
  for (const name of STRING_FIELDS) {
    const text = properties[name]
    arena.reserve(2 * VARINT_SIZE_BYTES_MAX + name.length + 1 + text.length)
    arena.varint(name.length)
    arena.latin1(name, 0)
    arena.u8(VALUE_TYPE_BYTES)
    arena.varint(text.length)
    arena.latin1(text, 0)
  }
  return arena.view()
}

/**
 * Decodes the properties block; unknown fields are skipped, missing required ones are
 * CORRUPTION, missing optional ones stay undefined.
 */
export function decodeProperties(raw: Uint8Array, details: StrataErrorDetails): TableProperties {
  const reader = new ByteReader(raw, `properties block of ${details.fileName}`, details)
  const fieldCount = reader.varint()
  if (fieldCount > BLOCK_ITEM_COUNT_MAX) reader.fail(`field count ${fieldCount} is too large`)
  const found = new Map<string, number | string>()
  for (let i = 0; i < fieldCount; i++) {
    const name = reader.latin1(reader.length(256))
    const valueType = reader.u8()
    if (valueType === VALUE_TYPE_NUMBER) found.set(name, reader.varint())
    else if (valueType === VALUE_TYPE_BYTES) found.set(name, reader.latin1(reader.length(KEY_SIZE_BYTES_MAX)))
    else reader.fail(`field ${name} has unknown value type ${valueType}`)
  }
  if (!reader.atEnd()) reader.fail(`${raw.length - reader.position} trailing bytes`)
  const properties = {} as Record<string, number | string>
  for (const name of [...NUMBER_FIELDS, ...STRING_FIELDS]) {
    const value = found.get(name)
    const expectedType = (NUMBER_FIELDS as readonly string[]).includes(name) ? 'number' : 'string'
    if (typeof value !== expectedType) {
      throw new StrataError('CORRUPTION', `Cannot decode properties block of ${details.fileName}: field ${name} is missing or mistyped`, { details })
    }
    properties[name] = value!
  }
  for (const name of OPTIONAL_NUMBER_FIELDS) {
    const value = found.get(name)
    if (value === undefined) continue
    if (typeof value !== 'number') {
      throw new StrataError('CORRUPTION', `Cannot decode properties block of ${details.fileName}: field ${name} is mistyped`, { details })
    }
    properties[name] = value
  }
  return properties as unknown as TableProperties
}
