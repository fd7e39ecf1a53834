/**
 * TableReader: reads one table written by TableWriter (docs/formats/table.md). Opening reads
 * the footer, then the index, filter, properties and range tombstones, and keeps them in memory
 * for the reader's life; data blocks are read on demand with the synchronous VfsFile.read
 * (readSync beats async reads 7–25x here, js-building-blocks.md §5) and kept in the shared
 * block cache when one is given. Every block passes through the codec, which verifies it first.
 *
 * get() returns a copy of the value, which the caller owns; values from iterators are views into
 * cached blocks: copy them before handing them to users. The blocks get() reads take their
 * buffers from the cache's pool and give them back when evicted (block-buffer-pool.ts), so no
 * view into one may outlive the get; a block an iterator takes is never recycled. A reader is
 * used from one thread; get() reuses one cursor.
 */
import { Buffer } from 'node:buffer'
import { StrataError } from '../errors.ts'
import type { EntryKind, RangeTombstone } from '../entry.ts'
import type { Vfs, VfsFile } from '../vfs/mod.ts'
import { BlockType, type BlockCodec } from '../transform/block-codec.ts'
import { PlainCodec } from '../transform/plain-codec.ts'
import { createBlockSlots, type BlockCache, type BlockSlots } from '../cache/mod.ts'
import { BlockCursor, decodeDataBlock, type DataBlock } from './block.ts'
import { decodeFilter, type BloomFilter } from './filter.ts'
import { murmur3Hash32 } from './key-hash.ts'
import { decodeFooter, FOOTER_SIZE_BYTES, TABLE_FORMAT_VERSION_KV_CHECKSUMS, type Footer } from './footer.ts'
import { checkHandle, decodeIndex, type BlockHandle, type TableIndex } from './index-block.ts'
import { decodeProperties, type TableProperties } from './properties.ts'
import { decodeRangeTombstones } from './range-tombstone-block.ts'
import { TableIterator, type TableIteratorOptions } from './table-iterator.ts'
import type { Readahead } from './readahead.ts'

/** Options of TableReader.open. */
export interface TableReaderOptions {
  /** Block transform; must match the writer's; default PlainCodec. */
  codec?: BlockCodec
  /** Shared cache of decoded data blocks; without one every get reads its block. */
  blockCache?: BlockCache
}

/** One version found by get(). `value` is a copy the caller owns. */
export interface TableGetResult {
  seqno: number
  kind: EntryKind
  value: Buffer
  /** Always true: tells a table's result from a memtable's, whose value is a view. */
  owned: true
}

/**
 * An open table.
 * @example
 * ```ts
 * const reader = TableReader.open(vfs, '/db/000007.sst', 7, { blockCache })
 * const found = reader.get('a', SEQNO_MAX)   // { seqno, kind, value } | undefined
 * reader.close()
 * ```
 */
export class TableReader {
  readonly path: string
  readonly fileNumber: number
  readonly properties: TableProperties
  /** Sorted by start, then seqno descending. Not applied by get() or iterators: callers apply them. */
  readonly rangeTombstones: readonly RangeTombstone[]
  readonly separatorKeys: readonly string[]
  /** Table format version 2: every entry carries a per-KV checksum, verified as it is read. */
  readonly kvChecksums: boolean
  readonly #file: VfsFile
  readonly #codec: BlockCodec
  readonly #blockCache: BlockCache | undefined
  /** This reader's entries of the block cache by block index: a hit skips the cache's Maps. */
  readonly #blockSlots: BlockSlots
  readonly #index: TableIndex
  readonly #filter: BloomFilter | undefined
  readonly #cursor = new BlockCursor()
  #closed = false

  private constructor(file: VfsFile, fileNumber: number, codec: BlockCodec, blockCache: BlockCache | undefined,
    parts: { index: TableIndex, filter: BloomFilter | undefined, properties: TableProperties, rangeTombstones: RangeTombstone[], kvChecksums: boolean }) {
    this.path = file.path
    this.fileNumber = fileNumber
    this.#file = file
    this.#codec = codec
    this.#blockCache = blockCache
    this.#index = parts.index
    this.#blockSlots = blockCache === undefined ? [] : createBlockSlots(parts.index.separatorKeys.length)
    this.#filter = parts.filter
    this.properties = parts.properties
    this.rangeTombstones = parts.rangeTombstones
    this.separatorKeys = parts.index.separatorKeys
    this.kvChecksums = parts.kvChecksums
  }

  /**
   * Opens the table at `path`. Throws NOT_FOUND / IO_ERROR from the Vfs, CORRUPTION for a
   * truncated or malformed file, CHECKSUM_MISMATCH (from the codec) for a damaged metadata
   * block, UNSUPPORTED_FORMAT_VERSION for another table format version.
   */
  static open(vfs: Vfs, path: string, fileNumber: number, options: TableReaderOptions = {}): TableReader {
    const file = vfs.openRead(path)
    try {
      const codec = options.codec ?? new PlainCodec()
      const parts = readMetadata(file, fileNumber, codec)
      return new TableReader(file, fileNumber, codec, options.blockCache, parts)
    } catch (error) {
      file.close()
      throw error
    }
  }

  /** False when the filter proves `key` absent; true when it may be present. */
  mayContain(key: string): boolean {
    return this.#filter === undefined || this.#filter.mayContain(key)
  }

  /**
   * The newest version of `key` with seqno <= `snapshotSeqno` (a Delete included), or
   * undefined. Range tombstones are not applied. `keyHash` is murmur3Hash32(key), the filter's
   * hash: a caller probing several tables for one key hashes it once. Throws CLOSED after
   * close(), and what a block read throws (CHECKSUM_MISMATCH, CORRUPTION, IO_ERROR).
   */
  get(key: string, snapshotSeqno: number, keyHash: number = murmur3Hash32(key)): TableGetResult | undefined {
    if (this.#closed) this.#throwClosed()
    // No check of `key` against the table's smallest and largest keys: the database checked them
    // (its L0 loop and findTable) before borrowing this reader, and a key outside them finds no
    // entry equal to it below. The two string comparisons took 55 ns a get in a loop of cached gets on one table.
    if (this.#filter !== undefined && !this.#filter.mayContainHash(keyHash)) return undefined
    const separatorKeys = this.#index.separatorKeys
    let blockIndex = this.#index.windows.lowerBound(key, false)
    if (blockIndex === separatorKeys.length) return undefined
    const cursor = this.#cursor
    cursor.attach(this.#loadForGet(blockIndex))
    // With per-KV checksums every entry get() decides on is verified, not just the one it
    // returns: seek() checks each entry it scans, the loop each later one, so a damaged key or
    // seqno cannot turn "found" into "absent" or into an older version.
    cursor.seek(key)
    const verify = this.kvChecksums
    for (;;) {
      if (!cursor.valid()) {
        // The key's versions may continue in the next block.
        if (++blockIndex === separatorKeys.length) return undefined
        cursor.attach(this.#loadForGet(blockIndex))
        cursor.seekToFirst()
        if (verify) cursor.verifyEntry()
      }
      if (!cursor.keyEquals(key)) return undefined
      // A copy: the block's buffer may be recycled once the cache evicts it.
      if (cursor.seqno() <= snapshotSeqno) return { seqno: cursor.seqno(), kind: cursor.kind(), value: cursor.valueCopy(), owned: true }
      cursor.next()
      if (verify && cursor.valid()) cursor.verifyEntry()
    }
  }

  /** Index of the first block whose separator is >= `key` (> `key` when strict), or the block count. */
  blockIndexOf(key: string, strict: boolean): number {
    return this.#index.windows.lowerBound(key, strict)
  }

  /**
   * An iterator over every version in the table. `onClose` runs once when it closes (e.g. to
   * release a file-cache handle). It reads ahead when it walks forward and, unless
   * `options.fillCache`, caches what it reads only into free cache capacity.
   */
  iterator(onClose?: () => void, options: TableIteratorOptions = {}): TableIterator {
    if (this.#closed) this.#throwClosed()
    return new TableIterator(this, onClose, options)
  }

  /**
   * The decoded data block `blockIndex` for an iterator, from the block cache or from the
   * readahead window, cached then only into free capacity unless `fillCache` (a block cut from a
   * larger window is copied first). An iterator keeps its blocks across awaits, so every block
   * it takes from the cache is marked shared (`ownBuffer` cleared): the cache never recycles its
   * buffer. The only other way to a data block is get()'s #loadForGet, whose blocks never leave it.
   */
  loadDataBlock(blockIndex: number, readahead: Readahead, fillCache: boolean): DataBlock {
    if (this.#closed) this.#throwClosed()
    const cache = this.#blockCache
    const cached = this.#cachedBlock(blockIndex)
    if (cached !== undefined) {
      cached.ownBuffer = undefined
      readahead.note(blockIndex)
      return cached
    }
    const offsetBytes = this.#index.offsetsBytes[blockIndex]
    const onDisk = readahead.read(this.#file, this.#index, blockIndex)
    const context = { fileNumber: this.fileNumber, blockType: BlockType.Data, fileName: this.path, offsetBytes }
    const raw = this.#codec.decode(onDisk, context)
    const block = decodeDataBlock(raw, this.path, offsetBytes, this.kvChecksums)
    if (cache !== undefined && (fillCache || cache.fits(block.chargeBytes))) {
      const owned = raw.buffer.byteLength > onDisk.length ? block.copy() : block
      cache.insert(this.fileNumber, offsetBytes, owned, owned.chargeBytes, this.#blockSlots, blockIndex)
    }
    return block
  }

  /** Block `blockIndex` from the block cache (through this reader's slot first), or undefined. */
  #cachedBlock(blockIndex: number): DataBlock | undefined {
    const cache = this.#blockCache
    if (cache === undefined) return undefined
    const slots = this.#blockSlots
    return (cache.getInSlot(slots, blockIndex) ?? cache.get(this.fileNumber, this.#index.offsetsBytes[blockIndex], slots, blockIndex)) as DataBlock | undefined
  }

  /**
   * Block `blockIndex` for get(): from the cache, or read alone, into a buffer from the cache's
   * pool, and cached, evicting others. The block may be recycled once evicted, so get() lets no
   * view into it out (it returns a copy of the value).
   */
  #loadForGet(blockIndex: number): DataBlock {
    if (this.#closed) this.#throwClosed()
    const cached = this.#cachedBlock(blockIndex)
    if (cached !== undefined) return cached
    // Built on a miss only: a cached get allocates nothing here.
    const handle = { offsetBytes: this.#index.offsetsBytes[blockIndex], sizeBytes: this.#index.sizesBytes[blockIndex] }
    const cache = this.#blockCache
    if (cache === undefined) return decodeDataBlock(readBlock(this.#file, this.fileNumber, this.#codec, handle, BlockType.Data), this.path, handle.offsetBytes, this.kvChecksums)
    return this.#readPooledBlock(cache, handle, blockIndex)
  }

  /**
   * A point get's miss: reads block `blockIndex` into a pooled buffer and caches it. The block
   * keeps the buffer as its `ownBuffer` when it views it (a codec that returns the payload in
   * place); a codec that decodes into a new buffer leaves the read buffer free at once.
   */
  #readPooledBlock(cache: BlockCache, handle: BlockHandle, blockIndex: number): DataBlock {
    const onDisk = cache.buffers.take(handle.sizeBytes)
    const raw = decodeBlockRead(this.#file, this.fileNumber, this.#codec, handle, BlockType.Data, onDisk)
    const inPlace = raw.buffer === onDisk.buffer
    const block = decodeDataBlock(raw, this.path, handle.offsetBytes, this.kvChecksums, inPlace ? onDisk.buffer : undefined)
    if (!inPlace) cache.buffers.give(onDisk.buffer)
    const chargeBytes = inPlace ? block.chargeKeepingBytes(onDisk.buffer) : block.chargeBytes
    cache.insert(this.fileNumber, handle.offsetBytes, block, chargeBytes, this.#blockSlots, blockIndex)
    return block
  }

  /** Closes the file; idempotent. Open iterators fail with CLOSED when they need another block. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#blockCache?.releaseSlots(this.fileNumber, this.#blockSlots)
    this.#cursor.detach()
    this.#file.close()
  }

  #throwClosed(): never {
    throw new StrataError('CLOSED', `Cannot read ${this.path}: table reader is closed`, { details: { fileName: this.path } })
  }
}

/** Reads the on-disk bytes of one block and decodes them through the codec. */
function readBlock(file: VfsFile, fileNumber: number, codec: BlockCodec, handle: BlockHandle, blockType: BlockType): Uint8Array {
  // Unzeroed and outside Buffer's pool: every byte is overwritten by the read (a short read
  // throws below), and a cached block keeps only its own buffer alive. The codec's view of a
  // Buffer is a Buffer, so decodeDataBlock needs no second wrapper.
  return decodeBlockRead(file, fileNumber, codec, handle, blockType, Buffer.allocUnsafeSlow(handle.sizeBytes))
}

/** Reads the on-disk bytes of one block into `onDisk` (exactly its size) and decodes them through the codec. */
function decodeBlockRead(file: VfsFile, fileNumber: number, codec: BlockCodec, handle: BlockHandle, blockType: BlockType, onDisk: Buffer): Uint8Array {
  const readBytes = file.read(onDisk, handle.offsetBytes)
  const context = { fileNumber, blockType, fileName: file.path, offsetBytes: handle.offsetBytes }
  if (readBytes !== handle.sizeBytes) {
    throw new StrataError('CORRUPTION', `Cannot read block at offset ${handle.offsetBytes} of ${file.path}: file ends after ${readBytes} of ${handle.sizeBytes} bytes`,
      { details: { fileName: file.path, offsetBytes: handle.offsetBytes, blockType } })
  }
  return codec.decode(onDisk, context)
}

function readMetadata(file: VfsFile, fileNumber: number, codec: BlockCodec) {
  const fileSizeBytes = file.sizeBytes()
  const details = { fileName: file.path, fileSizeBytes }
  if (fileSizeBytes < FOOTER_SIZE_BYTES) {
    throw new StrataError('CORRUPTION', `Cannot open ${file.path}: ${fileSizeBytes} bytes is shorter than a table footer`, { details })
  }
  const bodySizeBytes = fileSizeBytes - FOOTER_SIZE_BYTES
  const footerBytes = new Uint8Array(FOOTER_SIZE_BYTES)
  file.read(footerBytes, bodySizeBytes)
  const footer: Footer = decodeFooter(footerBytes, file.path, bodySizeBytes)
  checkHandle(footer.index, bodySizeBytes, 'index', details)
  checkHandle(footer.filter, bodySizeBytes, 'filter', details)
  checkHandle(footer.properties, bodySizeBytes, 'properties', details)
  checkHandle(footer.rangeTombstones, bodySizeBytes, 'range-tombstone', details)
  const read = (handle: BlockHandle, blockType: BlockType) => readBlock(file, fileNumber, codec, handle, blockType)
  const properties = decodeProperties(read(footer.properties, BlockType.Properties), details)
  const dataEndBytes = Math.min(footer.index.offsetBytes, footer.properties.offsetBytes,
    footer.filter.sizeBytes > 0 ? footer.filter.offsetBytes : Infinity,
    footer.rangeTombstones.sizeBytes > 0 ? footer.rangeTombstones.offsetBytes : Infinity)
  const index = decodeIndex(read(footer.index, BlockType.Index), details, dataEndBytes)
  const filter = footer.filter.sizeBytes > 0 ? decodeFilter(read(footer.filter, BlockType.Filter), details) : undefined
  const rangeTombstones = footer.rangeTombstones.sizeBytes > 0
    ? decodeRangeTombstones(read(footer.rangeTombstones, BlockType.RangeTombstones), details) : []
  const fail = (reason: string): never => {
    throw new StrataError('CORRUPTION', `Cannot open ${file.path}: ${reason}`, { details })
  }
  if (index.separatorKeys.length !== properties.dataBlockCount) fail(`index lists ${index.separatorKeys.length} blocks, properties ${properties.dataBlockCount}`)
  if (rangeTombstones.length !== properties.rangeTombstoneCount) fail(`${rangeTombstones.length} range tombstones, properties say ${properties.rangeTombstoneCount}`)
  if (properties.fileNumber !== fileNumber) fail(`table holds file number ${properties.fileNumber}, expected ${fileNumber}`)
  if (properties.formatVersion !== footer.formatVersion) fail(`properties say format version ${properties.formatVersion}, the footer ${footer.formatVersion}`)
  return { index, filter, properties, rangeTombstones, kvChecksums: footer.formatVersion === TABLE_FORMAT_VERSION_KV_CHECKSUMS }
}
