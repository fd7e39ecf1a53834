/**
 * RocksDB 9.x through `@nxtedition/rocksdb` (an abstract-level binding) at its binding defaults, as
 * in peer-baseline.md: ZSTD compression on, including the WAL (wal_compression=kZSTD), 8 MiB
 * HyperClockCache, bloom 10 bits, max_background_jobs = cores/2. `db.batch(ops)` runs the write
 * synchronously on the JS thread. The binding exposes neither flush nor manual compaction.
 */
import { createRequire } from 'node:module'
import type { Availability, EffectiveOptions, EngineAdapter, EngineRunOptions, EngineSession } from './adapter.ts'
import { reasonOf } from './adapter.ts'
import { levelStyleWritesAndScan } from './level-style.ts'
import { packageVersion } from './package-version.ts'
import os from 'node:os'

const require = createRequire(import.meta.url)

interface LevelDb {
  open(): Promise<void>
  batch(operations: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }>, options?: { sync?: boolean }): Promise<void>
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  getMany(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>
  iterator(options: { gte?: Uint8Array; lt?: Uint8Array; limit?: number }): AsyncIterable<[Uint8Array, Uint8Array]>
  close(): Promise<void>
}
type LevelConstructor = new (location: string, options: Record<string, unknown>) => LevelDb

function loadPackage(): { RocksLevel: LevelConstructor; version: string } | { reason: string } {
  try {
    const { RocksLevel } = require('@nxtedition/rocksdb') as { RocksLevel: LevelConstructor }
    return { RocksLevel, version: packageVersion('@nxtedition/rocksdb') }
  } catch (error) {
    return { reason: `package @nxtedition/rocksdb failed to load: ${reasonOf(error)}` }
  }
}

/** abstract-level 1.x rejects a missing key with LEVEL_NOT_FOUND; newer versions resolve undefined. */
async function getOrUndefined(db: LevelDb, key: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    return (await db.get(key)) ?? undefined
  } catch (error) {
    if ((error as { code?: string }).code === 'LEVEL_NOT_FOUND') return undefined
    throw error
  }
}

export const nxteditionRocksdbAdapter: EngineAdapter = {
  name: 'nxtedition-rocksdb',
  summary: 'RocksDB (@nxtedition/rocksdb) at binding defaults: zstd, WAL compressed',
  packages: ['@nxtedition/rocksdb'],
  async load(): Promise<Availability> {
    const loaded = loadPackage()
    return 'reason' in loaded ? { available: false, reason: loaded.reason } : { available: true, version: loaded.version }
  },
  async open(directory: string, options: EngineRunOptions): Promise<EngineSession> {
    const loaded = loadPackage()
    if ('reason' in loaded) throw new Error(loaded.reason)
    const db = new loaded.RocksLevel(directory, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open()
    return {
      ...levelStyleWritesAndScan(db, options.sync),
      get: (key: Uint8Array) => getOrUndefined(db, key),
      async getMany(keys: readonly Uint8Array[]) {
        return (await db.getMany([...keys])).map((value) => value ?? undefined)
      },
      close: () => db.close(),
    }
  },
  effectiveOptions(options: EngineRunOptions): EffectiveOptions {
    return {
      codec: 'zstd',
      codecLevel: 'default',
      bloomBitsPerKey: 10,
      blockCacheBytes: 8 * 1024 * 1024,
      wal: 'on+zstd',
      sync: options.sync,
      kvSeparationMinBytes: 0,
      // RocksDB's defaults: the binding sets write_buffer_size only with its `compaction` presets,
      // which would change the compaction style too (binding.cc InitOptions).
      memtableBytes: 64 * 1024 * 1024,
      memtableCountMax: 2,
      blockCacheKind: 'HyperClockCache',
      maxBackgroundJobs: Math.max(1, Math.floor(os.cpus().length / 2)),
    }
  },
  notes(): string[] {
    return [
      'Binding defaults: ZSTD on for tables and the WAL, 8 MiB HyperClockCache.',
      'db.batch() writes synchronously on the JS thread. No flush or manual compaction in the binding: the compaction workload skips this engine, and load data still in its 64 MiB memtable stays there for the measured phase.',
    ]
  },
}
