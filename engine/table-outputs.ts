/**
 * TableOutputs: creates the table files that flushes, compactions and recovery write, and
 * turns a finished table into the TableMeta the manifest records. `flushMemtable` writes one
 * memtable as level-0 tables (shared by background flush and WAL recovery).
 */
import path from 'node:path'
import type { ResolvedOptions } from './options.ts'
import type { Memtable } from './memtable/memtable.ts'
import { TableWriter } from './table/mod.ts'
import { tableFileName, type TableMeta, type VersionSet } from './manifest/mod.ts'
import { mergeRun, type OutputTable } from './compaction/merge-run.ts'
import type { VfsFile } from './vfs/vfs.ts'

/** A table being written, with what is needed to register it. */
export interface TableOutput extends OutputTable {
  readonly writer: TableWriter
  readonly file: VfsFile
  readonly fileNumber: number
  readonly level: number
}

export class TableOutputs {
  readonly #options: ResolvedOptions
  readonly #directory: string
  readonly #versions: VersionSet
  /** File numbers of outputs being written: live, though no version lists them yet. */
  readonly pending = new Set<number>()

  constructor(options: ResolvedOptions, directory: string, versions: VersionSet) {
    this.#options = options
    this.#directory = directory
    this.#versions = versions
  }

  create(level: number): TableOutput {
    const fileNumber = this.#versions.nextFileNumber()
    this.pending.add(fileNumber)
    const file = this.#options.vfs.create(path.join(this.#directory, tableFileName(fileNumber)))
    const writer = new TableWriter(file, {
      fileNumber,
      codec: this.#options.blockCodec,
      blockSizeBytes: this.#options.blockSizeBytes,
      restartInterval: this.#options.blockRestartInterval,
      filterBitsPerKey: this.#options.bloomBitsPerKey,
    })
    return {
      writer,
      file,
      fileNumber,
      level,
      add: (key, seqno, kind, value) => writer.add(key, seqno, kind, value),
      addRangeTombstone: (tombstone) => writer.addRangeTombstone(tombstone),
      estimatedSizeBytes: () => writer.estimatedSizeBytes(),
    }
  }

  /** Finishes (and syncs) the table; returns its manifest record. */
  async finish(output: TableOutput): Promise<TableMeta> {
    const finished = await output.writer.finish()
    output.file.close()
    return {
      level: output.level,
      fileNumber: output.fileNumber,
      sizeBytes: finished.sizeBytes,
      smallestKey: finished.smallestKey,
      largestKey: finished.largestKey,
      smallestSeqno: finished.smallestSeqno,
      largestSeqno: finished.largestSeqno,
      entryCount: finished.entryCount,
      tombstoneCount: finished.tombstoneCount,
      rangeTombstoneCount: finished.rangeTombstoneCount,
    }
  }

  /** Forgets outputs once a version lists them (or they were abandoned). */
  settle(fileNumbers: Iterable<number>): void {
    for (const fileNumber of fileNumbers) this.pending.delete(fileNumber)
  }
}

/**
 * Writes `memtable` as one level-0 table (none when it is empty) and syncs its directory.
 * Flush keeps every version: dropping here would need compaction's snapshot bookkeeping for
 * little gain, since an L0→L1 compaction follows soon.
 */
export async function flushMemtable(memtable: Memtable, outputs: TableOutputs, vfsSyncDirectory: () => Promise<void>): Promise<TableMeta[]> {
  const added: TableMeta[] = []
  const iterator = memtable.iterator()
  try {
    await mergeRun<TableOutput>({
      input: iterator,
      rangeTombstones: memtable.rangeTombstones,
      snapshots: [],
      deeperDataMayExist: () => true,
      newOutput: () => outputs.create(0),
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
