/**
 * LevelDB 1.20 through `classic-level` at its defaults, as in peer-baseline.md: Snappy on, 8 MiB
 * cache, 4 MiB write buffer, 2 MiB files, bloom 10 bits (set by the binding), sync off unless the
 * run asks for it (classic-level honours `sync` per batch). No flush call; compactRange over the
 * whole keyspace for the compaction workload.
 */
import { createRequire } from 'node:module'
import type { Availability, EffectiveOptions, EngineAdapter, EngineRunOptions, EngineSession } from './adapter.ts'
import { reasonOf } from './adapter.ts'
import { levelStyleWritesAndScan } from './level-style.ts'
import { packageVersion } from './package-version.ts'

const require = createRequire(import.meta.url)

interface ClassicDb {
  open(): Promise<void>
  batch(operations: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }>, options?: { sync?: boolean }): Promise<void>
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  getMany(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>
  iterator(options: { gte?: Uint8Array; lt?: Uint8Array; limit?: number }): AsyncIterable<[Uint8Array, Uint8Array]>
  compactRange(start: Uint8Array, end: Uint8Array): Promise<void>
  close(): Promise<void>
}
type ClassicConstructor = new (location: string, options: Record<string, unknown>) => ClassicDb

/** Bounds that enclose every key the datasets make (keys start with an 8-byte big-endian index). */
const KEYSPACE_START = new Uint8Array([0])
const KEYSPACE_END = new Uint8Array(16).fill(0xff)

function loadPackage(): { ClassicLevel: ClassicConstructor; version: string } | { reason: string } {
  try {
    const { ClassicLevel } = require('classic-level') as { ClassicLevel: ClassicConstructor }
    return { ClassicLevel, version: packageVersion('classic-level') }
  } catch (error) {
    return { reason: `package classic-level failed to load: ${reasonOf(error)}` }
  }
}

export const classicLevelAdapter: EngineAdapter = {
  name: 'classic-level',
  summary: 'LevelDB 1.20 (classic-level) at defaults: Snappy, 8 MiB cache',
  packages: ['classic-level'],
  async load(): Promise<Availability> {
    const loaded = loadPackage()
    return 'reason' in loaded ? { available: false, reason: loaded.reason } : { available: true, version: loaded.version }
  },
  async open(directory: string, options: EngineRunOptions): Promise<EngineSession> {
    const loaded = loadPackage()
    if ('reason' in loaded) throw new Error(loaded.reason)
    const db = new loaded.ClassicLevel(directory, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    return {
      ...levelStyleWritesAndScan(db, options.sync),
      get: (key: Uint8Array) => db.get(key),
      getMany: (keys: readonly Uint8Array[]) => db.getMany([...keys]),
      compact: () => db.compactRange(KEYSPACE_START, KEYSPACE_END),
      close: () => db.close(),
    }
  },
  effectiveOptions(options: EngineRunOptions): EffectiveOptions {
    return {
      codec: 'snappy',
      codecLevel: 0,
      bloomBitsPerKey: 10,
      blockCacheBytes: 8 * 1024 * 1024,
      wal: 'on',
      sync: options.sync,
      kvSeparationMinBytes: 0,
      // LevelDB's write_buffer_size, plus the one immutable memtable it keeps while flushing.
      memtableBytes: 4 * 1024 * 1024,
      memtableCountMax: 2,
      maxFileBytes: 2 * 1024 * 1024,
    }
  },
  notes(): string[] {
    return ['LevelDB defaults as set by classic-level: Snappy on, 8 MiB cache, 4 MiB write buffer. No flush call in the API: after a load, data that is still in its memtable stays there for the measured phase.']
  },
}
