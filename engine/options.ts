/**
 * Open options: what a caller may set, their units and defaults, and their validation.
 * Defaults suit the 2-core, 24 GiB reference machine and a value-heavy workload; each is
 * written in the README ("Defaults").
 */
import { StrataError } from './errors.ts'
import type { BlockCodec } from './transform/block-codec.ts'
import type { RepairEvent } from './transform/mod.ts'
import type { Vfs } from './vfs/vfs.ts'
import { resolveIntegrity, type IntegrityOptions } from './integrity-options.ts'
import { IntegrityMonitor, checkScrubInterval } from './scrub/mod.ts'

/** Options of `open()`. Sizes in bytes, counts as counts. */
export interface EngineOptions {
  /** File system to use. Default: the real one (NodeVfs). */
  vfs?: Vfs
  /** Create the directory and an empty store when absent. Default true. */
  createIfMissing?: boolean
  /** Fail when a store already exists. Default false. */
  errorIfExists?: boolean
  /** Memtable budget: a memtable past this size is frozen and flushed. Default 32 MiB. */
  memtableSizeBytes?: number
  /** Frozen memtables allowed to wait for flush before writers wait (backpressure). Default 2. */
  immutableMemtableCountMax?: number
  /** L0 table count that triggers an L0→L1 compaction. Default 4. */
  l0CompactionTrigger?: number
  /** L0 table count at which writers wait for compaction (backpressure). Default 12. */
  l0StopWritesTrigger?: number
  /** Target size of L1; level n+1 targets `levelSizeRatio` times level n. Default 64 MiB. */
  l1SizeBytes?: number
  /** Size ratio between adjacent levels. Default 10. */
  levelSizeRatio?: number
  /** Target size of a table written by compaction. Default 16 MiB. */
  targetTableSizeBytes?: number
  /** Target size of a data block before encoding. Default 4096. */
  blockSizeBytes?: number
  /** Restart point every this many keys in a data block. Default 16. */
  blockRestartInterval?: number
  /** Bloom filter bits per key. Default 10 (≈1% false positives). 0 disables filters. */
  bloomBitsPerKey?: number
  /**
   * Byte budget of the decoded-block cache. Default 16 MiB. Up to 1 MiB more holds the read
   * buffers of evicted blocks that the next reads reuse (engine/cache/block-buffer-pool.ts).
   */
  blockCacheSizeBytes?: number
  /** Most table files kept open at once. Default 500. */
  openFileCountMax?: number
  /**
   * What WAL recovery at open does (docs/formats/wal.md §4, §4.1). 'truncate' (default): cut a
   * torn tail and report it; damage that is not a torn tail (a bad record with valid ones after
   * it, a whole log with a bad last record) is CORRUPTION. 'fail': any torn tail is CORRUPTION
   * too. 'point-in-time': replay up to the first damaged record and drop every write after it,
   * later logs included, instead of failing (as RocksDB's kPointInTimeRecovery): the store opens
   * at the last consistent point, which may lose acknowledged writes made after the damage;
   * `stats().recovery.walDamage` says where it stopped. Key and authentication errors still fail.
   */
  walRecovery?: 'truncate' | 'fail' | 'point-in-time'
  /** Run flushes and compactions automatically in the background. Default true. */
  backgroundWork?: boolean
  /**
   * Where a flush builds its table (engine/background/placement.ts): 'worker' in a worker thread that
   * rebuilds the memtable from its log, 'main' on the calling thread, 'auto' (default) the
   * worker for memtables of at least 1 MiB on the real file system, else the main thread.
   * 'worker' needs the real file system (NodeVfs) and no custom blockCodec.
   */
  flushThread?: 'auto' | 'worker' | 'main'
  /**
   * Where a compaction merges its tables (engine/background/placement.ts): 'worker' in the worker
   * thread flushes use, 'main' on the calling thread, 'auto' (default) the worker for
   * compactions reading at least 1 MiB on the real file system, else the main thread. 'worker'
   * needs the real file system (NodeVfs) and no custom blockCodec.
   */
  compactionThread?: 'auto' | 'worker' | 'main'
  /** Block codec for tables (the integrity stack plugs in here). Default: checksum only. */
  blockCodec?: BlockCodec
  /**
   * The integrity stack for every table block: compression, encryption, ECC, auto-heal
   * (engine/integrity-options.ts). Default: checksum only. Not together with `blockCodec`.
   */
  integrity?: IntegrityOptions
  /** Interval of the background patrol scrub, ms; 0 turns it off. Default 0. */
  scrubIntervalMs?: number
}

/** Options with every default applied. */
export type ResolvedOptions = Required<Omit<EngineOptions, 'blockCodec' | 'integrity'>> & {
  blockCodec: BlockCodec | undefined
  /** Counts what the integrity stack repairs; its codec reports to it. */
  integrity: IntegrityMonitor
}

const MIB = 1024 * 1024

function positiveInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot open: option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`)
  }
  return value
}

/** A thread placement option ('auto' when absent). */
function threadOption(name: string, value: 'auto' | 'worker' | 'main' | undefined): 'auto' | 'worker' | 'main' {
  if (value === undefined || value === 'auto' || value === 'worker' || value === 'main') return value ?? 'auto'
  throw new StrataError('INVALID_ARGUMENT', `Cannot open: option ${name} must be 'auto', 'worker' or 'main', got ${String(value)}`)
}

/** Every option name open() knows; anything else is a typo or a feature this build lacks. */
const OPTION_NAMES: ReadonlySet<string> = new Set<keyof EngineOptions>([
  'vfs', 'createIfMissing', 'errorIfExists', 'memtableSizeBytes', 'immutableMemtableCountMax',
  'l0CompactionTrigger', 'l0StopWritesTrigger', 'l1SizeBytes', 'levelSizeRatio', 'targetTableSizeBytes',
  'blockSizeBytes', 'blockRestartInterval', 'bloomBitsPerKey', 'blockCacheSizeBytes', 'openFileCountMax',
  'walRecovery', 'backgroundWork', 'blockCodec', 'integrity', 'scrubIntervalMs', 'flushThread',
  'compactionThread',
])

/** Applies defaults and validates; throws INVALID_ARGUMENT naming the option. */
export function resolveOptions(options: EngineOptions, defaultVfs: () => Vfs): ResolvedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new StrataError('INVALID_ARGUMENT', 'Cannot open: options must be an object')
  }
  // Silently ignoring an unknown option once made a benchmark preset measure an unprotected store.
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw new StrataError('INVALID_ARGUMENT', `Cannot open: unknown option ${name}`, { details: { option: name } })
  }
  const walRecovery = options.walRecovery ?? 'truncate'
  if (walRecovery !== 'truncate' && walRecovery !== 'fail' && walRecovery !== 'point-in-time') {
    throw new StrataError('INVALID_ARGUMENT', `Cannot open: option walRecovery must be 'truncate', 'fail' or 'point-in-time', got ${String(walRecovery)}`)
  }
  const resolved: ResolvedOptions = {
    vfs: options.vfs ?? defaultVfs(),
    createIfMissing: options.createIfMissing ?? true,
    errorIfExists: options.errorIfExists ?? false,
    memtableSizeBytes: positiveInteger('memtableSizeBytes', options.memtableSizeBytes ?? 32 * MIB, 4096, 4096 * MIB),
    immutableMemtableCountMax: positiveInteger('immutableMemtableCountMax', options.immutableMemtableCountMax ?? 2, 1, 64),
    l0CompactionTrigger: positiveInteger('l0CompactionTrigger', options.l0CompactionTrigger ?? 4, 1, 1000),
    l0StopWritesTrigger: positiveInteger('l0StopWritesTrigger', options.l0StopWritesTrigger ?? 12, 1, 10000),
    l1SizeBytes: positiveInteger('l1SizeBytes', options.l1SizeBytes ?? 64 * MIB, 4096, 2 ** 45),
    levelSizeRatio: positiveInteger('levelSizeRatio', options.levelSizeRatio ?? 10, 2, 1000),
    targetTableSizeBytes: positiveInteger('targetTableSizeBytes', options.targetTableSizeBytes ?? 16 * MIB, 4096, 4096 * MIB),
    blockSizeBytes: positiveInteger('blockSizeBytes', options.blockSizeBytes ?? 4096, 256, 4 * MIB),
    blockRestartInterval: positiveInteger('blockRestartInterval', options.blockRestartInterval ?? 16, 1, 1024),
    bloomBitsPerKey: positiveInteger('bloomBitsPerKey', options.bloomBitsPerKey ?? 10, 0, 32),
    blockCacheSizeBytes: positiveInteger('blockCacheSizeBytes', options.blockCacheSizeBytes ?? 16 * MIB, 0, 2 ** 45),
    openFileCountMax: positiveInteger('openFileCountMax', options.openFileCountMax ?? 500, 8, 1_000_000),
    walRecovery,
    backgroundWork: options.backgroundWork ?? true,
    flushThread: threadOption('flushThread', options.flushThread),
    compactionThread: threadOption('compactionThread', options.compactionThread),
    blockCodec: options.blockCodec,
    integrity: new IntegrityMonitor(),
    scrubIntervalMs: checkScrubInterval(options.scrubIntervalMs ?? 0),
  }
  if (options.integrity !== undefined) {
    if (options.blockCodec !== undefined) {
      throw new StrataError('INVALID_ARGUMENT', 'Cannot open: options integrity and blockCodec are exclusive (integrity builds the codec)')
    }
    const monitor = resolved.integrity
    resolved.blockCodec = integrityCodecOf(options.integrity, monitor, (event) => monitor.recordRepair(event))
  }
  if (resolved.l0StopWritesTrigger < resolved.l0CompactionTrigger) {
    throw new StrataError('INVALID_ARGUMENT', 'Cannot open: l0StopWritesTrigger must be >= l0CompactionTrigger')
  }
  return resolved
}

/**
 * Builds the block codec `integrity` asks for and records its description and auto-heal switch
 * in `monitor`; undefined (checksum-only tables) when `integrity` is. open() and the background
 * worker both build their codec here, so a table is encoded the same way on either thread.
 * `onRepair` hears every verified ECC repair the codec makes.
 * @throws {StrataError} `INVALID_ARGUMENT` naming the integrity field that is wrong.
 */
export function integrityCodecOf(
  integrity: IntegrityOptions | undefined,
  monitor: IntegrityMonitor,
  onRepair: (event: RepairEvent) => void,
): BlockCodec | undefined {
  if (integrity === undefined) return undefined
  const resolved = resolveIntegrity(integrity, onRepair)
  monitor.description = resolved.description
  monitor.autoHeal = resolved.autoHeal
  return resolved.codec
}
