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
 *
 * Encryption (docs/encryption.md §8): with a `cipher` every new manifest is sealed, and the
 * first sealed manifest records `encryptedFromFileNumber` (its own number), which stays in
 * every later snapshot. Because that fact sits in an authenticated file, it can be trusted:
 * recovery refuses a plaintext manifest that records it, or that claims to succeed a sealed
 * manifest still in the directory, and the DB refuses plaintext WAL files numbered from it on.
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
import type { LogCipher } from '../wal/mod.ts'
import { isSealedManifestPrefix, SEALED_MANIFEST_PREFIX_SIZE_BYTES } from './sealed-hardened-framing.ts'

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
  /**
   * Seals every manifest this set writes (format 2, or 4 when hardened) and opens sealed ones;
   * the DB passes its WAL cipher (LogCipher.fromEncryptionOption), which reads plaintext
   * manifests too, so a store written before encryption was turned on still opens (and is
   * converted by the manifest written at open). Without it a sealed manifest fails with
   * UNKNOWN_KEY_EPOCH.
   */
  cipher?: LogCipher
  /**
   * Refuse a plaintext manifest even when nothing on disk says the store was ever encrypted:
   * the caller knows it is. The one defence against an attacker who replaces every sealed
   * manifest with a plaintext one (docs/encryption.md §8). Default false.
   */
  requireEncryptedManifest?: boolean
}

/** What recovery found in the manifest. */
export interface ManifestRecoveryReport {
  /** Path of the manifest that was read (the one CURRENT named). */
  manifestFileName: string
  /** Format version of the manifest that was read: 1 plain, 2 sealed, 3 hardened, 4 hardened and sealed. */
  formatVersion: number
  /** True when the manifest read was sealed (format 2 or 4) and so authenticated. */
  encrypted: boolean
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
  /** Set by the first sealed manifest: WALs numbered from it on must be encrypted. */
  encryptedFromFileNumber?: number
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
  // Set once and kept: a later edit cannot move or clear it.
  if (edit.encryptedFromFileNumber !== undefined) next.encryptedFromFileNumber = state.encryptedFromFileNumber ?? edit.encryptedFromFileNumber
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
  readonly #cipher: LogCipher | undefined
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
    this.#cipher = options.cipher
  }

  /** The cipher new manifests are sealed with (undefined: plaintext manifests). */
  get manifestCipher(): LogCipher | undefined {
    return this.#cipher
  }

  /**
   * The file number from which this store's WAL files must be encrypted, as its authenticated
   * manifest records; undefined for a store that was never opened with encryption.
   */
  get encryptedFromFileNumber(): number | undefined {
    return this.#state.encryptedFromFileNumber
  }

  /** True when the WAL numbered `logNumber` must be encrypted (a plaintext one is stripping). */
  requiresEncryptedLog(logNumber: number): boolean {
    const from = this.#state.encryptedFromFileNumber
    return from !== undefined && logNumber >= from
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
    set.#state = await set.#switchManifest(EMPTY_STATE)
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
   * `UNSUPPORTED_FORMAT_VERSION`; `IO_ERROR`; for a sealed manifest `UNKNOWN_KEY_EPOCH`,
   * `MISSING_KEY`, `DECRYPT_FAILED` as for an encrypted WAL; `DECRYPT_FAILED` (details reason
   * `plaintext-manifest-in-encrypted-store`) for a plaintext manifest in a store that is
   * encrypted (checkPlaintextManifest).
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
    const { payloads, ...read } = await readManifest(vfs, manifestPath, manifestNumber, { cipher: options.cipher })
    const state = replayEdits(payloads, manifestPath)
    if (!read.encrypted) checkPlaintextManifest(vfs, directory, manifestPath, manifestNumber, state, options)
    state.nextFileNumber = Math.max(state.nextFileNumber, manifestNumber + 1, highestFileNumberOnDisk(vfs, directory) + 1)
    const set = new VersionSet(vfs, directory, state, options)
    set.#manifestFileNumber = manifestNumber
    set.recoveryReport = {
      manifestFileName: manifestPath,
      formatVersion: read.formatVersion,
      encrypted: read.encrypted,
      editCount: payloads.length,
      tailBytesDropped: read.tailBytesDropped,
      ...(read.tailReason === undefined ? {} : { tailReason: read.tailReason }),
      repairedCopyCount: read.repairedCopyCount,
    }
    if (!set.#readOnly) {
      vfs.remove(path.join(directory, CURRENT_TEMP_FILE_NAME))
      set.#state = await set.#switchManifest(state)
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
    let state = applyEditToState(this.#state, full)
    const record = encodeVersionEdit(full)
    try {
      if (this.#manifest === null || this.#manifest.sizeBytes() + record.length > this.#rotateSizeBytes) {
        state = await this.#switchManifest(state)
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

  /**
   * Writes MANIFEST-<new> holding a snapshot of `state`, points CURRENT at it, drops the old.
   * Returns the state written: the first sealed manifest of a store adds encryptedFromFileNumber.
   */
  async #switchManifest(given: VersionState): Promise<VersionState> {
    const fileNumber = this.nextFileNumber()
    // Every WAL created after this manifest gets a higher number; logs already on disk (written
    // before encryption was on) have lower ones and may still be plaintext.
    const state = this.#cipher !== undefined && given.encryptedFromFileNumber === undefined
      ? { ...given, encryptedFromFileNumber: fileNumber }
      : given
    const snapshot: VersionEdit = {
      ...state.version.toSnapshotEdit(),
      logNumber: state.logNumber,
      lastSeqno: state.lastSeqno,
      nextFileNumber: this.#nextFileNumber,
      ...(state.encryptedFromFileNumber === undefined ? {} : { encryptedFromFileNumber: state.encryptedFromFileNumber }),
    }
    const manifestPath = path.join(this.#directory, manifestFileName(fileNumber))
    const manifest = createManifestWriter(this.#vfs, manifestPath, fileNumber, { hardened: this.#hardened, cipher: this.#cipher })
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
    return state
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

/**
 * A plaintext manifest is refused (DECRYPT_FAILED, details reason
 * `plaintext-manifest-in-encrypted-store`) when it records that the store is encrypted (only a
 * sealed manifest ever writes that), when a sealed manifest with a lower number is still in the
 * directory (a plaintext manifest never succeeds a sealed one: a store opened without keys
 * fails before it writes anything), or when the caller requires encryption. Otherwise it is a
 * store written before encryption was turned on, and opens. docs/encryption.md §8 says what
 * this cannot catch.
 */
function checkPlaintextManifest(
  vfs: Vfs, directory: string, manifestPath: string, manifestNumber: number, state: VersionState, options: VersionSetOptions,
): void {
  const refuse = (why: string, details: Record<string, unknown> = {}): never => {
    throw new StrataError('DECRYPT_FAILED', `Cannot recover from ${manifestPath}: the manifest is not encrypted but ${why}`, {
      details: { fileName: manifestPath, reason: 'plaintext-manifest-in-encrypted-store', ...details },
    })
  }
  if (state.encryptedFromFileNumber !== undefined) {
    refuse(`it records that the store is encrypted from file ${state.encryptedFromFileNumber} on (only a sealed manifest writes that)`)
  }
  if (options.requireEncryptedManifest === true) refuse('encryption is required (requireEncryptedManifest)')
  for (const name of vfs.list(directory)) {
    const parsed = parseFileName(name)
    if (parsed?.kind !== 'manifest' || parsed.fileNumber >= manifestNumber) continue
    if (isSealedManifestPrefix(readPrefix(vfs, path.join(directory, name), SEALED_MANIFEST_PREFIX_SIZE_BYTES))) {
      refuse(`it claims to succeed the sealed manifest ${name}`, { sealedManifest: name })
    }
  }
}

function readPrefix(vfs: Vfs, filePath: string, sizeBytes: number): Uint8Array {
  const file = vfs.openRead(filePath)
  try {
    const bytes = new Uint8Array(Math.min(sizeBytes, file.sizeBytes()))
    const readBytes = file.read(bytes, 0)
    return bytes.subarray(0, Math.max(0, readBytes))
  } finally {
    file.close()
  }
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
