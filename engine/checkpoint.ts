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
 * Once `writeCheckpoint` resolves, every byte and name of the copy is durable.
 *
 * The copy holds no WAL: its manifest's logNumber is past every file number it names.
 * Contract: called on an open database; `targetDirectory` must be absent or empty. A failure
 * leaves the target holding what was written so far (never opening as a store) and unlocked.
 */
import path from 'node:path'
import { StrataError } from './errors.ts'
import { isLinkUnsupported, type Vfs, type VfsLock } from './vfs/vfs.ts'
import { copyFileSynced } from './vfs/copy-file.ts'
import type { LogCipher } from './wal/mod.ts'
import { LOCK_FILE_NAME, blobFileName, createManifestWriter, encodeVersionEdit, manifestFileName, tableFileName, type Version, type VersionEdit } from './manifest/mod.ts'
// Not re-exported by manifest/mod.ts; the checkpoint is the one writer of CURRENT outside the
// VersionSet, so it uses the same function rather than a second copy of the format.
import { writeCurrentFile } from './manifest/current-file.ts'

/** Number of the copy's manifest: file 1, which a store only ever uses for its first manifest. */
const CHECKPOINT_MANIFEST_FILE_NUMBER = 1

/** A version held on disk until `release()`, and the manifest counters that go with it. */
export interface PinnedVersion {
  version: Version
  /** The manifest's lastSeqno: at least the largest seqno in the version's tables. */
  lastSeqno: number
  release(): void
}

/** What writeCheckpoint needs of the database; Db.checkpoint() builds it from its internals. */
export interface CheckpointSource {
  vfs: Vfs
  /** Absolute directory of the source database. */
  directory: string
  /** Pins the current version (tables and blob files stay on disk while pinned). */
  pinCurrentVersion(): PinnedVersion
  /** Flushes every memtable as of the call into tables. */
  flush(): Promise<void>
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
  /** Files copied byte for byte: unsealed blob files, and any file the file system could not link. */
  copiedFileCount: number
  lastSeqno: number
}

/**
 * Writes a checkpoint of `source` into `targetDirectory` (see the file comment for the method).
 * @throws {StrataError} `INVALID_ARGUMENT` when the target is the source, is not empty, or
 * another checkpoint (or an open database) holds it; `CLOSED` / `READ_ONLY` from the flush;
 * `IO_ERROR` from the links and copies (errno EEXIST when a file appeared in the target).
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
    await source.flush()
    const pinned = source.pinCurrentVersion()
    try {
      return await copyVersion(source.vfs, source.directory, target, pinned, { hardened: source.manifestHardening, cipher: source.manifestCipher })
    } finally {
      pinned.release()
    }
  } finally {
    early.release()
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
  vfs: Vfs, sourceDirectory: string, target: string, pinned: PinnedVersion, manifestOptions: { hardened: boolean; cipher?: LogCipher },
): Promise<CheckpointReport> {
  const { version } = pinned
  const report: CheckpointReport = { directory: target, tableCount: 0, blobFileCount: 0, linkedFileCount: 0, copiedFileCount: 0, lastSeqno: pinned.lastSeqno }
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
  // Links and copies must be durable before a manifest names them.
  await vfs.syncDirectory(target)
  const nextFileNumber = highestFileNumber + 1
  const snapshot: VersionEdit = { ...version.toSnapshotEdit(), logNumber: nextFileNumber, lastSeqno: pinned.lastSeqno, nextFileNumber: nextFileNumber + 1 }
  // The copy holds no WAL, so every log it ever gets must be encrypted: from file 1 on.
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

