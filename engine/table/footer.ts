/**
 * The table footer: the fixed-size last bytes of every table (docs/formats/table.md §7). It
 * locates the metadata blocks and names the format. The version and magic sit at the very end
 * and keep their place in every future version, so any reader can tell "another version" from
 * "not a table" before it trusts the rest.
 */
import assert from 'node:assert/strict'
import { StrataError } from '../errors.ts'
import { xxh3128, xxh3128Matches, XXH3_128_SIZE_BYTES } from '../checksum/xxh3.ts'
import type { BlockHandle } from './index-block.ts'

/** The magic, "STBL" as bytes. */
export const TABLE_MAGIC = 'STBL'
/** The table format version written by default: data-block entries without per-KV checksums. */
export const TABLE_FORMAT_VERSION = 1
/** Version 2: every data-block entry ends with a 4-byte per-KV checksum (integrity.perKeyChecksums). */
export const TABLE_FORMAT_VERSION_KV_CHECKSUMS = 2
/** The newest version this build reads; it reads every version from 1 to this one. */
export const TABLE_FORMAT_VERSION_MAX = TABLE_FORMAT_VERSION_KV_CHECKSUMS
const HANDLE_SIZE_BYTES = 8 + 4
const HANDLE_COUNT = 4
const RESERVED_SIZE_BYTES = 8
const CHECKSUM_OFFSET_BYTES = HANDLE_COUNT * HANDLE_SIZE_BYTES + RESERVED_SIZE_BYTES
const VERSION_OFFSET_BYTES = CHECKSUM_OFFSET_BYTES + XXH3_128_SIZE_BYTES
const MAGIC_OFFSET_BYTES = VERSION_OFFSET_BYTES + 4
/** Size of the footer: 80 bytes. */
export const FOOTER_SIZE_BYTES = MAGIC_OFFSET_BYTES + TABLE_MAGIC.length

/** The handles a footer holds; a handle of size 0 means the block is absent. */
export interface Footer {
  /** TABLE_FORMAT_VERSION (1) or TABLE_FORMAT_VERSION_KV_CHECKSUMS (2). */
  formatVersion: number
  index: BlockHandle
  filter: BlockHandle
  properties: BlockHandle
  rangeTombstones: BlockHandle
}

/** What encodeFooter takes: the handles, and the version (default TABLE_FORMAT_VERSION, 1). */
export type FooterInput = Omit<Footer, 'formatVersion'> & { formatVersion?: number }

/**
 * Encodes the footer.
 *
 * | offset | size | field                 | encoding                                      |
 * |-------:|-----:|-----------------------|-----------------------------------------------|
 * |      0 |   12 | indexHandle           | offset u64 LE, size u32 LE                    |
 * |     12 |   12 | filterHandle          | same; size 0 when the table has no filter     |
 * |     24 |   12 | propertiesHandle      | same                                          |
 * |     36 |   12 | rangeTombstoneHandle  | same; size 0 when the table has none          |
 * |     48 |    8 | reserved              | zero                                          |
 * |     56 |   16 | checksum              | XXH3-128 of bytes 0–55 then bytes 72–79       |
 * |     72 |    4 | formatVersion         | u32 LE, 1; 2 when entries carry per-KV checksums |
 * |     76 |    4 | magic                 | "STBL"                                        |
 */
export function encodeFooter(footer: FooterInput): Uint8Array {
  const formatVersion = footer.formatVersion ?? TABLE_FORMAT_VERSION
  const out = new Uint8Array(FOOTER_SIZE_BYTES)
  const view = new DataView(out.buffer)
  const handles = [footer.index, footer.filter, footer.properties, footer.rangeTombstones]
  handles.forEach((handle, i) => {
    view.setUint32(i * HANDLE_SIZE_BYTES, handle.offsetBytes % 2 ** 32, true)
    view.setUint32(i * HANDLE_SIZE_BYTES + 4, Math.floor(handle.offsetBytes / 2 ** 32), true)
    view.setUint32(i * HANDLE_SIZE_BYTES + 8, handle.sizeBytes, true)
  })
  assert(formatVersion >= TABLE_FORMAT_VERSION && formatVersion <= TABLE_FORMAT_VERSION_MAX)
  view.setUint32(VERSION_OFFSET_BYTES, formatVersion, true)
  for (let i = 0; i < TABLE_MAGIC.length; i++) out[MAGIC_OFFSET_BYTES + i] = TABLE_MAGIC.charCodeAt(i)
  out.set(xxh3128(out.subarray(0, CHECKSUM_OFFSET_BYTES), out.subarray(VERSION_OFFSET_BYTES)), CHECKSUM_OFFSET_BYTES)
  return out
}

/**
 * Decodes the footer (the last FOOTER_SIZE_BYTES of `fileName`). Throws CORRUPTION for a bad
 * magic, checksum or reserved field, UNSUPPORTED_FORMAT_VERSION for another version.
 */
export function decodeFooter(bytes: Uint8Array, fileName: string, footerOffsetBytes: number): Footer {
  const details = { fileName, offsetBytes: footerOffsetBytes, blockType: 'footer' }
  const fail = (reason: string): never => {
    throw new StrataError('CORRUPTION', `Cannot read footer of ${fileName}: ${reason}`, { details })
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < TABLE_MAGIC.length; i++) {
    if (bytes[MAGIC_OFFSET_BYTES + i] !== TABLE_MAGIC.charCodeAt(i)) fail('bad magic, not a table or truncated')
  }
  const version = view.getUint32(VERSION_OFFSET_BYTES, true)
  if (version < TABLE_FORMAT_VERSION || version > TABLE_FORMAT_VERSION_MAX) {
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION', `Cannot read ${fileName}: table format version ${version}, this build reads ${TABLE_FORMAT_VERSION}–${TABLE_FORMAT_VERSION_MAX}`, { details })
  }
  if (!xxh3128Matches(bytes, CHECKSUM_OFFSET_BYTES, bytes.subarray(0, CHECKSUM_OFFSET_BYTES), bytes.subarray(VERSION_OFFSET_BYTES))) {
    fail('checksum mismatch')
  }
  for (let i = 0; i < RESERVED_SIZE_BYTES; i++) {
    if (bytes[HANDLE_COUNT * HANDLE_SIZE_BYTES + i] !== 0) fail('reserved bytes are not zero')
  }
  const handle = (i: number): BlockHandle => ({
    offsetBytes: view.getUint32(i * HANDLE_SIZE_BYTES, true) + view.getUint32(i * HANDLE_SIZE_BYTES + 4, true) * 2 ** 32,
    sizeBytes: view.getUint32(i * HANDLE_SIZE_BYTES + 8, true),
  })
  return { formatVersion: version, index: handle(0), filter: handle(1), properties: handle(2), rangeTombstones: handle(3) }
}
