/**
 * The WAL subcommands of `strata` (cli.ts parses the arguments and calls these): `wal`, a
 * read-only survey of a store's logs with what each recovery mode would do, and `repair --wal
 * point-in-time`, which saves the logs it cuts or drops into lost/ and opens the store at its last
 * consistent point. Output is text, or JSON with --json; exit status as cli.ts documents.
 */
import path from 'node:path'
import { StrataError, isStrataError } from '../errors.ts'
import type { IntegrityOptions } from '../integrity-options.ts'
import type { RecoveryReport } from '../recovery.ts'
import { CURRENT_FILE_NAME, LOCK_FILE_NAME } from '../manifest/mod.ts'
import type { Vfs, VfsLock } from '../vfs/mod.ts'
import { LogCipher } from '../wal/mod.ts'
import type { LoadedKeys } from './key-file.ts'
import { newestTableCodec, readVersion, type StoreVersion } from './store-reader.ts'
import { logsToSave, saveLogs, withHeldLock, type SavedLog, type StoreOpener } from './wal-repair.ts'
import { surveyWals, type RecoveryVerdict, type WalFileFacts, type WalSurvey } from './wal-survey.ts'

/** Where a WAL command writes and what it reads and opens with. */
export interface WalCommandIo {
  stdout: (text: string) => void
  vfs: Vfs
  /** Opens the store for a repair; bin/strata.ts hands in the package's `open`. */
  openStore?: StoreOpener
}

/** The manifest's facts and the survey of the logs, read without writing. */
async function surveyStore(vfs: Vfs, directory: string, keys: LoadedKeys | undefined): Promise<{ store: StoreVersion; survey: WalSurvey }> {
  const store = await readVersion(vfs, directory, keys)
  // As the DB reads them: plaintext logs only below the number encryption started at.
  const cipher = keys === undefined ? undefined : new LogCipher({ suite: keys.suite, keyChain: keys.keyChain, allowPlaintextLogs: true })
  const from = store.encryptedFromFileNumber
  const cipherOf = (logNumber: number) => (from !== undefined && logNumber >= from ? cipher?.refusingPlaintextLogs() : cipher)
  const survey = await surveyWals({ vfs, directory, logNumber: store.logNumber, lastSeqno: store.lastSeqno, cipherOf })
  return { store, survey }
}

/** `strata wal <dir>`: exit 0 when the default recovery opens the store, 1 when it refuses. */
export async function walCommand(directory: string, keys: LoadedKeys | undefined, json: boolean, io: WalCommandIo): Promise<number> {
  const { store, survey } = await surveyStore(io.vfs, directory, keys)
  if (json) {
    io.stdout(`${JSON.stringify({ directory, manifest: store.manifestFileName, logNumber: store.logNumber, lastSeqno: store.lastSeqno, ...survey }, null, 2)}\n`)
  } else {
    const lines = [`store          ${directory}, manifest ${store.manifestFileName}, log number ${store.logNumber}, last seqno ${store.lastSeqno}`]
    if (survey.logs.length === 0) lines.push('logs           none')
    for (const log of survey.logs) lines.push(...logLines(log))
    lines.push(`default        ${defaultLine(survey.defaultRecovery)}`, `point-in-time  ${pointInTimeLine(survey.pointInTime)}`)
    io.stdout(`${lines.join('\n')}\n`)
  }
  return survey.defaultRecovery.refused === undefined ? 0 : 1
}

function logLines(log: WalFileFacts): string[] {
  const version = log.formatVersion === undefined ? 'no whole header' : `v${log.formatVersion}${log.encrypted ? `, encrypted (epoch ${log.keyEpoch})` : ''}`
  const seqnos = log.seqnos === undefined ? '' : `, seqno ${log.seqnos[0]}-${log.seqnos[1]}`
  const lines = [`${log.file}     ${log.live ? 'live' : 'obsolete (flushed)'}, ${version}, ${log.sizeBytes} B, ${log.recordCount} record(s)${seqnos}`]
  const link = log.predecessor
  if (link !== undefined) {
    const found = link.foundSizeBytes === undefined ? 'missing' : `${link.foundSizeBytes} B on disk`
    lines.push(`  link         succeeds log ${link.fileNumber}, final size ${link.sizeBytes} B (${found}: ${link.holds ? 'holds' : 'does not hold'})`)
  }
  if (log.damage !== undefined) {
    const { kind, offsetBytes, reason, readableRecordsAfter } = log.damage
    lines.push(`  first damage ${kind} at offset ${offsetBytes} (${reason}), ${readableRecordsAfter} readable record(s) after it`)
  }
  if (log.error !== undefined) lines.push(`  unreadable   ${log.error.code}: ${log.error.message}`)
  return lines
}

function defaultLine(verdict: RecoveryVerdict): string {
  if (verdict.refused !== undefined) return `refuses to open: ${verdict.refused.code}: ${verdict.refused.message}`
  const cuts = verdict.tailsCut.map((tail) => `cuts a torn tail of ${tail.bytes} B from ${tail.file} at offset ${tail.offsetBytes} (${tail.reason})`)
  const dropped = verdict.logsDropped.length === 0 ? [] : [`skips ${verdict.logsDropped.join(', ')} after a lost unsynced tail (no durable write)`]
  const changes = [...cuts, ...dropped]
  return `opens, replaying ${verdict.recordsReplayed} record(s) to seqno ${verdict.lastSeqno}${changes.length === 0 ? ', nothing lost' : `; ${changes.join('; ')}`}`
}

function pointInTimeLine(verdict: RecoveryVerdict): string {
  if (verdict.refused !== undefined) return `refuses to open: ${verdict.refused.code}: ${verdict.refused.message}`
  const through = verdict.keptThrough === undefined ? '' : `, through ${verdict.keptThrough.file} offset ${verdict.keptThrough.offsetBytes}`
  const kept = `keeps ${verdict.recordsReplayed} record(s)${through}, seqno ${verdict.lastSeqno}`
  if (verdict.stop === undefined) return `${kept}, stops at no damage`
  const dropped = verdict.logsDropped.length === 0 ? '' : `; drops log(s) ${verdict.logsDropped.join(', ')}`
  return `${kept}; stops at ${verdict.stop.reason} in ${verdict.stop.file} offset ${verdict.stop.offsetBytes}, dropping ${verdict.readableRecordsDropped} readable record(s)${dropped}`
}

/** Options of `strata repair`. */
export interface RepairCommandOptions {
  dryRun: boolean
  json: boolean
}

/**
 * `strata repair <dir> --wal point-in-time`: exit 0 when repaired or nothing needed repair.
 * @throws {StrataError} `LOCKED` when the store is open, `NOT_FOUND` when there is no store,
 * the survey's and the open's errors otherwise.
 */
export async function repairCommand(directory: string, keys: LoadedKeys | undefined, options: RepairCommandOptions, io: WalCommandIo): Promise<number> {
  if (io.openStore === undefined) throw new StrataError('INVALID_ARGUMENT', 'Cannot repair: this caller cannot open stores (run it through bin/strata.ts)')
  if (!io.vfs.exists(path.join(directory, CURRENT_FILE_NAME))) throw new StrataError('NOT_FOUND', `Cannot repair ${directory}: no store there (no CURRENT file)`, { details: { directory } })
  const lockPath = path.join(directory, LOCK_FILE_NAME)
  const lock = lockStore(io.vfs, lockPath, directory)
  try {
    const { store, survey } = await surveyStore(io.vfs, directory, keys)
    const plan = survey.pointInTime
    if (plan.refused !== undefined) throw new StrataError(plan.refused.code, `Cannot repair ${directory}: point-in-time recovery fails too: ${plan.refused.message}`)
    const kvSeparation = store.version.blobFiles.size > 0 || survey.logs.some((log) => log.blobHandleCount > 0)
    const toSave = logsToSave(survey, kvSeparation)
    const integrity: IntegrityOptions = {
      // The replayed writes go into a new table: protect it as the store's newest one is.
      ...newestTableCodec(io.vfs, directory, store.version),
      // Keys only for an encrypted store: open() with keys converts a plaintext store for good.
      ...(keys === undefined || (store.encryptedFromFileNumber === undefined && !store.manifestEncrypted) ? {} : { encryption: keys.encryption }),
      manifestHardening: store.manifestFormatVersion >= 3,
    }
    const opening = { kvSeparation, tableCodec: codecSummaryOf(integrity) }
    if (toSave.length === 0 || options.dryRun) {
      printRepair(io, options, { directory, dryRun: options.dryRun, nothingToRepair: toSave.length === 0, plan, logsSaved: toSave, opening })
      return 0
    }
    const saved = await saveLogs(io.vfs, directory, toSave)
    const db = await io.openStore(directory, { vfs: withHeldLock(io.vfs, lockPath, lock), walRecovery: 'point-in-time', kvSeparation, integrity })
    let recovery
    try {
      await db.flush()
      recovery = db.stats().recovery
    } finally {
      await db.close()
    }
    printRepair(io, options, { directory, dryRun: false, nothingToRepair: false, plan, logsSaved: saved, opening, recovery })
    return 0
  } finally {
    lock.release()
  }
}

/** "zstd+rs(8,2)+aes-256-gcm@3"-style name of the codec the repair writes its table with. */
function codecSummaryOf(integrity: IntegrityOptions): string {
  const ecc = typeof integrity.ecc === 'string' || integrity.ecc === undefined ? integrity.ecc
    : integrity.ecc.kind === 'reed-solomon' ? `rs(${integrity.ecc.dataShards},${integrity.ecc.parityShards})`
      : integrity.ecc.kind === 'xor' ? `xor(${integrity.ecc.dataShards})` : integrity.ecc.kind
  const encryption = integrity.encryption === undefined ? undefined : `${integrity.encryption.suite}@${integrity.encryption.activeEpoch}`
  const parts = [integrity.compression === undefined ? undefined : 'zstd', ecc, encryption].filter((part) => part !== undefined)
  return parts.length === 0 ? 'plain' : parts.join('+')
}

/** Takes the store's lock, or says the store is open. */
function lockStore(vfs: Vfs, lockPath: string, directory: string): VfsLock {
  try {
    return vfs.lock(lockPath)
  } catch (error) {
    if (!isStrataError(error, 'LOCKED')) throw error
    throw new StrataError('LOCKED', `Cannot repair ${directory}: the store is open (${error.message}); close it first`, { cause: error, details: error.details })
  }
}

interface RepairOutcome {
  directory: string
  dryRun: boolean
  nothingToRepair: boolean
  plan: RecoveryVerdict
  /** The logs saved in lost/ (a dry run: to be saved, without `savedAs`). */
  logsSaved: readonly (Omit<SavedLog, 'savedAs'> & { savedAs?: string })[]
  /** How the store is (or would be) opened: through the blob layer or not, and the new table's codec. */
  opening: { kvSeparation: boolean; tableCodec: string }
  /** What the open reported (`stats().recovery`); absent for a dry run. */
  recovery?: RecoveryReport
}

function printRepair(io: WalCommandIo, options: RepairCommandOptions, outcome: RepairOutcome): void {
  if (options.json) {
    io.stdout(`${JSON.stringify(outcome, null, 2)}\n`)
    return
  }
  const { plan } = outcome
  if (outcome.nothingToRepair) {
    io.stdout(`repair         nothing to repair in ${outcome.directory}: point-in-time recovery would cut or drop nothing (the store is left as it is)\n`)
    return
  }
  const lines = [`repair         ${outcome.directory}, point-in-time${outcome.dryRun ? ' (dry run: nothing written)' : ''}`]
  for (const log of outcome.logsSaved) {
    lines.push(`${outcome.dryRun ? 'would save' : 'saved     '}     ${log.file} (${log.why})${log.savedAs === undefined ? '' : ` as ${log.savedAs}`}`)
  }
  lines.push(`${outcome.dryRun ? 'would keep' : 'planned   '}     ${pointInTimeLine(plan)}`)
  lines.push(`opens          ${outcome.opening.kvSeparation ? 'with' : 'without'} KV separation; the replayed writes go into a ${outcome.opening.tableCodec} table`)
  const recovery = outcome.recovery
  if (recovery !== undefined) {
    const stop = recovery.walDamage !== undefined ? `${recovery.walDamage.reason} in ${recovery.walDamage.fileName} offset ${recovery.walDamage.offsetBytes}`
      // A stop the survey cannot foresee (a record whose blob frame never reached the disk) is
      // named by the tail it ended.
      : recovery.tailReason !== undefined ? `${recovery.tailReason} in ${recovery.tailFile}` : 'no damage'
    lines.push(`recovered      ${recovery.batchesReplayed} record(s) from ${recovery.walFilesReplayed} log(s) into ${recovery.tablesWritten} table(s); stopped at ${stop}; ${recovery.walFilesDropped} log(s) dropped`)
  }
  io.stdout(`${lines.join('\n')}\n`)
}
