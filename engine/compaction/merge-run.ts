/**
 * The merge at the heart of flush and compaction: it reads one internal-order stream and writes
 * output tables, dropping what no reader can see any more:
 * - a version shadowed by a newer version of its key in the same snapshot stripe;
 * - a version covered by a newer range tombstone of the inputs in the same stripe;
 * - a point tombstone visible to every reader when no deeper table can hold its key;
 * - a range tombstone visible to every reader when no other table can hold keys it covers.
 * Output tables are cut only between user keys, so tables of a sorted level never share a key.
 * Kept range tombstones go into the last output when `attachTombstones` is set (level 0, where
 * tables may overlap); otherwise they are returned, so that the key range of a sorted level's
 * table covers its point keys only and tables of that level never overlap.
 * It yields to the event loop every BACKGROUND_SLICE_MS so foreground reads and writes go on.
 */
import { EntryKind, type RangeTombstone } from '../entry.ts'
import type { InternalIterator } from '../iterator/internal-iterator.ts'
import { BACKGROUND_SLICE_MS } from '../limits.ts'
import { RetentionFilter } from './retention.ts'

/** An output table being written. */
export interface OutputTable {
  /**
   * Adds one entry. `sourceChecksum`: the per-KV checksum its source iterator yielded with it
   * (InternalIterator.checksum()), which the table writer checks the entry against.
   */
  add(key: string, seqno: number, kind: EntryKind, value: Uint8Array, sourceChecksum: number): void
  addRangeTombstone(tombstone: RangeTombstone): void
  /** Bytes the table would take if finished now. */
  estimatedSizeBytes(): number
}

export interface MergeRunSettings<Output extends OutputTable> {
  input: InternalIterator
  /** Range tombstones of the inputs. */
  rangeTombstones: readonly RangeTombstone[]
  /** Live snapshot seqnos, ascending. */
  snapshots: readonly number[]
  /**
   * True when a table outside the inputs may hold an older version of a key in [start, end]: for
   * a compaction, a table below the output level (compact-tables.ts says why no other can).
   */
  deeperDataMayExist(start: string, endInclusive: string): boolean
  /**
   * True when any table outside the inputs, at any level, may hold keys in [start, end). Range
   * tombstones need the wider test: one may sit below older data it covers (see compact-tables.ts).
   */
  otherDataMayExist(start: string, end: string): boolean
  /** Starts a new output table (asynchronously where its file number comes from another thread). */
  newOutput(): Output | Promise<Output>
  /** Finishes an output (at most one is open at a time). */
  finishOutput(output: Output): Promise<void>
  targetTableSizeBytes: number
  /** Write kept range tombstones into the last output (true) or return them (false). */
  attachTombstones: boolean
  /** Told of every dropped BlobHandle value, so the blob layer can count stale bytes. */
  onDroppedValue?: (key: string, kind: EntryKind, value: Uint8Array) => void
}

/** Counts of what the merge did. */
export interface MergeRunStats {
  entriesRead: number
  entriesWritten: number
  entriesDropped: number
  rangeTombstonesDropped: number
  /** Range tombstones still needed and not written (attachTombstones false). */
  keptTombstones: RangeTombstone[]
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * The oldest tombstone newer than the version that covers it, or -1. The oldest one matters:
 * if any covering tombstone shares the version's snapshot stripe, no reader sees the version,
 * and a newer tombstone in a later stripe must not keep it alive once the older one is dropped.
 */
function oldestCoveringTombstoneSeqno(tombstones: readonly RangeTombstone[], key: string, seqno: number): number {
  let oldest = -1
  for (const t of tombstones) {
    if (t.seqno > seqno && (oldest < 0 || t.seqno < oldest) && key >= t.start && key < t.end) oldest = t.seqno
  }
  return oldest
}

/** Runs the merge; returns its counts. Outputs are finished in order through `finishOutput`. */
export async function mergeRun<Output extends OutputTable>(settings: MergeRunSettings<Output>): Promise<MergeRunStats> {
  const { input, rangeTombstones, targetTableSizeBytes } = settings
  const retention = new RetentionFilter(settings.snapshots)
  const stats: MergeRunStats = { entriesRead: 0, entriesWritten: 0, entriesDropped: 0, rangeTombstonesDropped: 0, keptTombstones: [] }
  let output: Output | undefined
  let lastKey: string | undefined
  let sliceStartMs = performance.now()

  const keptTombstones = rangeTombstones.filter((t) => {
    // An exclusive end: the last key it can cover sorts before `end`, so `end` bounds it safely.
    const droppable = retention.visibleToAll(t.seqno) && !settings.otherDataMayExist(t.start, t.end)
    if (droppable) stats.rangeTombstonesDropped++
    return !droppable
  })

  for (input.seekToFirst(); input.valid(); input.next()) {
    stats.entriesRead++
    const key = input.key()
    const seqno = input.seqno()
    const kind = input.kind()
    const newKey = key !== lastKey
    lastKey = key
    let drop = retention.isShadowed(key, seqno)
    if (!drop) {
      const tombstoneSeqno = oldestCoveringTombstoneSeqno(rangeTombstones, key, seqno)
      drop = tombstoneSeqno >= 0 && retention.sameStripe(seqno, tombstoneSeqno)
    }
    if (!drop && kind === EntryKind.Delete && retention.visibleToAll(seqno)) {
      drop = !settings.deeperDataMayExist(key, key)
    }
    if (drop) {
      stats.entriesDropped++
      if (kind === EntryKind.BlobHandle) settings.onDroppedValue?.(key, kind, input.value())
    } else {
      if (output !== undefined && newKey && output.estimatedSizeBytes() >= targetTableSizeBytes) {
        await settings.finishOutput(output)
        output = undefined
      }
      output ??= await settings.newOutput()
      // The source's CRC travels with the entry, so the writer catches fields paired wrongly on the way.
      output.add(key, seqno, kind, input.value(), input.checksum())
      stats.entriesWritten++
    }
    if ((stats.entriesRead & 255) === 0 && performance.now() - sliceStartMs > BACKGROUND_SLICE_MS) {
      await yieldToEventLoop()
      sliceStartMs = performance.now()
    }
  }
  if (settings.attachTombstones) {
    if (keptTombstones.length > 0) output ??= await settings.newOutput()
    for (const t of keptTombstones) output!.addRangeTombstone(t)
  } else {
    stats.keptTombstones = keptTombstones
  }
  if (output !== undefined) await settings.finishOutput(output)
  return stats
}
