/**
 * Offline WAL repair (`strata repair <dir> --wal point-in-time`): opens a store whose logs the
 * default recovery refuses at its last consistent point (`walRecovery: 'point-in-time'`,
 * docs/formats/wal.md §4), after saving every log the open will cut or drop into `<dir>/lost/`,
 * as LevelDB's RepairDB keeps what it discards. The caller holds the store's lock for the whole
 * repair (so the survey, the copies and the open see one state) and hands it to the open.
 *
 * The engine does not import blobtree/: the open goes through a `StoreOpener` bin/strata.ts
 * hands in, which opens with KV separation when the store has blob files.
 */
import path from 'node:path'
import { StrataError } from '../errors.ts'
import type { IntegrityOptions } from '../integrity-options.ts'
import type { RecoveryReport } from '../recovery.ts'
import type { Vfs, VfsLock } from '../vfs/mod.ts'
import { copyFileSynced } from '../vfs/copy-file.ts'
import type { WalSurvey } from './wal-survey.ts'

/** What a repair needs of an open store. */
export interface RepairableStore {
  flush(): Promise<void>
  close(): Promise<void>
  stats(): { recovery: RecoveryReport }
}

/** Options a repair opens the store with. */
export interface RepairOpenOptions {
  vfs: Vfs
  walRecovery: 'point-in-time'
  /** True when the store separates values into blob files: open it through the blob layer. */
  kvSeparation: boolean
  /** The store's encryption (from the key file) and manifest hardening; nothing else. */
  integrity: IntegrityOptions
}

/** Opens a store (bin/strata.ts: the package's `open`, with `kvSeparation` when asked). */
export type StoreOpener = (directory: string, options: RepairOpenOptions) => Promise<RepairableStore>

/** The directory, under the store's, that keeps what a repair cut or dropped. */
export const LOST_DIRECTORY_NAME = 'lost'

/** A log saved before the repair, and why. */
export interface SavedLog {
  file: string
  /** Path of the copy, relative to the store directory. */
  savedAs: string
  why: 'cut' | 'dropped' | 'obsolete' | 'replayed'
}

/**
 * The logs a point-in-time open cuts, drops or deletes as obsolete, in file order; empty when
 * the open would lose no byte of any log: then there is nothing to repair. The open deletes
 * every log it replayed (their records are in a table then), so a log counts as cut whenever
 * some of its bytes do not replay: the one replay stops in, a torn last log, a log that lost
 * its tail, any log with damage or an unreadable part. Dropped: every log after the stop.
 * Obsolete: flushed before, deleted by any open. With `everyLiveLog` (a store with values in
 * blob files) the other live logs are saved too, as 'replayed': the open may stop earlier than
 * the survey sees, at a record whose blob frame never reached the disk (only the blob layer can
 * tell), and then cuts or drops a log the survey expected to replay.
 */
export function logsToSave(survey: WalSurvey, everyLiveLog: boolean): Omit<SavedLog, 'savedAs'>[] {
  const verdict = survey.pointInTime
  const dropped = new Set(verdict.logsDropped)
  const cut = new Set([
    ...verdict.tailsCut.map((tail) => tail.file),
    ...(verdict.stop === undefined ? [] : [verdict.stop.file]),
    ...survey.logs.filter((log) => log.live && (log.damage !== undefined || log.error !== undefined)).map((log) => log.file),
  ].filter((file) => !dropped.has(file)))
  if (cut.size === 0 && dropped.size === 0) return []
  return survey.logs.flatMap((log): Omit<SavedLog, 'savedAs'>[] => {
    if (cut.has(log.file)) return [{ file: log.file, why: 'cut' }]
    if (dropped.has(log.file)) return [{ file: log.file, why: 'dropped' }]
    if (!log.live) return [{ file: log.file, why: 'obsolete' }]
    return everyLiveLog ? [{ file: log.file, why: 'replayed' }] : []
  })
}

/**
 * Copies each log to `<directory>/lost/` (a name already there gets a `.1`, `.2`, … suffix, so
 * a second repair never overwrites the first one's copies), syncs the copies and both
 * directories, and returns where each went.
 */
export async function saveLogs(vfs: Vfs, directory: string, logs: readonly Omit<SavedLog, 'savedAs'>[]): Promise<SavedLog[]> {
  const lostDirectory = path.join(directory, LOST_DIRECTORY_NAME)
  vfs.mkdirp(lostDirectory)
  const saved: SavedLog[] = []
  for (const log of logs) {
    const name = unusedName(vfs, lostDirectory, log.file)
    await copyFileSynced(vfs, path.join(directory, log.file), path.join(lostDirectory, name))
    saved.push({ ...log, savedAs: path.join(LOST_DIRECTORY_NAME, name) })
  }
  await vfs.syncDirectory(lostDirectory)
  await vfs.syncDirectory(directory)
  return saved
}

/** Repeated repairs of one store: a handful; the bound only stops a runaway loop. */
const LOST_COPY_COUNT_MAX = 10_000

function unusedName(vfs: Vfs, lostDirectory: string, file: string): string {
  for (let suffix = 0; suffix < LOST_COPY_COUNT_MAX; suffix++) {
    const name = suffix === 0 ? file : `${file}.${suffix}`
    if (!vfs.exists(path.join(lostDirectory, name))) return name
  }
  throw new StrataError('IO_ERROR', `Cannot save ${file}: ${lostDirectory} holds ${LOST_COPY_COUNT_MAX} copies of it already`, { details: { fileName: file } })
}

/**
 * `vfs` with the lock on `lockPath` already held: the open takes over the repair's lock instead
 * of taking its own, so no other process can open the store between the copies and the open.
 * A Proxy, not a wrapper class, because only `lock` changes; every other call goes to `vfs`
 * itself (bound, so Vfs implementations with private fields work).
 */
export function withHeldLock(vfs: Vfs, lockPath: string, held: VfsLock): Vfs {
  return new Proxy(vfs, {
    get(target, property) {
      if (property === 'lock') return (requested: string) => (path.resolve(requested) === path.resolve(lockPath) ? held : target.lock(requested))
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
