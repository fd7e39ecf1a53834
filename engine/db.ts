/**
 * Db: the engine's database. It wires the write-ahead log, memtables, tables, manifest and
 * compaction together and owns no on-disk format of its own.
 *
 * Concurrency model: one JS thread. Foreground calls (put, get, iterators) run synchronously
 * up to their first await; flushes and compactions run as one background job at a time
 * (`#exclusive`) that yields to the event loop every few milliseconds. Writers wait
 * (backpressure) while too many memtables await flush or L0 holds too many tables.
 * After a background failure the store turns read-only: reads go on, writes reject with
 * READ_ONLY carrying the cause, and a reopen recovers.
 */
import path from 'node:path'
import { setImmediate as setImmediatePromise } from 'node:timers/promises'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { EntryKind, type RangeTombstone } from './entry.ts'
import { StrataError, ioError, isStrataError } from './errors.ts'
import { BATCH_OP_COUNT_MAX, LEVEL_COUNT } from './limits.ts'
import { resolveOptions, type EngineOptions, type ResolvedOptions } from './options.ts'
import { toCallerValue, toInternalKey, toValueBytes, type BytesLike } from './keys.ts'
import { Memtable } from './memtable/memtable.ts'
import { encodeBatch, OpKind, type BatchOp } from './batch/write-batch.ts'
import { LogCipher, WalWriter } from './wal/mod.ts'
import { VersionSet, parseFileName, tableFileName, walFileName, type Version, type TableMeta, type VersionEdit } from './manifest/mod.ts'
import { murmur3Hash32, TableReader } from './table/mod.ts'
import { TableOutputs, flushMemtable } from './table-outputs.ts'
import { BackgroundWorker } from './background/background-worker.ts'
import { choosePlacement, type ThreadPlacement } from './background/placement.ts'
import { BlockCache, FileCache } from './cache/mod.ts'
import { MergingIterator } from './iterator/merging-iterator.ts'
import { LevelIterator } from './iterator/level-iterator.ts'
import { DbIterator, type KeyBounds, type VisibleEntry } from './iterator/db-iterator.ts'
import { TombstoneSet } from './iterator/tombstone-set.ts'
import { StrataIterator } from './iterator/async-iterator.ts'
import type { InternalIterator } from './iterator/internal-iterator.ts'
import { Snapshot, SnapshotList, type SnapshotReader } from './snapshot.ts'
import { pickAtLevel, pickCompaction, type CompactionPick } from './compaction/picker.ts'
import { compactTables, otherTablesOf, type CompactionJob, type CompactionResult } from './compaction/compact-tables.ts'
import { recoverWals } from './recovery.ts'
import { NodeVfs } from './vfs/node-vfs.ts'
import type { Vfs } from './vfs/vfs.ts'
import type { EngineStats } from './stats.ts'
import { removeObsoleteFiles } from './obsolete-files.ts'
import { writeCheckpoint, type CheckpointReport } from './checkpoint.ts'
import { getManyWith } from './get-many.ts'
import { copyTable, HEAL_QUEUE_LENGTH_MAX, PatrolScrub, runScrubPass, SCRUB_BYTES_PER_SECOND_MAX, tableKeyEpoch, verifyTable, type VerifyReport, type VerifyTableSettings } from './scrub/mod.ts'

/** Options of a single write. */
export interface WriteOptions {
  /** Resolve only once the write is on stable storage (fsync, shared by group commit). Default false. */
  sync?: boolean
}

/** Options of a read. */
export interface ReadOptions {
  /** Read as of this snapshot instead of the latest state. */
  snapshot?: Snapshot
}

/** One operation of `batch()`. */
export type BatchOperation =
  | { type: 'put'; key: BytesLike; value: BytesLike }
  | { type: 'del'; key: BytesLike }
  | { type: 'delRange'; start: BytesLike; end: BytesLike }

/** Options of `iterator()`. Bounds compare bytewise. */
export interface IteratorOptions {
  /** Start after this key. */
  gt?: BytesLike
  /** Start at this key. */
  gte?: BytesLike
  /** Stop before this key. */
  lt?: BytesLike
  /** Stop after this key. */
  lte?: BytesLike
  /** Walk from the largest key down. Default false. */
  reverse?: boolean
  /** Stop after this many entries; -1 or absent for no limit. */
  limit?: number
  /** Read as of this snapshot. */
  snapshot?: Snapshot
  /** Return values (default true). False never reads blob files. */
  values?: boolean
}

/**
 * Hooks the value layer (blobtree/) registers; the engine never imports it. A BlobHandle value
 * is opaque here: `resolveValue` turns it into the user's bytes, and compaction reports every
 * handle it drops through `onDroppedValue` so the blob layer can count stale bytes.
 * @internal For blobtree/; applications use `open(dir, { kvSeparation })`.
 */
export interface ValueHooks {
  /** The user's bytes behind a handle the index holds for `key`. */
  resolveValue(key: string, handle: Uint8Array): Uint8Array
  /**
   * Compaction or flush dropped this handle: its bytes in the blob file are stale now. Called once
   * the job's outputs are complete, just before its edit (takeCompactionEdit); a job that fails
   * reports nothing, so a retry cannot count a handle twice. Recovery's replay flushes call it as
   * they write: the whole recovery is one edit, and a failure fails the open before any is logged.
   */
  onDroppedValue?(key: string, handle: Uint8Array): void
  /**
   * WAL replay asks whether the bytes a logged handle points at reached the disk. False means
   * the write was never acknowledged durably: replay stops there, as at a torn tail. `version`
   * is the recovered manifest's: which value files it lists as sealed (synced whole, so bytes
   * that fail their checks there are damage, not a write the crash cut short).
   */
  isDurable?(key: string, handle: Uint8Array, version: Version): boolean
  /**
   * Called just before a flush's or compaction's edit is logged; what it returns joins that edit
   * atomically (stale bytes counted through onDroppedValue during that job).
   */
  takeCompactionEdit?(version: Version): Pick<VersionEdit, 'blobStaleBytes' | 'removedBlobFiles'>
  /**
   * Called before a memtable is written to a table: the value layer makes every blob byte the
   * memtable's handles point at durable, since after the flush no WAL record vouches for them.
   * It rejects when a blob file's write or sync failed.
   */
  beforeFlush?(): Promise<void>
  /**
   * Called by a read-only store's checkpoint before it copies the logs holding handles: as
   * beforeFlush, except that a blob file whose append failed is synced up to its last whole frame
   * (the logs' handles all point before it; engine/checkpoint.ts). Rejects when a sync failed.
   */
  beforeCheckpointCapture?(): Promise<void>
}

/** A key and the value (a blob handle) a flush or compaction dropped. */
type DroppedValue = [key: string, value: Uint8Array]

/** A frozen memtable waiting for flush, with the WAL that holds its records. */
interface ImmutableMemtable {
  memtable: Memtable
  wal: WalWriter
}

/** The database. Create with `Db.open()`. */
export class Db {
  /** Absolute path of the database directory. */
  readonly directory: string
  readonly #options: ResolvedOptions
  readonly #vfs: Vfs
  readonly #versions: VersionSet
  readonly #blockCache: BlockCache
  readonly #tables: FileCache<TableReader>
  readonly #snapshots = new SnapshotList()
  readonly #pinnedVersions = new Map<Version, number>()
  readonly #obsoleteFiles = new Set<number>()
  readonly #lock: { release(): void }
  readonly #outputs: TableOutputs
  #valueHooks: ValueHooks | undefined
  #memtable: Memtable
  #wal: WalWriter
  #walDirectorySynced: Promise<void>
  #immutables: ImmutableMemtable[] = []
  /** The background worker, when flushes or compactions may leave the main thread (background/placement.ts). */
  readonly #worker: BackgroundWorker | undefined
  /** Memtables smaller than this flush on the main thread even with a worker. */
  readonly #workerFlushSizeBytesMin: number
  /** Compactions reading fewer bytes merge on the main thread even with a worker. */
  readonly #workerCompactionInputBytesMin: number
  /**
   * The memtable size write() next acts at: half the budget to start the background worker (so its
   * start-up overlaps the fill), then the budget to freeze.
   */
  #memtableCheckBytes: number
  #lastSeqno: number
  #tombstones: TombstoneSet | undefined
  #closed = false
  #closing: Promise<void> | undefined
  /** Checkpoints running now (settled promises of them): close() waits for them. */
  readonly #checkpointRuns = new Set<Promise<void>>()
  #backgroundError: StrataError | undefined
  #workScheduled = false
  /** flush() calls and checkpoints' flushes waiting; background work yields to them before compacting. */
  #flushCallerCount = 0
  #exclusiveTail: Promise<void> = Promise.resolve()
  #waiters: (() => void)[] = []
  /** Tables whose blocks ECC repaired, waiting for their rewrite (auto-heal), and the one being rewritten. */
  readonly #healQueue = new Set<number>()
  #healing: number | undefined
  #healScheduled = false
  #patrol: PatrolScrub | undefined
  readonly #counters = {
    userBytesWritten: 0,
    walBytesWritten: 0,
    flushCount: 0,
    flushBytesWritten: 0,
    workerFlushCount: 0,
    workerCompactionCount: 0,
    compactionCount: 0,
    compactionBytesRead: 0,
    compactionBytesWritten: 0,
    compactionEntriesDropped: 0,
    writeStallCount: 0,
  }
  readonly #recoveryReport: EngineStats['recovery']

  private constructor(parts: {
    directory: string
    options: ResolvedOptions
    versions: VersionSet
    outputs: TableOutputs
    lock: { release(): void }
    wal: WalWriter
    recovery: EngineStats['recovery']
    flushPlacement: ThreadPlacement
    compactionPlacement: ThreadPlacement
  }) {
    this.directory = parts.directory
    this.#options = parts.options
    this.#vfs = parts.options.vfs
    this.#versions = parts.versions
    this.#lock = parts.lock
    this.#wal = parts.wal
    this.#walDirectorySynced = Promise.resolve()
    this.#outputs = parts.outputs
    this.#memtable = new Memtable({ perKeyChecksums: parts.outputs.perKeyChecksums })
    this.#lastSeqno = parts.versions.lastSeqno
    this.#recoveryReport = parts.recovery
    const { flushPlacement, compactionPlacement } = parts
    // Both placements build the same settings from the same options, so one worker serves both.
    const workerSettings = flushPlacement.kind === 'worker' ? flushPlacement.settings : compactionPlacement.kind === 'worker' ? compactionPlacement.settings : undefined
    // Repairs the worker's reads make count as the main thread's would (and ask for a heal).
    this.#worker = workerSettings === undefined ? undefined : new BackgroundWorker(workerSettings, (event) => parts.options.integrity.recordRepair(event))
    this.#workerFlushSizeBytesMin = flushPlacement.kind === 'worker' ? flushPlacement.sizeBytesMin : Number.POSITIVE_INFINITY
    this.#workerCompactionInputBytesMin = compactionPlacement.kind === 'worker' ? compactionPlacement.sizeBytesMin : Number.POSITIVE_INFINITY
    this.#memtableCheckBytes = this.#worker === undefined ? parts.options.memtableSizeBytes : parts.options.memtableSizeBytes / 2
    parts.options.integrity.onHealNeeded = (fileNumber) => this.#queueHeal(fileNumber)
    this.#blockCache = new BlockCache({ capacityBytes: parts.options.blockCacheSizeBytes })
    this.#tables = new FileCache<TableReader>({
      entryCountMax: parts.options.openFileCountMax,
      open: (fileNumber) =>
        TableReader.open(this.#vfs, this.#path(tableFileName(fileNumber)), fileNumber, {
          codec: this.#options.blockCodec,
          blockCache: this.#blockCache,
        }),
    })
  }

  /**
   * Opens (or creates) the database in `directory`, replaying its write-ahead log.
   * @throws {StrataError} `LOCKED` when another process (or Db) holds it, `INVALID_ARGUMENT`
   * for bad options, `NOT_FOUND` when absent and `createIfMissing` is false, `CORRUPTION`,
   * `CHECKSUM_MISMATCH` or `UNSUPPORTED_FORMAT_VERSION` for damaged files, `IO_ERROR`.
   */
  static async open(directory: string, options: EngineOptions = {}, hooks?: ValueHooks): Promise<Db> {
    if (typeof directory !== 'string' || directory.length === 0) {
      throw new StrataError('INVALID_ARGUMENT', 'Cannot open: directory must be a non-empty string')
    }
    const resolved = resolveOptions(options, () => new NodeVfs())
    const flushPlacement = choosePlacement('flush', options, resolved)
    const compactionPlacement = choosePlacement('compaction', options, resolved)
    const vfs = resolved.vfs
    const dir = path.resolve(directory)
    // Data files without CURRENT are a damaged store, not a fresh one: creating an empty store
    // there would replay stale logs and delete the tables as orphans. recover() says CORRUPTION.
    const exists = vfs.exists(path.join(dir, 'CURRENT')) || holdsDataFiles(vfs, dir)
    if (!exists && !resolved.createIfMissing) {
      throw new StrataError('NOT_FOUND', `Cannot open ${dir}: no database there and createIfMissing is false`, { details: { directory: dir } })
    }
    if (exists && resolved.errorIfExists) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot open ${dir}: a database exists and errorIfExists is true`, { details: { directory: dir } })
    }
    vfs.mkdirp(dir)
    const lock = vfs.lock(path.join(dir, 'LOCK'))
    try {
      // One cipher seals the WAL and the manifest (docs/encryption.md §7–8).
      const cipher = LogCipher.fromEncryptionOption(options.integrity?.encryption)
      const manifestOptions = { // validated by resolveOptions
        manifestHardening: options.integrity?.manifestHardening === true,
        requireEncryptedManifest: options.integrity?.encryption?.requireEncryptedManifest === true,
        cipher,
      }
      const versions = exists ? await VersionSet.recover(vfs, dir, manifestOptions) : await VersionSet.create(vfs, dir, manifestOptions)
      const outputs = new TableOutputs(resolved, dir, () => versions.nextFileNumber())
      const walNumber = versions.nextFileNumber()
      const wal = WalWriter.create(vfs, path.join(dir, walFileName(walNumber)), walNumber, { cipher })
      await vfs.syncDirectory(dir)
      const recovery = await recoverWals(dir, versions, resolved, outputs, walNumber, hooks, cipher)
      const db = new Db({ directory: dir, options: resolved, versions, outputs, lock, wal, recovery, flushPlacement, compactionPlacement })
      db.#valueHooks = hooks
      removeObsoleteFiles(vfs, dir, versions, new Set([walNumber]))
      db.#scheduleWork()
      if (resolved.scrubIntervalMs > 0) {
        db.#patrol = new PatrolScrub(resolved.scrubIntervalMs, async () => {
          await db.#scrubPass(SCRUB_BYTES_PER_SECOND_MAX).catch(() => undefined)
        })
        db.#patrol.start()
      }
      return db
    } catch (error) {
      lock.release()
      throw error
    }
  }

  /** Registers the value layer's hooks (blobtree/). @internal For blobtree/ and tools. */
  setValueHooks(hooks: ValueHooks): void {
    this.#valueHooks = hooks
  }

  /**
   * Logs an edit of the value layer (blob files added, removed, stale bytes) to the manifest.
   * Internal: for blobtree/ only; table changes are the engine's own.
   * @internal
   */
  async logValueEdit(edit: Pick<VersionEdit, 'addedBlobFiles' | 'removedBlobFiles' | 'blobStaleBytes'>): Promise<Version> {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot log edit: database is closed')
    return this.#versions.logAndApply(edit)
  }

  /**
   * Calls `visit` with the key and handle of every BlobHandle entry in the memtables and in every
   * table of the current version: every version of every key, shadowed and deleted ones
   * included, so every handle a reader or a later compaction can still meet. Keys and handles
   * only (no value hook runs). Waits until no flush or compaction runs, then walks and calls
   * `done` with the version walked in one turn, so what `done` computes sees no job half done
   * (every stale byte a finished job reported is in that version, none of a running one).
   * Reads every table block (not into a full cache): for rare work only (blob GC meeting damage,
   * open after a crash or a recovery that dropped records). @internal For blobtree/.
   *
   * `yieldEveryEntries`: give the event loop a turn after that many entries, for a walk that
   * must not block reads and timers for its whole length (~0.8 µs per entry: a million-entry
   * index is ~0.8 s). The walk then spans several turns: tables stay pinned and no flush or
   * compaction starts (both wait for this exclusive section), the memtable iterators tolerate
   * inserts (MemtableIterator), and writes landing meanwhile may or may not be visited, so
   * `done` no longer sees the version of one instant. Without it, the walk is one turn.
   * @throws {StrataError} `CLOSED`; a table's read errors (`CHECKSUM_MISMATCH`, `CORRUPTION`, …).
   */
  walkValueHandles<T>(visit: (key: string, handle: Uint8Array) => void, done: (version: Version) => T, options: { yieldEveryEntries?: number } = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new StrataError('CLOSED', 'Cannot walk value handles: database is closed'))
    const yieldEveryEntries = options.yieldEveryEntries ?? Number.POSITIVE_INFINITY
    return this.#exclusive(async () => {
      const version = this.#versions.current
      const releases: (() => void)[] = []
      const entries = this.#internalIterator(version, releases)
      try {
        let entriesSinceYield = 0
        for (entries.seekToFirst(); entries.valid(); entries.next()) {
          if (entries.kind() === EntryKind.BlobHandle) visit(entries.key(), entries.value())
          if (++entriesSinceYield >= yieldEveryEntries) {
            entriesSinceYield = 0
            await setImmediatePromise()
          }
        }
      } finally {
        entries.close()
        for (const release of releases) release()
      }
      return done(version)
    })
  }

  /** Hands out a fresh file number (for a blob file); durable with the next manifest edit. @internal For blobtree/ and tools. */
  allocateFileNumber(): number {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot allocate file number: database is closed')
    return this.#versions.nextFileNumber()
  }

  /**
   * Throws what a write would throw now (`CLOSED`, `READ_ONLY` with the cause). @internal For
   * blobtree/: a write the engine will refuse must not append its blob frames first (review,
   * 2026-11-26: on a read-only store 100 refused puts grew the blob files ~34x, burning what was
   * left of a full disk).
   */
  checkWritable(): void {
    this.#checkWritable()
  }

  /** The current version (live tables and blob files). @internal For blobtree/ and tools. */
  currentVersion(): Version {
    return this.#versions.current
  }

  /**
   * The database's block cache. File numbers are unique across tables and blob files, so the
   * blob layer caches verified values in it under their blob file's number, sharing the
   * `blockCacheSizeBytes` budget (RocksDB's blob cache sharing the block cache). @internal For blobtree/.
   */
  sharedBlockCache(): BlockCache {
    return this.#blockCache
  }

  /** Open snapshots plus versions pinned by open iterators: readers that may hold old handles. @internal For blobtree/ and tools. */
  readerCount(): number {
    return this.#snapshots.count + this.#pinnedVersions.size
  }

  #path(name: string): string {
    return path.join(this.directory, name)
  }

  // ---------------------------------------------------------------- writes

  /** Stores `value` under `key`. @throws {StrataError} INVALID_ARGUMENT, CLOSED, READ_ONLY, IO_ERROR */
  async put(key: BytesLike, value: BytesLike, options: WriteOptions = {}): Promise<void> {
    const op = { kind: OpKind.Put, key: toInternalKey(key, 'put'), value: toValueBytes(value, 'put') }
    await this.write([op], options)
  }

  /** Deletes `key` (a no-op when absent). */
  async delete(key: BytesLike, options: WriteOptions = {}): Promise<void> {
    await this.write([{ kind: OpKind.Delete, key: toInternalKey(key, 'delete'), value: new Uint8Array(0) }], options)
  }

  /** Deletes every key in [start, end). */
  async deleteRange(start: BytesLike, end: BytesLike, options: WriteOptions = {}): Promise<void> {
    await this.write([rangeDeleteOp(start, end)], options)
  }

  /** Applies the operations atomically: after a crash either all of them are present or none. */
  async batch(operations: readonly BatchOperation[], options: WriteOptions = {}): Promise<void> {
    if (!Array.isArray(operations)) throw new StrataError('INVALID_ARGUMENT', 'Cannot write batch: operations must be an array')
    if (operations.length > BATCH_OP_COUNT_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot write batch: ${operations.length} operations exceed ${BATCH_OP_COUNT_MAX}`)
    }
    const ops = operations.map(toBatchOp)
    if (ops.length === 0) {
      // Nothing to write, but a closed or read-only store still says so (as for any write).
      this.#checkWritable()
      return
    }
    await this.write(ops, options)
  }

  /**
   * Writes already-validated ops (internal: the value layer passes BlobHandle ops here).
   * The record is appended to the WAL and applied to the memtable synchronously, before the
   * first await, so writes from one caller are applied in call order.
   * @internal
   */
  async write(ops: BatchOp[], options: WriteOptions = {}): Promise<void> {
    const sync = checkWriteOptions(options)
    this.#checkWritable()
    if (this.#mustStall()) await this.#stall()
    const wal = this.#wal
    const firstSeqno = this.#lastSeqno + 1
    const valueOffsets: number[] = []
    const payload = encodeBatch(firstSeqno, ops, valueOffsets)
    try {
      wal.add(payload)
    } catch (error) {
      // INVALID_ARGUMENT (a record over the log limit) is thrown before anything is appended:
      // the caller's mistake, not a failed log, so the store stays writable.
      if (isStrataError(error, 'INVALID_ARGUMENT')) throw error
      throw this.#failWrites(error)
    }
    // Join the group commit now, before any await (a flush may close this log, after its own
    // final sync, while we wait, and a sync requested on a closed log is refused), and before
    // the memtable insert: the fsync runs on libuv's pool while this thread inserts.
    const synced = sync ? wal.sync() : undefined
    // Awaited below; this only keeps a rejection from being unhandled if the insert throws.
    synced?.catch(() => undefined)
    this.#applyToMemtable(firstSeqno, ops, payload, valueOffsets)
    this.#counters.walBytesWritten += payload.length
    if (this.#memtable.sizeBytes >= this.#memtableCheckBytes) this.#memtableFilling()
    if (synced !== undefined) {
      await this.#walDirectorySynced
      await synced
    }
  }

  /** Applies `ops`, whose values the memtable keeps as ranges of the WAL `payload` at `valueOffsets`. */
  #applyToMemtable(firstSeqno: number, ops: readonly BatchOp[], payload: Uint8Array, valueOffsets: readonly number[]): void {
    const memtable = this.#memtable
    let seqno = firstSeqno
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index]
      if (op.kind === OpKind.RangeDelete) {
        memtable.addRangeTombstone({ start: op.key, end: Buffer.from(op.value).toString('latin1'), seqno })
        this.#tombstones = undefined
      } else {
        memtable.add(op.key, seqno, op.kind, payload, valueOffsets[index], op.value.length)
      }
      this.#counters.userBytesWritten += op.key.length + op.value.length
      seqno++
    }
    this.#lastSeqno = seqno - 1
  }

  #checkWritable(): void {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot write: database is closed')
    if (this.#backgroundError !== undefined) {
      throw new StrataError('READ_ONLY', `Cannot write: database is read-only after a failure: ${this.#backgroundError.message}`, {
        cause: this.#backgroundError,
      })
    }
  }

  /** A WAL append or sync failed: nothing more can be made durable in order, so stop writes. */
  #failWrites(error: unknown): unknown {
    if (error instanceof StrataError && this.#backgroundError === undefined) this.#backgroundError = error
    return error
  }

  #mustStall(): boolean {
    return (
      this.#immutables.length >= this.#options.immutableMemtableCountMax ||
      (this.#options.backgroundWork && this.#versions.current.levels[0].length >= this.#options.l0StopWritesTrigger)
    )
  }

  async #stall(): Promise<void> {
    this.#counters.writeStallCount++
    while (this.#mustStall()) {
      this.#checkWritable()
      this.#scheduleWork()
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
    this.#checkWritable()
  }

  #wakeWaiters(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  /** The memtable passed #memtableCheckBytes: start the background worker, or freeze when full. */
  #memtableFilling(): void {
    if (this.#memtable.sizeBytes >= this.#options.memtableSizeBytes) {
      this.#freezeMemtable()
      return
    }
    if (this.#memtable.sizeBytes >= this.#workerFlushSizeBytesMin) this.#worker?.prewarm()
    this.#memtableCheckBytes = this.#options.memtableSizeBytes
  }

  #freezeMemtable(): void {
    if (this.#memtable.isEmpty()) return
    const frozenWal = this.#wal
    const walNumber = this.#versions.nextFileNumber()
    const walPath = this.#path(walFileName(walNumber))
    try {
      this.#wal = frozenWal.createSuccessor(walPath, walNumber)
    } catch (error) {
      // No new log, so no switch: the memtable stays the active one (frozen and active at once,
      // it would be flushed while still taking writes), and writes stop with the cause
      // (READ_ONLY); flush() reports it. The write that got here was applied and logged already.
      // Typed whatever threw (a Vfs of the caller's own), so the store does stop.
      this.#failWrites(isStrataError(error) ? error : ioError('create', walPath, error))
      return
    }
    this.#immutables.push({ memtable: this.#memtable, wal: frozenWal })
    // A synced write into the new log is durable only once its directory entry is, and only
    // once every older log is synced too: else a power loss could keep it while losing
    // unsynced writes made before it into the frozen log (recovery must yield a prefix).
    const olderLogsSynced = this.#walDirectorySynced
    this.#walDirectorySynced = Promise.all([olderLogsSynced, frozenWal.sync(), this.#vfs.syncDirectory(this.directory)]).then(() => undefined)
    this.#walDirectorySynced.catch((error) => this.#failWrites(error))
    // Not only the acknowledgement: the new log's own fsyncs wait too, so none of its records
    // becomes durable while an older log's may yet fail (WalWriter.syncAfter).
    this.#wal.syncAfter(this.#walDirectorySynced)
    this.#memtable = new Memtable({ perKeyChecksums: this.#outputs.perKeyChecksums })
    this.#scheduleWork()
  }

  // ---------------------------------------------------------------- reads

  /** The value stored under `key`, or undefined. */
  async get(key: BytesLike, options?: ReadOptions): Promise<Buffer | undefined> {
    return this.getSync(key, options)
  }

  /**
   * The values of `keys`, in order (undefined for an absent key): one promise for the batch, and
   * every key read at the same point (the snapshot's, or the state when the call runs). The keys
   * are read synchronously in one turn (engine/get-many.ts).
   * @example
   * ```ts
   * const [ada, bob] = await db.getMany(['user:1', 'user:2'])
   * ```
   * @throws {StrataError} `INVALID_ARGUMENT` for a bad key or a `keys` that is not an array,
   * `CLOSED`, and what a read throws (`CHECKSUM_MISMATCH`, `CORRUPTION`, `IO_ERROR`): one failing
   * key rejects the call.
   */
  async getMany(keys: readonly BytesLike[], options?: ReadOptions): Promise<(Buffer | undefined)[]> {
    return getManyWith((key) => this.getSync(key, options), keys)
  }

  /** `get()` without the promise, for adapters that can use it. */
  getSync(key: BytesLike, options?: ReadOptions): Buffer | undefined {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot get: database is closed')
    return this.getSyncInternal(toInternalKey(key, 'get'), options)
  }

  /**
   * `getSync()` of a key already in the engine's internal form (latin1 string, `toInternalKey`),
   * for the blob layer, which has converted it for its own caches.
   * @internal
   */
  getSyncInternal(internalKey: string, options?: ReadOptions): Buffer | undefined {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot get: database is closed')
    // No default `{}` for options: a get without them allocates nothing for them.
    const snapshotSeqno = this.#snapshotSeqno(options?.snapshot, 'get')
    const found = this.#lookup(internalKey, snapshotSeqno)
    if (found === undefined || found.kind === EntryKind.Delete) return undefined
    if (this.#tombstoneSet().covers(internalKey, found.seqno, snapshotSeqno)) return undefined
    return this.#readValue(internalKey, found.kind, found.value, found.owned === true)
  }

  /**
   * The caller's copy of a visible value: a Put's bytes, or what the value layer resolves a handle
   * to. `owned`: `value` is already a copy nothing else holds (a table's get result), so it is
   * handed out as it is instead of copied again.
   */
  #readValue(key: string, kind: EntryKind, value: Uint8Array, owned = false): Buffer {
    if (kind === EntryKind.BlobHandle) {
      if (this.#valueHooks === undefined) {
        throw new StrataError('CORRUPTION', `Cannot read value of key: it lives in a blob file but no blob layer is open`, { details: { directory: this.directory } })
      }
      const resolved = this.#valueHooks.resolveValue(key, value)
      return Buffer.isBuffer(resolved) ? resolved : Buffer.from(resolved.buffer, resolved.byteOffset, resolved.byteLength)
    }
    return owned ? (value as Buffer) : toCallerValue(value)
  }

  #snapshotSeqno(snapshot: Snapshot | undefined, action: string): number {
    if (snapshot === undefined) return this.#lastSeqno
    if (!(snapshot instanceof Snapshot)) throw new StrataError('INVALID_ARGUMENT', `Cannot ${action}: snapshot must come from db.snapshot()`)
    snapshot.check(action)
    return snapshot.seqno
  }

  /** Newest version of `key` visible at `snapshotSeqno` across memtables and tables. */
  #lookup(key: string, snapshotSeqno: number): { seqno: number; kind: EntryKind; value: Uint8Array; owned?: true } | undefined {
    const inMemtable = this.#memtable.get(key, snapshotSeqno)
    if (inMemtable !== undefined) return inMemtable
    for (let index = this.#immutables.length - 1; index >= 0; index--) {
      const found = this.#immutables[index].memtable.get(key, snapshotSeqno)
      if (found !== undefined) return found
    }
    const levels = this.#versions.current.levels
    // Hashed once for every table's filter, when the first table is probed.
    let keyHash = -1
    for (const table of levels[0]) {
      if (key < table.smallestKey || key > table.largestKey) continue
      if (keyHash === -1) keyHash = murmur3Hash32(key)
      const found = this.#tableGet(table.fileNumber, key, keyHash, snapshotSeqno)
      if (found !== undefined) return found
    }
    for (let level = 1; level < levels.length; level++) {
      const table = findTable(levels[level], key)
      if (table === undefined) continue
      if (keyHash === -1) keyHash = murmur3Hash32(key)
      const found = this.#tableGet(table.fileNumber, key, keyHash, snapshotSeqno)
      if (found !== undefined) return found
    }
    return undefined
  }

  #tableGet(fileNumber: number, key: string, keyHash: number, snapshotSeqno: number) {
    return this.#tables.borrow(fileNumber).get(key, snapshotSeqno, keyHash)
  }

  /** Every range tombstone of the live memtables and tables (rebuilt when those change). */
  #tombstoneSet(): TombstoneSet {
    if (this.#tombstones !== undefined) return this.#tombstones
    this.#tombstones = new TombstoneSet(this.#collectTombstones(this.#versions.current))
    return this.#tombstones
  }

  #collectTombstones(version: Version): RangeTombstone[] {
    const all: RangeTombstone[] = [...this.#memtable.rangeTombstones]
    for (const immutable of this.#immutables) for (const tombstone of immutable.memtable.rangeTombstones) all.push(tombstone)
    for (const tables of version.levels) {
      for (const table of tables) {
        if (table.rangeTombstoneCount === 0) continue
        const handle = this.#tables.acquire(table.fileNumber)
        try {
          for (const tombstone of handle.value.rangeTombstones) all.push(tombstone)
        } finally {
          handle.release()
        }
      }
    }
    return all
  }

  /** Takes a consistent read view; release it when done so compaction can drop old versions. */
  snapshot(): Snapshot {
    return this.snapshotReadThrough(this)
  }

  /**
   * @internal A snapshot whose own `get` / `iterator` go through `reader` (BlobDb passes
   * itself, so they read as its reads do).
   */
  snapshotReadThrough(reader: SnapshotReader): Snapshot {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot take snapshot: database is closed')
    const seqno = this.#lastSeqno
    this.#snapshots.add(seqno)
    return new Snapshot(seqno, (released) => this.#snapshots.remove(released), reader)
  }

  /** An iterator over the keys in range, as of now or of `options.snapshot`. */
  iterator(options: IteratorOptions = {}): StrataIterator {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot create iterator: database is closed')
    if (options === null || typeof options !== 'object') throw new StrataError('INVALID_ARGUMENT', 'Cannot create iterator: options must be an object')
    const bounds: KeyBounds = {}
    for (const name of ['gt', 'gte', 'lt', 'lte'] as const) {
      if (options[name] !== undefined) bounds[name] = toInternalKey(options[name], `create iterator (${name})`)
    }
    const limit = options.limit === undefined || options.limit === Number.POSITIVE_INFINITY ? -1 : options.limit
    if (!Number.isInteger(limit) || limit < -1) throw new StrataError('INVALID_ARGUMENT', `Cannot create iterator: limit must be an integer >= -1, got ${String(limit)}`)
    const snapshotSeqno = this.#snapshotSeqno(options.snapshot, 'create iterator')
    const version = this.#versions.current
    this.#pin(version)
    const releases: (() => void)[] = []
    const internal = this.#internalIterator(version, releases)
    const tombstones = new TombstoneSet(this.#collectTombstones(version))
    const inner = new DbIterator(internal, snapshotSeqno, tombstones, { bounds, reverse: options.reverse === true, limit })
    const readValue = options.values === false ? undefined : (entry: VisibleEntry) => this.#readValue(entry.key, entry.kind, entry.value)
    return new StrataIterator(inner, readValue, () => !this.#closed, () => {
      for (const release of releases) release()
      this.#unpin(version)
    })
  }

  /** Merged stream over the memtables and the tables of `version`. */
  #internalIterator(version: Version, releases: (() => void)[]): InternalIterator {
    // An empty memtable can only gain entries newer than this iterator's snapshot: leave it out,
    // which spares a merge comparison per step on a freshly flushed tree.
    const children: InternalIterator[] = this.#memtable.isEmpty() ? [] : [this.#memtable.iterator()]
    for (let index = this.#immutables.length - 1; index >= 0; index--) children.push(this.#immutables[index].memtable.iterator())
    for (const table of version.levels[0]) children.push(this.#tableIterator(table.fileNumber, releases))
    for (let level = 1; level < version.levels.length; level++) {
      const tables = version.levels[level]
      if (tables.length === 0) continue
      children.push(new LevelIterator(tables, (index) => this.#tableIterator(tables[index].fileNumber, releases)))
    }
    return children.length === 1 ? children[0] : new MergingIterator(children)
  }

  #tableIterator(fileNumber: number, releases: (() => void)[]): InternalIterator {
    const handle = this.#tables.acquire(fileNumber)
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      handle.release()
    }
    releases.push(release)
    return handle.value.iterator(release)
  }

  #pin(version: Version): void {
    this.#pinnedVersions.set(version, (this.#pinnedVersions.get(version) ?? 0) + 1)
  }

  #unpin(version: Version): void {
    const count = (this.#pinnedVersions.get(version) ?? 1) - 1
    if (count > 0) this.#pinnedVersions.set(version, count)
    else this.#pinnedVersions.delete(version)
    this.#deleteObsoleteFiles()
  }

  // ---------------------------------------------------------------- background work

  /** Runs `job` when no other flush or compaction runs. */
  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#exclusiveTail.then(job)
    this.#exclusiveTail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  /** Queues the background work (#doWork) unless it is queued already; `resumed` after it yielded. */
  #scheduleWork(resumed = false): void {
    if (this.#workScheduled || this.#closed || this.#backgroundError !== undefined) return
    if (this.#immutables.length === 0 && !this.#compactionNeeded()) return
    this.#workScheduled = true
    void this.#exclusive(async () => {
      let yielded = false
      try {
        yielded = await this.#doWork(!resumed)
      } catch (error) {
        this.#backgroundError =
          error instanceof StrataError ? error : new StrataError('IO_ERROR', `Background work failed: ${String(error)}`, { cause: error })
      } finally {
        this.#workScheduled = false
        this.#wakeWaiters()
        // Behind the waiting flush() calls' jobs, queued while this one ran.
        if (yielded) this.#scheduleWork(true)
      }
    })
  }

  #compactionNeeded(): boolean {
    if (!this.#options.backgroundWork) return false
    const version = this.#versions.current
    return pickCompaction(version.levels, this.#options, version.compactPointers as string[]) !== undefined
  }

  /**
   * Flushes every frozen memtable, then compacts while a level needs it. With `mayYield`, it
   * stops before a compaction when a flush() call is waiting and returns true, so that the call
   * need not wait for it (flush()); the resumed work does not yield again, so flush() calls in a
   * loop cannot starve compaction.
   */
  async #doWork(mayYield: boolean): Promise<boolean> {
    while (!this.#closed) {
      if (this.#immutables.length > 0) {
        await this.#flushOldestImmutable()
        continue
      }
      if (!this.#options.backgroundWork) return false
      const version = this.#versions.current
      const pick = pickCompaction(version.levels, this.#options, version.compactPointers as string[])
      if (pick === undefined) return false
      if (mayYield && this.#flushCallerCount > 0) return true
      await this.#compact(pick)
    }
    return false
  }

  async #flushOldestImmutable(): Promise<void> {
    const immutable = this.#immutables[0]
    await this.#valueHooks?.beforeFlush?.()
    const dropped: DroppedValue[] = []
    const added = await this.#flushTables(immutable, dropped)
    const nextLog = this.#immutables[1]?.wal.logNumber ?? this.#wal.logNumber
    this.#reportDropped(dropped)
    await this.#versions.logAndApply({
      ...this.#valueHooks?.takeCompactionEdit?.(this.#versions.current),
      addedTables: added,
      logNumber: nextLog,
      lastSeqno: this.#lastSeqno,
    })
    this.#immutables.shift()
    this.#tombstones = undefined
    this.#counters.flushCount++
    for (const table of added) this.#counters.flushBytesWritten += table.sizeBytes
    await immutable.wal.close()
    this.#vfs.remove(this.#path(walFileName(immutable.wal.logNumber)))
    this.#wakeWaiters()
  }

  /**
   * Writes `immutable` as a level-0 table (synced, its directory entry too) and returns its
   * record: in the background worker, which rebuilds the memtable from its log, when placement allows
   * and the worker is usable, else here from the memtable. Both write the same table.
   */
  async #flushTables(immutable: ImmutableMemtable, dropped: DroppedValue[]): Promise<TableMeta[]> {
    const { memtable, wal } = immutable
    const snapshots = this.#snapshots.sorted()
    const onDroppedValue = (key: string, value: Uint8Array): void => void dropped.push([key, value])
    if (this.#worker?.usable === true && memtable.sizeBytes >= this.#workerFlushSizeBytesMin) {
      const tableFileNumber = this.#outputs.reserve()
      const job = {
        directory: this.directory,
        logNumber: wal.logNumber,
        encrypted: wal.encrypted,
        tableFileNumber,
        snapshots,
        expected: { entryCount: memtable.entryCount, rangeTombstoneCount: memtable.rangeTombstones.length, smallestSeqno: memtable.smallestSeqno, largestSeqno: memtable.largestSeqno },
      }
      const result = await this.#worker.run(job)
      if (result !== undefined) {
        for (const [key, value] of result.dropped) onDroppedValue(key, value)
        this.#counters.workerFlushCount++
        return result.added
      }
      // The worker died (its partial table, if any, is an orphan the next open removes).
    }
    return flushMemtable(memtable, this.#outputs, snapshots, () => this.#vfs.syncDirectory(this.directory), onDroppedValue)
  }

  async #compact(pick: CompactionPick<TableMeta>, outputLevel = pick.level + 1): Promise<void> {
    const version = this.#versions.current
    const inputs = [...pick.inputs, ...pick.nextLevelInputs]
    const job: CompactionJob = {
      directory: this.directory,
      inputs,
      outputLevel,
      snapshots: this.#snapshots.sorted(),
      targetTableSizeBytes: this.#options.targetTableSizeBytes,
      otherTables: otherTablesOf(version.levels, inputs),
    }
    const dropped: DroppedValue[] = []
    const result = (await this.#compactInWorker(job, dropped)) ?? (await this.#compactHere(job, dropped))
    const added = result.added
    if (result.keptTombstones.length > 0) added.push(await this.#writeTombstoneTable(result.keptTombstones))
    const largest = pick.inputs.reduce((max, t) => (t.largestKey > max ? t.largestKey : max), pick.inputs[0].largestKey)
    // The outputs' directory entries must be durable before the manifest names them, else a
    // power loss leaves a manifest pointing at tables that vanished (the inputs are gone too).
    if (added.length > 0) await this.#vfs.syncDirectory(this.directory)
    this.#reportDropped(dropped)
    const edit: VersionEdit = {
      ...this.#valueHooks?.takeCompactionEdit?.(this.#versions.current),
      removedTables: inputs.map((t) => ({ level: t.level, fileNumber: t.fileNumber })),
      addedTables: added,
      // A level rewritten in place (compact()) moves no round-robin pointer.
      compactPointers: pick.level > 0 && outputLevel === pick.level + 1 ? [{ level: pick.level, key: largest }] : [],
    }
    await this.#versions.logAndApply(edit)
    this.#tombstones = undefined
    this.#counters.compactionCount++
    this.#counters.compactionEntriesDropped += result.entriesDropped
    for (const t of inputs) {
      this.#counters.compactionBytesRead += t.sizeBytes
      this.#obsoleteFiles.add(t.fileNumber)
    }
    for (const t of added) this.#counters.compactionBytesWritten += t.sizeBytes
    this.#deleteObsoleteFiles()
    this.#wakeWaiters()
  }

  /**
   * Hands a job's dropped values to the value layer, once its outputs are complete and just
   * before its edit takes their stale bytes (takeCompactionEdit). A job that fails before that
   * reports none: the flush or compaction runs again and drops the same handles again, and
   * reporting them each time counted their blob frames stale twice (the crash torture found it:
   * seed 3186993031, a flush that met ENOSPC and was retried, 2026-11-26).
   */
  #reportDropped(dropped: readonly DroppedValue[]): void {
    const onDroppedValue = this.#valueHooks?.onDroppedValue
    if (onDroppedValue === undefined) return
    for (const [key, value] of dropped) onDroppedValue(key, value)
  }

  /**
   * Runs `job` in the background worker when placement allows and the worker is usable; its
   * dropped blob handles join `dropped`, in merge order, as the in-thread merge adds them.
   * Undefined when the job did not run there (the caller merges on this thread).
   */
  async #compactInWorker(job: CompactionJob, dropped: DroppedValue[]): Promise<CompactionResult | undefined> {
    const inputBytes = job.inputs.reduce((sum, t) => sum + t.sizeBytes, 0)
    if (this.#worker?.usable !== true || inputBytes < this.#workerCompactionInputBytesMin) return undefined
    const allocated: number[] = []
    const outputFileNumber = (): number => {
      const fileNumber = this.#outputs.reserve()
      allocated.push(fileNumber)
      return fileNumber
    }
    const result = await this.#worker.compact(job, outputFileNumber)
    // The worker died (its partial outputs, if any, are orphans the next open removes).
    if (result === undefined) return undefined
    assert.equal(result.added.length, allocated.length, 'a worker compaction allocated a number it did not write')
    // A loop, not push(...): a compaction can drop more handles than a call takes arguments
    // (V8 throws RangeError past ~120k).
    for (const entry of result.dropped) dropped.push(entry)
    this.#counters.workerCompactionCount++
    return result
  }

  /** Runs `job` on this thread, reading the inputs through the file and block caches. */
  async #compactHere(job: CompactionJob, dropped: DroppedValue[]): Promise<CompactionResult> {
    const releases: (() => void)[] = []
    try {
      return await compactTables(
        job,
        {
          iterator: (table) => this.#tableIterator(table.fileNumber, releases),
          rangeTombstones: (table) => {
            const handle = this.#tables.acquire(table.fileNumber)
            try {
              return handle.value.rangeTombstones
            } finally {
              handle.release()
            }
          },
        },
        this.#outputs,
        // A copy: the value is a view into a block that may be evicted and reused meanwhile.
        { onDroppedValue: (key, value) => void dropped.push([key, value.slice()]) },
      )
    } finally {
      for (const release of releases) release()
    }
  }

  /**
   * Writes range tombstones a compaction keeps into a level-0 table of their own: L0 tables may
   * overlap, so the tombstones' ranges do not have to fit between a sorted level's tables.
   */
  async #writeTombstoneTable(tombstones: readonly RangeTombstone[]): Promise<TableMeta> {
    const output = this.#outputs.create(0, 'compaction')
    for (const tombstone of [...tombstones].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : b.seqno - a.seqno))) {
      output.addRangeTombstone(tombstone)
    }
    return this.#outputs.finish(output)
  }

  /** Deletes compaction inputs once no pinned version (open iterator) still reads them. */
  #deleteObsoleteFiles(): void {
    if (this.#obsoleteFiles.size === 0) return
    const live = new Set<number>()
    for (const version of [this.#versions.current, ...this.#pinnedVersions.keys()]) {
      for (const tables of version.levels) for (const t of tables) live.add(t.fileNumber)
    }
    for (const fileNumber of this.#obsoleteFiles) {
      if (live.has(fileNumber)) continue
      this.#obsoleteFiles.delete(fileNumber)
      this.#tables.evict(fileNumber)
      this.#blockCache.evictFile(fileNumber)
      this.#vfs.remove(this.#path(tableFileName(fileNumber)))
    }
  }

  /**
   * Makes every write applied so far durable without a flush: syncs the current WAL and waits
   * for the syncs of older ones and of their directory entries (what a synced write waits for).
   * @throws {StrataError} `CLOSED`, `READ_ONLY`, the WAL's `IO_ERROR` (writes then fail too).
   */
  async syncWal(): Promise<void> {
    this.#checkWritable()
    const synced = this.#wal.sync()
    synced.catch(() => undefined)
    await this.#walDirectorySynced
    await synced
  }

  /**
   * Flushes the memtable to a table and waits until every frozen memtable is flushed, and for
   * the background jobs queued before the call (a running compaction, a heal). Not for the
   * compactions those flushes make necessary: background work that has flushed while a flush()
   * waits ends its job there and queues its compactions behind the flush() (#doWork). Before,
   * the flush() queued behind them: in the benchmark's compaction workload a flush() waited
   * 670 ms for an L0 compaction it had not asked for after its own 700 ms flush (`strata bench
   * run --suite standard --engines strata --workloads compaction`, traced). That workload's
   * throughput is the same (its compact() call now waits for that compaction instead: 0.88x and
   * 0.87x rocksdb-native against 0.89x and 0.87x before, two runs side by side); what changes is
   * how long a caller of flush() waits.
   * @throws {StrataError} `CLOSED`; `READ_ONLY` when read-only at the call; the background
   * failure's error when the store turned read-only meanwhile, even if its own memtables were
   * flushed (the checkpoint, which needs only those, calls #flushMemtables).
   */
  async flush(): Promise<void> {
    await this.#flushMemtables()
    this.#throwBackgroundError()
  }

  /**
   * flush() without its last step: resolves once the memtable as of the call and every frozen
   * one are tables, even when another failure turned the store read-only meanwhile (a later
   * write's log failed, a compaction failed). The checkpoint relies on that: those tables hold
   * every write acknowledged before the call (engine/checkpoint.ts). Rejects when one of them
   * stays unflushed: the store was read-only at the call, the memtable could not be frozen (no
   * next log), or a flush failed.
   */
  async #flushMemtables(): Promise<void> {
    this.#checkWritable()
    const memtable = this.#memtable
    this.#flushCallerCount++
    try {
      this.#freezeMemtable()
      this.#scheduleWork()
      await this.#exclusive(async () => {
        while (this.#immutables.length > 0) await this.#flushOldestImmutable()
      })
    } finally {
      this.#flushCallerCount--
    }
    // Still the active memtable with writes in it: #freezeMemtable failed and set the cause.
    if (this.#memtable === memtable && !memtable.isEmpty()) this.#throwBackgroundError()
  }

  /**
   * Compacts the whole tree into its last level: every shadowed version, deletion and range
   * deletion no snapshot can see is dropped, and every table is sealed under the active key
   * epoch. A tree already in one level (>= 1) whose tables hold nothing to drop is left as it
   * is (no rewrite): tables keep the compression, ECC and per-key-checksum settings they were
   * written with, which apply to tables written from then on (flushes, compactions, heals).
   */
  async compact(): Promise<void> {
    await this.flush()
    await this.#exclusive(async () => {
      // Every table compact() rewrites is sealed under the active key epoch (key rotation).
      const otherEpochTables = this.#tablesUnderOtherEpochs()
      let merged = false
      for (let level = 0; level < LEVEL_COUNT - 1; level++) {
        const levels = this.#versions.current.levels
        if (levels[level].length === 0) continue
        if (levels.slice(level + 1).every((tables) => tables.length === 0) && level > 0) break
        const pick = pickAtLevel(levels, level, [], 1)!
        await this.#compact({ ...pick, inputs: levels[level].slice(), nextLevelInputs: levels[level + 1].slice() })
        merged = true
      }
      // A tree whose data sits in one level (>= 1) merged nothing above, so versions a snapshot
      // kept when that level was written, released since, would stay (and with KV separation
      // their blob frames would count live): that level is rewritten in place unless its
      // tables say it holds nothing to drop (review, 2026-11-26; test/compact.test.ts).
      const levels = this.#versions.current.levels
      const bottom = levels.findLastIndex((tables) => tables.length > 0)
      if (!merged && bottom > 0 && !this.#levelIsCompacted(levels[bottom], otherEpochTables)) {
        await this.#compact({ level: bottom, inputs: levels[bottom].slice(), nextLevelInputs: [], score: 0 }, bottom)
      }
      for (let i = 0; i < otherEpochTables.size; i++) this.#options.integrity.tableRekeyed()
    })
    this.#throwBackgroundError()
  }

  /**
   * True when rewriting `tables`, the only level holding data, would drop nothing and re-key
   * nothing: no table holds a point or range tombstone or a version shadowed within it
   * (properties, docs/formats/table.md §5), and none is under another key epoch. Tables of a
   * sorted level never share a key, so no key has versions in two of them; a table from before
   * `shadowedEntryCount` counts as holding some. With KV separation a rewrite drops a blob
   * handle only with a version it drops, so skipping it leaves blob accounting as it is.
   * Decided from the tables, not from this process's history, so it holds across reopens.
   */
  #levelIsCompacted(tables: readonly TableMeta[], otherEpochTables: ReadonlySet<number>): boolean {
    return tables.every((table) => {
      if (otherEpochTables.has(table.fileNumber)) return false
      const handle = this.#tables.acquire(table.fileNumber)
      try {
        const { tombstoneCount, rangeTombstoneCount, shadowedEntryCount } = handle.value.properties
        return tombstoneCount === 0 && rangeTombstoneCount === 0 && shadowedEntryCount === 0
      } finally {
        handle.release()
      }
    })
  }

  // ---------------------------------------------------------------- integrity: heal and rekey

  /** Queues a table whose blocks ECC repaired for rewrite (auto-heal); the rewrite runs as background work. */
  #queueHeal(fileNumber: number): void {
    if (this.#closed || fileNumber === this.#healing || this.#healQueue.has(fileNumber)) return
    if (this.#healQueue.size >= HEAL_QUEUE_LENGTH_MAX) return
    this.#healQueue.add(fileNumber)
    this.#options.integrity.healQueued(this.#healQueue.size)
    if (this.#healScheduled) return
    this.#healScheduled = true
    void this.#exclusive(async () => {
      this.#healScheduled = false
      for (const queued of [...this.#healQueue]) {
        if (this.#closed || this.#backgroundError !== undefined) return
        this.#healQueue.delete(queued)
        // Compacted away meanwhile: its data already lives in fresh blocks.
        const table = this.#versions.current.levels.flat().find((t) => t.fileNumber === queued)
        if (table === undefined) continue
        let failure: unknown
        this.#healing = queued
        try {
          await this.#rewriteTable(table)
        } catch (error) {
          failure = error
        } finally {
          this.#healing = undefined
        }
        this.#options.integrity.healFinished(queued, failure, this.#healQueue.size)
      }
    })
  }

  /** File numbers of live tables sealed under a key epoch other than the active one (none without encryption). */
  #tablesUnderOtherEpochs(): Set<number> {
    const activeEpoch = this.#options.integrity.description.encryption?.activeEpoch
    const tables = new Set<number>()
    if (activeEpoch === undefined) return tables
    for (const table of this.#versions.current.levels.flat()) {
      if (tableKeyEpoch(this.#vfs, this.#path(tableFileName(table.fileNumber))) !== activeEpoch) tables.add(table.fileNumber)
    }
    return tables
  }

  /**
   * Replaces `table` with a fresh copy of its contents in the same level, in one manifest edit
   * (same keys, seqnos and range, so every read answers the same). Runs inside #exclusive.
   */
  async #rewriteTable(table: TableMeta): Promise<void> {
    const output = this.#outputs.create(table.level, 'rewrite')
    let copy: TableMeta
    try {
      const handle = this.#tables.acquire(table.fileNumber)
      try {
        copyTable(handle.value, output)
      } finally {
        handle.release()
      }
      copy = await this.#outputs.finish(output)
      await this.#vfs.syncDirectory(this.directory)
      await this.#versions.logAndApply({ removedTables: [{ level: table.level, fileNumber: table.fileNumber }], addedTables: [copy] })
    } catch (error) {
      // Abandon the copy; the original stays live and readable.
      try {
        output.file.close()
        this.#vfs.remove(this.#path(tableFileName(output.fileNumber)))
      } catch {
        // Best effort: an orphan table is removed at the next open.
      }
      throw error
    }
    this.#tombstones = undefined
    this.#options.integrity.forgetFile(table.fileNumber)
    this.#obsoleteFiles.add(table.fileNumber)
    this.#deleteObsoleteFiles()
  }

  #throwBackgroundError(): void {
    if (this.#backgroundError !== undefined) throw this.#backgroundError
  }

  /**
   * Writes a consistent copy of the database into `directory` (absent or empty) that opens as an
   * independent store, while writes and compaction go on. It holds every write acknowledged
   * before the call (and possibly some made during it), and is durable once the promise
   * resolves. Tables and sealed blob files are hard-linked, copied (and synced) where the file
   * system cannot link. A read-only store (after a background failure, or one its flush meets)
   * cannot flush its memtables: the copy then also holds copies of the write-ahead logs they are
   * in, which its open replays (`logFileCount` in the report). Method: engine/checkpoint.ts.
   * @throws {StrataError} `INVALID_ARGUMENT` when `directory` is not empty or another checkpoint
   * is writing into it, `CLOSED`, `READ_ONLY` when the store is read-only and a sync of a log or
   * blob file failed (which writes it holds is unknown: close and open the store to recover what
   * reached the disk; a log whose append failed is copied up to that record, a blob file whose
   * append failed up to its last whole frame), `IO_ERROR` (errno
   * `EEXIST` when a file appeared in it).
   */
  async checkpoint(directory: string): Promise<CheckpointReport> {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot checkpoint: database is closed')
    const pinCurrentVersion = (lastSeqno = this.#versions.lastSeqno) => {
      const version = this.#versions.current
      this.#pin(version)
      return { version, lastSeqno, release: () => this.#unpin(version) }
    }
    // Queued behind every flush and compaction asked for before; a read-only store starts none
    // after (flush() refuses, #scheduleWork stops) and appends to no log (#checkWritable), so the
    // logs listed here hold every write of the memtables and stay as they are.
    const captureUnflushed = () => this.#exclusive(async () => {
      if (this.#closed) throw new StrataError('CLOSED', 'Cannot checkpoint: database is closed')
      // A log without records (the active one when nothing was written since the switch) holds
      // nothing to copy; its sync could only fail for an older log's (WalWriter.syncAfter), which
      // is then in this list itself, or was flushed into tables since.
      const logs = [...this.#immutables.map((immutable) => immutable.wal), this.#wal].filter((wal) => wal.recordCount > 0)
      // The logs' records point at blob frames: the value layer syncs them as before a flush.
      const hooks = this.#valueHooks
      await (hooks?.beforeCheckpointCapture ?? hooks?.beforeFlush)?.()
      // Up to their whole records: a log whose append failed is copied up to that record, which
      // holds no acknowledged write (write() rejected it before the memtable insert, and refuses
      // every write after: #failWrites). It is the active log: only that one takes appends, and
      // no log switch follows a failed one (a switch needs a write, or flush(), to pass #checkWritable).
      await Promise.all(logs.map((wal) => wal.syncIntact()))
      for (const wal of logs.slice(0, -1)) assert.equal(wal.intactSizeBytes, wal.sizeBytes(), 'only the newest log can hold a failed append')
      return { ...pinCurrentVersion(this.#lastSeqno), logs: logs.map((wal) => ({ logNumber: wal.logNumber, sizeBytes: wal.intactSizeBytes })) }
    })
    const run = writeCheckpoint({
      vfs: this.#vfs,
      directory: this.directory,
      pinCurrentVersion,
      flush: () => this.#flushMemtables(),
      readOnlyCause: () => this.#backgroundError,
      captureUnflushed,
      manifestHardening: this.#versions.manifestHardening,
      manifestCipher: this.#versions.manifestCipher,
    }, directory)
    const settled = run.then(() => undefined, () => undefined)
    this.#checkpointRuns.add(settled)
    void settled.then(() => this.#checkpointRuns.delete(settled))
    return run
  }

  // ---------------------------------------------------------------- observation

  /** Counters and sizes: levels, memtables, caches, amplification, recovery. */
  stats(): EngineStats {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot read stats: database is closed')
    const version = this.#versions.current
    const levels = version.levels.map((tables, level) => ({
      level,
      tableCount: tables.length,
      sizeBytes: tables.reduce((sum, t) => sum + t.sizeBytes, 0),
      entryCount: tables.reduce((sum, t) => sum + t.entryCount, 0),
    }))
    const tableBytes = levels.reduce((sum, l) => sum + l.sizeBytes, 0)
    const c = this.#counters
    const diskBytesWritten = c.walBytesWritten + c.flushBytesWritten + c.compactionBytesWritten
    return {
      lastSeqno: this.#lastSeqno,
      levels,
      tableBytes,
      memtableSizeBytes: this.#memtable.sizeBytes,
      immutableMemtableCount: this.#immutables.length,
      snapshotCount: this.#snapshots.count,
      openIteratorVersionCount: this.#pinnedVersions.size,
      blockCache: this.#blockCache.stats(),
      fileCache: this.#tables.stats(),
      ...c,
      writeAmplification: c.userBytesWritten === 0 ? 0 : diskBytesWritten / c.userBytesWritten,
      readOnly: this.#backgroundError !== undefined,
      backgroundError: this.#backgroundError?.message,
      recovery: this.#recoveryReport,
      manifestRecovery: this.#versions.recoveryReport,
      integrity: this.#options.integrity.stats(),
    }
  }

  /**
   * Reads every block of every live table from disk (not from the block cache), checks
   * checksums, key order and entry counts, recomputes the ECC region of every block that
   * verified, and reports each file as clean, ecc-damaged (data intact, an ECC region not),
   * repaired (ECC fixed blocks) or unrecoverable; with autoHeal an ecc-damaged or repaired file is
   * queued for rewrite once its check ends, an unrecoverable one never (docs/ecc.md §7). Never
   * throws for damaged files: they are reported.
   */
  async verify(): Promise<VerifyReport> {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot verify: database is closed')
    return this.#scrubPass(0)
  }

  /** One scrub pass over the current version's tables, reading at most `bytesPerSecondMax` (0: unbounded). */
  async #scrubPass(bytesPerSecondMax: number): Promise<VerifyReport> {
    const version = this.#versions.current
    this.#pin(version)
    try {
      const monitor = this.#options.integrity
      const settings: VerifyTableSettings = {
        vfs: this.#vfs,
        directory: this.directory,
        codec: this.#options.blockCodec,
        repairCountOf: (fileNumber: number) => monitor.repairCountOf(fileNumber),
        onEccRegionDamaged: () => monitor.recordEccRegionDamage(),
      }
      const check = (table: TableMeta) => monitor.checkFile(table.fileNumber, () => verifyTable(table, settings))
      const report = await runScrubPass(version.levels.flat(), check, { bytesPerSecondMax, stopped: () => this.#closed })
      monitor.recordPass(report)
      return report
    } finally {
      this.#unpin(version)
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Waits for running checkpoints (their later steps fail with `CLOSED`) and background work,
   * syncs the log and releases files and the lock. Idempotent. Unflushed memtables stay in the
   * log and are replayed on the next open.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    await this.#patrol?.stop()
    this.#wakeWaiters()
    try {
      // Running checkpoints end first (a later step of theirs meets CLOSED): once the lock is
      // released, a reopen's recovery could delete the logs or files one is still copying.
      await Promise.allSettled([...this.#checkpointRuns])
      await this.#exclusive(async () => undefined)
      await this.#worker?.close()
      // Every log is closed (its descriptor released) even when one fails to sync: the newest
      // one's sync fails when an older log's did (WalWriter.syncAfter). The first error is thrown.
      const closed = await Promise.allSettled([this.#wal, ...this.#immutables.map((immutable) => immutable.wal)].map((wal) => wal.close()))
      const failed = closed.find((result) => result.status === 'rejected')
      if (failed !== undefined) throw failed.reason
    } finally {
      this.#tables.close()
      this.#blockCache.clear()
      await this.#versions.close()
      this.#lock.release()
    }
  }
}

/** True when `directory` holds a table, log or blob file named by this engine. */
function holdsDataFiles(vfs: Vfs, directory: string): boolean {
  if (!vfs.exists(directory)) return false
  return vfs.list(directory).some((name) => {
    const kind = parseFileName(name)?.kind
    return kind === 'table' || kind === 'wal' || kind === 'blob'
  })
}

/** The table of a sorted level whose range holds `key`, by binary search on largest keys. */
function findTable(tables: readonly TableMeta[], key: string): TableMeta | undefined {
  let low = 0
  let high = tables.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (tables[middle].largestKey < key) low = middle + 1
    else high = middle
  }
  const table = tables[low]
  return table !== undefined && table.smallestKey <= key ? table : undefined
}

function checkWriteOptions(options: WriteOptions): boolean {
  if (options === null || typeof options !== 'object') throw new StrataError('INVALID_ARGUMENT', 'Cannot write: options must be an object')
  if (options.sync !== undefined && typeof options.sync !== 'boolean') {
    throw new StrataError('INVALID_ARGUMENT', `Cannot write: option sync must be a boolean, got ${typeof options.sync}`)
  }
  return options.sync === true
}

function rangeDeleteOp(start: BytesLike, end: BytesLike): BatchOp {
  const startKey = toInternalKey(start, 'delete range (start)')
  const endKey = toInternalKey(end, 'delete range (end)')
  if (!(startKey < endKey)) throw new StrataError('INVALID_ARGUMENT', 'Cannot delete range: start must sort before end')
  return { kind: OpKind.RangeDelete, key: startKey, value: Buffer.from(endKey, 'latin1') }
}

function toBatchOp(operation: BatchOperation, index: number): BatchOp {
  if (operation === null || typeof operation !== 'object') {
    throw new StrataError('INVALID_ARGUMENT', `Cannot write batch: operation ${index} must be an object`)
  }
  switch (operation.type) {
    case 'put':
      return { kind: OpKind.Put, key: toInternalKey(operation.key, 'write batch', index), value: toValueBytes(operation.value, 'write batch', index) }
    case 'del':
      return { kind: OpKind.Delete, key: toInternalKey(operation.key, 'write batch', index), value: new Uint8Array(0) }
    case 'delRange':
      return rangeDeleteOp(operation.start, operation.end)
    default:
      throw new StrataError('INVALID_ARGUMENT', `Cannot write batch: operation ${index} has unknown type ${String((operation as { type: unknown }).type)}`)
  }
}

