/**
 * readWal reads every record of a log file (WAL or manifest) in order, for recovery.
 *
 * The hard part is telling a torn tail from corruption in the middle (docs/formats/wal.md §4).
 * A crash mid-append leaves an incomplete or garbled LAST record: that record was never
 * acknowledged as durable, so dropping it is correct. A damaged record with valid records
 * after it is different: dropping it and everything behind it would silently lose writes that
 * were acknowledged. Rule: when the record at offset p is bad, scan every later byte offset for
 * a record that checks out (size within bounds and inside the file, a record index above the
 * bad one's, a matching seeded crc32). If one exists, the damage is in the middle: CORRUPTION,
 * whatever the tail mode (with `onDamage: 'stop'`, the records before it and a report
 * instead). If none exists, bytes p..end are a torn tail. A false "valid record" in a garbage
 * tail needs a 32-bit crc collision on top of an index match, so the scan is safe.
 *
 * Encrypted logs (format version 2) are framed the same way; the checksum covers the sealed
 * bytes, so the rule above runs without the key. A record is opened only after its checksum
 * held: an authentication failure there is a wrong key or tampering, and throws
 * DECRYPT_FAILED in every mode instead of being dropped as a torn tail.
 */
import { StrataError } from '../errors.ts'
import type { Vfs, VfsFile } from '../vfs/mod.ts'
import { ByteWindow } from './byte-window.ts'
import {
  decodeLogFileHeader, isLogFileHeaderPrefix, logFileHeaderSizeOf, LOG_FILE_HEADER_PREFIX_SIZE_BYTES,
  type LogFileHeader, type LogFileKind,
} from './file-header.ts'
import { checkPlaintextLogAllowed, logFileKeyOf, type LogCipher, type LogFileKey } from './log-cipher.ts'
import { decodeRecordHeader, recordChecksum, recordChecksumSeed, RECORD_HEADER_SIZE_BYTES } from './record.ts'
import { WAL_READ_WINDOW_BYTES, WAL_RECORD_PAYLOAD_BYTES_MAX } from './limits.ts'

/** Why the tail of a log was dropped. */
export type WalTailReason =
  | 'incomplete-file-header'
  | 'incomplete-record-header'
  | 'payload-size-over-limit'
  | 'incomplete-payload'
  | 'record-index-mismatch'
  | 'checksum-mismatch'

/** What a read found besides the payloads. */
export interface WalReadReport {
  /** Valid records returned. */
  recordsRead: number
  /** Bytes after the last valid record that were dropped as a torn tail (0 when clean). */
  tailBytesDropped: number
  /** Why the first dropped record was rejected; absent when nothing was dropped. */
  tailReason?: WalTailReason
  /** Offset of the first dropped byte; absent when nothing was dropped. */
  tailOffsetBytes?: number
  /**
   * Bytes of the final size `finalSizeBytes` gave that never reached the disk: missing past the
   * file's end, or zero from the first byte of a bad last record on (the file system recorded
   * the size but not the data). Either way an unsynced tail the kernel never wrote. Absent when
   * the file is whole or no final size was given.
   */
  lostTailBytes?: number
  /**
   * With `onDamage: 'stop'`: the first damaged record (one a valid record follows, or a bad last
   * record of a log whose final size says it is whole, or bytes past that size). The payloads
   * end before it and nothing is truncated.
   */
  damage?: { offsetBytes: number; reason: string }
}

/** The records of a log file and what the read found. */
export interface WalReadResult {
  /** The log number from the file header; undefined only when the header itself was torn. */
  logNumber: number | undefined
  /** Record payloads in file order (views into read buffers, not copies). */
  payloads: Uint8Array[]
  report: WalReadReport
}

/** Options of readWal. */
export interface WalReadOptions {
  /**
   * What to do with a torn tail: 'truncate' cuts it from the file (and syncs) and reports it,
   * 'report' only reports it (read-only opens, the manifest), 'fail' throws CORRUPTION.
   */
  onTornTail: 'truncate' | 'report' | 'fail'
  /**
   * What to do with damage that is not a torn tail (docs/formats/wal.md §4, §4.1): 'throw'
   * (default) throws CORRUPTION; 'stop' returns the records before it and reports it in
   * `report.damage`, the DB's `walRecovery: 'point-in-time'`. A record that fails
   * authentication is never damage to stop at: DECRYPT_FAILED either way.
   */
  onDamage?: 'throw' | 'stop'
  /** Which magic the file must carry; default 'wal'. */
  kind?: LogFileKind
  /** When set, the header's log number must equal it (else CORRUPTION). */
  expectedLogNumber?: number
  /**
   * The size the log had when its successor was created, from the successor's header (versions
   * 5 and 6; docs/formats/wal.md §4.1). A file that long holds every byte the log had, so a bad
   * last record there is damage: CORRUPTION in every mode, like a file longer than this, unless
   * the record is zero from its first byte on. A shorter file, or one ending in such a record,
   * lost an unsynced tail: `report.lostTailBytes` says how much, and 'fail' mode throws CORRUPTION.
   */
  finalSizeBytes?: number
  /**
   * Keys for encrypted logs. Without it an encrypted log fails with UNKNOWN_KEY_EPOCH; with it
   * a plaintext log is refused unless the cipher allows plaintext logs.
   */
  cipher?: LogCipher
}

interface RecordProblem {
  reason: WalTailReason
}

/**
 * Reads all records of the log at `filePath`.
 * @example
 * ```ts
 * const { payloads, report } = await readWal(vfs, '/db/000007.wal', { onTornTail: 'truncate' })
 * if (report.tailBytesDropped > 0) log(`dropped torn tail: ${report.tailReason}`)
 * ```
 * @throws {StrataError} `CORRUPTION` (details: fileName, offsetBytes, recordIndex) for a bad
 * header, a damaged record followed by valid data, or any torn tail in 'fail' mode;
 * `UNSUPPORTED_FORMAT_VERSION` for an unknown format version; `NOT_FOUND`, `IO_ERROR`;
 * for encrypted logs `DECRYPT_FAILED` (wrong key, a tampered header or record, a plaintext log
 * the cipher refuses), `UNKNOWN_KEY_EPOCH` (epoch not in the chain, or no cipher) and
 * `MISSING_KEY` (epoch known, key withheld), details fileName, offsetBytes, keyEpoch, suiteId.
 */
export async function readWal(vfs: Vfs, filePath: string, options: WalReadOptions): Promise<WalReadResult> {
  const kind = options.kind ?? 'wal'
  const file = vfs.openRead(filePath)
  let result: WalReadResult
  let fileSizeBytes: number
  try {
    fileSizeBytes = file.sizeBytes()
    result = readRecords(file, kind, options)
    if (options.finalSizeBytes !== undefined && result.report.damage === undefined) {
      checkFinalSize(kind, file, fileSizeBytes, options.finalSizeBytes, result.report, options.onDamage ?? 'throw')
    }
  } finally {
    file.close()
  }
  const { report } = result
  // Damage stopped at is left as found: the log is obsolete once recovery has replayed it.
  if (report.damage !== undefined) return result
  if (report.tailBytesDropped > 0 || report.lostTailBytes !== undefined) {
    if (options.onTornTail === 'fail') throw tornTailError(kind, filePath, report, fileSizeBytes)
    if (options.onTornTail === 'truncate' && report.tailBytesDropped > 0) await truncateTail(vfs, filePath, report.tailOffsetBytes ?? 0)
  }
  return result
}

/**
 * Holds a read of a log up to the final size its successor recorded: shorter, or complete but
 * zero from its bad record's first byte to the end, sets `report.lostTailBytes`; longer, or
 * complete with any other bad last record, is damage (CORRUPTION).
 */
function checkFinalSize(
  kind: LogFileKind, file: VfsFile, fileSizeBytes: number, finalSizeBytes: number, report: WalReadReport, onDamage: 'throw' | 'stop',
): void {
  if (fileSizeBytes < finalSizeBytes) {
    report.lostTailBytes = finalSizeBytes - fileSizeBytes
    return
  }
  if (fileSizeBytes === finalSizeBytes && report.tailBytesDropped === 0) return
  const tailOffsetBytes = report.tailOffsetBytes ?? fileSizeBytes
  if (fileSizeBytes === finalSizeBytes && isZeroFrom(file, tailOffsetBytes, fileSizeBytes)) {
    report.lostTailBytes = fileSizeBytes - tailOffsetBytes
    return
  }
  if (onDamage === 'stop') {
    // Longer: the records were read up to the final size only; the first bad one, if any, is
    // where the damage starts, else the final size.
    report.damage = fileSizeBytes > finalSizeBytes
      ? { offsetBytes: Math.min(tailOffsetBytes, finalSizeBytes), reason: 'longer-than-final-size' }
      : { offsetBytes: tailOffsetBytes, reason: report.tailReason ?? 'damaged' }
    return
  }
  const damaged = fileSizeBytes > finalSizeBytes ? `is ${fileSizeBytes} bytes long`
    : `is complete but its record at offset ${tailOffsetBytes} is damaged (${report.tailReason})`
  throw new StrataError('CORRUPTION',
    `Cannot read ${kind} file ${file.path}: it ${damaged}, and the next log's header says it ended at ${finalSizeBytes} bytes`,
    { details: { fileName: file.path, offsetBytes: tailOffsetBytes, recordIndex: report.recordsRead, fileSizeBytes, finalSizeBytes } })
}

/**
 * True when every byte of `file` from `fromBytes` to `endBytes` is zero: the whole bad record,
 * its header included, never written (a file system that recorded the size before the data),
 * as the manifest reader accepts an all-zero tail. One bit flip cannot zero a record header (its
 * checksum is seeded by the log number), so this never hides damage. Zeros from later inside the
 * record are not accepted: a record whose own data ends in zeros would pass for lost pages after
 * a flip anywhere in it (a review reproduced acknowledged writes lost that way).
 */
function isZeroFrom(file: VfsFile, fromBytes: number, endBytes: number): boolean {
  const chunk = new Uint8Array(Math.min(ZERO_CHECK_CHUNK_BYTES, endBytes - fromBytes))
  for (let offsetBytes = fromBytes; offsetBytes < endBytes; offsetBytes += chunk.length) {
    const bytes = chunk.subarray(0, Math.min(chunk.length, endBytes - offsetBytes))
    if (file.read(bytes, offsetBytes) !== bytes.length || bytes.some((byte) => byte !== 0)) return false
  }
  return true
}

/** Bytes read at a time by isZeroFrom. */
const ZERO_CHECK_CHUNK_BYTES = 64 * 1024

/**
 * The header of the log at `filePath`, or undefined when the file is shorter than its header
 * (torn at creation), checked as readWal checks it before the first record: an encrypted
 * header's tag under `cipher` (which authenticates a version-6 link), and a plaintext header
 * against a cipher that refuses plaintext logs. Recovery reads each log's successor link
 * (`predecessor`) before the log itself.
 * @throws {StrataError} as readWal for a bad header, a key it cannot find, a failed header tag
 * or a refused plaintext log.
 */
export function readLogFileHeader(vfs: Vfs, filePath: string, cipher?: LogCipher): LogFileHeader | undefined {
  const file = vfs.openRead(filePath)
  let header: LogFileHeader | undefined
  try {
    const fileSizeBytes = file.sizeBytes()
    header = wholeHeaderOf(new ByteWindow(file, fileSizeBytes), fileSizeBytes, 'wal', file.path)?.header
  } finally {
    file.close()
  }
  if (header === undefined) return undefined
  if (header.encryption === undefined) checkPlaintextLogAllowed(cipher, header, filePath)
  else logFileKeyOf(cipher, header, header.encryption, filePath)
  return header
}

/**
 * How many records from the damage at `offsetBytes` (where record `recordIndex` was expected)
 * to the end of the log at `filePath` check out: what point-in-time recovery drops from this
 * log (docs/formats/wal.md §4). From the damage it walks records in order and, after each bad
 * one, resumes at the next record that checks out by the same scan that tells damage from a
 * torn tail. Only checksums are checked, so an encrypted log needs no key.
 * @throws {StrataError} `CORRUPTION` or `UNSUPPORTED_FORMAT_VERSION` for a bad header, `IO_ERROR`.
 */
export function countRecordsAfterDamage(vfs: Vfs, filePath: string, offsetBytes: number, recordIndex: number): number {
  const file = vfs.openRead(filePath)
  try {
    const fileSizeBytes = file.sizeBytes()
    const window = new ByteWindow(file, fileSizeBytes)
    const whole = wholeHeaderOf(window, fileSizeBytes, 'wal', file.path)
    if (whole === undefined) return 0
    const scan = new RecordScan(window, fileSizeBytes, recordChecksumSeed(whole.header.fileNumber))
    let count = 0
    let at: number | undefined = Math.max(offsetBytes, whole.headerSizeBytes)
    let index = recordIndex
    // Each step moves `at` forward by a record or to a later resync point, which bounds the loop.
    while (at !== undefined && at < fileSizeBytes) {
      const record = scan.recordAt(at, index)
      if (!('reason' in record)) {
        count++
        index++
        at = record.nextOffsetBytes
        continue
      }
      at = scan.findValidRecordAfter(at, index)
      if (at !== undefined) index = decodeRecordHeader(window.bytes(at, RECORD_HEADER_SIZE_BYTES), 0).recordIndex
    }
    return count
  } finally {
    file.close()
  }
}

/**
 * The decoded header at the start of `window` and its size, or undefined when the file is
 * shorter than its header (torn at creation; readTornHeader judges those bytes).
 * @throws {StrataError} `CORRUPTION` or `UNSUPPORTED_FORMAT_VERSION` for a bad header.
 */
function wholeHeaderOf(window: ByteWindow, fileSizeBytes: number, kind: LogFileKind, fileName: string): { header: LogFileHeader; headerSizeBytes: number } | undefined {
  if (fileSizeBytes < LOG_FILE_HEADER_PREFIX_SIZE_BYTES) return undefined
  const headerSizeBytes = logFileHeaderSizeOf(kind, window.bytes(0, LOG_FILE_HEADER_PREFIX_SIZE_BYTES), fileName)
  if (fileSizeBytes < headerSizeBytes) return undefined
  return { header: decodeLogFileHeader(kind, window.bytes(0, headerSizeBytes), fileName), headerSizeBytes }
}

function readRecords(file: VfsFile, kind: LogFileKind, options: WalReadOptions): WalReadResult {
  // Stopping at damage, a log longer than its final size is read only up to it: what lies past
  // it was never this log's, so no record there may replay (checkFinalSize reports the rest).
  const finalSizeBytes = options.onDamage === 'stop' ? options.finalSizeBytes : undefined
  const fileSizeBytes = finalSizeBytes === undefined ? file.sizeBytes() : Math.min(file.sizeBytes(), finalSizeBytes)
  const window = new ByteWindow(file, fileSizeBytes)
  const whole = wholeHeaderOf(window, fileSizeBytes, kind, file.path)
  if (whole === undefined) return readTornHeader(window, file.path, kind, fileSizeBytes)
  const { header, headerSizeBytes } = whole
  if (options.expectedLogNumber !== undefined && header.fileNumber !== options.expectedLogNumber) {
    throw new StrataError('CORRUPTION',
      `Cannot read ${kind} file ${file.path}: header names log ${header.fileNumber}, expected ${options.expectedLogNumber}`,
      { details: { fileName: file.path, offsetBytes: 0 } })
  }
  // An encrypted log needs its key only for its first record: a log without records holds no
  // data, so a DB whose last log is empty opens after its epoch's key was dropped.
  const encryption = header.encryption
  if (encryption === undefined) checkPlaintextLogAllowed(options.cipher, header, file.path)
  let fileKey: LogFileKey | undefined
  const scan = new RecordScan(window, fileSizeBytes, recordChecksumSeed(header.fileNumber))
  const payloads: Uint8Array[] = []
  let offsetBytes = headerSizeBytes
  // Each iteration consumes at least RECORD_HEADER_SIZE_BYTES, which bounds the loop.
  while (offsetBytes < fileSizeBytes) {
    const record = scan.recordAt(offsetBytes, payloads.length)
    if ('reason' in record) {
      const validOffsetBytes = scan.findValidRecordAfter(offsetBytes, payloads.length)
      if (validOffsetBytes !== undefined && options.onDamage !== 'stop') {
        throw middleDamageError(kind, file.path, offsetBytes, payloads.length, record.reason, validOffsetBytes)
      }
      const report: WalReadReport = {
        recordsRead: payloads.length,
        tailBytesDropped: fileSizeBytes - offsetBytes,
        tailReason: record.reason,
        tailOffsetBytes: offsetBytes,
      }
      if (validOffsetBytes !== undefined) report.damage = { offsetBytes, reason: record.reason }
      return { logNumber: header.fileNumber, payloads, report }
    }
    if (encryption === undefined) {
      payloads.push(record.payload)
    } else {
      fileKey ??= logFileKeyOf(options.cipher, header, encryption, file.path)
      payloads.push(openRecord(fileKey, header, file.path, offsetBytes, payloads.length, record.payload))
    }
    offsetBytes = record.nextOffsetBytes
  }
  return { logNumber: header.fileNumber, payloads, report: { recordsRead: payloads.length, tailBytesDropped: 0 } }
}

/** The plaintext of a sealed record whose checksum held; a failed tag is never a torn tail. */
function openRecord(
  fileKey: LogFileKey, header: LogFileHeader, fileName: string, offsetBytes: number, recordIndex: number, sealed: Uint8Array,
): Uint8Array {
  const plaintext = fileKey.open(recordIndex, sealed)
  if (plaintext !== undefined) return plaintext
  throw new StrataError('DECRYPT_FAILED',
    `Cannot read ${header.kind} file ${fileName}: record ${recordIndex} at offset ${offsetBytes} failed authentication ` +
    '(wrong key, or the record was altered, moved or reordered)',
    { details: { fileName, offsetBytes, recordIndex, fileNumber: header.fileNumber, suiteId: fileKey.suiteId, keyEpoch: fileKey.keyEpoch } })
}

/** A file shorter than a header: torn during creation when its bytes fit the magic. */
function readTornHeader(window: ByteWindow, fileName: string, kind: LogFileKind, fileSizeBytes: number): WalReadResult {
  if (!isLogFileHeaderPrefix(kind, window.bytes(0, fileSizeBytes))) {
    throw new StrataError('CORRUPTION', `Cannot read ${kind} file ${fileName}: ${fileSizeBytes} bytes with a bad magic`, {
      details: { fileName, offsetBytes: 0 },
    })
  }
  const report: WalReadReport = fileSizeBytes === 0
    ? { recordsRead: 0, tailBytesDropped: 0 }
    : { recordsRead: 0, tailBytesDropped: fileSizeBytes, tailReason: 'incomplete-file-header', tailOffsetBytes: 0 }
  return { logNumber: undefined, payloads: [], report }
}

/** A damaged record with a valid one after it: cutting there would drop acknowledged writes. */
function middleDamageError(
  kind: LogFileKind, fileName: string, offsetBytes: number, recordIndex: number, reason: WalTailReason, validOffsetBytes: number,
): StrataError {
  return new StrataError('CORRUPTION',
    `Cannot read ${kind} file ${fileName}: record ${recordIndex} at offset ${offsetBytes} is damaged (${reason}) ` +
    `but a valid record follows at offset ${validOffsetBytes}`,
    { details: { fileName, offsetBytes, recordIndex, reason, validOffsetBytes } })
}

function tornTailError(kind: LogFileKind, fileName: string, report: WalReadReport, fileSizeBytes: number): StrataError {
  const offsetBytes = report.tailOffsetBytes ?? fileSizeBytes
  const lost = report.lostTailBytes === undefined ? '' : `, ${report.lostTailBytes} bytes of its final size lost`
  return new StrataError('CORRUPTION',
    `Cannot read ${kind} file ${fileName}: torn tail of ${report.tailBytesDropped} bytes at offset ${offsetBytes} (${report.tailReason ?? 'lost'})${lost}`,
    { details: { fileName, offsetBytes, recordIndex: report.recordsRead, reason: report.tailReason ?? 'lost-tail' } })
}

async function truncateTail(vfs: Vfs, filePath: string, offsetBytes: number): Promise<void> {
  const file = vfs.openAppend(filePath)
  try {
    file.truncate(offsetBytes)
    await file.sync()
  } finally {
    file.close()
  }
}

/** Checks records at given offsets of one file. */
class RecordScan {
  readonly #window: ByteWindow
  readonly #fileSizeBytes: number
  readonly #seed: number

  constructor(window: ByteWindow, fileSizeBytes: number, seed: number) {
    this.#window = window
    this.#fileSizeBytes = fileSizeBytes
    this.#seed = seed
  }

  /** The record at `offsetBytes` if it is whole and valid with index `recordIndex`. */
  recordAt(offsetBytes: number, recordIndex: number): { payload: Uint8Array, nextOffsetBytes: number } | RecordProblem {
    const remainingBytes = this.#fileSizeBytes - offsetBytes
    if (remainingBytes < RECORD_HEADER_SIZE_BYTES) return { reason: 'incomplete-record-header' }
    const headerBytes = this.#window.bytes(offsetBytes, RECORD_HEADER_SIZE_BYTES)
    const header = decodeRecordHeader(headerBytes, 0)
    if (header.payloadSizeBytes > WAL_RECORD_PAYLOAD_BYTES_MAX) return { reason: 'payload-size-over-limit' }
    if (header.payloadSizeBytes > remainingBytes - RECORD_HEADER_SIZE_BYTES) return { reason: 'incomplete-payload' }
    if (header.recordIndex !== recordIndex) return { reason: 'record-index-mismatch' }
    const payloadOffsetBytes = offsetBytes + RECORD_HEADER_SIZE_BYTES
    const payload = this.#window.bytes(payloadOffsetBytes, header.payloadSizeBytes)
    // headerBytes stays valid even if the payload read moved the window: windows are never reused.
    if (recordChecksum(headerBytes.subarray(0, 8), payload, this.#seed) !== header.checksum) {
      return { reason: 'checksum-mismatch' }
    }
    return { payload, nextOffsetBytes: payloadOffsetBytes + header.payloadSizeBytes }
  }

  /**
   * The offset of the first valid record after the bad one at `badOffsetBytes` whose index is
   * above `badRecordIndex`, or undefined. Cheap filters (index range, size) run before the crc.
   */
  findValidRecordAfter(badOffsetBytes: number, badRecordIndex: number): number | undefined {
    // Records take at least a header each, which bounds how high a later index can be.
    const indexMax = badRecordIndex + Math.floor((this.#fileSizeBytes - badOffsetBytes) / RECORD_HEADER_SIZE_BYTES)
    const lastStartBytes = this.#fileSizeBytes - RECORD_HEADER_SIZE_BYTES
    // Hot loop over every byte offset: scan a window-sized chunk as raw bytes, reading the u32
    // index by hand, instead of one view per offset (a 64 MiB tail would be 64M allocations).
    for (let chunkStart = badOffsetBytes + 1; chunkStart <= lastStartBytes; chunkStart += WAL_READ_WINDOW_BYTES) {
      const startCount = Math.min(WAL_READ_WINDOW_BYTES, lastStartBytes - chunkStart + 1)
      const bytes = this.#window.bytes(chunkStart, startCount - 1 + RECORD_HEADER_SIZE_BYTES)
      for (let start = 0; start < startCount; start++) {
        const recordIndex = (bytes[start + 4] | (bytes[start + 5] << 8) | (bytes[start + 6] << 16) | (bytes[start + 7] << 24)) >>> 0
        if (recordIndex <= badRecordIndex || recordIndex > indexMax) continue
        // recordAt may move the window; `bytes` stays valid because windows are never reused.
        const record = this.recordAt(chunkStart + start, recordIndex)
        if (!('reason' in record)) return chunkStart + start
      }
    }
    return undefined
  }
}
