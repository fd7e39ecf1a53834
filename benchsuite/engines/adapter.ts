/**
 * The one small interface every engine is driven through. A workload sees only EngineSession, so
 * every engine gets the same calls with the same bytes. An adapter states its effective options
 * (what the engine actually runs with, not what we wished) and its notes (what a reader of a
 * report must know: an SDK layer in the path, a setting that cannot be changed from JS).
 */
import type { Preset } from '../presets.ts'

export interface WriteEntry {
  key: Uint8Array
  value: Uint8Array
}

export interface ScanRange {
  gte?: Uint8Array
  lt?: Uint8Array
}

/** What a scan saw; the workload checks it (count, order). */
export interface ScanOutcome {
  count: number
  bytes: number
  /** False when a key was not strictly greater than the one before it. */
  ordered: boolean
}

/** Compression requested for engines that take it from the workload (Strata only, today). */
export type CompressionSetting = { codec: 'none' } | { codec: 'zstd'; level: number } | { codec: 'preset' }

/** Everything an adapter needs to open an engine for one run. */
export interface EngineRunOptions {
  preset: Preset
  compression: CompressionSetting
  /** Whether writes are fsynced before they resolve. */
  sync: boolean
  /** KV-separation threshold for engines that separate values (blobtree). */
  minBlobSizeBytes: number
  /** Strata's block cache in bytes, overriding the preset's (`--block-cache-bytes`). */
  blockCacheBytes?: number
}

/** An open engine. Methods reject on failure; none of them may silently drop work. */
export interface EngineSession {
  putBatch(entries: readonly WriteEntry[]): Promise<void>
  deleteBatch(keys: readonly Uint8Array[]): Promise<void>
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  getMany(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>>
  /** Reads up to `limit` entries from `range.gte` (inclusive) to `range.lt` (exclusive), in key order. */
  scan(range: ScanRange, limit: number): Promise<ScanOutcome>
  /** Makes buffered writes durable in the engine's files (memtable flush). Absent: the engine has no such call. */
  flush?(): Promise<void>
  /** Full manual compaction. Absent: the compaction workload skips this engine. */
  compact?(): Promise<void>
  /** The engine's own counters, read around a phase. Absent: the engine exposes none (all peers today). */
  counters?(): EngineCounters
  close(): Promise<void>
}

/**
 * What the runner reads from an engine that reports on itself (Strata): whether load data still
 * sat in memtables when a phase started, how many flushes and compactions ran inside it, and how
 * many values KV separation moved out of the tree. Counts are since the engine was opened.
 */
export interface EngineCounters {
  memtableBytes: number
  immutableMemtableCount: number
  flushCount: number
  compactionCount: number
  /** Values written to blob files (blobtree); absent when KV separation is off. */
  separatedValueCount?: number
  /** Bytes appended to blob files (blobtree); absent when KV separation is off. */
  blobBytesWritten?: number
}

export type Availability = { available: true; version: string } | { available: false; reason: string }

/** Effective options: the canonical parity fields plus engine-specific extras. */
export type EffectiveOptions = Record<string, string | number | boolean>

export interface EngineAdapter {
  /** Stable name used on the command line and in result files. */
  readonly name: string
  readonly summary: string
  /** npm packages whose versions go into provenance. */
  readonly packages: readonly string[]
  /** Imports the engine; never throws: an engine that cannot load says why. */
  load(): Promise<Availability>
  open(directory: string, options: EngineRunOptions): Promise<EngineSession>
  effectiveOptions(options: EngineRunOptions): EffectiveOptions
  notes(options: EngineRunOptions): string[]
}

/** Counts a scan's entries and checks their order; adapters feed it every entry they read. */
export class ScanTally {
  count = 0
  bytes = 0
  ordered = true
  #previous: Uint8Array | undefined

  add(key: Uint8Array, value: Uint8Array | null | undefined): void {
    if (this.#previous !== undefined && Buffer.compare(this.#previous, key) >= 0) this.ordered = false
    this.#previous = key
    this.count++
    this.bytes += key.length + (value?.length ?? 0)
  }

  outcome(): ScanOutcome {
    return { count: this.count, bytes: this.bytes, ordered: this.ordered }
  }
}

/** A short message from any thrown value, for "unavailable" reasons. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0]
}
