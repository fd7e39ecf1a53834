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
 *
 * A sealed hardened manifest (format 4, sealed-hardened-framing.ts) is read by the same rules
 * over the sealed payloads, which the checksums cover; only then is each chosen payload opened
 * with the file key. A payload whose copy checked out but whose tag fails is a wrong key or
 * tampering (DECRYPT_FAILED), never a torn tail, as in an encrypted log.
 */
import { Buffer } from 'node:buffer'
import { StrataError } from '../errors.ts'
import type { LogFileHeader } from '../wal/file-header.ts'
import { logFileKeyOf, type LogCipher } from '../wal/log-cipher.ts'
import {
  checkRecordCopy, claimedPayloadSizeBytes, decodeHeaderCopy, HARDENED_FILE_HEADER_SIZE_BYTES,
  HARDENED_HEADER_COPY_SIZE_BYTES, HARDENED_PAIR_HEADER_SIZE_BYTES, HARDENED_RECORD_HEADER_COPY_SIZE_BYTES,
  MANIFEST_FORMAT_VERSION_HARDENED, type HeaderCopy,
} from './hardened-framing.ts'
import { VERSION_EDIT_SIZE_BYTES_MAX } from './limits.ts'
import type { ManifestTailReason } from './manifest-read-result.ts'
import {
  claimsSealedHardenedFormat, decodeSealedHeaderCopy, MANIFEST_FORMAT_VERSION_HARDENED_SEALED,
  SEALED_FILE_HEADER_SIZE_BYTES, SEALED_HEADER_COPY_SIZE_BYTES,
} from './sealed-hardened-framing.ts'

/** What a hardened manifest held. */
export interface HardenedReadResult {
  /** 3, or 4 when the payloads were sealed (and have been opened). */
  formatVersion: number
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
 * another file number. For a sealed manifest (format 4) the key errors of an encrypted log:
 * `UNKNOWN_KEY_EPOCH` (no cipher, or an epoch the chain does not know), `MISSING_KEY`,
 * `DECRYPT_FAILED` (wrong key, a tampered header or record).
 */
export function readHardenedManifest(file: Uint8Array, fileName: string, expectedFileNumber: number, cipher?: LogCipher): HardenedReadResult {
  const header = checkFileHeader(file, fileName, expectedFileNumber)
  let repairedCopyCount = header.repairedCopyCount
  const formatVersion = header.sealed === undefined ? MANIFEST_FORMAT_VERSION_HARDENED : MANIFEST_FORMAT_VERSION_HARDENED_SEALED
  const payloads: Uint8Array[] = []
  let offsetBytes = header.sizeBytes
  // Each pair consumes at least its two headers, which bounds the loop by the file size.
  while (offsetBytes < file.length) {
    const recordIndex = payloads.length
    const pair = readPair(file, offsetBytes, recordIndex, expectedFileNumber)
    if ('tailReason' in pair) {
      return {
        formatVersion, payloads: openPayloads(header, payloads, fileName, cipher), repairedCopyCount,
        tailBytesDropped: file.length - offsetBytes, tailReason: pair.tailReason, tailOffsetBytes: offsetBytes,
      }
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
  return { formatVersion, payloads: openPayloads(header, payloads, fileName, cipher), repairedCopyCount, tailBytesDropped: 0 }
}

/** What the file header said: its size, damaged copies, and the sealing facts of format 4. */
interface FileHeaderCheck {
  sizeBytes: number
  repairedCopyCount: number
  sealed?: LogFileHeader
}

/**
 * Opens the sealed payloads of a format-4 file (the others pass through). Each payload's
 * position is its record index, which the AAD binds; the key is derived only when there is a
 * record to open, as for an encrypted log.
 */
function openPayloads(header: FileHeaderCheck, sealed: Uint8Array[], fileName: string, cipher: LogCipher | undefined): Uint8Array[] {
  const logHeader = header.sealed
  if (logHeader === undefined || sealed.length === 0) return sealed
  const key = logFileKeyOf(cipher, logHeader, logHeader.encryption!, fileName)
  return sealed.map((payload, recordIndex) => {
    const plaintext = key.open(recordIndex, payload)
    if (plaintext !== undefined) return plaintext
    throw new StrataError('DECRYPT_FAILED',
      `Cannot read manifest ${fileName}: record ${recordIndex} failed authentication (wrong key, or the record was altered, moved or reordered)`,
      { details: { fileName, recordIndex, fileNumber: logHeader.fileNumber, suiteId: key.suiteId, keyEpoch: key.keyEpoch } })
  })
}

/** Checks both header copies of either hardened format. */
function checkFileHeader(file: Uint8Array, fileName: string, expectedFileNumber: number): FileHeaderCheck {
  if (claimsSealedHardenedFormat(file) || claimsSealedHardenedFormat(file.subarray(SEALED_HEADER_COPY_SIZE_BYTES))) {
    return checkSealedFileHeader(file, fileName, expectedFileNumber)
  }
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
  return { sizeBytes: HARDENED_FILE_HEADER_SIZE_BYTES, repairedCopyCount: 2 - intact.length }
}

/**
 * The format-4 header: the first intact copy is used. Two intact copies that differ (salt,
 * epoch) are CORRUPTION, as are two damaged ones; the chosen copy is authenticated later by
 * its header tag, when the first record is opened.
 */
function checkSealedFileHeader(file: Uint8Array, fileName: string, expectedFileNumber: number): FileHeaderCheck {
  const details = { fileName, offsetBytes: 0 }
  if (file.length < SEALED_FILE_HEADER_SIZE_BYTES) {
    throw new StrataError('CORRUPTION', `Cannot read manifest ${fileName}: ${file.length} bytes is shorter than its header`, { details })
  }
  const copies = [0, SEALED_HEADER_COPY_SIZE_BYTES].map((offset) => decodeSealedHeaderCopy(file.subarray(offset, offset + SEALED_HEADER_COPY_SIZE_BYTES)))
  const intact = copies.filter((copy): copy is LogFileHeader => copy !== undefined)
  if (intact.length === 0) {
    throw new StrataError('CORRUPTION', `Cannot read manifest ${fileName}: both copies of the file header are damaged`, { details })
  }
  const first = intact[0]
  const sameBytes = intact.length === 1 || Buffer.compare(file.subarray(0, SEALED_HEADER_COPY_SIZE_BYTES), file.subarray(SEALED_HEADER_COPY_SIZE_BYTES, SEALED_FILE_HEADER_SIZE_BYTES)) === 0
  if (!sameBytes || first.fileNumber !== expectedFileNumber) {
    throw new StrataError('CORRUPTION',
      `Cannot read manifest ${fileName}: header names manifest ${first.fileNumber} (copies ${sameBytes ? 'agree' : 'differ'}), expected ${expectedFileNumber}`, { details })
  }
  return { sizeBytes: SEALED_FILE_HEADER_SIZE_BYTES, repairedCopyCount: 2 - intact.length, sealed: first }
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
