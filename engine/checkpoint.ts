/**
 * Checkpoint: a consistent copy of an open database in another directory, taken while writes,
 * flushes, compactions and blob GC go on, that opens as an independent store. Db.checkpoint()
 * (and BlobDb.checkpoint(), which delegates to it) calls `writeCheckpoint` with a narrow port.
 *
 * What the copy holds: every write acknowledged before `checkpoint()` was called, and possibly
 * some writes made while it ran (those a background flush put into the captured version). The
 * extra writes are always a seqno prefix: the copy is a state the source went through, never a
 * mix with holes. Method:
 * 1. Pin the current version first, synchronously. A pinned version keeps compaction inputs on
 *    disk and holds blob GC's deletions back (GC deletes retired files only when no reader is
 *    open), so a blob file that a table may still point at cannot vanish during the copy.
 * 2. Flush: the memtable as of the call (and every older frozen one) becomes tables.
 * 3. Capture and pin the version after the flush; it holds every acknowledged write.
 * 4. Hard-link (Vfs.link copies where links are impossible) every table and every sealed blob
 *    file: those are immutable, so sharing an inode is safe. A blob file still being written
 *    (unsealed; its manifest size is 0) is copied byte for byte instead, because the source
 *    keeps appending to it and the copy's own open seals it with a footer: a link would let
 *    each store write into the other's file.
 * 5. Write MANIFEST-000001 holding one snapshot record of the captured version (sealed, and
 *    marking the copy encrypted, when the source's manifests are: docs/encryption.md §8), sync it, and
 *    only then write CURRENT. Until CURRENT exists the directory holds data files without
 *    CURRENT, which Db.open refuses as CORRUPTION, so a crash mid-checkpoint can never open as
 *    an empty store. Release both pins.
 *
 * The copy holds no WAL: its manifest's logNumber is past every file number it names.
 * Contract: called on an open database; `targetDirectory` must be absent or empty.
 */
import path from 'node:path'
import { StrataError } from './errors.ts'
import type { Vfs } from './vfs/vfs.ts'
import type { LogCipher } from './wal/mod.ts'
import { blobFileName, createManifestWriter, encodeVersionEdit, manifestFileName, tableFileName, type Version, type VersionEdit } from './manifest/mod.ts'
// Not re-exported by manifest/mod.ts; the checkpoint is the one writer of CURRENT outside the
// VersionSet, so it uses the same function rather than a second copy of the format.
import { writeCurrentFile } from './manifest/current-file.ts'

/** Bytes copied per read when a file cannot be linked (an unsealed blob file). */
export const CHECKPOINT_COPY_CHUNK_BYTES = 1024 * 1024

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
  /** Files linked (or copied by Vfs.link where links are impossible). */
  linkedFileCount: number
  /** Unsealed blob files copied byte for byte. */
  copiedFileCount: number
  lastSeqno: number
}

/**
 * Writes a checkpoint of `source` into `targetDirectory` (see the file comment for the method).
 * @throws {StrataError} `INVALID_ARGUMENT` when the target is the source or is not empty;
 * `CLOSED` / `READ_ONLY` from the flush; `IO_ERROR` from the copy.
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
  if (vfs.exists(target) && vfs.list(target).length > 0) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot checkpoint into ${target}: the directory is not empty`, { details: { directory: target } })
  }
  const early = source.pinCurrentVersion()
  try {
    await source.flush()
    const pinned = source.pinCurrentVersion()
    try {
      return await copyVersion(vfs, source.directory, target, pinned, { hardened: source.manifestHardening, cipher: source.manifestCipher })
    } finally {
      pinned.release()
    }
  } finally {
    early.release()
  }
}

async function copyVersion(
  vfs: Vfs, sourceDirectory: string, target: string, pinned: PinnedVersion, manifestOptions: { hardened: boolean; cipher?: LogCipher },
): Promise<CheckpointReport> {
  const { version } = pinned
  vfs.mkdirp(target)
  const report: CheckpointReport = { directory: target, tableCount: 0, blobFileCount: 0, linkedFileCount: 0, copiedFileCount: 0, lastSeqno: pinned.lastSeqno }
  let highestFileNumber = CHECKPOINT_MANIFEST_FILE_NUMBER
  for (const tables of version.levels) {
    for (const table of tables) {
      vfs.link(path.join(sourceDirectory, tableFileName(table.fileNumber)), path.join(target, tableFileName(table.fileNumber)))
      highestFileNumber = Math.max(highestFileNumber, table.fileNumber)
      report.tableCount++
      report.linkedFileCount++
    }
  }
  for (const [fileNumber, state] of version.blobFiles) {
    const from = path.join(sourceDirectory, blobFileName(fileNumber))
    const to = path.join(target, blobFileName(fileNumber))
    // Sealed files carry their final size in the manifest; 0 means still being written.
    if (state.meta.sizeBytes > 0) {
      vfs.link(from, to)
      report.linkedFileCount++
    } else {
      await copyFile(vfs, from, to)
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
 * Copies the bytes `from` holds now into a new file `to`, and syncs it. The size is read once:
 * bytes appended meanwhile are not copied (the source only appends, so the prefix is stable).
 */
async function copyFile(vfs: Vfs, from: string, to: string): Promise<void> {
  const input = vfs.openRead(from)
  try {
    const sizeBytes = input.sizeBytes()
    const output = vfs.create(to)
    try {
      for (let offsetBytes = 0; offsetBytes < sizeBytes; offsetBytes += CHECKPOINT_COPY_CHUNK_BYTES) {
        const chunk = new Uint8Array(Math.min(CHECKPOINT_COPY_CHUNK_BYTES, sizeBytes - offsetBytes))
        const readBytes = input.read(chunk, offsetBytes)
        if (readBytes !== chunk.length) {
          throw new StrataError('IO_ERROR', `Cannot checkpoint ${from}: short read at offset ${offsetBytes}`, { details: { fileName: from, offsetBytes } })
        }
        output.append([chunk])
      }
      await output.sync()
    } finally {
      output.close()
    }
  } finally {
    input.close()
  }
}
