/**
 * RocksDB through holepunch's `rocksdb-native` (RocksDB 10.x), driven as in
 * /work/shared/reference/peer-baseline.md: build defaults (no compression: Snappy is not compiled
 * in; 32 MiB LRU block cache, not settable from JS; bloom 10 bits; 64 MiB write buffer ×2 (set
 * explicitly, = the parity preset's Strata memtable);
 * 6 background jobs), writes through `db.write({capacity})` + `tryPut` + `flush()`, gets through
 * read batches, scans through the default iterator (8 entries per native call). The `-blob`
 * variant turns BlobDB on: enableBlobFiles, minBlobSize = the run's KV-separation threshold (default
 * 1024, the same as blobtree's), blobFileSize 256 MiB, blob GC on.
 */
import { createRequire } from 'node:module'
import type { Availability, EffectiveOptions, EngineAdapter, EngineRunOptions, EngineSession, ScanRange, WriteEntry } from './adapter.ts'
import { reasonOf, ScanTally } from './adapter.ts'
import { packageVersion } from './package-version.ts'
import { PARITY_MEMTABLE_BYTES, PARITY_MEMTABLE_COUNT_MAX } from '../presets.ts'

const require = createRequire(import.meta.url)
/**
 * The write buffer, set explicitly so the result records what ran: the binding's defaults
 * (64 MiB × 2, lib/column-family.js), which the parity preset gives Strata too.
 */
const WRITE_BUFFER_OPTIONS = { writeBufferSize: PARITY_MEMTABLE_BYTES, maxWriteBufferNumber: PARITY_MEMTABLE_COUNT_MAX }
/** BlobDB settings; minBlobSize comes from the run (`--min-blob-size`, default 1024), like blobtree's threshold. */
const BLOB_OPTIONS = { enableBlobFiles: true, blobFileSize: 256 * 1024 * 1024, enableBlobGarbageCollection: true }

interface RocksBatch { tryPut(k: Uint8Array, v: Uint8Array): void; tryDelete(k: Uint8Array): void; get(k: Uint8Array): Promise<Buffer | null>; flush(): Promise<void>; tryFlush(): void }
interface RocksDb {
  ready(): Promise<void>
  write(options: { capacity: number; autoDestroy: boolean }): RocksBatch
  read(options: { capacity: number; autoDestroy: boolean }): RocksBatch
  get(key: Uint8Array): Promise<Buffer | null>
  iterator(range: { gte?: Uint8Array; lt?: Uint8Array; limit?: number }): AsyncIterable<{ key: Buffer; value: Buffer }>
  flush(): Promise<void>
  compactRange(): Promise<void>
  close(): Promise<void>
}
type RocksConstructor = new (path: string, options: Record<string, unknown>) => RocksDb

function loadRocks(): { RocksDB: RocksConstructor; version: string } | { reason: string } {
  try {
    const RocksDB = require('rocksdb-native') as RocksConstructor
    const version = packageVersion('rocksdb-native')
    return { RocksDB, version }
  } catch (error) {
    return { reason: `package rocksdb-native failed to load: ${reasonOf(error)}` }
  }
}

function createRocksNativeAdapter(name: string, blob: boolean): EngineAdapter {
  return {
    name,
    summary: blob ? 'RocksDB (rocksdb-native) with BlobDB on, no compression' : 'RocksDB (rocksdb-native), no compression',
    packages: ['rocksdb-native'],
    async load(): Promise<Availability> {
      const loaded = loadRocks()
      return 'reason' in loaded ? { available: false, reason: loaded.reason } : { available: true, version: loaded.version }
    },
    async open(directory: string, options: EngineRunOptions): Promise<EngineSession> {
      const loaded = loadRocks()
      if ('reason' in loaded) throw new Error(loaded.reason)
      const db = new loaded.RocksDB(directory, blob ? { ...WRITE_BUFFER_OPTIONS, ...BLOB_OPTIONS, minBlobSize: options.minBlobSizeBytes } : WRITE_BUFFER_OPTIONS)
      await db.ready()
      return {
        async putBatch(entries: readonly WriteEntry[]) {
          const batch = db.write({ capacity: entries.length, autoDestroy: true })
          for (const entry of entries) batch.tryPut(entry.key, entry.value)
          await batch.flush()
        },
        async deleteBatch(keys: readonly Uint8Array[]) {
          const batch = db.write({ capacity: keys.length, autoDestroy: true })
          for (const key of keys) batch.tryDelete(key)
          await batch.flush()
        },
        async get(key: Uint8Array) {
          return (await db.get(key)) ?? undefined
        },
        async getMany(keys: readonly Uint8Array[]) {
          const batch = db.read({ capacity: keys.length, autoDestroy: true })
          const pending = keys.map((key) => batch.get(key))
          batch.tryFlush()
          return (await Promise.all(pending)).map((value) => value ?? undefined)
        },
        async scan(range: ScanRange, limit: number) {
          const tally = new ScanTally()
          for await (const entry of db.iterator({ ...range, limit })) tally.add(entry.key, entry.value)
          return tally.outcome()
        },
        flush: () => db.flush(),
        compact: () => db.compactRange(),
        close: () => db.close(),
      }
    },
    effectiveOptions(options: EngineRunOptions): EffectiveOptions {
      return {
        codec: 'none',
        codecLevel: 0,
        bloomBitsPerKey: 10,
        blockCacheBytes: 32 * 1024 * 1024,
        wal: 'on',
        sync: false,
        maxBackgroundJobs: 6,
        kvSeparationMinBytes: blob ? options.minBlobSizeBytes : 0,
        memtableBytes: WRITE_BUFFER_OPTIONS.writeBufferSize,
        memtableCountMax: WRITE_BUFFER_OPTIONS.maxWriteBufferNumber,
        blobFileSizeBytes: blob ? BLOB_OPTIONS.blobFileSize : 0,
        syncRequested: options.sync,
      }
    },
    notes(options: EngineRunOptions): string[] {
      const notes = ['Compression is off: the rocksdb-native build has no codec compiled in; the 32 MiB block cache is fixed by the build.']
      if (options.sync) notes.push('sync requested but rocksdb-native exposes no per-write sync option: writes ran with sync=false.')
      notes.push('Scans use the default iterator capacity (8 entries per native call), as in peer-baseline.md.')
      return notes
    },
  }
}

export const rocksdbNativeAdapter = createRocksNativeAdapter('rocksdb-native', false)
export const rocksdbNativeBlobAdapter = createRocksNativeAdapter('rocksdb-native-blob', true)
