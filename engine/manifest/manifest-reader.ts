/**
 * readManifest reads a manifest of either format version for recovery and applies the rule
 * that tells a torn last record (dropped) from a damaged one (an error, or repaired from its
 * mirror in a hardened manifest). docs/formats/manifest.md §5 states the rule, §6 the hardened
 * format.
 *
 * Format 1 is the log framing of engine/wal/, read by readWal. readWal drops any bad last
 * record as a torn tail; that is right for the WAL (an unsynced write batch) but not for the
 * manifest, whose last record may be an acknowledged flush whose WAL is already deleted. So the
 * tail readWal reports is judged again here (`checkPlainTail`).
 *
 * Sealed manifests (docs/formats/manifest.md §7): format 2 is the log framing's encrypted log,
 * which readWal opens with the cipher; format 4 the hardened framing over sealed payloads. The
 * torn-tail judgement runs on the sealed bytes, so it needs no key. Whether a plaintext
 * manifest is acceptable in a given store is the VersionSet's decision, not this reader's.
 */
import { StrataError } from '../errors.ts'
import type { Vfs } from '../vfs/mod.ts'
import { readWal, RECORD_HEADER_SIZE_BYTES, type LogCipher, type WalReadReport } from '../wal/mod.ts'
import {
  claimsHardenedFormat, decodeHeaderCopy, HARDENED_HEADER_COPY_SIZE_BYTES,
  logRecordCrc32, MANIFEST_FORMAT_VERSION_HARDENED, MANIFEST_FORMAT_VERSION_PLAIN,
} from './hardened-framing.ts'
import { isZeroFrom, readHardenedManifest } from './hardened-reader.ts'
import { MANIFEST_FILE_SIZE_BYTES_MAX, VERSION_EDIT_SIZE_BYTES_MAX } from './limits.ts'
import type { ManifestReadResult } from './manifest-read-result.ts'
import {
  claimsSealedHardenedFormat, MANIFEST_FORMAT_VERSION_HARDENED_SEALED, SEALED_FILE_HEADER_SIZE_BYTES, SEALED_HEADER_COPY_SIZE_BYTES,
} from './sealed-hardened-framing.ts'

/** Format version of a manifest in the encrypted log framing (docs/formats/wal.md §2.2). */
export const MANIFEST_FORMAT_VERSION_SEALED = 2

/**
 * The manifest format versions this build reads: 1, the log framing's 2 (an encrypted log,
 * which readWal opens or refuses), 3 (hardened) and 4 (hardened, sealed).
 */
const MANIFEST_FORMAT_VERSIONS_READ: readonly number[] = [
  MANIFEST_FORMAT_VERSION_PLAIN, MANIFEST_FORMAT_VERSION_SEALED, MANIFEST_FORMAT_VERSION_HARDENED, MANIFEST_FORMAT_VERSION_HARDENED_SEALED,
]

/** Options of readManifest. */
export interface ReadManifestOptions {
  /**
   * Keys for a sealed manifest (format 2 or 4); without it one fails with UNKNOWN_KEY_EPOCH.
   * Should allow plaintext logs: plaintext manifests are judged by the caller.
   */
  cipher?: LogCipher
}

/**
 * Reads every record of the manifest at `manifestPath`, whichever format it was written in.
 * @example
 * ```ts
 * const { payloads, repairedCopyCount } = await readManifest(vfs, '/db/MANIFEST-000005', 5)
 * ```
 * @throws {StrataError} `CORRUPTION` (details fileName, offsetBytes, recordIndex) for a damaged
 * header, a damaged record with records after it, a complete but damaged last record (format
 * 1), both copies of a record damaged (format 3); `UNSUPPORTED_FORMAT_VERSION`; `IO_ERROR`;
 * for a sealed manifest `UNKNOWN_KEY_EPOCH`, `MISSING_KEY`, `DECRYPT_FAILED` as for an
 * encrypted log (docs/formats/wal.md §2.3).
 */
export async function readManifest(vfs: Vfs, manifestPath: string, manifestNumber: number, options: ReadManifestOptions = {}): Promise<ManifestReadResult> {
  const sizeBytes = vfs.sizeBytes(manifestPath)
  const prefix = readRange(vfs, manifestPath, 0, Math.min(sizeBytes, SEALED_FILE_HEADER_SIZE_BYTES))
  if (!isHardened(prefix, manifestPath)) return readPlainManifest(vfs, manifestPath, manifestNumber, prefix, options.cipher)
  if (sizeBytes > MANIFEST_FILE_SIZE_BYTES_MAX) {
    throw new StrataError('CORRUPTION', `Cannot read manifest ${manifestPath}: ${sizeBytes} bytes exceeds ${MANIFEST_FILE_SIZE_BYTES_MAX}`, {
      details: { fileName: manifestPath, offsetBytes: 0 },
    })
  }
  const { formatVersion, ...result } = readHardenedManifest(readRange(vfs, manifestPath, 0, sizeBytes), manifestPath, manifestNumber, options.cipher)
  return { formatVersion, encrypted: formatVersion === MANIFEST_FORMAT_VERSION_HARDENED_SEALED, ...result }
}

/**
 * Hardened (format 3 or 4) when either header copy says so (a single damaged byte cannot hide it: the other
 * copy still names version 3). An intact version-1 header wins: a version-1 header whose
 * version byte flipped to 3 fails its checksum, so it is read as a damaged hardened manifest
 * (CORRUPTION), never as a valid one.
 */
function isHardened(prefix: Uint8Array, manifestPath: string): boolean {
  const first = decodeHeaderCopy(prefix.subarray(0, HARDENED_HEADER_COPY_SIZE_BYTES))
  if (first?.formatVersion === MANIFEST_FORMAT_VERSION_PLAIN) return false
  if (first !== undefined && !MANIFEST_FORMAT_VERSIONS_READ.includes(first.formatVersion)) {
    // An intact header of a version this build never knew (a later build wrote it).
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION',
      `Cannot read manifest ${manifestPath}: format version ${first.formatVersion} is not one of ${MANIFEST_FORMAT_VERSIONS_READ.join(', ')}`,
      { details: { fileName: manifestPath, offsetBytes: 0, formatVersion: first.formatVersion } })
  }
  return claimsHardenedFormat(prefix) || claimsHardenedFormat(prefix.subarray(HARDENED_HEADER_COPY_SIZE_BYTES)) ||
    claimsSealedHardenedFormat(prefix) || claimsSealedHardenedFormat(prefix.subarray(SEALED_HEADER_COPY_SIZE_BYTES))
}

async function readPlainManifest(vfs: Vfs, manifestPath: string, manifestNumber: number, prefix: Uint8Array, cipher: LogCipher | undefined): Promise<ManifestReadResult> {
  const { payloads, report } = await readWal(vfs, manifestPath, {
    kind: 'manifest', onTornTail: 'report', expectedLogNumber: manifestNumber, cipher,
  })
  // readWal checked the header, so its version byte (1 or 2) is the format version.
  const formatVersion = prefix[4] === MANIFEST_FORMAT_VERSION_SEALED ? MANIFEST_FORMAT_VERSION_SEALED : MANIFEST_FORMAT_VERSION_PLAIN
  const result: ManifestReadResult = {
    formatVersion, encrypted: formatVersion === MANIFEST_FORMAT_VERSION_SEALED, payloads, repairedCopyCount: 0, tailBytesDropped: report.tailBytesDropped,
  }
  if (report.tailBytesDropped === 0) return result
  const zeroFilled = checkPlainTail(vfs, manifestPath, manifestNumber, report)
  return { ...result, tailReason: zeroFilled ? 'zero-filled' : report.tailReason }
}

/**
 * Judges the tail readWal dropped from a format-1 manifest (manifest.md §5, "torn or
 * damaged"). The file ending inside the record is a torn append, unless the bytes that are
 * there form a whole record once the size field is corrected (a flipped size bit, not a tear).
 * A record that lies wholly inside the file but fails its index or checksum was damaged after
 * it was written, and may have been acknowledged: CORRUPTION, unless the whole tail is zero.
 * @returns true when the tail is a zero-filled unwritten append.
 */
function checkPlainTail(vfs: Vfs, manifestPath: string, manifestNumber: number, report: WalReadReport): boolean {
  const offsetBytes = report.tailOffsetBytes ?? 0
  const reason = report.tailReason
  if (reason === undefined || reason === 'incomplete-file-header' || reason === 'incomplete-record-header') return false
  if (report.tailBytesDropped > MANIFEST_FILE_SIZE_BYTES_MAX) throw damagedLastRecord(manifestPath, offsetBytes, report, 'tail-size-over-limit')
  const tail = readRange(vfs, manifestPath, offsetBytes, report.tailBytesDropped)
  if (reason === 'incomplete-payload' || reason === 'payload-size-over-limit') {
    if (isWholeRecordWithDamagedSize(tail, manifestNumber)) throw damagedLastRecord(manifestPath, offsetBytes, report, 'size-field-damaged')
    return false
  }
  if (isZeroFrom(tail, 0)) return true
  throw damagedLastRecord(manifestPath, offsetBytes, report, reason)
}

/** True when `tail` checks out as one record whose size field is wrong: a damaged size, not a tear. */
function isWholeRecordWithDamagedSize(tail: Uint8Array, manifestNumber: number): boolean {
  const payloadSizeBytes = tail.length - RECORD_HEADER_SIZE_BYTES
  if (payloadSizeBytes < 0 || payloadSizeBytes > VERSION_EDIT_SIZE_BYTES_MAX) return false
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength)
  const corrected = tail.slice(0, 8)
  new DataView(corrected.buffer).setUint32(0, payloadSizeBytes, true)
  return logRecordCrc32(corrected, tail.subarray(RECORD_HEADER_SIZE_BYTES), manifestNumber) === view.getUint32(8, true)
}

function damagedLastRecord(fileName: string, offsetBytes: number, report: WalReadReport, reason: string): StrataError {
  const recordIndex = report.recordsRead
  return new StrataError('CORRUPTION',
    `Cannot read manifest ${fileName}: last record ${recordIndex} at offset ${offsetBytes} is complete but damaged ` +
    `(${reason}); it may have been acknowledged, so it is not dropped as a torn tail`,
    { details: { fileName, offsetBytes, recordIndex, reason } })
}

/** Reads `sizeBytes` bytes at `offsetBytes` of `filePath`. */
function readRange(vfs: Vfs, filePath: string, offsetBytes: number, sizeBytes: number): Uint8Array {
  const file = vfs.openRead(filePath)
  try {
    const bytes = new Uint8Array(sizeBytes)
    let doneBytes = 0
    // Each pass reads at least one byte or stops, which bounds the loop by sizeBytes.
    while (doneBytes < sizeBytes) {
      const readBytes = file.read(bytes.subarray(doneBytes), offsetBytes + doneBytes)
      if (readBytes <= 0) break
      doneBytes += readBytes
    }
    return bytes.subarray(0, doneBytes)
  } finally {
    file.close()
  }
}
