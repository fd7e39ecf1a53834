/**
 * Read-only access to a store for the forensics CLI: the live version from the manifest
 * (VersionSet opened with `readOnly: true`, so nothing is written and no lock is taken — the
 * tool may look at a store a running process has open), per-table codec facts from the first
 * block of each table, and verification through engine/scrub/ (tables) and the blob layer's
 * checker (blob files).
 *
 * A sealed manifest (docs/formats/manifest.md §7) needs the key file: without one the read
 * fails with the manifest's own key error (UNKNOWN_KEY_EPOCH), reworded to say so.
 */
import path from 'node:path'
import { VersionSet, tableFileName, manifestFileName, type Version, type TableMeta } from '../manifest/mod.ts'
// Not on manifest/mod.ts's surface: the tool reads CURRENT to find the manifest's key epoch.
import { readCurrentFile } from '../manifest/current-file.ts'
import { LogCipher } from '../wal/mod.ts'
import type { LoadedKeys } from './key-file.ts'
import { IntegrityMonitor, verifyTable, summarize, type FileCheck, type VerifyReport } from '../scrub/mod.ts'
import { checkingEccRegions, type BlockCodec, type RepairEvent } from '../transform/mod.ts'
import type { Vfs } from '../vfs/mod.ts'
import { anatomize, blockExtentAt, type BlockAnatomy } from './block-anatomy.ts'
import type { IntegrityOptions } from '../integrity-options.ts'
import type { BlobFileCheck, BlobFileChecker } from './blob-file-check.ts'
import { FOOTER_SIZE_BYTES } from '../table/mod.ts'
import { StrataError, isStrataError } from '../errors.ts'

/** What the tool shows of the live version. */
export interface StoreVersion {
  version: Version
  manifestFileName: string
  lastSeqno: number
  /** True when the manifest was sealed (and so opened with the key file). */
  manifestEncrypted: boolean
  /** Format version of the manifest: 1 plain, 2 sealed, 3 hardened, 4 hardened and sealed. */
  manifestFormatVersion: number
  /** WAL files numbered at least this are not yet flushed: recovery replays them. */
  logNumber: number
  /** WAL files numbered at least this must be encrypted (undefined: the store never was). */
  encryptedFromFileNumber: number | undefined
}

/**
 * Reads the live version and closes the manifest again; `keys` open a sealed manifest.
 * @throws {StrataError} `UNKNOWN_KEY_EPOCH` when the manifest is sealed and no key file was
 * given (or its chain lacks the manifest's epoch), `MISSING_KEY`, `DECRYPT_FAILED` for a
 * wrong key; as VersionSet.recover otherwise.
 */
export async function readVersion(vfs: Vfs, directory: string, keys?: LoadedKeys): Promise<StoreVersion> {
  // A tool reads what is there: plaintext manifests too (a store from before encryption).
  const cipher = keys === undefined ? undefined : new LogCipher({ suite: keys.suite, keyChain: keys.keyChain, allowPlaintextLogs: true })
  let versions: VersionSet
  try {
    versions = await VersionSet.recover(vfs, directory, { readOnly: true, cipher })
  } catch (error) {
    if (keys === undefined && isStrataError(error, 'UNKNOWN_KEY_EPOCH')) {
      throw new StrataError('UNKNOWN_KEY_EPOCH', `the manifest is encrypted; pass --key-file to read it (${error.message})`, { cause: error, details: error.details })
    }
    throw error
  }
  try {
    const report = versions.recoveryReport
    return {
      version: versions.current,
      manifestFileName: path.basename(report?.manifestFileName ?? ''),
      lastSeqno: versions.lastSeqno,
      manifestEncrypted: report?.encrypted === true,
      manifestFormatVersion: report?.formatVersion ?? 1,
      logNumber: versions.logNumber,
      encryptedFromFileNumber: versions.encryptedFromFileNumber,
    }
  } finally {
    await versions.close()
  }
}

/**
 * The key epoch the live manifest is sealed under (header bytes 16–19 in both sealed formats,
 * wal.md §2.2 and manifest.md §7.1), or undefined for a plaintext or unreadable one. Only a
 * default for a single-key file: the header is checked when the manifest is read.
 */
export function manifestKeyEpoch(vfs: Vfs, directory: string): number | undefined {
  try {
    const manifestPath = path.join(directory, manifestFileName(readCurrentFile(vfs, directory)))
    const head = new Uint8Array(20)
    const file = vfs.openRead(manifestPath)
    try {
      if (file.read(head, 0) < head.length) return undefined
    } finally {
      file.close()
    }
    if (Buffer.from(head.subarray(0, 4)).toString('latin1') !== 'SMAN' || (head[4] !== 2 && head[4] !== 4)) return undefined
    return new DataView(head.buffer).getUint32(16, true)
  } catch {
    return undefined
  }
}

/** The anatomy of a table's first block. */
function firstBlockAnatomy(vfs: Vfs, directory: string, table: TableMeta): BlockAnatomy {
  const filePath = path.join(directory, tableFileName(table.fileNumber))
  const head = new Uint8Array(Math.min(64 * 1024, vfs.sizeBytes(filePath)))
  const file = vfs.openRead(filePath)
  try {
    file.read(head, 0)
  } finally {
    file.close()
  }
  return anatomize(head, 0, table.fileNumber)
}

/** "zstd+aes-256-gcm@1+parity"-style summary of how a table's first block was written. */
export function tableCodecSummary(vfs: Vfs, directory: string, table: TableMeta): string {
  const anatomy = firstBlockAnatomy(vfs, directory, table)
  const parts = [
    anatomy.compression ? 'zstd' : undefined,
    anatomy.encryption ? `${anatomy.encryption.suiteName}@${anatomy.encryption.keyEpoch}` : undefined,
    anatomy.ecc ? (anatomy.ecc.config.kind === 'reed-solomon' ? `rs(${anatomy.ecc.config.dataShards},${anatomy.ecc.config.parityShards})` : anatomy.ecc.config.kind === 'xor' ? `xor(${anatomy.ecc.config.dataShards})` : 'sec-ded') : undefined,
  ].filter((part) => part !== undefined)
  // The first block may be stored raw when zstd would not shrink it; later ones may differ.
  return parts.length === 0 ? 'plain' : parts.join('+')
}

/**
 * The compression and ECC the store's newest table was written with, from its first block, for
 * a tool that writes tables into the store (repair) and should protect them as the store does.
 * Empty for a store without tables or a first block that cannot be read. A first block stored
 * raw because zstd did not shrink it reads as uncompressed: compression only saves space, the
 * ECC scheme (which protects) is named by every block's trailer.
 */
export function newestTableCodec(vfs: Vfs, directory: string, version: Version): Pick<IntegrityOptions, 'compression' | 'ecc'> {
  const newest = version.levels.flat().sort((a, b) => b.fileNumber - a.fileNumber)[0]
  if (newest === undefined) return {}
  let anatomy: BlockAnatomy
  try {
    anatomy = firstBlockAnatomy(vfs, directory, newest)
  } catch (error) {
    // A damaged table is verify's to report; the repair then writes with the defaults.
    if (!(error instanceof StrataError)) throw error
    return {}
  }
  return {
    ...(anatomy.compression === undefined ? {} : { compression: { kind: 'zstd' as const } }),
    ...(anatomy.ecc === undefined ? {} : { ecc: anatomy.ecc.config }),
  }
}

/** Verifies every live table (read-only). */
export function verifyStore(vfs: Vfs, directory: string, version: Version, reading: CountingCodec): VerifyReport {
  const settings = { vfs, directory, ...reading }
  const files: FileCheck[] = version.levels.flat().map((table) => verifyTable(table, settings))
  return summarize(files)
}

/** A codec that counts its repairs per file, for checks that diff the count around a file. */
export interface CountingCodec {
  codec: BlockCodec
  repairCountOf(fileNumber: number): number
}

/**
 * `codecOf(onRepair)` with its repairs counted per file (file numbers are unique across tables
 * and blob files, so one serves both checks of a store).
 */
export function countingRepairs(codecOf: (onRepair: (event: RepairEvent) => void) => BlockCodec): CountingCodec {
  const monitor = new IntegrityMonitor()
  return { codec: codecOf((event) => monitor.recordRepair(event)), repairCountOf: (fileNumber) => monitor.repairCountOf(fileNumber) }
}

/**
 * Checks every blob file the manifest lists, in file-number order, through `checkBlobFile` (the
 * blob layer's walk, handed in: engine/ does not import blobtree/). A file listed with size 0 is
 * the active file of a store that is open or crashed (blobtree registers a file at creation and
 * records its size when it seals it): its frames are checked up to its last whole, verified one.
 */
export function verifyBlobFiles(vfs: Vfs, directory: string, version: Version, reading: CountingCodec, checkBlobFile: BlobFileChecker): BlobFileCheck[] {
  return [...version.blobFiles.values()]
    .sort((a, b) => a.meta.fileNumber - b.meta.fileNumber)
    .map((state) => checkBlobFile({ vfs, directory, fileNumber: state.meta.fileNumber, sealed: state.meta.sizeBytes > 0, ...reading }))
}

/** One block's outcome in a block-by-block walk. */
export interface BlockCheck {
  offsetBytes: number
  sizeBytes: number
  blockType: number
  /** As FileStatus, for one block: `ecc-damaged` when it verified but its ECC region does not match it. */
  status: 'clean' | 'ecc-damaged' | 'repaired' | 'unrecoverable'
  code?: string
}

/**
 * Walks a table block by block from offset 0 to the footer, decoding each block on its own, so
 * one damaged block does not hide the others (verify stops at a file's first failure).
 */
export function walkTableBlocks(vfs: Vfs, filePath: string, fileNumber: number, codec: BlockCodec, repairCount: () => number): { blocks: BlockCheck[]; stoppedAt?: number } {
  const bytes = new Uint8Array(vfs.sizeBytes(filePath))
  const file = vfs.openRead(filePath)
  try {
    file.read(bytes, 0)
  } finally {
    file.close()
  }
  const endBytes = bytes.length - FOOTER_SIZE_BYTES
  const blocks: BlockCheck[] = []
  let eccRegionDamaged = false
  const checkingCodec = checkingEccRegions(codec, () => (eccRegionDamaged = true))
  let offsetBytes = 0
  while (offsetBytes < endBytes) {
    const extent = blockExtentAt(bytes.subarray(offsetBytes, endBytes))
    if (extent === undefined) return { blocks, stoppedAt: offsetBytes }
    const onDisk = bytes.subarray(offsetBytes, offsetBytes + extent.sizeBytes)
    const blockType = onDisk[1]
    const before = repairCount()
    eccRegionDamaged = false
    let check: BlockCheck
    try {
      checkingCodec.decode(onDisk, { fileNumber, blockType, fileName: filePath, offsetBytes })
      const status = repairCount() > before ? 'repaired' : eccRegionDamaged ? 'ecc-damaged' : 'clean'
      check = { offsetBytes, sizeBytes: extent.sizeBytes, blockType, status }
    } catch (error) {
      check = { offsetBytes, sizeBytes: extent.sizeBytes, blockType, status: 'unrecoverable', code: error instanceof StrataError ? error.code : 'IO_ERROR' }
    }
    blocks.push(check)
    offsetBytes += extent.sizeBytes
  }
  return { blocks }
}

