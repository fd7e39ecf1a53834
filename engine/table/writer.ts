/**
 * TableWriter: writes one sorted table (docs/formats/table.md) to a VfsFile. Entries arrive in
 * internal order (key ascending, seqno descending); range tombstones in any order. Encoded
 * blocks are batched and appended in one call per `writeBufferBytes` (one syscall per 4 KiB
 * block would cap the writer; js-building-blocks.md §2). `finish()` writes the metadata blocks
 * and the footer, then syncs. The caller owns the file: it closes it (and, on failure, removes it).
 * One writer per file; not reentrant.
 */
import { StrataError } from '../errors.ts'
import { EntryKind, compareInternal, isEntryKind, type RangeTombstone } from '../entry.ts'
import type { VfsFile } from '../vfs/mod.ts'
import { BlockType, type BlockCodec } from '../transform/block-codec.ts'
import { PlainCodec } from '../transform/plain-codec.ts'
import { BlockBuilder } from './block-builder.ts'
import { encodeFilter } from './filter.ts'
import { encodeFooter, TABLE_FORMAT_VERSION, TABLE_FORMAT_VERSION_KV_CHECKSUMS } from './footer.ts'
import { encodeIndex, shortestSeparator, type BlockHandle } from './index-block.ts'
import { murmur3Hash32 } from './key-hash.ts'
import { describeKey } from '../describe-key.ts'
import { kvChecksum, NO_KV_CHECKSUM } from '../transform/kv-checksum.ts'
import * as limits from './limits.ts'
import { encodeProperties, type TableProperties } from './properties.ts'
import { compareRangeTombstones, encodeRangeTombstones } from './range-tombstone-block.ts'

/** What wrote the table, recorded in its properties. */
export const TABLE_CREATOR = 'strata 0.1.0'

/** The job a table is written for, named in the writer's errors. */
export type TableJob = 'flush' | 'compaction' | 'rewrite'

/** Options of a TableWriter. */
export interface TableWriterOptions {
  /** The table's file number; bound into each block's context (and AAD, when encrypting). */
  fileNumber: number
  /** Block transform; default PlainCodec (checksum only). */
  codec?: BlockCodec
  /**
   * LSM level the table is written for (0 for a flush, the output level for a compaction),
   * passed to the codec in every BlockContext so a per-level compression policy can act on it.
   * Not recorded in the table. Default undefined (the codec's default compression).
   */
  level?: number
  /** Target raw size of a data block in bytes; default 4096, 256..4 MiB. */
  blockSizeBytes?: number
  /** Entries between restart points; default 16, 1..1024. */
  restartInterval?: number
  /**
   * Entry bytes after which a restart point comes before `restartInterval` entries; default 256,
   * 1..4 MiB. A span of at least the block size restarts by count alone.
   */
  restartSpanBytes?: number
  /** Bloom bits per key; default 10; 0 writes no filter; at most 32. */
  filterBitsPerKey?: number
  /** Bytes of encoded blocks gathered before one append; default 256 KiB. */
  writeBufferBytes?: number
  /** Creation time recorded in the properties, ms since the epoch; default Date.now(). */
  creationTimeMs?: number
  /**
   * Store a per-KV checksum after every entry (table format version 2,
   * docs/per-kv-checksums.md). Default false: format version 1, byte for byte as before.
   */
  perKeyChecksums?: boolean
  /** The job writing the table, named in errors ("compaction output table …"); default none. */
  job?: TableJob
}

/** Largest level a table may be written for: the manifest stores a level as a u8. */
const LEVEL_MAX = 255

/** What finish() returns: the table's properties and its file size. */
export type FinishedTable = TableProperties & { sizeBytes: number }

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0')
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot create table writer: ${name} ${value} is outside ${min}..${max}`, { details: { [name]: value } })
  }
  return value
}

/**
 * Writes one table.
 * @example
 * ```ts
 * const writer = new TableWriter(vfs.create('/db/000007.sst'), { fileNumber: 7 })
 * writer.add('a', 5, EntryKind.Put, utf8('1'))
 * const properties = await writer.finish()
 * ```
 */
export class TableWriter {
  readonly #file: VfsFile
  readonly #codec: BlockCodec
  readonly #fileNumber: number
  readonly #level: number | undefined
  readonly #blockSizeBytes: number
  readonly #restartInterval: number
  readonly #filterBitsPerKey: number
  readonly #writeBufferBytes: number
  readonly #creationTimeMs: number
  readonly #formatVersion: number
  readonly #kvChecksums: boolean
  readonly #job: TableJob | undefined
  readonly #block: BlockBuilder
  #offsetBytes: number
  #pending: Uint8Array[] = []
  #pendingBytes = 0
  readonly #separatorKeys: string[] = []
  readonly #handles: BlockHandle[] = []
  /** Handle of the last flushed block, whose separator waits for the next key. */
  #unindexed: BlockHandle | undefined = undefined
  #unindexedLastKey = ''
  #hashes = new Uint32Array(1024)
  #hashCount = 0
  readonly #rangeTombstones: RangeTombstone[] = []
  #lastKey = ''
  #lastSeqno = 0
  #firstKey: string | undefined = undefined
  #finished = false
  readonly #stats = {
    entryCount: 0, tombstoneCount: 0, shadowedEntryCount: 0, blobHandleCount: 0, rawKeySizeBytes: 0, rawValueSizeBytes: 0,
    smallestSeqno: Infinity, largestSeqno: -Infinity, dataSizeBytes: 0,
  }

  constructor(file: VfsFile, options: TableWriterOptions) {
    this.#file = file
    this.#codec = options.codec ?? new PlainCodec()
    this.#fileNumber = checkRange('fileNumber', options.fileNumber, 0, Number.MAX_SAFE_INTEGER)
    this.#level = options.level === undefined ? undefined : checkRange('level', options.level, 0, LEVEL_MAX)
    this.#blockSizeBytes = checkRange('blockSizeBytes', options.blockSizeBytes ?? limits.DATA_BLOCK_SIZE_BYTES_DEFAULT,
      limits.DATA_BLOCK_SIZE_BYTES_MIN, limits.DATA_BLOCK_SIZE_BYTES_MAX)
    this.#restartInterval = checkRange('restartInterval', options.restartInterval ?? limits.RESTART_INTERVAL_DEFAULT,
      limits.RESTART_INTERVAL_MIN, limits.RESTART_INTERVAL_MAX)
    this.#filterBitsPerKey = checkRange('filterBitsPerKey', options.filterBitsPerKey ?? limits.FILTER_BITS_PER_KEY_DEFAULT,
      0, limits.FILTER_BITS_PER_KEY_MAX)
    this.#writeBufferBytes = checkRange('writeBufferBytes', options.writeBufferBytes ?? limits.WRITE_BUFFER_BYTES_DEFAULT, 0, 2 ** 30)
    this.#creationTimeMs = options.creationTimeMs ?? Date.now()
    const perKeyChecksums = options.perKeyChecksums ?? false
    this.#formatVersion = perKeyChecksums ? TABLE_FORMAT_VERSION_KV_CHECKSUMS : TABLE_FORMAT_VERSION
    this.#kvChecksums = perKeyChecksums
    this.#job = options.job
    const restartSpanBytes = checkRange('restartSpanBytes', options.restartSpanBytes ?? limits.RESTART_SPAN_BYTES_DEFAULT,
      limits.RESTART_SPAN_BYTES_MIN, limits.RESTART_SPAN_BYTES_MAX)
    this.#block = new BlockBuilder(this.#restartInterval, this.#blockSizeBytes, perKeyChecksums, restartSpanBytes)
    this.#offsetBytes = 0
    // The index requires data blocks to start at offset 0 (docs/formats/table.md §3).
    if (file.sizeBytes() !== 0) this.#invalid(`file already holds ${file.sizeBytes()} bytes`)
  }

  /** Point entries added so far. */
  get entryCount(): number {
    return this.#stats.entryCount
  }

  /** Bytes the table would take if finished now, without its metadata (for splitting outputs). */
  estimatedSizeBytes(): number {
    return this.#offsetBytes + this.#block.estimatedSizeBytes()
  }

  /**
   * Adds one entry. Throws INVALID_ARGUMENT when out of internal order, oversized, or after
   * finish(). `value` is copied before add() returns.
   *
   * `sourceChecksum` is the per-KV checksum the entry's source iterator yielded with it
   * (InternalIterator.checksum(), forwarded by the merge), or NO_KV_CHECKSUM. When given, the
   * CRC of the fields handed in must equal it, else the entry is refused with CORRUPTION before
   * any of it is written: between the source and here the entry travels as separate references
   * (key, seqno, kind, value), and a merge bug that paired them wrongly would otherwise be
   * written with a CRC computed from the wrong pairing (docs/per-kv-checksums.md §2).
   */
  add(key: string, seqno: number, kind: EntryKind, value: Uint8Array, sourceChecksum = NO_KV_CHECKSUM): void {
    const stats = this.#stats
    if (stats.entryCount > 0 && compareInternal(this.#lastKey, this.#lastSeqno, key, seqno) >= 0) {
      this.#invalid(`entry (${JSON.stringify(key)}, ${seqno}) does not sort after (${JSON.stringify(this.#lastKey)}, ${this.#lastSeqno})`)
    }
    this.#checkEntry(key, seqno, kind, value)
    // One CRC serves both the check and the table (format version 2): no second computation.
    // A source with CRCs and a table without (the option turned off) still gets the check.
    const checksum = this.#kvChecksums || sourceChecksum !== NO_KV_CHECKSUM ? kvChecksum(key, seqno, kind, value) : NO_KV_CHECKSUM
    if (checksum !== sourceChecksum && sourceChecksum !== NO_KV_CHECKSUM) this.#sourceMismatch(key, seqno, kind, checksum, sourceChecksum)
    if (this.#firstKey === undefined) this.#firstKey = key
    if (this.#unindexed !== undefined) this.#indexPendingBlock(key)
    // The filter holds each key once; a repeated key is a version the previous entry shadows.
    if (stats.entryCount === 0 || key !== this.#lastKey) this.#addHash(key)
    else stats.shadowedEntryCount++
    this.#block.add(key, seqno, kind, value, checksum)
    this.#lastKey = key
    this.#lastSeqno = seqno
    stats.entryCount++
    if (kind === EntryKind.Delete) stats.tombstoneCount++
    else if (kind === EntryKind.BlobHandle) stats.blobHandleCount++
    stats.rawKeySizeBytes += key.length
    stats.rawValueSizeBytes += value.length
    if (seqno < stats.smallestSeqno) stats.smallestSeqno = seqno
    if (seqno > stats.largestSeqno) stats.largestSeqno = seqno
    if (this.#block.estimatedSizeBytes() >= this.#blockSizeBytes) this.#flushBlock()
  }

  /** Records a range tombstone deleting [start, end) below `seqno`. Throws INVALID_ARGUMENT when empty. */
  addRangeTombstone(tombstone: RangeTombstone): void {
    if (this.#finished) this.#invalid('writer already finished')
    if (!(tombstone.start < tombstone.end)) this.#invalid(`range tombstone [${JSON.stringify(tombstone.start)}, ${JSON.stringify(tombstone.end)}) is empty`)
    if (!Number.isSafeInteger(tombstone.seqno) || tombstone.seqno < 0) this.#invalid(`range tombstone seqno ${tombstone.seqno} is not a safe integer`)
    if (Math.max(tombstone.start.length, tombstone.end.length) > limits.KEY_SIZE_BYTES_MAX) this.#invalid('range tombstone key too long')
    this.#rangeTombstones.push({ start: tombstone.start, end: tombstone.end, seqno: tombstone.seqno })
  }

  /**
   * Writes the last data block, filter, range tombstones, index, properties and footer, then
   * syncs the file. Returns the table's properties and size. The writer is unusable after.
   * Throws IO_ERROR as the file does.
   */
  async finish(): Promise<FinishedTable> {
    if (this.#finished) this.#invalid('writer already finished')
    this.#finished = true
    if (this.#block.entryCount > 0) this.#flushBlock()
    if (this.#unindexed !== undefined) {
      this.#separatorKeys.push(this.#unindexedLastKey)
      this.#handles.push(this.#unindexed)
      this.#unindexed = undefined
    }
    const none: BlockHandle = { offsetBytes: 0, sizeBytes: 0 }
    const filter = this.#filterBitsPerKey > 0
      ? this.#writeBlock(encodeFilter(this.#hashes, this.#hashCount, this.#filterBitsPerKey), BlockType.Filter) : none
    this.#rangeTombstones.sort(compareRangeTombstones)
    const rangeTombstones = this.#rangeTombstones.length > 0
      ? this.#writeBlock(encodeRangeTombstones(this.#rangeTombstones), BlockType.RangeTombstones) : none
    const index = this.#writeBlock(encodeIndex(this.#separatorKeys, this.#handles), BlockType.Index)
    const properties = this.#properties(index.sizeBytes, filter.sizeBytes)
    const propertiesHandle = this.#writeBlock(encodeProperties(properties), BlockType.Properties)
    const footer = encodeFooter({ formatVersion: this.#formatVersion, index, filter, properties: propertiesHandle, rangeTombstones })
    this.#pending.push(footer)
    this.#offsetBytes += footer.length
    this.#flushPending()
    await this.#file.sync()
    return { ...properties, sizeBytes: this.#offsetBytes }
  }

  #properties(indexSizeBytes: number, filterSizeBytes: number): TableProperties {
    const stats = this.#stats
    let smallestKey = stats.entryCount > 0 ? this.#firstKey : undefined
    let largestKey = stats.entryCount > 0 ? this.#lastKey : undefined
    let smallestSeqno = stats.smallestSeqno
    let largestSeqno = stats.largestSeqno
    for (const tombstone of this.#rangeTombstones) {
      if (smallestKey === undefined || tombstone.start < smallestKey) smallestKey = tombstone.start
      if (largestKey === undefined || tombstone.end > largestKey) largestKey = tombstone.end
      if (tombstone.seqno < smallestSeqno) smallestSeqno = tombstone.seqno
      if (tombstone.seqno > largestSeqno) largestSeqno = tombstone.seqno
    }
    return {
      formatVersion: this.#formatVersion,
      fileNumber: this.#fileNumber,
      smallestKey: smallestKey ?? '',
      largestKey: largestKey ?? '',
      smallestSeqno: Number.isFinite(smallestSeqno) ? smallestSeqno : 0,
      largestSeqno: Number.isFinite(largestSeqno) ? largestSeqno : 0,
      entryCount: stats.entryCount,
      tombstoneCount: stats.tombstoneCount,
      shadowedEntryCount: stats.shadowedEntryCount,
      blobHandleCount: stats.blobHandleCount,
      rangeTombstoneCount: this.#rangeTombstones.length,
      dataBlockCount: this.#handles.length,
      rawKeySizeBytes: stats.rawKeySizeBytes,
      rawValueSizeBytes: stats.rawValueSizeBytes,
      dataSizeBytes: stats.dataSizeBytes,
      indexSizeBytes,
      filterSizeBytes,
      blockSizeBytes: this.#blockSizeBytes,
      restartInterval: this.#restartInterval,
      filterBitsPerKey: this.#filterBitsPerKey,
      creationTimeMs: this.#creationTimeMs,
      creator: TABLE_CREATOR,
    }
  }


  #checkEntry(key: string, seqno: number, kind: EntryKind, value: Uint8Array): void {
    if (this.#finished) this.#invalid('writer already finished')
    if (!Number.isSafeInteger(seqno) || seqno < 0) this.#invalid(`seqno ${seqno} is not a safe non-negative integer`)
    if (!isEntryKind(kind)) this.#invalid(`kind ${kind} is not an EntryKind`)
    if (key.length > limits.KEY_SIZE_BYTES_MAX) this.#invalid(`key of ${key.length} bytes exceeds ${limits.KEY_SIZE_BYTES_MAX}`)
    if (value.length > limits.VALUE_SIZE_BYTES_MAX) this.#invalid(`value of ${value.length} bytes exceeds ${limits.VALUE_SIZE_BYTES_MAX}`)
  }

  /**
   * A typed error, not an assertion: the mismatch may be our bug or memory damaged after the
   * source verified the entry, and either way the job must fail (the store turns read-only)
   * without the entry being written, as a source's CHECKSUM_MISMATCH fails it.
   */
  #sourceMismatch(key: string, seqno: number, kind: EntryKind, computed: number, source: number): never {
    const fileName = this.#file.path
    const table = this.#job === undefined ? `table ${fileName}` : `${this.#job} output table ${fileName}`
    throw new StrataError('CORRUPTION',
      `Cannot write ${table}: entry ${describeKey(key)} at seqno ${seqno} does not match the per-KV checksum its source yielded ` +
      `(0x${hex32(computed)} computed from the fields handed to the writer, 0x${hex32(source)} from the source)`,
      { details: { fileName, fileNumber: this.#fileNumber, job: this.#job ?? 'table write', key: describeKey(key), seqno, kind } })
  }

  #invalid(reason: string): never {
    throw new StrataError('INVALID_ARGUMENT', `Cannot write table ${this.#file.path}: ${reason}`, { details: { fileName: this.#file.path } })
  }

  #addHash(key: string): void {
    if (this.#filterBitsPerKey === 0) return
    if (this.#hashCount === this.#hashes.length) {
      const grown = new Uint32Array(this.#hashes.length * 2)
      grown.set(this.#hashes)
      this.#hashes = grown
    }
    this.#hashes[this.#hashCount++] = murmur3Hash32(key)
  }

  /** The block before `nextKey` gets a separator between its last key and `nextKey`. */
  #indexPendingBlock(nextKey: string): void {
    this.#separatorKeys.push(shortestSeparator(this.#unindexedLastKey, nextKey))
    this.#handles.push(this.#unindexed!)
    this.#unindexed = undefined
  }

  #flushBlock(): void {
    this.#unindexedLastKey = this.#block.lastKey
    const handle = this.#writeBlock(this.#block.finish(), BlockType.Data)
    this.#stats.dataSizeBytes += handle.sizeBytes
    this.#unindexed = handle
    this.#block.reset()
  }

  /** Encodes `raw` through the codec and queues it; returns its handle. */
  #writeBlock(raw: Uint8Array, blockType: BlockType): BlockHandle {
    const offsetBytes = this.#offsetBytes
    const encoded = this.#codec.encode(raw, { fileNumber: this.#fileNumber, blockType, fileName: this.#file.path, offsetBytes, level: this.#level })
    if (encoded.length > limits.BLOCK_SIZE_BYTES_MAX) this.#invalid(`block of ${encoded.length} bytes exceeds ${limits.BLOCK_SIZE_BYTES_MAX}`)
    this.#pending.push(encoded)
    this.#pendingBytes += encoded.length
    this.#offsetBytes += encoded.length
    if (this.#pendingBytes >= this.#writeBufferBytes) this.#flushPending()
    return { offsetBytes, sizeBytes: encoded.length }
  }

  #flushPending(): void {
    if (this.#pending.length === 0) return
    this.#file.append(this.#pending)
    this.#pending = []
    this.#pendingBytes = 0
  }
}
