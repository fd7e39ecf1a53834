/**
 * TableOutputs: creates the table files that flushes, compactions and recovery write, and
 * turns a finished table into the TableMeta the manifest records. `flushMemtable` writes one
 * memtable as level-0 tables (shared by background flush and WAL recovery).
 */
import path from 'node:path'
import type { ResolvedOptions } from './options.ts'
import type { RangeTombstone } from './entry.ts'
import type { InternalIterator } from './iterator/internal-iterator.ts'
import { TableWriter, type TableJob } from './table/mod.ts'
import { tableFileName, type TableMeta } from './manifest/mod.ts'
import { mergeRun, type OutputTable } from './compaction/merge-run.ts'
import type { VfsFile } from './vfs/vfs.ts'

/** A table being written, with what is needed to register it. */
export interface TableOutput extends OutputTable {
  readonly writer: TableWriter
  readonly file: VfsFile
  readonly fileNumber: number
  readonly level: number
  /** First and last point key added; undefined while none was. */
  firstKey: string | undefined
  lastKey: string | undefined
}

/** The options a table writer needs (a subset of the open options, so a worker can build it). */
export type TableOutputSettings = Pick<ResolvedOptions, 'vfs' | 'blockCodec' | 'blockSizeBytes' | 'blockRestartInterval' | 'bloomBitsPerKey' | 'integrity'>

export class TableOutputs {
  readonly #options: TableOutputSettings
  readonly #directory: string
  readonly #nextFileNumber: () => number
  /** integrity.perKeyChecksums: new tables (and memtables) carry per-KV checksums (docs/per-kv-checksums.md). */
  readonly perKeyChecksums: boolean

  /** `nextFileNumber` hands out file numbers (VersionSet.nextFileNumber in the database). */
  constructor(options: TableOutputSettings, directory: string, nextFileNumber: () => number) {
    this.#options = options
    this.#directory = directory
    this.#nextFileNumber = nextFileNumber
    this.perKeyChecksums = options.integrity.description.perKeyChecksums === true
  }

  /**
   * Hands out the next file number, for an output another thread (the background worker)
   * writes: create() never sees that table. A number reserved but not written leaves no file,
   * or an orphan the next open removes (removeObsoleteFiles).
   */
  reserve(): number {
    return this.#nextFileNumber()
  }

  /**
   * Starts a table of `level` for `job` (named in the writer's errors), numbered `fileNumber`
   * when given (reserved by the database for a worker), else by nextFileNumber.
   */
  create(level: number, job: TableJob, fileNumber = this.#nextFileNumber()): TableOutput {
    const file = this.#options.vfs.create(path.join(this.#directory, tableFileName(fileNumber)))
    const writer = new TableWriter(file, {
      fileNumber,
      // The codec's per-level compression policy (integrity.compression.perLevel) keys on it.
      level,
      codec: this.#options.blockCodec,
      blockSizeBytes: this.#options.blockSizeBytes,
      restartInterval: this.#options.blockRestartInterval,
      filterBitsPerKey: this.#options.bloomBitsPerKey,
      perKeyChecksums: this.perKeyChecksums,
      job,
    })
    const output: TableOutput = {
      writer,
      file,
      fileNumber,
      level,
      firstKey: undefined,
      lastKey: undefined,
      add: (key, seqno, kind, value, sourceChecksum) => {
        writer.add(key, seqno, kind, value, sourceChecksum)
        output.firstKey ??= key
        output.lastKey = key
      },
      addRangeTombstone: (tombstone) => writer.addRangeTombstone(tombstone),
      estimatedSizeBytes: () => writer.estimatedSizeBytes(),
    }
    return output
  }

  /**
   * Finishes (and syncs) the table; returns its manifest record. The key range is that of the
   * point keys when the table has any (a sorted level's tables must not overlap), else that of
   * its range tombstones (only level 0 holds such tables).
   */
  async finish(output: TableOutput): Promise<TableMeta> {
    const finished = await output.writer.finish()
    output.file.close()
    return {
      level: output.level,
      fileNumber: output.fileNumber,
      sizeBytes: finished.sizeBytes,
      smallestKey: output.firstKey ?? finished.smallestKey,
      largestKey: output.lastKey ?? finished.largestKey,
      smallestSeqno: finished.smallestSeqno,
      largestSeqno: finished.largestSeqno,
      entryCount: finished.entryCount,
      tombstoneCount: finished.tombstoneCount,
      rangeTombstoneCount: finished.rangeTombstoneCount,
    }
  }
}

/** What a flush reads: a frozen memtable, or the one the background worker rebuilds from its log. */
export interface FlushSource {
  iterator(): InternalIterator
  readonly rangeTombstones: readonly RangeTombstone[]
}

/**
 * Writes `memtable` as one level-0 table (none when it is empty) and syncs its directory.
 * Versions no reader can see (shadowed within a snapshot stripe, given the live `snapshots`,
 * ascending) are dropped already here; tombstones stay, since deeper tables may hold their keys.
 */
export async function flushMemtable(
  memtable: FlushSource,
  outputs: TableOutputs,
  snapshots: readonly number[],
  vfsSyncDirectory: () => Promise<void>,
  onDroppedValue?: (key: string, value: Uint8Array) => void,
): Promise<TableMeta[]> {
  const added: TableMeta[] = []
  const iterator = memtable.iterator()
  try {
    await mergeRun<TableOutput>({
      input: iterator,
      rangeTombstones: memtable.rangeTombstones,
      snapshots,
      deeperDataMayExist: () => true,
      otherDataMayExist: () => true,
      attachTombstones: true,
      onDroppedValue: onDroppedValue === undefined ? undefined : (key, _kind, value) => onDroppedValue(key, value),
      newOutput: () => outputs.create(0, 'flush'),
      finishOutput: async (output) => {
        added.push(await outputs.finish(output))
      },
      targetTableSizeBytes: Number.MAX_SAFE_INTEGER,
    })
  } finally {
    iterator.close()
  }
  if (added.length > 0) await vfsSyncDirectory()
  return added
}
