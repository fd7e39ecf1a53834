/**
 * Checkpoint: a consistent copy of an open database in another directory, taken while writes,
 * flushes, compactions and blob GC go on, that opens as an independent store. Db.checkpoint()
 * (and BlobDb.checkpoint(), which delegates to it) calls `writeCheckpoint` with a narrow port.
 *
 * What the copy holds: every write acknowledged before `checkpoint()` was called, and possibly
 * some writes made while it ran (those a background flush put into the captured version). The
 * extra writes are always a seqno prefix: the copy is a state the source went through, never a
 * mix with holes. Method:
 * 0. Claim the target, synchronously: it must be absent or empty; create it and take the lock a
 *    database takes in its directory (LOCK), so a second checkpoint into it, or an open of it,
 *    is refused with nothing of this one touched. Sync the parent of each directory created, so
 *    the checkpoint's directory entry survives a power failure.
 * 1. Pin the current version first, synchronously. A pinned version keeps compaction inputs on
 *    disk and holds blob GC's deletions back (GC deletes retired files only when no reader is
 *    open), so a blob file that a table may still point at cannot vanish during the copy.
 * 2. Flush: the memtable as of the call (and every older frozen one) becomes tables.
 * 3. Capture and pin the version after the flush; it holds every acknowledged write.
 * 4. Hard-link every table and every sealed blob file: those are immutable, so sharing an inode
 *    is safe. Where the file system cannot link (the target is on another file system, has no
 *    hard links, or the link count is at its maximum) the file is copied instead; any other link
 *    error fails the checkpoint, and no file in the target is ever replaced. A blob file still
 *    being written (unsealed; its manifest size is 0) is always copied, because the source
 *    keeps appending to it and the copy's own open seals it with a footer: a link would let
 *    each store write into the other's file. A copy is created exclusively, written in chunks
 *    with a yield between (the event loop keeps serving), and synced.
 * 5. Sync the target directory, then write MANIFEST-000001 holding one snapshot record of the
 *    captured version (sealed, and marking the copy encrypted, when the source's manifests are:
 *    docs/encryption.md §8), sync it, and only then write CURRENT. Until CURRENT exists the
 *    directory holds data files without CURRENT, which Db.open refuses as CORRUPTION, so a crash
 *    mid-checkpoint can never open as an empty store. Release both pins and the lock.
 * Once `writeCheckpoint` resolves, every byte and name of the copy is durable. The copy of a
 * writable source holds no WAL: its manifest's logNumber is past every file number it names.
 *
 * A read-only source (a flush, compaction or log failure stopped its writes: Db's background
 * error), or one whose flush in step 2 fails, cannot flush: the writes its memtables hold are
 * only in its write-ahead logs. Steps 2 and 3 become a capture (`captureUnflushed`) that waits
 * for every flush and compaction queued before it (a read-only store starts none after), then
 * syncs the logs and the blob files their records point at, and pins the version. Step 4 also
 * copies those logs, never links them: an open truncates a log's torn tail in place, so through
 * a shared inode either store's recovery could cut the other's log. A log without records (the
 * active one, when nothing was written since its switch) is left out. The manifest's logNumber
 * is the oldest log copied, so the copy's open replays them as a reopen of the source would.
 * Nothing changes them meanwhile: a read-only store takes no write, and flushes no memtable, so
 * its logs stay until it is reopened. The copy's lastSeqno is the last write applied, the newest
 * record the logs hold.
 * A source that turns read-only during step 2 while its flush succeeds (another failure meanwhile:
 * a later write's log, a compaction) is copied as a writable one, without logs: the flushed
 * version holds every write acknowledged before the call, in tables synced (with the blob bytes
 * they point at: beforeFlush) before the manifest edit that installed it. What failed is outside
 * that version: a log of later writes, which the copy does not need, a job whose edit was never
 * installed (the VersionSet installs a version only once its edit is synced), or blob bytes no
 * handle of the version reaches (an unsealed blob file is copied whole, as from a writable source,
 * and the copy's open cuts it after its last frame that verifies).
 * A log whose last append failed (a full disk) is copied up to that record: the records before it
 * are whole, and the failed one holds no acknowledged write, since Db.write() rejected it before
 * applying it and refuses every write after. A blob file whose append failed is treated alike:
 * synced up to its last whole frame (BlobFileWriter.syncIntact) and copied whole, since the
 * handles in the logs all point before the failure (BlobDb appends a batch's frames before its
 * WAL record, and a failed append rejects the batch) and the copy's open cuts what landed of the
 * failed frames, as after a crash. Those fsyncs (WalWriter.syncIntact) must still succeed,
 * as every copied log's must: if a sync fails (a log or blob file failed now or earlier: an
 * fsync, or the sync of an older log its records wait for), the checkpoint is refused with
 * READ_ONLY: after a failed fsync the kernel may have dropped the file's dirty pages, so reading
 * it back may give neither what was appended nor what is on disk, and a copy could lose
 * acknowledged writes without a sign, or hold a tail the source will never recover. Copying only
 * the prefix synced before the failure would not do either: it lacks writes acknowledged since
 * (unsynced ones), which a checkpoint promises. What the source does hold is decided by its own
 * recovery: closing and opening it (or a copy of its directory made after the close) keeps every
 * write that reached the disk, in order.
 *
 * Contract: called on an open database; `targetDirectory` must be absent or empty. A failure
 * leaves the target holding what was written so far (never opening as a store) and unlocked.
 */
import path from 'node:path'
import { StrataError, isStrataError } from './errors.ts'
import { isLinkUnsupported, type Vfs, type VfsLock } from './vfs/vfs.ts'
import { copyFileSynced } from './vfs/copy-file.ts'
import type { LogCipher } from './wal/mod.ts'
import {
  LOCK_FILE_NAME, blobFileName, createManifestWriter, encodeVersionEdit, manifestFileName, tableFileName, walFileName, type Version, type VersionEdit,
} from './manifest/mod.ts'
// Not re-exported by manifest/mod.ts; the checkpoint is the one writer of CURRENT outside the
// VersionSet, so it uses the same function rather than a second copy of the format.
import { writeCurrentFile } from './manifest/current-file.ts'

/** Number of the copy's manifest: file 1, which a store only ever uses for its first manifest. */
const CHECKPOINT_MANIFEST_FILE_NUMBER = 1

/** A version held on disk until `release()`, and the manifest counters that go with it. */
export interface PinnedVersion {
  version: Version
  /** The copy's lastSeqno: at least the largest seqno in the version's tables (and in the logs copied with it). */
  lastSeqno: number
  release(): void
}

/** A write-ahead log a read-only source's checkpoint copies: its first `sizeBytes` bytes. */
export interface UnflushedLog {
  logNumber: number
  /** Bytes of whole records (WalWriter.intactSizeBytes): the file's size, or less after a failed append. */
  sizeBytes: number
}

/** A read-only source's state for its checkpoint (file comment): a pinned version and the logs that complete it. */
export interface UnflushedState extends PinnedVersion {
  /** The write-ahead logs holding the memtables' writes, oldest first; synced up to `sizeBytes`, and appended to no more. */
  logs: UnflushedLog[]
}

/** What writeCheckpoint needs of the database; Db.checkpoint() builds it from its internals. */
export interface CheckpointSource {
  vfs: Vfs
  /** Absolute directory of the source database. */
  directory: string
  /** Pins the current version (tables and blob files stay on disk while pinned). */
  pinCurrentVersion(): PinnedVersion
  /**
   * Flushes every memtable as of the call into tables. Resolves once they are, also when another
   * failure turned the source read-only meanwhile; rejects when one of them stays unflushed.
   */
  flush(): Promise<void>
  /** Why the source is read-only (its background error), or undefined while it takes writes. */
  readOnlyCause(): StrataError | undefined
  /**
   * Read-only sources only: once every flush and compaction queued before the call has run,
   * syncs the blob files and the logs holding the memtables' writes (a log whose append failed:
   * its whole records, WalWriter.syncIntact), and pins the version. Rejects with the `IO_ERROR`
   * of a log or blob file whose sync failed (now or earlier); a blob file whose append failed is
   * synced up to its last whole frame (ValueHooks.beforeCheckpointCapture).
   */
  captureUnflushed(): Promise<UnflushedState>
  /** Write the copy's manifest hardened (format 3), as the source writes its own. */
  manifestHardening: boolean
  /** Seal the copy's manifest with this cipher, as the source seals its own; undefined: plaintext. */
  manifestCipher?: LogCipher
}

/** What a checkpoint wrote, for tests and tools. */
export interface CheckpointReport {
  directory: string
  tableCount: number
  blobFileCount: number
  /** Tables and sealed blob files hard-linked. */
  linkedFileCount: number
  /** Files copied byte for byte: unsealed blob files, write-ahead logs, and any file the file system could not link. */
  copiedFileCount: number
  /** Write-ahead logs copied: those of a read-only source's unflushed memtables (0 when the checkpoint flushed). */
  logFileCount: number
  lastSeqno: number
}

/**
 * Writes a checkpoint of `source` into `targetDirectory` (see the file comment for the method).
 * @throws {StrataError} `INVALID_ARGUMENT` when the target is the source, is not empty, or
 * another checkpoint (or an open database) holds it; `CLOSED`; `READ_ONLY` when the source is
 * read-only and a sync of one of its logs or blob files failed (file comment); `IO_ERROR` from the links
 * and copies (errno EEXIST when a file appeared in the target).
 */
export async function writeCheckpoint(source: CheckpointSource, targetDirectory: string): Promise<CheckpointReport> {
  if (typeof targetDirectory !== 'string' || targetDirectory.length === 0) {
    throw new StrataError('INVALID_ARGUMENT', 'Cannot checkpoint: directory must be a non-empty string')
  }
  const target = path.resolve(targetDirectory)
  const { vfs } = source
  if (target === source.directory) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot checkpoint into ${target}: it is the database's own directory`, { details: { directory: target } })
  }
  const claim = claimTarget(vfs, target)
  let report: CheckpointReport
  try {
    for (const directory of claim.createdDirectories) await vfs.syncDirectory(path.dirname(directory))
    report = await pinAndCopy(source, target)
  } finally {
    claim.lock.release()
  }
  // The lock file's removal is durable too: a copy that went through a power failure holds no
  // LOCK whose pid a new process could have taken since.
  await vfs.syncDirectory(target)
  return report
}

async function pinAndCopy(source: CheckpointSource, target: string): Promise<CheckpointReport> {
  const early = source.pinCurrentVersion()
  try {
    const pinned = (await flushUnlessReadOnly(source)) ? { ...source.pinCurrentVersion(), logs: [] } : await captureUnflushed(source)
    try {
      return await copyVersion(source.vfs, source.directory, target, pinned, { hardened: source.manifestHardening, cipher: source.manifestCipher })
    } finally {
      pinned.release()
    }
  } finally {
    early.release()
  }
}

/**
 * Flushes a writable source; false when it is read-only before the flush, or the flush failed
 * and left it read-only. True when the flush succeeded even though another failure turned the
 * source read-only meanwhile: its tables hold every write acknowledged before the call, so the
 * version after it is as complete as a writable source's (file comment, step 3).
 */
async function flushUnlessReadOnly(source: CheckpointSource): Promise<boolean> {
  if (source.readOnlyCause() !== undefined) return false
  try {
    await source.flush()
    return true
  } catch (error) {
    // A flush that turned the store read-only (a full disk) leaves its writes in the logs.
    if (source.readOnlyCause() === undefined) throw error
    return false
  }
}

/** source.captureUnflushed(), refused with READ_ONLY when a log or blob file failed (file comment). */
async function captureUnflushed(source: CheckpointSource): Promise<UnflushedState> {
  try {
    return await source.captureUnflushed()
  } catch (error) {
    if (!isStrataError(error, 'IO_ERROR')) throw error
    throw new StrataError(
      'READ_ONLY',
      `Cannot checkpoint ${source.directory}: the store is read-only and a log or blob file of its unflushed writes failed, so which writes the file holds is unknown (close and open the store to recover what reached the disk): ${error.message}`,
      { cause: error, details: { directory: source.directory } },
    )
  }
}

/** The target, held for one checkpoint: its lock and the directories created for it, outermost first. */
interface TargetClaim {
  lock: VfsLock
  createdDirectories: string[]
}

/**
 * Creates the target (when absent) and takes the lock a database takes in its directory, with
 * no await in between, so two checkpoints into one target cannot both pass the emptiness check:
 * in one process the second sees the first's lock; across processes the lock file is created
 * exclusively. The lock also keeps the target from being opened as a store while it is written.
 */
function claimTarget(vfs: Vfs, target: string): TargetClaim {
  if (vfs.exists(target) && vfs.list(target).length > 0) throw targetNotEmpty(target)
  const createdDirectories: string[] = []
  for (let directory = target; !vfs.exists(directory); directory = path.dirname(directory)) createdDirectories.unshift(directory)
  vfs.mkdirp(target)
  let lock: VfsLock
  try {
    lock = vfs.lock(path.join(target, LOCK_FILE_NAME))
  } catch (error) {
    if (!(error instanceof StrataError) || error.code !== 'LOCKED') throw error
    throw new StrataError('INVALID_ARGUMENT', `Cannot checkpoint into ${target}: another checkpoint or database holds it`, { cause: error, details: { directory: target } })
  }
  // Another process may have written a whole checkpoint there between the check and the lock.
  if (vfs.list(target).some((name) => name !== LOCK_FILE_NAME)) {
    lock.release()
    throw targetNotEmpty(target)
  }
  return { lock, createdDirectories }
}

function targetNotEmpty(target: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', `Cannot checkpoint into ${target}: the directory is not empty`, { details: { directory: target } })
}

async function copyVersion(
  vfs: Vfs, sourceDirectory: string, target: string, pinned: UnflushedState, manifestOptions: { hardened: boolean; cipher?: LogCipher },
): Promise<CheckpointReport> {
  const { version } = pinned
  const report: CheckpointReport = { directory: target, tableCount: 0, blobFileCount: 0, linkedFileCount: 0, copiedFileCount: 0, logFileCount: 0, lastSeqno: pinned.lastSeqno }
  let highestFileNumber = CHECKPOINT_MANIFEST_FILE_NUMBER
  for (const tables of version.levels) {
    for (const table of tables) {
      const name = tableFileName(table.fileNumber)
      await linkOrCopy(vfs, path.join(sourceDirectory, name), path.join(target, name), report)
      highestFileNumber = Math.max(highestFileNumber, table.fileNumber)
      report.tableCount++
    }
  }
  for (const [fileNumber, state] of version.blobFiles) {
    const from = path.join(sourceDirectory, blobFileName(fileNumber))
    const to = path.join(target, blobFileName(fileNumber))
    // Sealed files carry their final size in the manifest; 0 means still being written.
    if (state.meta.sizeBytes > 0) {
      await linkOrCopy(vfs, from, to, report)
    } else {
      await copyFileSynced(vfs, from, to)
      report.copiedFileCount++
    }
    highestFileNumber = Math.max(highestFileNumber, fileNumber)
    report.blobFileCount++
  }
  for (const { logNumber, sizeBytes } of pinned.logs) {
    // Copied, never linked, and only up to its whole records: see the file comment.
    await copyFileSynced(vfs, path.join(sourceDirectory, walFileName(logNumber)), path.join(target, walFileName(logNumber)), sizeBytes)
    highestFileNumber = Math.max(highestFileNumber, logNumber)
    report.copiedFileCount++
    report.logFileCount++
  }
  // Links and copies must be durable before a manifest names them.
  await vfs.syncDirectory(target)
  const nextFileNumber = highestFileNumber + 1
  // The copy replays the logs it holds from the oldest on; without any, its logNumber is past every file it names.
  const logNumber = pinned.logs[0]?.logNumber ?? nextFileNumber
  const snapshot: VersionEdit = { ...version.toSnapshotEdit(), logNumber, lastSeqno: pinned.lastSeqno, nextFileNumber: nextFileNumber + 1 }
  // Every log the copy holds was written with the source's cipher (one LogCipher seals its
  // manifests and logs: Db.open), and every log it gets will be: encrypted from file 1 on.
  if (manifestOptions.cipher !== undefined) snapshot.encryptedFromFileNumber = CHECKPOINT_MANIFEST_FILE_NUMBER
  const manifestPath = path.join(target, manifestFileName(CHECKPOINT_MANIFEST_FILE_NUMBER))
  const manifest = createManifestWriter(vfs, manifestPath, CHECKPOINT_MANIFEST_FILE_NUMBER, manifestOptions)
  try {
    manifest.add(encodeVersionEdit(snapshot))
    await manifest.sync() // also syncs the directory: the name is durable before CURRENT names it
  } finally {
    await manifest.close()
  }
  await writeCurrentFile(vfs, target, CHECKPOINT_MANIFEST_FILE_NUMBER)
  return report
}

/**
 * Hard-links an immutable file into the checkpoint, or copies it where the file system cannot
 * link (another file system, no hard links, link count at its maximum). Any other link error
 * (an existing target included) fails the checkpoint: nothing is ever replaced.
 */
async function linkOrCopy(vfs: Vfs, from: string, to: string, report: CheckpointReport): Promise<void> {
  try {
    vfs.link(from, to)
    report.linkedFileCount++
  } catch (error) {
    if (!isLinkUnsupported(error)) throw error
    await copyFileSynced(vfs, from, to)
    report.copiedFileCount++
  }
}

