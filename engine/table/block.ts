/**
 * DataBlock and BlockCursor: the decoded form of a data block (format in block-builder.ts and
 * docs/formats/table.md §2) and a cursor that seeks and walks it.
 *
 * A DataBlock is what the block cache keeps: the raw bytes plus the restart array and the
 * restart keys already parsed into latin1 strings, so a seek is a binary search with JS string
 * compares (~9 ns each) followed by a short linear scan that compares bytes in place. A cursor
 * rebuilds the current key in a scratch buffer and turns it into a string only when asked.
 * Values are views into the block: callers must copy them before handing them to users.
 */
import { allocLatin1, latin1View, type Latin1Buffer } from './latin1.ts'
import { StrataError } from '../errors.ts'
import type { EntryKind } from '../entry.ts'
import { KEY_SIZE_BYTES_MAX } from './limits.ts'
import { RESTART_COUNT_SIZE_BYTES, RESTART_OFFSET_SIZE_BYTES } from './block-builder.ts'

const EMPTY = allocLatin1(0)

/** Fixed cost charged to the block cache per block, on top of its bytes (objects, arrays). */
const BLOCK_OVERHEAD_BYTES = 160

/** A decoded data block. Immutable; shared by the block cache and every cursor on it. */
export class DataBlock {
  readonly bytes: Latin1Buffer
  /** Where the entries end and the restart array begins. */
  readonly dataEndBytes: number
  readonly restartOffsets: Uint32Array
  readonly restartKeys: string[]
  readonly fileName: string
  readonly offsetBytes: number
  /** What the block costs the block cache; set once its restart keys are parsed. */
  chargeBytes = 0

  constructor(bytes: Latin1Buffer, dataEndBytes: number, restartOffsets: Uint32Array, restartKeys: string[],
    fileName: string, offsetBytes: number) {
    this.bytes = bytes
    this.dataEndBytes = dataEndBytes
    this.restartOffsets = restartOffsets
    this.restartKeys = restartKeys
    this.fileName = fileName
    this.offsetBytes = offsetBytes
  }

  /** Throws CORRUPTION locating the block. */
  corrupt(reason: string): never {
    throw new StrataError('CORRUPTION', `Cannot decode data block at offset ${this.offsetBytes} of ${this.fileName}: ${reason}`,
      { details: { fileName: this.fileName, offsetBytes: this.offsetBytes, blockType: 'data' } })
  }
}

/**
 * Parses a raw (codec-decoded, checksum-verified) data block: checks the restart array and
 * parses every restart key. Throws CORRUPTION naming `fileName` and `offsetBytes`.
 */
export function decodeDataBlock(raw: Uint8Array, fileName: string, offsetBytes: number): DataBlock {
  const bytes = latin1View(raw)
  const fail = (reason: string): never => new DataBlock(bytes, 0, new Uint32Array(0), [], fileName, offsetBytes).corrupt(reason)
  if (bytes.length < RESTART_COUNT_SIZE_BYTES + RESTART_OFFSET_SIZE_BYTES) fail(`${bytes.length} bytes is too short`)
  const restartCount = bytes.readUInt32LE(bytes.length - RESTART_COUNT_SIZE_BYTES)
  const trailerBytes = RESTART_COUNT_SIZE_BYTES + restartCount * RESTART_OFFSET_SIZE_BYTES
  if (restartCount === 0 || trailerBytes > bytes.length) fail(`restart count ${restartCount} does not fit ${bytes.length} bytes`)
  const dataEndBytes = bytes.length - trailerBytes
  const restartOffsets = new Uint32Array(restartCount)
  for (let i = 0; i < restartCount; i++) {
    const offset = bytes.readUInt32LE(dataEndBytes + i * RESTART_OFFSET_SIZE_BYTES)
    const previous = i === 0 ? -1 : restartOffsets[i - 1]
    if (offset >= dataEndBytes || offset <= previous || (i === 0 && offset !== 0)) fail(`restart offset ${offset} out of order`)
    restartOffsets[i] = offset
  }
  const block = new DataBlock(bytes, dataEndBytes, restartOffsets, new Array<string>(restartCount), fileName, offsetBytes)
  // One cursor for every decode: a fresh one allocated its 256-byte key scratch per block read.
  const cursor = decodeCursor
  cursor.attach(block)
  for (let i = 0; i < restartCount; i++) {
    cursor.positionAtRestart(i)
    block.restartKeys[i] = cursor.key()
    if (i > 0 && !(block.restartKeys[i - 1] <= block.restartKeys[i])) fail(`restart keys out of order at restart ${i}`)
  }
  cursor.detach()
  if (CHECK_INVARIANTS) checkEntryOrder(block)
  let keyBytes = 0
  for (const key of block.restartKeys) keyBytes += key.length + 16
  block.chargeBytes = bytes.length + restartOffsets.byteLength + keyBytes + BLOCK_OVERHEAD_BYTES
  return block
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
function compareWithBytes(target: string, bytes: Uint8Array, length: number): number {
  const limit = target.length < length ? target.length : length
  for (let i = 0; i < limit; i++) {
    const difference = target.charCodeAt(i) - bytes[i]
    if (difference !== 0) return difference
  }
  return target.length - length
}

/** A position in one DataBlock. Reusable: attach() points it at another block. */
export class BlockCursor {
  #block: DataBlock | undefined = undefined
  #bytes: Latin1Buffer = EMPTY
  #valid = false
  /** Offset of the current entry, and of the one after it. */
  #entryOffset = 0
  #nextOffset = 0
  /** The restart interval holding the current entry. */
  #restartIndex = 0
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
      key = this.#keyBytes.latin1Slice(0, this.#keySizeBytes)
      this.#keyString = key
    }
    return key
  }

  /** True when the current key equals `key`, without building a string. */
  keyEquals(key: string): boolean {
    return key.length === this.#keySizeBytes && compareWithBytes(key, this.#keyBytes, this.#keySizeBytes) === 0
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

  seekToFirst(): void {
    this.positionAtRestart(0)
  }

  seekToLast(): void {
    const block = this.#block!
    this.positionAtRestart(block.restartOffsets.length - 1)
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
    const restartOffsets = block.restartOffsets
    const restartIndex = this.#restartIndex + 1
    if (restartIndex < restartOffsets.length && restartOffsets[restartIndex] === this.#entryOffset) this.#restartIndex = restartIndex
  }

  /** Moves to the previous entry by re-scanning its restart interval (as LevelDB does). */
  prev(): void {
    if (!this.#valid) return
    const block = this.#block!
    const original = this.#entryOffset
    let restartIndex = this.#restartIndex
    while (restartIndex >= 0 && block.restartOffsets[restartIndex] >= original) restartIndex--
    if (restartIndex < 0) {
      this.#valid = false
      return
    }
    this.positionAtRestart(restartIndex)
    while (this.#nextOffset < original) this.#decodeAt(this.#nextOffset)
  }

  /** Positions at the entry of restart point `restartIndex`. */
  positionAtRestart(restartIndex: number): void {
    this.#restartIndex = restartIndex
    this.#keySizeBytes = 0
    this.#decodeAt(this.#block!.restartOffsets[restartIndex])
  }

  #seek(key: string, strict: boolean): void {
    const restartKeys = this.#block!.restartKeys
    // Find the last restart whose key is < key (<= key when strict); every entry before it sorts first.
    let low = 0
    let high = restartKeys.length - 1
    while (low < high) {
      const middle = (low + high + 1) >>> 1
      const restartKey = restartKeys[middle]
      if (restartKey < key || (strict && restartKey === key)) low = middle
      else high = middle - 1
    }
    this.positionAtRestart(low)
    for (;;) {
      const order = compareWithBytes(key, this.#keyBytes, this.#keySizeBytes)
      if (order < 0 || (order === 0 && !strict)) return
      this.next()
      if (!this.#valid) return
    }
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
    if (keyEnd + valueSizeBytes > dataEndBytes) block.corrupt(`entry at byte ${offset} runs past byte ${dataEndBytes}`)
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
    this.#nextOffset = keyEnd + valueSizeBytes
    this.#valid = true
  }

  #growKey(keySizeBytes: number, block: DataBlock): void {
    if (keySizeBytes > KEY_SIZE_BYTES_MAX) block.corrupt(`key of ${keySizeBytes} bytes exceeds ${KEY_SIZE_BYTES_MAX}`)
    const grown = allocLatin1(Math.max(keySizeBytes, this.#keyBytes.length * 2))
    this.#keyBytes.copy(grown, 0, 0, this.#keySizeBytes)
    this.#keyBytes = grown
  }
}

/** The cursor decodeDataBlock parses restart keys with (JS is single-threaded and decoding never yields). */
const decodeCursor = new BlockCursor()
