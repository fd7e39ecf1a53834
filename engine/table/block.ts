/**
 * DataBlock and BlockCursor: the decoded form of a data block (format in block-builder.ts and
 * docs/formats/table.md §2) and a cursor that seeks and walks it.
 *
 * A DataBlock is what the block cache keeps: the raw bytes, checked once when read (restart
 * array, restart entry headers, restart key order) and never copied or parsed into strings:
 * a seek binary-searches the restart keys in place, then scans one restart interval comparing
 * bytes. Parsing every restart key into a latin1 string at read cost a string per restart per
 * block miss and cache bytes for the strings. A cursor rebuilds the current key in a scratch
 * buffer and turns it into a string only when asked.
 *
 * A seek's binary search runs over the restart keys' windows (key-windows.ts), built at decode.
 * Probing restart entries in place touched a new cache line per probe (4 probes in a block of
 * 15 restarts, 30% of a cached point get's CPU profile); the windows fit one line, and the search
 * reads an entry only where two windows tie.
 * A non-strict seek (every point get) lands on the restart holding the target key when that
 * restart starts the key's versions in the block (a flag set at decode), instead of on the
 * restart before it and stepping one entry forward: with the 256-byte span every entry of 256-byte
 * values is a restart, and the step decoded an entry on another cache line of the block.
 * Values are views into the block: callers must copy them before handing them to users.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { allocLatin1, latin1Slice, latin1View, type Latin1Buffer } from '../latin1.ts'
import { StrataError } from '../errors.ts'
import type { EntryKind } from '../entry.ts'
import { BLOCK_SIZE_BYTES_MAX, KEY_SIZE_BYTES_MAX } from './limits.ts'
import { RESTART_COUNT_SIZE_BYTES, RESTART_OFFSET_SIZE_BYTES } from './block-builder.ts'
import { kvChecksumOfRanges, KV_CHECKSUM_SIZE_BYTES, NO_KV_CHECKSUM } from '../transform/kv-checksum.ts'
import { KEY_WINDOW_SIZE_BYTES, keyWindowOf, keyWindowOfBytes } from './key-windows.ts'

const EMPTY = allocLatin1(0)

/** Fixed cost charged to the block cache per block, on top of its bytes (objects, arrays). */
const BLOCK_OVERHEAD_BYTES = 160
const NO_RESTARTS = new Uint32Array(0)
/**
 * Bit 31 of a restart's offset word in DataBlock.restarts: its entry is the first entry of its key
 * in the block. Offsets stay below BLOCK_SIZE_BYTES_MAX < 2^31, so the bit is free.
 */
const RESTART_FIRST_OF_KEY_FLAG = 0x80000000
const RESTART_OFFSET_MASK = 0x7fffffff
assert(BLOCK_SIZE_BYTES_MAX <= RESTART_OFFSET_MASK)

/** A decoded data block. Immutable; shared by the block cache and every cursor on it. */
export class DataBlock {
  readonly bytes: Latin1Buffer
  /** Where the entries end and the restart array begins. */
  readonly dataEndBytes: number
  readonly restartCount: number
  readonly fileName: string
  readonly offsetBytes: number
  /** Bytes after each entry's value: KV_CHECKSUM_SIZE_BYTES in a table of format version 2, else 0. */
  readonly entryTrailerBytes: number
  /** What the block costs the block cache: its bytes plus the objects around them. */
  readonly chargeBytes: number
  /** Size of the key prefix every restart key shares (set by decodeDataBlock). */
  restartPrefixSizeBytes = 0
  /**
   * Per restart i, at 2i the window of its key after the restart prefix and at 2i + 1 its entry's
   * offset, with RESTART_FIRST_OF_KEY_FLAG when no entry before it in the block holds its key;
   * after those, the restart prefix as windows (set by decodeDataBlock). Side by side so a
   * seek's prefix check, search and landing read one small array, not a prefix string, the window
   * array and the restart array at the block's end (a prefix string cost a cache miss per seek).
   */
  restarts: Uint32Array = NO_RESTARTS
  /** The block cache's CLOCK reference bit (CachedBlock): set on a hit, cleared by eviction. */
  referenced = false
  /**
   * The pooled read buffer `bytes` views, while only the cache and point gets can reach the
   * block (CachedBlock.ownBuffer): set by TableReader's point get, cleared when an iterator
   * takes the block or the cache recycles the buffer.
   */
  ownBuffer: ArrayBuffer | undefined = undefined

  constructor(bytes: Latin1Buffer, dataEndBytes: number, restartCount: number, fileName: string, offsetBytes: number, entryTrailerBytes: number) {
    this.bytes = bytes
    this.entryTrailerBytes = entryTrailerBytes
    this.dataEndBytes = dataEndBytes
    this.restartCount = restartCount
    this.fileName = fileName
    this.offsetBytes = offsetBytes
    this.chargeBytes = bytes.length + BLOCK_OVERHEAD_BYTES + 2 * restartCount * Uint32Array.BYTES_PER_ELEMENT
  }

  /** Offset of restart entry `restartIndex` (0..restartCount - 1) of a decoded block. */
  restartOffset(restartIndex: number): number {
    return this.restarts[2 * restartIndex + 1] & RESTART_OFFSET_MASK
  }

  /** True when the entry of restart `restartIndex` is the first entry of its key in this block. */
  restartIsFirstOfKey(restartIndex: number): boolean {
    return (this.restarts[2 * restartIndex + 1] & RESTART_FIRST_OF_KEY_FLAG) !== 0
  }

  /**
   * What the block costs the block cache when it keeps all of `buffer`, the pooled read buffer its
   * bytes view: the whole (class-sized) buffer, the objects around it, and the restart array
   * unless it sits in the buffer's slack.
   */
  chargeKeepingBytes(buffer: ArrayBuffer): number {
    return buffer.byteLength + BLOCK_OVERHEAD_BYTES + (this.restarts.buffer === buffer ? 0 : this.restarts.byteLength)
  }

  /** The same block over a private copy of its bytes, so caching it keeps no larger read buffer alive. */
  copy(): DataBlock {
    const bytes = allocLatin1(this.bytes.length)
    this.bytes.copy(bytes)
    const copy = new DataBlock(bytes, this.dataEndBytes, this.restartCount, this.fileName, this.offsetBytes, this.entryTrailerBytes)
    copy.restartPrefixSizeBytes = this.restartPrefixSizeBytes
    // Restarts in a pooled buffer go when the buffer is recycled: the copy takes its own.
    copy.restarts = this.restarts.buffer === this.bytes.buffer ? this.restarts.slice() : this.restarts
    return copy
  }

  /** Throws CORRUPTION locating the block. */
  corrupt(reason: string): never {
    throw new StrataError('CORRUPTION', `Cannot decode data block at offset ${this.offsetBytes} of ${this.fileName}: ${reason}`,
      { details: { fileName: this.fileName, offsetBytes: this.offsetBytes, blockType: 'data' } })
  }
}

/**
 * Checks a raw (codec-decoded, checksum-verified) data block: the restart array is in range and
 * ascending, every restart entry decodes within the block with a full key, and the restart keys
 * ascend. Nothing is copied or parsed into strings: seeks compare restart keys in place. Throws
 * CORRUPTION naming `fileName` and `offsetBytes`. `kvChecksums`: the table is of format version 2,
 * so each entry ends with a per-KV checksum (checked by BlockCursor.verifyEntry, not here).
 * `ownBuffer`: the pooled buffer `raw` views (DataBlock.ownBuffer); the restart array goes into
 * its bytes after `raw` when they have room, saving a second allocation per block read.
 */
export function decodeDataBlock(raw: Uint8Array, fileName: string, offsetBytes: number, kvChecksums = false, ownBuffer?: ArrayBuffer): DataBlock {
  const entryTrailerBytes = kvChecksums ? KV_CHECKSUM_SIZE_BYTES : 0
  const bytes = latin1View(raw)
  const sizeBytes = bytes.length
  if (sizeBytes < RESTART_COUNT_SIZE_BYTES + RESTART_OFFSET_SIZE_BYTES) {
    new DataBlock(bytes, 0, 0, fileName, offsetBytes, entryTrailerBytes).corrupt(`${sizeBytes} bytes is too short`)
  }
  const restartCount = bytes.readUInt32LE(sizeBytes - RESTART_COUNT_SIZE_BYTES)
  const trailerBytes = RESTART_COUNT_SIZE_BYTES + restartCount * RESTART_OFFSET_SIZE_BYTES
  const block = new DataBlock(bytes, sizeBytes - Math.min(trailerBytes, sizeBytes), restartCount, fileName, offsetBytes, entryTrailerBytes)
  block.ownBuffer = ownBuffer
  if (restartCount === 0 || trailerBytes > sizeBytes) block.corrupt(`restart count ${restartCount} does not fit ${sizeBytes} bytes`)
  const dataEndBytes = block.dataEndBytes
  if (keyOffsets.length < restartCount) {
    keyOffsets = new Int32Array(Math.max(restartCount, keyOffsets.length * 2))
    keySizes = new Int32Array(keyOffsets.length)
    firstOfKey = new Uint8Array(keyOffsets.length)
  }
  let previousOffset = -1
  let previousKeyOffset = 0
  let previousKeySizeBytes = 0
  let previousEntryEndBytes = 0
  for (let i = 0; i < restartCount; i++) {
    const offset = storedRestartOffset(block, i)
    if (offset >= dataEndBytes || offset <= previousOffset || (i === 0 && offset !== 0)) block.corrupt(`restart offset ${offset} out of order`)
    const keyOffset = restartKeyAt(block, offset)
    const keySizeBytes = restartKeySizeBytes
    const order = i === 0 ? -1 : compareRanges(bytes, previousKeyOffset, previousKeySizeBytes, keyOffset, keySizeBytes)
    if (order > 0) block.corrupt(`restart keys out of order at restart ${i}`)
    // First of its key when nothing comes before it, or when the interval before holds one
    // entry only (the previous restart's) and that entry's key is another one.
    firstOfKey[i] = i === 0 || (previousEntryEndBytes === offset && order !== 0) ? 1 : 0
    keyOffsets[i] = keyOffset
    keySizes[i] = keySizeBytes
    previousOffset = offset
    previousKeyOffset = keyOffset
    previousKeySizeBytes = keySizeBytes
    previousEntryEndBytes = restartEntryEndBytes
  }
  setRestartWindows(block, keyOffsets, keySizes, firstOfKey)
  if (CHECK_INVARIANTS) checkEntryOrder(block)
  return block
}

/** Offset of restart entry `restartIndex` as the restart array at the block's end stores it (u32 LE). */
function storedRestartOffset(block: DataBlock, restartIndex: number): number {
  const bytes = block.bytes
  const position = block.dataEndBytes + restartIndex * RESTART_OFFSET_SIZE_BYTES
  return (bytes[position] | (bytes[position + 1] << 8) | (bytes[position + 2] << 16)) + bytes[position + 3] * 0x1000000
}

/** Scratch of decodeDataBlock: where each restart key starts, its size, and whether its entry is the first of its key. Grown, never shrunk. */
let keyOffsets = new Int32Array(64)
let keySizes = new Int32Array(64)
let firstOfKey = new Uint8Array(64)

/**
 * Sets the block's restart prefix and `restarts` (windows and entry offsets, then the prefix) from
 * its checked, ascending restart keys. The keys are sorted, so the prefix all of them share is
 * the one the first and last share.
 */
function setRestartWindows(block: DataBlock, offsets: Int32Array, sizes: Int32Array, firstOfKeyFlags: Uint8Array): void {
  const bytes = block.bytes
  const last = block.restartCount - 1
  const limit = Math.min(sizes[0], sizes[last])
  let prefixSizeBytes = 0
  while (prefixSizeBytes < limit && bytes[offsets[0] + prefixSizeBytes] === bytes[offsets[last] + prefixSizeBytes]) prefixSizeBytes++
  block.restartPrefixSizeBytes = prefixSizeBytes
  const pairsEnd = 2 * block.restartCount
  const restarts = allocRestarts(block, pairsEnd + Math.ceil(prefixSizeBytes / KEY_WINDOW_SIZE_BYTES))
  for (let i = 0; i <= last; i++) {
    restarts[2 * i] = keyWindowOfBytes(bytes, offsets[i], sizes[i], prefixSizeBytes)
    restarts[2 * i + 1] = storedRestartOffset(block, i) | (firstOfKeyFlags[i] === 1 ? RESTART_FIRST_OF_KEY_FLAG : 0)
  }
  for (let start = 0; start < prefixSizeBytes; start += KEY_WINDOW_SIZE_BYTES) {
    restarts[pairsEnd + start / KEY_WINDOW_SIZE_BYTES] = keyWindowOfBytes(bytes, offsets[0], prefixSizeBytes, start)
  }
  block.restarts = restarts
}

/**
 * A restart array of `length` words: in the spare bytes of the block's pooled buffer after its
 * bytes when they fit (the pool rounds buffers up to a size class, so ~15 restarts of a 4 KiB
 * block usually do), else an array of its own. A small typed array is an ArrayBuffer of its
 * own, which cost ~1.5 µs here (`new Uint32Array(30)` beside each 4 KiB read buffer: 3.2 µs a
 * block against 1.6 without, in a loop keeping 7,400 blocks alive, the cache's shape).
 */
function allocRestarts(block: DataBlock, length: number): Uint32Array {
  const buffer = block.ownBuffer
  if (buffer !== undefined) {
    const bytes = block.bytes
    const startBytes = (bytes.byteOffset + bytes.length + 3) & ~3
    if (startBytes + 4 * length <= buffer.byteLength) return new Uint32Array(buffer, startBytes, length)
  }
  return new Uint32Array(length)
}

/**
 * Orders `key` against the block's restart prefix: 0 when `key` starts with it, else negative
 * (`key` sorts before every restart key) or positive (after every one). Compares the prefix's
 * windows, the last one cut to the prefix's end.
 */
function compareWithRestartPrefix(block: DataBlock, key: string): number {
  const prefixSizeBytes = block.restartPrefixSizeBytes
  const restarts = block.restarts
  let index = 2 * block.restartCount
  for (let start = 0; start < prefixSizeBytes; start += KEY_WINDOW_SIZE_BYTES) {
    const paddingBits = 8 * Math.max(0, start + KEY_WINDOW_SIZE_BYTES - prefixSizeBytes)
    const order = (keyWindowOf(key, start) >>> paddingBits) - (restarts[index++] >>> paddingBits)
    if (order !== 0) return order
  }
  // Equal windows and a shorter key: the key is the prefix's own prefix (windows pad with zeros).
  return key.length < prefixSizeBytes ? -1 : 0
}

/**
 * Index of the last restart whose key is < `key` (<= `key` when strict), or 0 when none is.
 * Only restart keys whose window ties with the target's are compared in place. Sets
 * `restartKeyMatched`: the returned restart's key equals `key`.
 */
let restartKeyMatched = false
function lastRestartBefore(block: DataBlock, key: string, strict: boolean): number {
  const last = block.restartCount - 1
  restartKeyMatched = false
  const prefixOrder = compareWithRestartPrefix(block, key)
  if (prefixOrder !== 0) return prefixOrder < 0 ? 0 : last
  const target = keyWindowOf(key, block.restartPrefixSizeBytes)
  const restarts = block.restarts
  const bytes = block.bytes
  let low = 0
  let high = last
  let matchedIndex = -1
  while (low < high) {
    const middle = (low + high + 1) >>> 1
    let order = target - restarts[2 * middle]
    if (order === 0) {
      const keyOffset = checkedRestartKeyAt(bytes, restarts[2 * middle + 1] & RESTART_OFFSET_MASK)
      order = compareWithBytes(key, bytes, keyOffset, restartKeySizeBytes)
      if (order === 0) matchedIndex = middle
    }
    if (order > 0 || (strict && order === 0)) low = middle
    else high = middle - 1
  }
  restartKeyMatched = low === matchedIndex
  return low
}

/**
 * Decodes the header of the restart entry at `offset` and returns where its key starts; sets
 * `restartKeySizeBytes`. A restart entry shares nothing with the key before it, so its whole key
 * lies in the block. Throws CORRUPTION for a header or an entry that runs past the data region.
 */
let restartKeySizeBytes = 0
/** Where the entry restartKeyAt decoded ends (its per-KV checksum included). */
let restartEntryEndBytes = 0
function restartKeyAt(block: DataBlock, offset: number): number {
  const bytes = block.bytes
  const dataEndBytes = block.dataEndBytes
  const sharedBytes = readVarint(bytes, offset, dataEndBytes, block)
  const unsharedBytes = readVarint(bytes, varintEnd, dataEndBytes, block)
  const valueSizeBytes = readVarint(bytes, varintEnd, dataEndBytes, block)
  const kindOffset = varintEnd
  if (kindOffset >= dataEndBytes) block.corrupt(`entry at byte ${offset} runs past byte ${dataEndBytes}`)
  readVarint(bytes, kindOffset + 1, dataEndBytes, block)
  const keyOffset = varintEnd
  if (sharedBytes !== 0) block.corrupt(`restart entry at byte ${offset} shares ${sharedBytes} bytes with no key before it`)
  if (unsharedBytes > KEY_SIZE_BYTES_MAX) block.corrupt(`key of ${unsharedBytes} bytes exceeds ${KEY_SIZE_BYTES_MAX}`)
  if (keyOffset + unsharedBytes + valueSizeBytes + block.entryTrailerBytes > dataEndBytes) block.corrupt(`entry at byte ${offset} runs past byte ${dataEndBytes}`)
  if (bytes[kindOffset] > 2) block.corrupt(`entry at byte ${offset} has unknown kind ${bytes[kindOffset]}`)
  restartKeySizeBytes = unsharedBytes
  restartEntryEndBytes = keyOffset + unsharedBytes + valueSizeBytes + block.entryTrailerBytes
  return keyOffset
}

/**
 * restartKeyAt for a restart entry decodeDataBlock already checked: the header's varints are
 * skipped without bounds or corruption checks (a seek's binary search spent 6% of a cached get
 * in those) and land where the checked decode did. Sets `restartKeySizeBytes`. Only for offsets
 * from the restart array of a decoded block.
 */
function checkedRestartKeyAt(bytes: Uint8Array, offset: number): number {
  let position = offset
  while (bytes[position++] >= 0x80); // sharedBytes, 0 at a restart (checked)
  let byte = bytes[position++]
  let unsharedBytes = byte & 0x7f
  for (let scale = 128; byte >= 0x80; scale *= 128) {
    byte = bytes[position++]
    unsharedBytes += (byte & 0x7f) * scale
  }
  while (bytes[position++] >= 0x80); // valueSizeBytes
  position++ // kind
  while (bytes[position++] >= 0x80); // seqno
  restartKeySizeBytes = unsharedBytes
  return position
}

/** Compares two byte ranges of `bytes` as latin1 strings would compare. */
function compareRanges(bytes: Uint8Array, aOffset: number, aSizeBytes: number, bOffset: number, bSizeBytes: number): number {
  const limit = aSizeBytes < bSizeBytes ? aSizeBytes : bSizeBytes
  for (let i = 0; i < limit; i++) {
    const difference = bytes[aOffset + i] - bytes[bOffset + i]
    if (difference !== 0) return difference
  }
  return aSizeBytes - bSizeBytes
}

/** Scans that cost a pass over data run only when STRATA_INVARIANTS=1 (every test run sets it). */
const CHECK_INVARIANTS = process.env.STRATA_INVARIANTS === '1'

/** Throws CORRUPTION unless the block's entries are in internal order (key ascending, seqno descending). */
function checkEntryOrder(block: DataBlock): void {
  const cursor = new BlockCursor()
  cursor.attach(block)
  let previousKey: string | undefined
  let previousSeqno = 0
  for (cursor.seekToFirst(); cursor.valid(); cursor.next()) {
    const key = cursor.key()
    if (previousKey !== undefined && (key < previousKey || (key === previousKey && cursor.seqno() >= previousSeqno))) {
      block.corrupt(`entry (${JSON.stringify(key)}, ${cursor.seqno()}) is out of internal order`)
    }
    previousKey = key
    previousSeqno = cursor.seqno()
  }
}

/** Reads one varint at `position` of a block; sets `varintEnd`. Bounded by `endBytes`. */
let varintEnd = 0
function readVarint(bytes: Latin1Buffer, position: number, endBytes: number, block: DataBlock): number {
  if (position >= endBytes) block.corrupt(`entry header runs past byte ${endBytes}`)
  let byte = bytes[position++]
  if (byte < 0x80) {
    varintEnd = position
    return byte
  }
  let value = byte & 0x7f
  let scale = 128
  for (let i = 1; i < 8; i++) {
    if (position >= endBytes) block.corrupt(`entry header runs past byte ${endBytes}`)
    byte = bytes[position++]
    value += (byte & 0x7f) * scale
    if (byte < 0x80) {
      varintEnd = position
      return value
    }
    scale *= 128
  }
  return block.corrupt(`varint longer than 8 bytes at byte ${position}`)
}

/**
 * Compares `target` with the `length` bytes of `bytes` as latin1 strings would compare:
 * negative when target sorts first, zero when equal, positive when after.
 */
function compareWithBytes(target: string, bytes: Uint8Array, offset: number, length: number): number {
  const limit = target.length < length ? target.length : length
  for (let i = 0; i < limit; i++) {
    const difference = target.charCodeAt(i) - bytes[offset + i]
    if (difference !== 0) return difference
  }
  return target.length - length
}

/**
 * The restart a seek starts scanning from: the last whose key is < `key` (<= `key` when strict),
 * so every entry before it sorts first. A non-strict seek starts at the restart whose key is
 * `key` when that entry is the first of its key in the block, skipping the entry before it.
 * Not with per-KV checksums (`verify`): there the seek must pass, and so verify, the entry
 * before, whose damaged key could have hidden a newer version of `key`.
 */
function seekStartRestart(block: DataBlock, key: string, strict: boolean, verify: boolean): number {
  if (strict || verify) return lastRestartBefore(block, key, strict)
  const restartIndex = lastRestartBefore(block, key, true)
  // No match: the last restart <= key is the last one < key, the scan's usual start.
  if (!restartKeyMatched || block.restartIsFirstOfKey(restartIndex)) return restartIndex
  return lastRestartBefore(block, key, false)
}

/** A position in one DataBlock. Reusable: attach() points it at another block. */
export class BlockCursor {
  #block: DataBlock | undefined = undefined
  #bytes: Latin1Buffer = EMPTY
  #valid = false
  /** Offset of the current entry, and of the one after it. */
  #entryOffset = 0
  #nextOffset = 0
  /** The restart interval holding the current entry, and where the next one starts (Infinity after the last). */
  #restartIndex = 0
  #nextRestartOffset = 0
  #keyBytes: Latin1Buffer = allocLatin1(256)
  #keySizeBytes = 0
  #keyString: string | undefined = undefined
  #seqno = 0
  #kind: EntryKind = 0
  #valueOffset = 0
  #valueSizeBytes = 0

  attach(block: DataBlock): void {
    this.#block = block
    this.#bytes = block.bytes
    this.#valid = false
  }

  detach(): void {
    this.#block = undefined
    this.#bytes = EMPTY
    this.#valid = false
  }

  valid(): boolean {
    return this.#valid
  }

  key(): string {
    let key = this.#keyString
    if (key === undefined) {
      key = latin1Slice(this.#keyBytes, 0, this.#keySizeBytes)
      this.#keyString = key
    }
    return key
  }

  /** True when the current key equals `key`, without building a string. */
  keyEquals(key: string): boolean {
    return key.length === this.#keySizeBytes && compareWithBytes(key, this.#keyBytes, 0, this.#keySizeBytes) === 0
  }

  seqno(): number {
    return this.#seqno
  }

  kind(): EntryKind {
    return this.#kind
  }

  /** A view into the block's bytes; copy before handing it to users. */
  value(): Uint8Array {
    const bytes = this.#bytes
    return new Uint8Array(bytes.buffer, bytes.byteOffset + this.#valueOffset, this.#valueSizeBytes)
  }

  /** A copy of the current entry's value that the caller owns (pooled by Buffer below 4 KiB). */
  valueCopy(): Buffer {
    const copy = Buffer.allocUnsafe(this.#valueSizeBytes)
    this.#bytes.copy(copy, 0, this.#valueOffset, this.#valueOffset + this.#valueSizeBytes)
    return copy
  }

  /** The current entry's stored per-KV checksum, or NO_KV_CHECKSUM in a block of format version 1. */
  storedChecksum(): number {
    if (this.#block!.entryTrailerBytes === 0) return NO_KV_CHECKSUM
    return this.#bytes.readUInt32LE(this.#valueOffset + this.#valueSizeBytes)
  }

  /**
   * Checks the current entry against its stored per-KV checksum (format version 2 blocks only;
   * the caller tests `block.entryTrailerBytes` first, so version 1 pays nothing). Throws
   * CHECKSUM_MISMATCH naming the file, the block and the entry's offset.
   */
  verifyEntry(): void {
    const bytes = this.#bytes
    const storedOffset = this.#valueOffset + this.#valueSizeBytes
    const stored = bytes.readUInt32LE(storedOffset)
    const computed = kvChecksumOfRanges(this.#keyBytes, this.#keySizeBytes, this.#seqno, this.#kind, bytes, this.#valueOffset, this.#valueSizeBytes)
    if (stored !== computed) this.#mismatch(this.#entryOffset, this.#seqno)
  }

  #mismatch(entryOffset: number, seqno: number): never {
    const block = this.#block!
    throw new StrataError('CHECKSUM_MISMATCH',
      `Cannot read entry at byte ${entryOffset} of the data block at offset ${block.offsetBytes} of ${block.fileName}: per-KV checksum mismatch`,
      { details: { fileName: block.fileName, offsetBytes: block.offsetBytes, blockType: 'data', entryOffsetBytes: entryOffset, seqno } })
  }

  seekToFirst(): void {
    this.positionAtRestart(0)
  }

  seekToLast(): void {
    const block = this.#block!
    this.positionAtRestart(block.restartCount - 1)
    while (this.#nextOffset < block.dataEndBytes) this.#decodeAt(this.#nextOffset)
  }

  /** Positions at the first entry whose key is >= `key`, or invalid when none is. */
  seek(key: string): void {
    this.#seek(key, false)
  }

  /** Positions at the first entry whose key is > `key`, or invalid when none is. */
  seekAfter(key: string): void {
    this.#seek(key, true)
  }

  next(): void {
    if (!this.#valid) return
    const block = this.#block!
    if (this.#nextOffset >= block.dataEndBytes) {
      this.#valid = false
      return
    }
    this.#decodeAt(this.#nextOffset)
    if (this.#entryOffset === this.#nextRestartOffset) this.#enterRestart(this.#restartIndex + 1)
  }

  /** Moves to the previous entry by re-scanning its restart interval (as LevelDB does). */
  prev(): void {
    if (!this.#valid) return
    const block = this.#block!
    const original = this.#entryOffset
    let restartIndex = this.#restartIndex
    while (restartIndex >= 0 && block.restartOffset(restartIndex) >= original) restartIndex--
    if (restartIndex < 0) {
      this.#valid = false
      return
    }
    this.positionAtRestart(restartIndex)
    while (this.#nextOffset < original) this.#decodeAt(this.#nextOffset)
  }

  /** Positions at the entry of restart point `restartIndex`. */
  positionAtRestart(restartIndex: number): void {
    this.#keySizeBytes = 0
    this.#decodeAt(this.#enterRestart(restartIndex))
  }

  /** Records that the cursor is in restart interval `restartIndex`; returns where it starts. */
  #enterRestart(restartIndex: number): number {
    const block = this.#block!
    this.#restartIndex = restartIndex
    this.#nextRestartOffset = restartIndex + 1 < block.restartCount ? block.restartOffset(restartIndex + 1) : Infinity
    return restartIndex === 0 ? 0 : block.restartOffset(restartIndex)
  }

  #seek(key: string, strict: boolean): void {
    const block = this.#block!
    const verify = block.entryTrailerBytes !== 0
    this.positionAtRestart(block.restartCount > 1 ? seekStartRestart(block, key, strict, verify) : 0)
    this.#previous.present = false
    for (;;) {
      const order = compareWithBytes(key, this.#keyBytes, 0, this.#keySizeBytes)
      if (order < 0 || (order === 0 && !strict)) break
      if (verify) this.#rememberEntry()
      this.next()
      if (!this.#valid) break
    }
    // With per-KV checksums a seek verifies the entry it lands on and the one it passed last.
    // An entry whose key was damaged to sort before the target is skipped, and so are the
    // entries that share its damaged prefix, all of them right before the landing point: the
    // last one passed is always among them. Checking only the landing entry would read a
    // present key as absent, or as an older version (docs/per-kv-checksums.md §2).
    if (!verify) return
    if (this.#previous.present) this.#verifyRemembered()
    if (this.#valid) this.verifyEntry()
  }

  /** What #verifyRemembered needs of the current entry, kept while the seek moves past it. */
  readonly #previous = { present: false, keyBytes: allocLatin1(256), keySizeBytes: 0, seqno: 0, kind: 0, valueOffset: 0, valueSizeBytes: 0, entryOffset: 0 }

  #rememberEntry(): void {
    const previous = this.#previous
    const keySizeBytes = this.#keySizeBytes
    if (previous.keyBytes.length < keySizeBytes) previous.keyBytes = allocLatin1(this.#keyBytes.length)
    // A loop for short keys: Buffer.copy is a native call, dearer than copying 32 bytes in JS.
    if (keySizeBytes <= 32) {
      const source = this.#keyBytes
      const target = previous.keyBytes
      for (let i = 0; i < keySizeBytes; i++) target[i] = source[i]
    } else {
      this.#keyBytes.copy(previous.keyBytes, 0, 0, keySizeBytes)
    }
    previous.present = true
    previous.keySizeBytes = this.#keySizeBytes
    previous.seqno = this.#seqno
    previous.kind = this.#kind
    previous.valueOffset = this.#valueOffset
    previous.valueSizeBytes = this.#valueSizeBytes
    previous.entryOffset = this.#entryOffset
  }

  #verifyRemembered(): void {
    const p = this.#previous
    const stored = this.#bytes.readUInt32LE(p.valueOffset + p.valueSizeBytes)
    const computed = kvChecksumOfRanges(p.keyBytes, p.keySizeBytes, p.seqno, p.kind, this.#bytes, p.valueOffset, p.valueSizeBytes)
    if (stored !== computed) this.#mismatch(p.entryOffset, p.seqno)
  }

  /** Decodes the entry at `offset`, whose key shares a prefix with the key in scratch. */
  #decodeAt(offset: number): void {
    const block = this.#block!
    const bytes = this.#bytes
    const dataEndBytes = block.dataEndBytes
    const sharedBytes = readVarint(bytes, offset, dataEndBytes, block)
    const unsharedBytes = readVarint(bytes, varintEnd, dataEndBytes, block)
    const valueSizeBytes = readVarint(bytes, varintEnd, dataEndBytes, block)
    let position = varintEnd
    if (position >= dataEndBytes) block.corrupt(`entry at byte ${offset} runs past byte ${dataEndBytes}`)
    const kind = bytes[position++]
    const seqno = readVarint(bytes, position, dataEndBytes, block)
    position = varintEnd
    const keyEnd = position + unsharedBytes
    if (sharedBytes > this.#keySizeBytes) block.corrupt(`entry at byte ${offset} shares ${sharedBytes} bytes of a ${this.#keySizeBytes}-byte key`)
    if (keyEnd + valueSizeBytes + block.entryTrailerBytes > dataEndBytes) block.corrupt(`entry at byte ${offset} runs past byte ${dataEndBytes}`)
    if (kind > 2) block.corrupt(`entry at byte ${offset} has unknown kind ${kind}`)
    const keySizeBytes = sharedBytes + unsharedBytes
    if (keySizeBytes > this.#keyBytes.length) this.#growKey(keySizeBytes, block)
    const keyBytes = this.#keyBytes
    if (unsharedBytes <= 32) {
      for (let i = sharedBytes; position < keyEnd; i++) keyBytes[i] = bytes[position++]
    } else {
      bytes.copy(keyBytes, sharedBytes, position, keyEnd)
    }
    this.#keySizeBytes = keySizeBytes
    this.#keyString = undefined
    this.#entryOffset = offset
    this.#seqno = seqno
    this.#kind = kind as EntryKind
    this.#valueOffset = keyEnd
    this.#valueSizeBytes = valueSizeBytes
    this.#nextOffset = keyEnd + valueSizeBytes + block.entryTrailerBytes
    this.#valid = true
  }

  #growKey(keySizeBytes: number, block: DataBlock): void {
    if (keySizeBytes > KEY_SIZE_BYTES_MAX) block.corrupt(`key of ${keySizeBytes} bytes exceeds ${KEY_SIZE_BYTES_MAX}`)
    const grown = allocLatin1(Math.max(keySizeBytes, this.#keyBytes.length * 2))
    this.#keyBytes.copy(grown, 0, 0, this.#keySizeBytes)
    this.#keyBytes = grown
  }
}
