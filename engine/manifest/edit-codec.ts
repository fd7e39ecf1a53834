/**
 * Encoding of a VersionEdit as tagged fields: the payload of one manifest record
 * (docs/formats/manifest.md §3). Each field is `[u8 tag][u32 bodySizeBytes][body]`, so a reader
 * can step over a field it does not know. The rule for unknown tags: tags 1–127 change what
 * the version holds and must be understood (unknown → UNSUPPORTED_FORMAT_VERSION); tags
 * 128–255 are hints that are safe to skip. A known tag's body must be exactly its size: new
 * data gets a new tag, never extra bytes in an old one.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { StrataError } from '../errors.ts'
import type { BlobFileMeta, TableMeta, VersionEdit } from './version-edit.ts'

/** Tags of the fields. Values are frozen once written. */
export const EditTag = {
  LogNumber: 1,
  NextFileNumber: 2,
  LastSeqno: 3,
  AddedTable: 4,
  RemovedTable: 5,
  AddedBlobFile: 6,
  RemovedBlobFile: 7,
  BlobStaleBytes: 8,
  /**
   * The store is encrypted: its manifests are sealed and every WAL numbered from this on is
   * too. Must be understood: a build that skipped it would replay plaintext logs.
   */
  EncryptedFrom: 9,
  /** First tag a reader may skip when it does not know it. */
  SafeToSkipMin: 128,
  CompactPointer: 128,
} as const

const FIELD_HEADER_SIZE_BYTES = 1 + 4

/** Appends little-endian fields to a growing buffer. */
class FieldWriter {
  #bytes = new Uint8Array(256)
  #view = new DataView(this.#bytes.buffer)
  #sizeBytes = 0
  #bodyStart = -1

  #reserve(sizeBytes: number): void {
    if (this.#sizeBytes + sizeBytes <= this.#bytes.length) return
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#sizeBytes + sizeBytes))
    grown.set(this.#bytes.subarray(0, this.#sizeBytes))
    this.#bytes = grown
    this.#view = new DataView(grown.buffer)
  }
  begin(tag: number): void {
    this.u8(tag)
    this.u32(0) // body size, patched by end()
    this.#bodyStart = this.#sizeBytes
  }
  end(): void {
    this.#view.setUint32(this.#bodyStart - 4, this.#sizeBytes - this.#bodyStart, true)
  }
  u8(value: number): void {
    assert(Number.isInteger(value) && value >= 0 && value < 256, `u8 ${value}`)
    this.#reserve(1)
    this.#bytes[this.#sizeBytes++] = value
  }
  u32(value: number): void {
    this.#reserve(4)
    this.#view.setUint32(this.#sizeBytes, value, true)
    this.#sizeBytes += 4
  }
  /** u64 LE from a non-negative safe integer. */
  u64(value: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, `u64 ${value}`)
    this.#reserve(8)
    this.#view.setUint32(this.#sizeBytes, value % 2 ** 32, true)
    this.#view.setUint32(this.#sizeBytes + 4, Math.floor(value / 2 ** 32), true)
    this.#sizeBytes += 8
  }
  /** u32 length, then the latin1 bytes of `key`. */
  key(key: string): void {
    const bytes = Buffer.from(key, 'latin1')
    this.u32(bytes.length)
    this.#reserve(bytes.length)
    this.#bytes.set(bytes, this.#sizeBytes)
    this.#sizeBytes += bytes.length
  }
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#sizeBytes)
  }
}

/**
 * Encodes an edit (docs/formats/manifest.md §3). Fields appear in tag order; repeated fields
 * (tables, blob files) once per item. Bodies, integers little-endian:
 * | tag | field           | body                                                                  |
 * |----:|-----------------|-----------------------------------------------------------------------|
 * |   1 | logNumber       | u64                                                                   |
 * |   2 | nextFileNumber  | u64                                                                   |
 * |   3 | lastSeqno       | u64                                                                   |
 * |   4 | addedTable      | level u8, fileNumber u64, sizeBytes u64, smallestSeqno u64,            |
 * |     |                 | largestSeqno u64, entryCount u64, tombstoneCount u64,                 |
 * |     |                 | rangeTombstoneCount u64, smallestKey (u32 size, bytes), largestKey (same) |
 * |   5 | removedTable    | level u8, fileNumber u64                                              |
 * |   6 | addedBlobFile   | fileNumber u64, sizeBytes u64, valueCount u64, totalValueBytes u64    |
 * |   7 | removedBlobFile | fileNumber u64                                                        |
 * |   8 | blobStaleBytes  | fileNumber u64, staleBytesDelta u64                                   |
 * |   9 | encryptedFrom   | fileNumber u64: WALs numbered from it on must be encrypted            |
 * | 128 | compactPointer  | level u8, key (u32 size, bytes); safe to skip                         |
 */
export function encodeVersionEdit(edit: VersionEdit): Uint8Array {
  const out = new FieldWriter()
  const u64Field = (tag: number, value: number | undefined) => {
    if (value === undefined) return
    out.begin(tag)
    out.u64(value)
    out.end()
  }
  u64Field(EditTag.LogNumber, edit.logNumber)
  u64Field(EditTag.NextFileNumber, edit.nextFileNumber)
  u64Field(EditTag.LastSeqno, edit.lastSeqno)
  for (const table of edit.addedTables ?? []) encodeTable(out, table)
  for (const removed of edit.removedTables ?? []) {
    out.begin(EditTag.RemovedTable)
    out.u8(removed.level)
    out.u64(removed.fileNumber)
    out.end()
  }
  for (const blob of edit.addedBlobFiles ?? []) {
    out.begin(EditTag.AddedBlobFile)
    for (const value of [blob.fileNumber, blob.sizeBytes, blob.valueCount, blob.totalValueBytes]) out.u64(value)
    out.end()
  }
  for (const fileNumber of edit.removedBlobFiles ?? []) u64Field(EditTag.RemovedBlobFile, fileNumber)
  for (const stale of edit.blobStaleBytes ?? []) {
    out.begin(EditTag.BlobStaleBytes)
    out.u64(stale.fileNumber)
    out.u64(stale.staleBytesDelta)
    out.end()
  }
  u64Field(EditTag.EncryptedFrom, edit.encryptedFromFileNumber)
  for (const pointer of edit.compactPointers ?? []) {
    out.begin(EditTag.CompactPointer)
    out.u8(pointer.level)
    out.key(pointer.key)
    out.end()
  }
  return out.finish()
}

function encodeTable(out: FieldWriter, table: TableMeta): void {
  out.begin(EditTag.AddedTable)
  out.u8(table.level)
  out.u64(table.fileNumber)
  out.u64(table.sizeBytes)
  out.u64(table.smallestSeqno)
  out.u64(table.largestSeqno)
  out.u64(table.entryCount)
  out.u64(table.tombstoneCount)
  out.u64(table.rangeTombstoneCount)
  out.key(table.smallestKey)
  out.key(table.largestKey)
  out.end()
}

/** Reads fields of one body; every read is bounds-checked against the body. */
class BodyReader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  readonly #fail: (what: string) => never
  #offset = 0

  constructor(bytes: Uint8Array, fail: (what: string) => never) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#fail = fail
  }
  #need(sizeBytes: number): void {
    if (this.#offset + sizeBytes > this.#bytes.length) this.#fail(`field body ends after ${this.#bytes.length} bytes`)
  }
  u8(): number {
    this.#need(1)
    return this.#bytes[this.#offset++]
  }
  u32(): number {
    this.#need(4)
    const value = this.#view.getUint32(this.#offset, true)
    this.#offset += 4
    return value
  }
  u64(): number {
    this.#need(8)
    const low = this.#view.getUint32(this.#offset, true)
    const high = this.#view.getUint32(this.#offset + 4, true)
    this.#offset += 8
    if (high >= 2 ** 21) this.#fail('u64 exceeds 2^53')
    return high * 2 ** 32 + low
  }
  key(): string {
    const sizeBytes = this.u32()
    this.#need(sizeBytes)
    const key = Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + this.#offset, sizeBytes).toString('latin1')
    this.#offset += sizeBytes
    return key
  }
  end(): void {
    if (this.#offset !== this.#bytes.length) this.#fail(`${this.#bytes.length - this.#offset} unread bytes in a field body`)
  }
}

/** Where an edit came from, for error messages. */
export interface EditSource {
  fileName: string
  recordIndex: number
}

/**
 * Decodes an edit written by encodeVersionEdit.
 * @throws {StrataError} `CORRUPTION` for a malformed field; `UNSUPPORTED_FORMAT_VERSION` for
 * an unknown tag below 128 (written by a newer Strata).
 */
export function decodeVersionEdit(bytes: Uint8Array, source: EditSource): VersionEdit {
  const edit: VersionEdit = {}
  let offset = 0
  // Each field takes at least FIELD_HEADER_SIZE_BYTES, which bounds the loop.
  while (offset < bytes.length) {
    const fail = (what: string): never => {
      throw new StrataError('CORRUPTION',
        `Cannot decode version edit ${source.recordIndex} of ${source.fileName}: ${what} at byte ${offset}`,
        { details: { fileName: source.fileName, recordIndex: source.recordIndex, fieldOffsetBytes: offset } })
    }
    if (bytes.length - offset < FIELD_HEADER_SIZE_BYTES) fail('truncated field header')
    const tag = bytes[offset]
    const bodySizeBytes = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 4).getUint32(0, true)
    const bodyStart = offset + FIELD_HEADER_SIZE_BYTES
    if (bodySizeBytes > bytes.length - bodyStart) fail(`field of ${bodySizeBytes} bytes runs past the edit`)
    const body = new BodyReader(bytes.subarray(bodyStart, bodyStart + bodySizeBytes), fail)
    decodeField(edit, tag, body, source)
    offset = bodyStart + bodySizeBytes
  }
  return edit
}

function decodeField(edit: VersionEdit, tag: number, body: BodyReader, source: EditSource): void {
  switch (tag) {
    case EditTag.LogNumber: edit.logNumber = body.u64(); break
    case EditTag.NextFileNumber: edit.nextFileNumber = body.u64(); break
    case EditTag.LastSeqno: edit.lastSeqno = body.u64(); break
    case EditTag.AddedTable: (edit.addedTables ??= []).push(decodeTable(body)); break
    case EditTag.RemovedTable: (edit.removedTables ??= []).push({ level: body.u8(), fileNumber: body.u64() }); break
    case EditTag.AddedBlobFile: (edit.addedBlobFiles ??= []).push(decodeBlobFile(body)); break
    case EditTag.RemovedBlobFile: (edit.removedBlobFiles ??= []).push(body.u64()); break
    case EditTag.BlobStaleBytes:
      (edit.blobStaleBytes ??= []).push({ fileNumber: body.u64(), staleBytesDelta: body.u64() })
      break
    case EditTag.EncryptedFrom: edit.encryptedFromFileNumber = body.u64(); break
    case EditTag.CompactPointer: (edit.compactPointers ??= []).push({ level: body.u8(), key: body.key() }); break
    default:
      if (tag >= EditTag.SafeToSkipMin) return
      throw new StrataError('UNSUPPORTED_FORMAT_VERSION',
        `Cannot decode version edit ${source.recordIndex} of ${source.fileName}: unknown field tag ${tag} ` +
        `(this version reads tags 1–9 and skips unknown tags from ${EditTag.SafeToSkipMin})`,
        { details: { fileName: source.fileName, recordIndex: source.recordIndex, tag } })
  }
  body.end()
}

function decodeTable(body: BodyReader): TableMeta {
  const level = body.u8()
  const fileNumber = body.u64()
  const sizeBytes = body.u64()
  const smallestSeqno = body.u64()
  const largestSeqno = body.u64()
  const entryCount = body.u64()
  const tombstoneCount = body.u64()
  const rangeTombstoneCount = body.u64()
  const smallestKey = body.key()
  const largestKey = body.key()
  return {
    level, fileNumber, sizeBytes, smallestKey, largestKey, smallestSeqno, largestSeqno,
    entryCount, tombstoneCount, rangeTombstoneCount,
  }
}

function decodeBlobFile(body: BodyReader): BlobFileMeta {
  return { fileNumber: body.u64(), sizeBytes: body.u64(), valueCount: body.u64(), totalValueBytes: body.u64() }
}
