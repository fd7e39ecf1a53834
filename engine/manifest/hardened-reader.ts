/**
 * Reads a hardened manifest (format version 3, docs/formats/manifest.md §6) from its bytes and
 * decides, record pair by record pair, which copy to trust. Pure: the caller loads the file.
 *
 * Rules (§6.3): a pair whose copy A or copy B checks out is read, and a damaged other copy is
 * counted as repaired. A pair the file ends inside is a torn tail (a crash mid-append, never
 * acknowledged) and is dropped with everything after it. A pair lying wholly inside the file
 * with neither copy intact is CORRUPTION naming the file and record, unless every byte from
 * the pair to the end of the file is zero (a file system that extended the file but never
 * wrote the data: also a torn append).
 */
import { StrataError } from '../errors.ts'
import {
  checkRecordCopy, claimedPayloadSizeBytes, decodeHeaderCopy, HARDENED_FILE_HEADER_SIZE_BYTES,
  HARDENED_HEADER_COPY_SIZE_BYTES, HARDENED_PAIR_HEADER_SIZE_BYTES, HARDENED_RECORD_HEADER_COPY_SIZE_BYTES,
  MANIFEST_FORMAT_VERSION_HARDENED, type HeaderCopy,
} from './hardened-framing.ts'
import { VERSION_EDIT_SIZE_BYTES_MAX } from './limits.ts'
import type { ManifestTailReason } from './manifest-read-result.ts'

/** What a hardened manifest held. */
export interface HardenedReadResult {
  payloads: Uint8Array[]
  /** Damaged copies replaced by their intact mirror (file header copies included). */
  repairedCopyCount: number
  tailBytesDropped: number
  tailReason?: ManifestTailReason
  tailOffsetBytes?: number
}

/**
 * Reads every record pair of the hardened manifest `file` (the whole file's bytes).
 * @example
 * ```ts
 * const { payloads, repairedCopyCount } = readHardenedManifest(bytes, '/db/MANIFEST-000005', 5)
 * ```
 * @throws {StrataError} `CORRUPTION` (details fileName, offsetBytes, recordIndex when a record)
 * when both header copies or both copies of a complete record are damaged, or the header names
 * another file number.
 */
export function readHardenedManifest(file: Uint8Array, fileName: string, expectedFileNumber: number): HardenedReadResult {
  let repairedCopyCount = checkFileHeader(file, fileName, expectedFileNumber)
  const payloads: Uint8Array[] = []
  let offsetBytes = HARDENED_FILE_HEADER_SIZE_BYTES
  // Each pair consumes at least its two headers, which bounds the loop by the file size.
  while (offsetBytes < file.length) {
    const recordIndex = payloads.length
    const pair = readPair(file, offsetBytes, recordIndex, expectedFileNumber)
    if ('tailReason' in pair) {
      return { payloads, repairedCopyCount, tailBytesDropped: file.length - offsetBytes, tailReason: pair.tailReason, tailOffsetBytes: offsetBytes }
    }
    if ('damaged' in pair) {
      throw new StrataError('CORRUPTION',
        `Cannot read manifest ${fileName}: both copies of record ${recordIndex} at offset ${offsetBytes} are damaged`,
        { details: { fileName, offsetBytes, recordIndex, reason: 'checksum-mismatch' } })
    }
    payloads.push(pair.payload)
    repairedCopyCount += pair.repairedCopyCount
    offsetBytes = pair.nextOffsetBytes
  }
  return { payloads, repairedCopyCount, tailBytesDropped: 0 }
}

/** Checks both header copies; returns how many were damaged (0 or 1). */
function checkFileHeader(file: Uint8Array, fileName: string, expectedFileNumber: number): number {
  const details = { fileName, offsetBytes: 0 }
  if (file.length < HARDENED_FILE_HEADER_SIZE_BYTES) {
    // CURRENT names a manifest only after its header and snapshot record were synced.
    throw new StrataError('CORRUPTION', `Cannot read manifest ${fileName}: ${file.length} bytes is shorter than its header`, { details })
  }
  const copies = [0, HARDENED_HEADER_COPY_SIZE_BYTES].map((offset) => decodeHeaderCopy(file.subarray(offset, offset + HARDENED_HEADER_COPY_SIZE_BYTES)))
  const intact = copies.filter((copy): copy is HeaderCopy => copy !== undefined && copy.formatVersion === MANIFEST_FORMAT_VERSION_HARDENED)
  if (intact.length === 0) {
    throw new StrataError('CORRUPTION', `Cannot read manifest ${fileName}: both copies of the file header are damaged`, { details })
  }
  const fileNumber = intact[0].fileNumber
  if (intact.some((copy) => copy.fileNumber !== fileNumber) || fileNumber !== expectedFileNumber) {
    throw new StrataError('CORRUPTION',
      `Cannot read manifest ${fileName}: header names manifest ${fileNumber}, expected ${expectedFileNumber}`, { details })
  }
  return 2 - intact.length
}

type PairResult =
  | { payload: Uint8Array, nextOffsetBytes: number, repairedCopyCount: number }
  | { tailReason: ManifestTailReason }
  | { damaged: true }

/** Reads the pair at `offsetBytes`: one intact copy, a torn tail, or damaged beyond repair. */
function readPair(file: Uint8Array, offsetBytes: number, recordIndex: number, fileNumber: number): PairResult {
  if (file.length - offsetBytes < HARDENED_PAIR_HEADER_SIZE_BYTES) return { tailReason: 'incomplete-record-header' }
  const copyA = checkRecordCopy(file, offsetBytes, 0, recordIndex, fileNumber)
  // Copy B is intact when it equals a verified copy A byte for byte, which costs a compare
  // instead of two more checksums (reading a hardened manifest is then ~2x format 1, not ~4x).
  const copyBIntact = copyA !== undefined && isMirrorOf(file, offsetBytes, copyA)
  const payload = copyA ?? checkRecordCopy(file, offsetBytes, 1, recordIndex, fileNumber)
  if (payload !== undefined) {
    const nextOffsetBytes = offsetBytes + HARDENED_PAIR_HEADER_SIZE_BYTES + 2 * payload.length
    // The file ends inside the second payload copy: the append that wrote it was never synced.
    if (nextOffsetBytes > file.length) return { tailReason: 'incomplete-payload' }
    return { payload, nextOffsetBytes, repairedCopyCount: copyBIntact ? 0 : 1 }
  }
  if (!anyClaimedSizeFits(file, offsetBytes)) return { tailReason: 'incomplete-payload' }
  if (isZeroFrom(file, offsetBytes)) return { tailReason: 'zero-filled' }
  return { damaged: true }
}

/** True when copy B of the pair at `offsetBytes` (header and payload) equals intact copy A. */
function isMirrorOf(file: Uint8Array, offsetBytes: number, payloadA: Uint8Array): boolean {
  const headerA = offsetBytes
  const headerB = offsetBytes + HARDENED_RECORD_HEADER_COPY_SIZE_BYTES
  const payloadB = offsetBytes + HARDENED_PAIR_HEADER_SIZE_BYTES + payloadA.length
  if (payloadB + payloadA.length > file.length) return false
  for (let i = 0; i < HARDENED_RECORD_HEADER_COPY_SIZE_BYTES; i++) if (file[headerA + i] !== file[headerB + i]) return false
  for (let i = 0; i < payloadA.length; i++) if (payloadA[i] !== file[payloadB + i]) return false
  return true
}

/** True when a header copy of the pair claims a payload size that fits, twice, in the file. */
function anyClaimedSizeFits(file: Uint8Array, offsetBytes: number): boolean {
  for (const copyIndex of [0, 1]) {
    const sizeBytes = claimedPayloadSizeBytes(file, offsetBytes + copyIndex * HARDENED_RECORD_HEADER_COPY_SIZE_BYTES)
    if (sizeBytes === undefined || sizeBytes > VERSION_EDIT_SIZE_BYTES_MAX) continue
    if (offsetBytes + HARDENED_PAIR_HEADER_SIZE_BYTES + 2 * sizeBytes <= file.length) return true
  }
  return false
}

/** True when every byte from `offsetBytes` to the end of `bytes` is zero. */
export function isZeroFrom(bytes: Uint8Array, offsetBytes: number): boolean {
  for (let i = offsetBytes; i < bytes.length; i++) if (bytes[i] !== 0) return false
  return true
}
