/**
 * A read-only survey of a store's write-ahead logs for `strata wal` and `strata repair`: what
 * each log holds (header, link to its predecessor, records, sequence numbers, first damage), and
 * what recovery would do with them in the default mode and with `walRecovery: 'point-in-time'`
 * (docs/formats/wal.md §4, §4.1). Every byte is read through the engine's own readers (readWal,
 * readLogFileHeader, and recovery's own RecoveryWalk); nothing is written, truncated or locked.
 *
 * `recoveryVerdict` walks the logs with engine/recovery.ts `recoverWals`' own walk
 * (RecoveryWalk), except that a torn tail is reported instead of cut. It cannot see one stop of
 * the real replay: a record whose blob bytes never reached the disk (the value layer's
 * `isDurable` hook).
 * test/wal-repair.test.ts checks, for every damage §4.1 lists, that the verdict matches what
 * opening the store in that mode does.
 */
import path from 'node:path'
import { decodeBatch, OpKind } from '../batch/write-batch.ts'
import { StrataError, type StrataErrorCode } from '../errors.ts'
import { parseFileName, walFileName } from '../manifest/mod.ts'
import { RecoveryWalk } from '../recovery-walk.ts'
import type { Vfs } from '../vfs/mod.ts'
import { countRecordsAfterDamage, readLogFileHeader, readWal, type LogCipher, type WalReadReport } from '../wal/mod.ts'

/** A typed error as the tool prints it. */
export interface ErrorFacts {
  code: StrataErrorCode
  message: string
}

/** The link a version-5 or version-6 header records, checked against the predecessor on disk. */
export interface LinkFacts {
  fileNumber: number
  /** The predecessor's final size, as the link records it. */
  sizeBytes: number
  /** The predecessor's size on disk; undefined when it is missing. */
  foundSizeBytes: number | undefined
  /** True when the predecessor exists and is exactly the recorded size. */
  holds: boolean
}

/** The first place a log stops reading cleanly. */
export interface DamageFacts {
  /**
   * `torn-tail`: a bad last record and nothing valid after it (cut by recovery in the last log);
   * `lost-tail`: shorter than its successor's link says, or zero to its recorded end (§4.1);
   * `damaged`: a bad record with valid ones after it, a bad last record of a whole log, or bytes
   * past the recorded final size.
   */
  kind: 'torn-tail' | 'lost-tail' | 'damaged'
  offsetBytes: number
  reason: string
  /** Records after the damage that still check out (they are dropped with it). */
  readableRecordsAfter: number
}

/** What one WAL file holds. */
export interface WalFileFacts {
  file: string
  fileNumber: number
  /** True when recovery replays it (its number is at least the manifest's log number). */
  live: boolean
  sizeBytes: number
  formatVersion?: number
  encrypted?: boolean
  keyEpoch?: number
  predecessor?: LinkFacts
  /** Records read before the first damage. */
  recordCount: number
  /** First and last sequence number of those records; absent when there are none. */
  seqnos?: [number, number]
  /** Ops among those records that hold a blob handle (the store separates values). */
  blobHandleCount: number
  damage?: DamageFacts
  /** The header or a record could not be read at all (bad header, missing key, failed tag). */
  error?: ErrorFacts
}

/** Where replay stopped in point-in-time mode, as `stats().recovery.walDamage` names it. */
export interface StopFacts {
  file: string
  offsetBytes: number
  reason: string
}

/** What one recovery mode would do with the logs. */
export interface RecoveryVerdict {
  /** Set when the open would fail: the code and message it would fail with. */
  refused?: ErrorFacts
  /** Logs whose records replay (all or up to the stop), oldest first. */
  logsReplayed: string[]
  recordsReplayed: number
  /** The last sequence number the store would hold (the manifest's when nothing replays). */
  lastSeqno: number
  /** The end of the last record that replays: its log and the offset after it. */
  keptThrough?: { file: string; offsetBytes: number }
  /** Point-in-time only: the damage replay stops at. */
  stop?: StopFacts
  /** Torn tails recovery cuts from the file (bytes), by log. */
  tailsCut: { file: string; offsetBytes: number; bytes: number; reason: string }[]
  /** Logs not replayed: after a lost tail or after the stop. */
  logsDropped: string[]
  /** Records that check out but do not replay: after the stop in its log, and in dropped logs. */
  readableRecordsDropped: number
}

/** The survey of a store's logs. */
export interface WalSurvey {
  logs: WalFileFacts[]
  defaultRecovery: RecoveryVerdict
  pointInTime: RecoveryVerdict
}

/** What the survey needs from the manifest and the key file. */
export interface WalSurveyInput {
  vfs: Vfs
  directory: string
  /** The manifest's log number: logs below it are flushed. */
  logNumber: number
  /** The manifest's last sequence number. */
  lastSeqno: number
  /** The cipher a log numbered `logNumber` is read with (undefined for a plaintext store). */
  cipherOf: (logNumber: number) => LogCipher | undefined
}

/**
 * Surveys every WAL file in the directory and judges what both recovery modes would do.
 * @example
 * ```ts
 * const survey = surveyWals({ vfs: new NodeVfs(), directory, logNumber, lastSeqno, cipherOf: () => undefined })
 * if (survey.defaultRecovery.refused) console.log(survey.pointInTime.stop)
 * ```
 * @throws {StrataError} `IO_ERROR` when the directory cannot be listed; a log's own errors are
 * reported in its facts and the verdicts.
 */
export async function surveyWals(input: WalSurveyInput): Promise<WalSurvey> {
  const numbers = input.vfs.list(input.directory)
    .map((name) => parseFileName(name))
    .flatMap((parsed) => (parsed?.kind === 'wal' ? [parsed.fileNumber] : []))
    .sort((a, b) => a - b)
  const live = numbers.filter((fileNumber) => fileNumber >= input.logNumber)
  const logs: WalFileFacts[] = []
  const linkSizes = new Map<number, number>()
  for (const fileNumber of numbers) {
    const facts = headerFactsOf(input, fileNumber)
    if (facts.predecessor !== undefined) linkSizes.set(facts.predecessor.fileNumber, facts.predecessor.sizeBytes)
    logs.push(facts)
  }
  for (const facts of logs) if (facts.error === undefined) await readFactsOf(input, facts, linkSizes.get(facts.fileNumber))
  return {
    logs,
    defaultRecovery: await recoveryVerdict(input, live, false),
    pointInTime: await recoveryVerdict(input, live, true),
  }
}

function errorFacts(error: unknown): ErrorFacts {
  if (error instanceof StrataError) return { code: error.code, message: error.message }
  throw error
}

function headerFactsOf(input: WalSurveyInput, fileNumber: number): WalFileFacts {
  const file = walFileName(fileNumber)
  const filePath = path.join(input.directory, file)
  const facts: WalFileFacts = { file, fileNumber, live: fileNumber >= input.logNumber, sizeBytes: input.vfs.sizeBytes(filePath), recordCount: 0, blobHandleCount: 0 }
  try {
    const header = readLogFileHeader(input.vfs, filePath, input.cipherOf(fileNumber))
    if (header === undefined) return facts
    facts.formatVersion = header.formatVersion
    facts.encrypted = header.encryption !== undefined
    if (header.encryption !== undefined) facts.keyEpoch = header.encryption.keyEpoch
    if (header.predecessor !== undefined) {
      const predecessorPath = path.join(input.directory, walFileName(header.predecessor.fileNumber))
      const foundSizeBytes = input.vfs.exists(predecessorPath) ? input.vfs.sizeBytes(predecessorPath) : undefined
      facts.predecessor = { ...header.predecessor, foundSizeBytes, holds: foundSizeBytes === header.predecessor.sizeBytes }
    }
  } catch (error) {
    facts.error = errorFacts(error)
  }
  return facts
}

/** Reads the records as point-in-time recovery would, up to the first damage, without cutting. */
async function readFactsOf(input: WalSurveyInput, facts: WalFileFacts, finalSizeBytes: number | undefined): Promise<void> {
  const filePath = path.join(input.directory, facts.file)
  try {
    const { payloads, report } = await readWal(input.vfs, filePath, { onTornTail: 'report', onDamage: 'stop', cipher: input.cipherOf(facts.fileNumber), finalSizeBytes })
    const batches = batchFactsOf(payloads, facts.file)
    facts.recordCount = payloads.length
    facts.blobHandleCount = batches.blobHandleCount
    if (batches.seqnos !== undefined) facts.seqnos = batches.seqnos
    const damage = damageOf(report, facts.sizeBytes)
    if (damage !== undefined) facts.damage = { ...damage, readableRecordsAfter: countRecordsAfterDamage(input.vfs, filePath, damage.offsetBytes, report.recordsRead) }
  } catch (error) {
    facts.error = errorFacts(error)
  }
}

function damageOf(report: WalReadReport, sizeBytes: number): Omit<DamageFacts, 'readableRecordsAfter'> | undefined {
  if (report.damage !== undefined) return { kind: 'damaged', ...report.damage }
  const offsetBytes = report.tailOffsetBytes ?? sizeBytes
  if (report.lostTailBytes !== undefined) return { kind: 'lost-tail', offsetBytes, reason: report.tailReason ?? 'lost-tail' }
  if (report.tailBytesDropped > 0) return { kind: 'torn-tail', offsetBytes, reason: report.tailReason ?? 'torn' }
  return undefined
}

/** Sequence numbers and blob handles of decoded write batches. */
function batchFactsOf(payloads: readonly Uint8Array[], file: string): { seqnos?: [number, number]; blobHandleCount: number } {
  let blobHandleCount = 0
  let seqnos: [number, number] | undefined
  for (const payload of payloads) {
    const batch = decodeBatch(payload, file)
    blobHandleCount += batch.ops.filter((op) => op.kind === OpKind.BlobHandle).length
    const lastSeqno = batch.firstSeqno + Math.max(batch.ops.length, 1) - 1
    seqnos = [seqnos?.[0] ?? batch.firstSeqno, lastSeqno]
  }
  return seqnos === undefined ? { blobHandleCount } : { seqnos, blobHandleCount }
}

/**
 * What `recoverWals` would do with the live logs in the default mode ('truncate') or in
 * point-in-time mode: the same walk (RecoveryWalk), reporting torn tails where recovery cuts them.
 */
async function recoveryVerdict(input: WalSurveyInput, logNumbers: readonly number[], pointInTime: boolean): Promise<RecoveryVerdict> {
  const verdict: RecoveryVerdict = { logsReplayed: [], recordsReplayed: 0, lastSeqno: input.lastSeqno, tailsCut: [], logsDropped: [], readableRecordsDropped: 0 }
  const walk = new RecoveryWalk({
    vfs: input.vfs, directory: input.directory, logNumbers, firstLogNumber: input.logNumber, cipherOf: input.cipherOf,
    mode: pointInTime ? 'point-in-time' : 'truncate', cutTornTails: false,
  })
  // Logs the open would not read; counted after the walk, whose errors are the open's refusal.
  const dropped: string[] = []
  try {
    for await (const { fileName: file, isLastLog, read, damage } of walk) {
      if (damage !== undefined) verdict.stop = { file, ...damage }
      if (read === undefined) {
        dropped.push(file)
        continue
      }
      const { payloads, report } = read
      verdict.logsReplayed.push(file)
      verdict.recordsReplayed += payloads.length
      // Replay decodes every batch it replays: one that does not decode fails the open in any mode.
      const { seqnos } = batchFactsOf(payloads, file)
      if (seqnos !== undefined) verdict.lastSeqno = Math.max(verdict.lastSeqno, seqnos[1])
      const filePath = path.join(input.directory, file)
      const endOffsetBytes = report.damage?.offsetBytes ?? report.tailOffsetBytes ?? input.vfs.sizeBytes(filePath)
      if (payloads.length > 0 || verdict.keptThrough === undefined) verdict.keptThrough = { file, offsetBytes: endOffsetBytes }
      if (damage !== undefined) {
        verdict.readableRecordsDropped += countRecordsAfterDamage(input.vfs, filePath, damage.offsetBytes, report.recordsRead)
      } else if (report.tailBytesDropped > 0 && (!pointInTime || isLastLog)) {
        // Recovery cuts a torn tail in every log by default, and only in the last one at a point in time.
        verdict.tailsCut.push({ file, offsetBytes: report.tailOffsetBytes ?? 0, bytes: report.tailBytesDropped, reason: report.tailReason ?? 'torn' })
      }
    }
  } catch (error) {
    verdict.refused = errorFacts(error)
  }
  for (const file of dropped) await dropLog(input, verdict, file)
  return verdict
}

/** Counts a log recovery skips: its records that check out are dropped with it. */
async function dropLog(input: WalSurveyInput, verdict: RecoveryVerdict, file: string): Promise<void> {
  verdict.logsDropped.push(file)
  try {
    const { report } = await readWal(input.vfs, path.join(input.directory, file), { onTornTail: 'report', onDamage: 'stop', cipher: input.cipherOf(Number.parseInt(file, 10)) })
    verdict.readableRecordsDropped += report.recordsRead + (report.damage === undefined ? 0 : countRecordsAfterDamage(input.vfs, path.join(input.directory, file), report.damage.offsetBytes, report.recordsRead))
  } catch (error) {
    // A log whose header cannot be read (or whose key is missing) has no records to count.
    if (!(error instanceof StrataError) || error.code === 'IO_ERROR') throw error
  }
}
