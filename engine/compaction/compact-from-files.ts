/**
 * A compaction run away from the database's thread (the background worker): it opens the input
 * tables itself, writes outputs under file numbers the database hands it, and returns
 * the dropped blob handles as copies instead of reporting them as they go. The merge is the
 * same compactTables() the database runs in place, so both write the same tables.
 */
import path from 'node:path'
import assert from 'node:assert/strict'
import { tableFileName } from '../manifest/mod.ts'
import { TableReader } from '../table/mod.ts'
import { TableOutputs, type TableOutputSettings } from '../table-outputs.ts'
import { compactTables, type CompactionJob, type CompactionResult } from './compact-tables.ts'

/** A compaction's result as it crosses back from the worker. */
export interface FileCompactionResult extends CompactionResult {
  /** Keys and values of dropped BlobHandle versions, in merge order (copies). */
  dropped: [string, Uint8Array][]
}

/**
 * Runs `job` reading and writing through `settings.vfs`. Each output's file number comes from
 * `outputFileNumber()`, which asks the database: its VersionSet owns the counter the manifest
 * records. One number per output, asked for when the output starts (one round trip per
 * target-size table), so the worker numbers its outputs exactly as the in-thread merge does.
 */
export async function compactFromFiles(settings: TableOutputSettings, job: CompactionJob, outputFileNumber: () => Promise<number>): Promise<FileCompactionResult> {
  assert(job.inputs.length > 0, 'a compaction without inputs')
  const readers: TableReader[] = []
  const dropped: [string, Uint8Array][] = []
  const outputs = new TableOutputs(settings, job.directory, () => {
    assert.fail('a worker compaction numbers every output through outputFileNumber')
  })
  try {
    // Opened up front, so a damaged input fails the job before any output is written.
    const byNumber = new Map<number, TableReader>()
    for (const table of job.inputs) {
      const reader = TableReader.open(settings.vfs, path.join(job.directory, tableFileName(table.fileNumber)), table.fileNumber, { codec: settings.blockCodec })
      readers.push(reader)
      byNumber.set(table.fileNumber, reader)
    }
    const source = {
      iterator: (table: { fileNumber: number }) => byNumber.get(table.fileNumber)!.iterator(),
      rangeTombstones: (table: { fileNumber: number }) => byNumber.get(table.fileNumber)!.rangeTombstones,
    }
    const result = await compactTables(job, source, outputs, {
      // A copy: a view would carry its whole block across the thread boundary.
      onDroppedValue: (key, value) => dropped.push([key, value.slice()]),
      outputFileNumber,
    })
    return { ...result, dropped }
  } finally {
    for (const reader of readers) reader.close()
  }
}
