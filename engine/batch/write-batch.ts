/**
 * The write batch: the unit of atomicity. One batch becomes one WAL record and consumes one
 * seqno per operation, so replaying a record restores the batch whole or not at all.
 *
 * Batch record payload, format version 1 (docs/formats/wal.md, "Batch payload"):
 * | offset | size | field          | encoding                                             |
 * |-------:|-----:|----------------|------------------------------------------------------|
 * |      0 |    1 | formatVersion  | u8, currently 1                                      |
 * |      1 |    4 | firstSeqnoLow  | u32 LE, low 32 bits of the first seqno               |
 * |      5 |    4 | firstSeqnoHigh | u32 LE, high bits (seqno < 2^53)                     |
 * |      9 |    4 | opCount        | u32 LE                                               |
 * |     13 |    … | ops            | opCount times: kind u8, keySize varint, key,         |
 * |        |      |                | valueSize varint, value                              |
 * Op kinds: 0 delete, 1 put, 2 blob handle (value = opaque handle), 3 range delete (value =
 * exclusive end key). Op i carries seqno firstSeqno + i.
 */
import { Buffer } from 'node:buffer'
import { StrataError } from '../errors.ts'
import { isEntryKind } from '../entry.ts'
import { latin1View, writeLatin1, type Latin1Buffer } from '../latin1.ts'

export const BATCH_FORMAT_VERSION = 1
const BATCH_HEADER_SIZE_BYTES = 1 + 4 + 4 + 4
const TWO_POW_32 = 2 ** 32

/**
 * Op kinds on the wire: the three entry kinds plus the range delete.
 * @internal For the blob layer (blobtree/); callers use `db.batch()` operations instead.
 */
export const OpKind = { Delete: 0, Put: 1, BlobHandle: 2, RangeDelete: 3 } as const
export type OpKind = (typeof OpKind)[keyof typeof OpKind]

/**
 * One operation with its key (latin1 string) and value bytes (end key for range deletes).
 * @internal For the blob layer (blobtree/); callers use `db.batch()` operations instead.
 */
export interface BatchOp {
  kind: OpKind
  key: string
  value: Uint8Array
}

function varintSizeBytes(value: number): number {
  let size = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    size++
  }
  return size
}

function writeVarint(target: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    target[offset++] = (value & 0x7f) | 0x80
    value = Math.floor(value / 128)
  }
  target[offset++] = value
  return offset
}

/**
 * Encodes a batch into one buffer (one allocation, no per-op Buffers). When `valueOffsets` is
 * given, it receives the offset in the returned buffer of each op's value: the memtable keeps
 * (payload, offset) instead of the caller's buffers, so a caller that reuses its buffer after
 * put() cannot change what was stored (the payload is never written to after this call), and no
 * view object is made per op.
 */
export function encodeBatch(firstSeqno: number, ops: readonly BatchOp[], valueOffsets?: number[]): Uint8Array {
  let sizeBytes = BATCH_HEADER_SIZE_BYTES
  for (const op of ops) {
    sizeBytes += 1 + varintSizeBytes(op.key.length) + op.key.length + varintSizeBytes(op.value.length) + op.value.length
  }
  const out = Buffer.allocUnsafe(sizeBytes) as Latin1Buffer
  out[0] = BATCH_FORMAT_VERSION
  out.writeUInt32LE(firstSeqno % TWO_POW_32, 1)
  out.writeUInt32LE(Math.floor(firstSeqno / TWO_POW_32), 5)
  out.writeUInt32LE(ops.length, 9)
  let offset = BATCH_HEADER_SIZE_BYTES
  for (const op of ops) {
    const key = op.key
    out[offset++] = op.kind
    offset = writeVarint(out, offset, key.length)
    offset = writeLatin1(out, offset, key)
    offset = writeVarint(out, offset, op.value.length)
    out.set(op.value, offset)
    valueOffsets?.push(offset)
    offset += op.value.length
  }
  if (offset !== sizeBytes) throw new Error(`encodeBatch wrote ${offset} of ${sizeBytes} bytes`)
  return out
}

/** A decoded batch; op values are views into the payload. */
export interface DecodedBatch {
  firstSeqno: number
  ops: BatchOp[]
}

function corrupt(source: string, reason: string): StrataError {
  return new StrataError('CORRUPTION', `Cannot decode write batch in ${source}: ${reason}`, { details: { source } })
}

/** Decodes a batch payload; every length is checked against the payload. */
export function decodeBatch(payload: Uint8Array, source: string): DecodedBatch {
  const bytes = latin1View(payload)
  if (bytes.length < BATCH_HEADER_SIZE_BYTES) throw corrupt(source, `${bytes.length} bytes is shorter than the header`)
  if (bytes[0] !== BATCH_FORMAT_VERSION) {
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION', `Cannot decode write batch in ${source}: version ${bytes[0]}, this build reads ${BATCH_FORMAT_VERSION}`, { details: { source } })
  }
  const firstSeqno = bytes.readUInt32LE(1) + bytes.readUInt32LE(5) * TWO_POW_32
  const opCount = bytes.readUInt32LE(9)
  // Each op takes at least 3 bytes, which bounds a forged count before anything is allocated.
  if (opCount * 3 > bytes.length) throw corrupt(source, `op count ${opCount} exceeds the payload`)
  const ops: BatchOp[] = []
  let offset = BATCH_HEADER_SIZE_BYTES
  const readVarint = (): number => {
    let value = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      if (offset >= bytes.length) throw corrupt(source, 'varint runs past the end')
      const byte = bytes[offset++]
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
    }
    throw corrupt(source, 'varint longer than 8 bytes')
  }
  for (let index = 0; index < opCount; index++) {
    if (offset >= bytes.length) throw corrupt(source, `op ${index} starts past the end`)
    const kind = bytes[offset++]
    if (!isEntryKind(kind) && kind !== OpKind.RangeDelete) throw corrupt(source, `op ${index} has unknown kind ${kind}`)
    const keySizeBytes = readVarint()
    if (offset + keySizeBytes > bytes.length) throw corrupt(source, `op ${index} key runs past the end`)
    const key = bytes.latin1Slice(offset, offset + keySizeBytes)
    offset += keySizeBytes
    const valueSizeBytes = readVarint()
    if (offset + valueSizeBytes > bytes.length) throw corrupt(source, `op ${index} value runs past the end`)
    ops.push({ kind: kind as OpKind, key, value: bytes.subarray(offset, offset + valueSizeBytes) })
    offset += valueSizeBytes
  }
  if (offset !== bytes.length) throw corrupt(source, `${bytes.length - offset} trailing bytes`)
  return { firstSeqno, ops }
}
