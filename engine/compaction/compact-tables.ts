/**
 * One compaction's merge, described by a CompactionJob of plain data (file numbers, key ranges,
 * snapshot seqnos), so the same function runs on the database's thread (tables from its file
 * cache) and in the background worker (tables it opens itself; background/background-worker-thread.ts).
 * Both paths therefore write the same tables and report the same dropped values. The caller
 * applies the result: it writes kept range tombstones, logs the manifest edit and deletes inputs.
 */
import assert from 'node:assert/strict'
import type { RangeTombstone } from '../entry.ts'
import type { InternalIterator } from '../iterator/internal-iterator.ts'
import { MergingIterator } from '../iterator/merging-iterator.ts'
import { LEVEL_COUNT } from '../limits.ts'
import type { TableMeta } from '../manifest/mod.ts'
import type { TableOutput, TableOutputs } from '../table-outputs.ts'
import { mergeRun } from './merge-run.ts'
import { keyRange } from './picker.ts'

/** The key range of a table outside the inputs: what the drop rules ask about. */
export interface OtherTable {
  level: number
  smallestKey: string
  largestKey: string
}

/** One compaction of `inputs` into `outputLevel`, as plain data (it crosses to the worker). */
export interface CompactionJob {
  directory: string
  /** The tables merged: the picked level's first, then the overlapping ones of the next level. */
  inputs: TableMeta[]
  outputLevel: number
  /** Live snapshot seqnos, ascending, when the compaction started. */
  snapshots: number[]
  targetTableSizeBytes: number
  /** Every table of the version outside the inputs. */
  otherTables: OtherTable[]
}

/** What a compaction wrote and dropped; the caller turns it into a manifest edit. */
export interface CompactionResult {
  /** Output tables of `outputLevel`, finished and synced (their directory entries not yet). */
  added: TableMeta[]
  /** Range tombstones still needed, for the caller's level-0 tombstone table. */
  keptTombstones: RangeTombstone[]
  entriesDropped: number
}

/** How a compaction reaches its input tables. */
export interface CompactionSource {
  /** An iterator over the table's entries; closing it releases the table. */
  iterator(table: TableMeta): InternalIterator
  rangeTombstones(table: TableMeta): readonly RangeTombstone[]
}

export interface CompactionHooks {
  /** Told of every dropped BlobHandle value (the blob layer counts its bytes stale). */
  onDroppedValue?: (key: string, value: Uint8Array) => void
  /** Numbers each output; default `outputs`' own counter. The worker asks the database (it owns the counter). */
  outputFileNumber?: () => Promise<number>
}

/** True when one of `tables` may hold keys in [start, end]. */
function mayHoldKeys(tables: readonly OtherTable[], start: string, end: string): boolean {
  for (const table of tables) {
    if (!(table.largestKey < start || table.smallestKey > end)) return true
  }
  return false
}

/**
 * The tables that may hold an older version of a point key of the inputs: those below the
 * output level. Levels above it hold newer versions only (level 0 compacts all its tables at
 * once, a deeper level into every table of the next one it overlaps), and the output level's
 * other tables hold none of the inputs' keys: the picker takes every one overlapping them,
 * which the assertion checks.
 */
function tablesBelowOutput(job: CompactionJob): OtherTable[] {
  const range = keyRange(job.inputs)
  const below: OtherTable[] = []
  for (const table of job.otherTables) {
    if (table.level === job.outputLevel) {
      assert(table.largestKey < range.smallest || table.smallestKey > range.largest, 'a table of the output level outside the inputs overlaps them')
    }
    if (table.level > job.outputLevel) below.push(table)
  }
  return below
}

/** Runs the merge of `job`, writing outputs through `outputs`. */
export async function compactTables(job: CompactionJob, source: CompactionSource, outputs: TableOutputs, hooks: CompactionHooks = {}): Promise<CompactionResult> {
  const belowOutput = tablesBelowOutput(job)
  const rangeTombstones: RangeTombstone[] = []
  // A loop, not push(...): a table may hold more range tombstones than a call takes arguments
  // (V8 throws RangeError past ~120k).
  for (const table of job.inputs) {
    if (table.rangeTombstoneCount === 0) continue
    for (const tombstone of source.rangeTombstones(table)) rangeTombstones.push(tombstone)
  }
  const added: TableMeta[] = []
  const input = new MergingIterator(job.inputs.map((table) => source.iterator(table)))
  const { onDroppedValue, outputFileNumber } = hooks
  try {
    const stats = await mergeRun({
      input,
      rangeTombstones,
      snapshots: job.snapshots,
      deeperDataMayExist: (start, end) => mayHoldKeys(belowOutput, start, end),
      // A range tombstone may sit deeper than older data it covers: its table's key range
      // holds its point keys only, so compaction can move it down past that data.
      otherDataMayExist: (start, end) => mayHoldKeys(job.otherTables, start, end),
      attachTombstones: false,
      newOutput: async () => outputs.create(job.outputLevel, 'compaction', await outputFileNumber?.()),
      finishOutput: async (output: TableOutput) => {
        added.push(await outputs.finish(output))
      },
      targetTableSizeBytes: job.targetTableSizeBytes,
      onDroppedValue: onDroppedValue === undefined ? undefined : (key, _kind, value) => onDroppedValue(key, value),
    })
    return { added, keptTombstones: stats.keptTombstones, entriesDropped: stats.entriesDropped }
  } finally {
    input.close()
  }
}

/** Key ranges of every table in `levels` outside `inputs`: a CompactionJob's `otherTables`. */
export function otherTablesOf(levels: readonly (readonly TableMeta[])[], inputs: readonly TableMeta[]): OtherTable[] {
  const inputNumbers = new Set(inputs.map((t) => t.fileNumber))
  const others: OtherTable[] = []
  for (let level = 0; level < LEVEL_COUNT; level++) {
    for (const t of levels[level] ?? []) {
      if (!inputNumbers.has(t.fileNumber)) others.push({ level, smallestKey: t.smallestKey, largestKey: t.largestKey })
    }
  }
  return others
}
