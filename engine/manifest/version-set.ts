/**
 * VersionSet: the current Version, the counters that go with it (next file number, last
 * seqno, log number) and the manifest that makes them durable. The DB holds one per open
 * database. `logAndApply` calls are serialised through a queue: each appends one edit record
 * to the manifest, syncs it, then installs the new version, so a crash leaves either the old or
 * the new version, never a mix (docs/formats/manifest.md §5).
 *
 * A new manifest is started on open and whenever the current one passes the rotation size: its
 * first record is a snapshot of the whole version, and CURRENT is switched to it atomically
 * (current-file.ts). After a failed manifest write or sync the set refuses further edits with
 * that IO_ERROR: what reached the disk is unknown, and reopening recovers a consistent state.
 */
import path from 'node:path'
import { StrataError, isStrataError } from '../errors.ts'
import type { Vfs } from '../vfs/mod.ts'
import { decodeVersionEdit, encodeVersionEdit } from './edit-codec.ts'
import { CURRENT_FILE_NAME, CURRENT_TEMP_FILE_NAME, manifestFileName, parseFileName } from './file-names.ts'
import { readCurrentFile, writeCurrentFile } from './current-file.ts'
import { MANIFEST_ROTATE_SIZE_BYTES } from './limits.ts'
import type { ManifestTailReason } from './manifest-read-result.ts'
import { readManifest } from './manifest-reader.ts'
import { createManifestWriter, type ManifestWriter } from './manifest-writer.ts'
import { Version } from './version.ts'
import type { VersionEdit } from './version-edit.ts'

/** Options of VersionSet.create and VersionSet.recover. */
export interface VersionSetOptions {
  /** Start a new manifest once the current one would pass this size; default 4 MiB. */
  manifestRotateSizeBytes?: number
  /** Recover without writing anything (no new manifest); logAndApply then throws READ_ONLY. */
  readOnly?: boolean
  /**
   * Write new manifests in the hardened format 3 (docs/formats/manifest.md §6): header and
   * every record mirrored, each record with an XXH3-128 besides its CRC-32, so one damaged copy
   * is repaired on recovery. Default false (format 1, the log framing). Recovery reads both
   * formats whatever this says; the manifest written at open takes this option's format.
   */
  manifestHardening?: boolean
}

/** What recovery found in the manifest. */
export interface ManifestRecoveryReport {
  /** Path of the manifest that was read (the one CURRENT named). */
  manifestFileName: string
  /** Format version of the manifest that was read: 1 plain, 3 hardened. */
  formatVersion: number
  /** Edit records replayed, the snapshot included. */
  editCount: number
  /** Bytes of a torn last record that were ignored (0 when clean). */
  tailBytesDropped: number
  /** Why the dropped tail counted as torn: the file ended inside a record, or the tail was all zeros. */
  tailReason?: ManifestTailReason
  /**
   * Damaged copies (file header or record) that were replaced by their intact mirror; only a
   * hardened manifest has mirrors. Recovery then writes a new, clean manifest (unless read-only).
   */
  repairedCopyCount: number
}

/** The version and the counters that change with it. */
interface VersionState {
  version: Version
  logNumber: number
  lastSeqno: number
  nextFileNumber: number
}

const EMPTY_STATE: VersionState = { version: Version.empty(), logNumber: 0, lastSeqno: 0, nextFileNumber: 1 }

function invalidEdit(message: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', `Cannot apply version edit: ${message}`)
}

function checkCounter(name: string, value: number, previous: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidEdit(`${name} ${value} is not a non-negative safe integer`)
  if (value < previous) throw invalidEdit(`${name} ${value} is below the current ${previous}`)
}

/** The state after `edit`; throws INVALID_ARGUMENT for an edit that cannot apply. */
function applyEditToState(state: VersionState, edit: VersionEdit): VersionState {
  const version = state.version.apply(edit)
  const next = { ...state, version }
  if (edit.logNumber !== undefined) checkCounter('logNumber', (next.logNumber = edit.logNumber), state.logNumber)
  if (edit.lastSeqno !== undefined) checkCounter('lastSeqno', (next.lastSeqno = edit.lastSeqno), state.lastSeqno)
  if (edit.nextFileNumber !== undefined) {
    checkCounter('nextFileNumber', edit.nextFileNumber, 0)
    next.nextFileNumber = Math.max(state.nextFileNumber, edit.nextFileNumber)
  }
  const added = [...(edit.addedTables ?? []), ...(edit.addedBlobFiles ?? [])]
  for (const { fileNumber } of added) {
    if (fileNumber >= next.nextFileNumber) throw invalidEdit(`file number ${fileNumber} was never allocated`)
  }
  return next
}

/**
 * The live version of a database and its manifest.
 * @example
 * ```ts
 * const versions = VersionSet.exists(vfs, dir) ? await VersionSet.recover(vfs, dir) : await VersionSet.create(vfs, dir)
 * const fileNumber = versions.nextFileNumber()
 * // … write 000012.sst …
 * await versions.logAndApply({ addedTables: [meta], logNumber: newWalNumber, lastSeqno })
 * ```
 */
export class VersionSet {
  readonly #vfs: Vfs
  readonly #directory: string
  readonly #rotateSizeBytes: number
  readonly #readOnly: boolean
  readonly #hardened: boolean
  #state: VersionState
  #nextFileNumber: number
  #manifest: ManifestWriter | null = null
  #manifestFileNumber = 0
  #queue: Promise<unknown> = Promise.resolve()
  #failure: StrataError | null = null
  #closed = false
  /** Set by recover(): what the manifest held. */
  recoveryReport: ManifestRecoveryReport | undefined

  private constructor(vfs: Vfs, directory: string, state: VersionState, options: VersionSetOptions) {
    this.#vfs = vfs
    this.#directory = directory
    this.#state = state
    this.#nextFileNumber = state.nextFileNumber
    this.#rotateSizeBytes = options.manifestRotateSizeBytes ?? MANIFEST_ROTATE_SIZE_BYTES
    this.#readOnly = options.readOnly ?? false
    this.#hardened = options.manifestHardening ?? false
  }

  /** True when new manifests are written hardened (format 3). */
  get manifestHardening(): boolean {
    return this.#hardened
  }

  /** True when `directory` holds a CURRENT file (a database to recover). */
  static exists(vfs: Vfs, directory: string): boolean {
    return vfs.exists(path.join(directory, CURRENT_FILE_NAME))
  }

  /**
   * Starts the version set of a new, empty database in `directory` (created when absent):
   * MANIFEST-000001 holding an empty snapshot, and CURRENT naming it.
   * @throws {StrataError} `INVALID_ARGUMENT` when the directory already holds a CURRENT; `IO_ERROR`.
   */
  static async create(vfs: Vfs, directory: string, options: VersionSetOptions = {}): Promise<VersionSet> {
    vfs.mkdirp(directory)
    if (VersionSet.exists(vfs, directory)) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot create a database in ${directory}: it already holds one`, {
        details: { directory },
      })
    }
    const set = new VersionSet(vfs, directory, EMPTY_STATE, { ...options, readOnly: false })
    await set.#switchManifest(EMPTY_STATE)
    return set
  }

  /**
   * Rebuilds the version set from CURRENT → MANIFEST-<n>, then (unless read-only) starts a new
   * manifest holding a snapshot and removes the old one. A torn last manifest record is
   * ignored, and a damaged copy in a hardened manifest repaired; both are reported in
   * `recoveryReport`. A complete but damaged record is never dropped (manifest.md §5).
   * @throws {StrataError} `NOT_FOUND` when the directory holds no database at all;
   * `CORRUPTION` (details fileName) when CURRENT is missing while data files exist, CURRENT is
   * malformed or names a missing manifest, a manifest record is damaged (both copies, when
   * hardened) or does not apply;
   * `UNSUPPORTED_FORMAT_VERSION`; `IO_ERROR`.
   */
  static async recover(vfs: Vfs, directory: string, options: VersionSetOptions = {}): Promise<VersionSet> {
    if (!VersionSet.exists(vfs, directory)) throw missingCurrentError(vfs, directory)
    const manifestNumber = readCurrentFile(vfs, directory)
    const manifestPath = path.join(directory, manifestFileName(manifestNumber))
    if (!vfs.exists(manifestPath)) {
      throw new StrataError('CORRUPTION', `Cannot recover ${directory}: CURRENT names ${manifestPath}, which is missing`, {
        details: { fileName: manifestPath },
      })
    }
    const { payloads, ...read } = await readManifest(vfs, manifestPath, manifestNumber)
    const state = replayEdits(payloads, manifestPath)
    state.nextFileNumber = Math.max(state.nextFileNumber, manifestNumber + 1, highestFileNumberOnDisk(vfs, directory) + 1)
    const set = new VersionSet(vfs, directory, state, options)
    set.#manifestFileNumber = manifestNumber
    set.recoveryReport = {
      manifestFileName: manifestPath,
      formatVersion: read.formatVersion,
      editCount: payloads.length,
      tailBytesDropped: read.tailBytesDropped,
      ...(read.tailReason === undefined ? {} : { tailReason: read.tailReason }),
      repairedCopyCount: read.repairedCopyCount,
    }
    if (!set.#readOnly) {
      vfs.remove(path.join(directory, CURRENT_TEMP_FILE_NAME))
      await set.#switchManifest(state)
    }
    return set
  }

  /** The current version. */
  get current(): Version {
    return this.#state.version
  }

  /** Largest seqno recorded in the manifest. */
  get lastSeqno(): number {
    return this.#state.lastSeqno
  }

  /** WAL files numbered below this are obsolete. */
  get logNumber(): number {
    return this.#state.logNumber
  }

  /** Number of the manifest being appended to. */
  get manifestFileNumber(): number {
    return this.#manifestFileNumber
  }

  /** Hands out a fresh file number (WAL, table, blob or manifest). Durable with the next edit. */
  nextFileNumber(): number {
    return this.#nextFileNumber++
  }

  /** Makes sure `fileNumber` is never handed out (a file found on disk, say). */
  markFileNumberUsed(fileNumber: number): void {
    this.#nextFileNumber = Math.max(this.#nextFileNumber, fileNumber + 1)
  }

  /**
   * File numbers the current version needs: every table, every blob file and the manifest.
   * WAL files numbered ≥ logNumber are live too, and so are outputs of flushes and compactions
   * in progress: the DB adds those before deleting orphans.
   */
  liveFileNumbers(): Set<number> {
    const numbers = this.#state.version.fileNumbers()
    numbers.add(this.#manifestFileNumber)
    return numbers
  }

  /**
   * Logs `edit` to the manifest, syncs it, then installs and returns the new version. Calls are
   * serialised; each sees the version its predecessors installed. `nextFileNumber` is filled in.
   * @throws {StrataError} `INVALID_ARGUMENT` when the edit cannot apply (nothing is written);
   * `IO_ERROR` when the manifest write fails (the set then refuses further edits); `READ_ONLY`;
   * `CLOSED`.
   */
  logAndApply(edit: VersionEdit): Promise<Version> {
    const run = this.#queue.then(() => this.#logAndApplyNow(edit))
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** Waits for queued edits, then closes the manifest. Idempotent. */
  async close(): Promise<void> {
    await this.#queue
    if (this.#closed) return
    this.#closed = true
    await this.#manifest?.close()
  }

  async #logAndApplyNow(edit: VersionEdit): Promise<Version> {
    this.#checkWritable()
    const full: VersionEdit = { ...edit, nextFileNumber: Math.max(edit.nextFileNumber ?? 0, this.#nextFileNumber) }
    const state = applyEditToState(this.#state, full)
    const record = encodeVersionEdit(full)
    try {
      if (this.#manifest === null || this.#manifest.sizeBytes() + record.length > this.#rotateSizeBytes) {
        await this.#switchManifest(state)
      } else {
        this.#manifest.add(record)
        await this.#manifest.sync()
      }
    } catch (error) {
      if (!isStrataError(error, 'INVALID_ARGUMENT')) this.#failure ??= asStrataError(error)
      throw error
    }
    this.#state = state
    this.#nextFileNumber = Math.max(this.#nextFileNumber, state.nextFileNumber)
    return state.version
  }

  /** Writes MANIFEST-<new> holding a snapshot of `state`, points CURRENT at it, drops the old. */
  async #switchManifest(state: VersionState): Promise<void> {
    const fileNumber = this.nextFileNumber()
    const snapshot: VersionEdit = {
      ...state.version.toSnapshotEdit(),
      logNumber: state.logNumber,
      lastSeqno: state.lastSeqno,
      nextFileNumber: this.#nextFileNumber,
    }
    const manifestPath = path.join(this.#directory, manifestFileName(fileNumber))
    const manifest = createManifestWriter(this.#vfs, manifestPath, fileNumber, { hardened: this.#hardened })
    try {
      manifest.add(encodeVersionEdit(snapshot))
      await manifest.sync() // also syncs the directory, so the name is durable before CURRENT
      await writeCurrentFile(this.#vfs, this.#directory, fileNumber)
    } catch (error) {
      await manifest.close().catch(() => undefined)
      throw error
    }
    const previous = this.#manifest
    const previousNumber = this.#manifestFileNumber
    this.#manifest = manifest
    this.#manifestFileNumber = fileNumber
    await previous?.close().catch(() => undefined)
    // The old manifest is unreachable once CURRENT moved; a failed removal leaves an orphan
    // that the DB's orphan cleanup deletes later.
    if (previousNumber > 0) {
      try {
        this.#vfs.remove(path.join(this.#directory, manifestFileName(previousNumber)))
      } catch {
        // Orphan; see above.
      }
    }
  }

  #checkWritable(): void {
    if (this.#closed) throw new StrataError('CLOSED', `Cannot apply version edit in ${this.#directory}: version set is closed`)
    if (this.#readOnly) throw new StrataError('READ_ONLY', `Cannot apply version edit in ${this.#directory}: opened read-only`)
    if (this.#failure !== null) throw this.#failure
  }
}

function asStrataError(error: unknown): StrataError {
  if (error instanceof StrataError) return error
  return new StrataError('IO_ERROR', `Cannot write manifest: ${String(error)}`, { cause: error })
}

/** Replays manifest records onto an empty state; any failure is CORRUPTION naming the record. */
function replayEdits(payloads: Uint8Array[], manifestPath: string): VersionState {
  if (payloads.length === 0) {
    // The snapshot record is synced before CURRENT names the file, so it cannot be missing.
    throw new StrataError('CORRUPTION', `Cannot recover from ${manifestPath}: it holds no snapshot record`, {
      details: { fileName: manifestPath },
    })
  }
  let state = EMPTY_STATE
  payloads.forEach((payload, recordIndex) => {
    const edit = decodeVersionEdit(payload, { fileName: manifestPath, recordIndex })
    try {
      state = applyEditToState(state, edit)
    } catch (error) {
      if (!isStrataError(error, 'INVALID_ARGUMENT')) throw error
      throw new StrataError('CORRUPTION', `Cannot recover from ${manifestPath}: edit ${recordIndex} does not apply: ${error.message}`, {
        cause: error, details: { fileName: manifestPath, recordIndex },
      })
    }
  })
  return { ...state }
}

function highestFileNumberOnDisk(vfs: Vfs, directory: string): number {
  let highest = 0
  for (const name of vfs.list(directory)) {
    const parsed = parseFileName(name)
    if (parsed !== undefined && 'fileNumber' in parsed) highest = Math.max(highest, parsed.fileNumber)
  }
  return highest
}

/** No CURRENT: a fresh directory (NOT_FOUND), or lost data (CORRUPTION). */
function missingCurrentError(vfs: Vfs, directory: string): StrataError {
  const names = vfs.exists(directory) ? vfs.list(directory) : []
  const dataFile = names.find((name) => {
    const kind = parseFileName(name)?.kind
    return kind === 'table' || kind === 'blob' || kind === 'wal'
  })
  const currentPath = path.join(directory, CURRENT_FILE_NAME)
  if (dataFile === undefined) {
    // A manifest without CURRENT is a create() that crashed before naming it: nothing was written.
    return new StrataError('NOT_FOUND', `Cannot recover ${directory}: no database (no ${CURRENT_FILE_NAME})`, {
      details: { fileName: currentPath },
    })
  }
  return new StrataError('CORRUPTION', `Cannot recover ${directory}: ${CURRENT_FILE_NAME} is missing but ${dataFile} exists`, {
    details: { fileName: currentPath, dataFile },
  })
}
