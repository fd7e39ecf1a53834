/**
 * LMDB through `lmdb` (lmdb-js), as in peer-baseline.md: binary keys and values, `noSync: true`
 * (the same durability class as RocksDB with sync=false), no compression, 4 KiB pages. Puts issued
 * in one event turn form one write transaction on lmdb-js's write thread; gets are synchronous
 * reads from the memory map. A copy-on-write B+tree: no WAL, no filters, no block cache, no
 * compaction.
 */
import { createRequire } from 'node:module'
import type { Availability, EffectiveOptions, EngineAdapter, EngineRunOptions, EngineSession, ScanRange, WriteEntry } from './adapter.ts'
import { reasonOf, ScanTally } from './adapter.ts'
import { packageVersion } from './package-version.ts'

const require = createRequire(import.meta.url)

interface LmdbDb {
  put(key: Uint8Array, value: Uint8Array): Promise<boolean>
  remove(key: Uint8Array): Promise<boolean>
  get(key: Uint8Array): Uint8Array | undefined
  getMany(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>
  getRange(options: { start?: Uint8Array; end?: Uint8Array; limit?: number }): Iterable<{ key: Uint8Array; value: Uint8Array }>
  flushed: Promise<void>
  close(): Promise<void>
}

function loadPackage(): { open: (options: Record<string, unknown>) => LmdbDb; version: string } | { reason: string } {
  try {
    const { open } = require('lmdb') as { open: (options: Record<string, unknown>) => LmdbDb }
    return { open, version: packageVersion('lmdb') }
  } catch (error) {
    return { reason: `package lmdb failed to load: ${reasonOf(error)}` }
  }
}

export const lmdbAdapter: EngineAdapter = {
  name: 'lmdb',
  summary: 'LMDB (lmdb-js), noSync, no compression',
  packages: ['lmdb'],
  async load(): Promise<Availability> {
    const loaded = loadPackage()
    return 'reason' in loaded ? { available: false, reason: loaded.reason } : { available: true, version: loaded.version }
  },
  async open(directory: string): Promise<EngineSession> {
    const loaded = loadPackage()
    if ('reason' in loaded) throw new Error(loaded.reason)
    const db = loaded.open({ path: directory, noSync: true, encoding: 'binary', keyEncoding: 'binary' })
    return {
      async putBatch(entries: readonly WriteEntry[]) {
        await Promise.all(entries.map((entry) => db.put(entry.key, entry.value)))
      },
      async deleteBatch(keys: readonly Uint8Array[]) {
        await Promise.all(keys.map((key) => db.remove(key)))
      },
      async get(key: Uint8Array) {
        return db.get(key)
      },
      getMany: (keys: readonly Uint8Array[]) => db.getMany([...keys]),
      async scan(range: ScanRange, limit: number) {
        const tally = new ScanTally()
        for (const entry of db.getRange({ start: range.gte, end: range.lt, limit })) tally.add(entry.key, entry.value)
        return tally.outcome()
      },
      flush: () => db.flushed,
      close: () => db.close(),
    }
  },
  effectiveOptions(options: EngineRunOptions): EffectiveOptions {
    return {
      codec: 'none',
      codecLevel: 0,
      bloomBitsPerKey: 'n/a (B+tree)',
      blockCacheBytes: 'n/a (mmap, OS page cache)',
      wal: 'none (copy-on-write B+tree)',
      sync: false,
      kvSeparationMinBytes: 0,
      memtableBytes: 'n/a (B+tree)',
      memtableCountMax: 'n/a (B+tree)',
      pageSizeBytes: 4096,
      syncRequested: options.sync,
    }
  },
  notes(options: EngineRunOptions): string[] {
    const notes = ['noSync: true (durability class of RocksDB sync=false). Gets are synchronous mmap reads; RSS includes touched pages of the map.']
    if (options.sync) notes.push('sync requested but the lmdb adapter keeps noSync: true, as in the baseline: writes ran unsynced.')
    notes.push('No manual compaction: the compaction workload skips this engine.')
    return notes
  },
}
