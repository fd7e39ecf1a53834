/**
 * Strata itself, through its public package entry (index.ts at the repository root), imported
 * dynamically: while the engine is not there or fails to import, both adapters report
 * "unavailable" and the run goes on without them. `strata` runs with KV separation off,
 * `blobtree` with it on at the run's `minBlobSizeBytes`. The preset decides every other option.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Availability, EffectiveOptions, EngineAdapter, EngineCounters, EngineRunOptions, EngineSession } from './adapter.ts'
import { reasonOf } from './adapter.ts'
import { levelStyleWritesAndScan } from './level-style.ts'

/** The package entry; a URL so the import does not depend on the working directory. */
const STRATA_ENTRY_URL = new URL('../../index.ts', import.meta.url).href
/** Strata's own defaults (engine/options.ts), for presets that leave them alone. */
const STRATA_DEFAULT_MEMTABLE_BYTES = 32 * 1024 * 1024
const STRATA_DEFAULT_IMMUTABLE_MEMTABLE_COUNT_MAX = 2

/** The part of Strata's stats() (engine/stats.ts; `blob` from blobtree/blob-db.ts) the runner reads. */
interface StrataStats {
  memtableSizeBytes: number
  immutableMemtableCount: number
  flushCount: number
  compactionCount: number
  blob?: { separatedValueCount: number; bytesWritten: number }
}

interface StrataDb {
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  getMany(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>>
  batch(operations: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }>, options?: { sync?: boolean }): Promise<void>
  iterator(options: { gte?: Uint8Array; lt?: Uint8Array; limit?: number }): AsyncIterable<[Uint8Array, Uint8Array]>
  flush(): Promise<void>
  compact(): Promise<void>
  stats(): StrataStats
  close(): Promise<void>
}
interface StrataModule {
  open(directory: string, options?: Record<string, unknown>): Promise<StrataDb>
}

let loaded: Promise<{ module: StrataModule } | { reason: string }> | undefined

function loadStrata(): Promise<{ module: StrataModule } | { reason: string }> {
  loaded ??= (async () => {
    try {
      const module = (await import(STRATA_ENTRY_URL)) as Partial<StrataModule>
      if (typeof module.open !== 'function') return { reason: 'index.ts loads but exports no open() function' }
      return { module: module as StrataModule }
    } catch (error) {
      return { reason: `Strata engine not loadable from index.ts: ${reasonOf(error)}` }
    }
  })()
  return loaded
}

/**
 * Opens a throwaway store with KV separation on: a build that rejects the option reports the
 * blobtree engine unavailable (skipped with its reason) instead of failing every workload.
 */
async function probeKvSeparation(module: StrataModule): Promise<string | undefined> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-probe-'))
  try {
    const db = await module.open(directory, { kvSeparation: { minBlobSize: 1024 } })
    await db.close()
    return undefined
  } catch (error) {
    return `KV separation unavailable in this build: ${reasonOf(error)}`
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
}

/** The options object handed to Strata's open(): preset, then the run's compression and KV separation. */
export function strataOpenOptions(options: EngineRunOptions, kvSeparation: boolean): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...options.preset.strataOptions }
  if (options.compression.codec === 'zstd') {
    const integrity = (merged.integrity ?? {}) as Record<string, unknown>
    merged.integrity = { ...integrity, compression: { kind: 'zstd', level: options.compression.level } }
  }
  if (kvSeparation) merged.kvSeparation = { minBlobSize: options.minBlobSizeBytes }
  if (options.blockCacheBytes !== undefined) merged.blockCacheSizeBytes = options.blockCacheBytes
  return merged
}

function createStrataAdapter(name: 'strata' | 'blobtree', kvSeparation: boolean): EngineAdapter {
  return {
    name,
    summary: kvSeparation ? 'Strata with KV separation (blob files) on' : 'Strata with KV separation off',
    packages: ['strata-kv'],
    async load(): Promise<Availability> {
      const result = await loadStrata()
      if (!('module' in result)) return { available: false, reason: result.reason }
      if (kvSeparation) {
        const reason = await probeKvSeparation(result.module)
        if (reason !== undefined) return { available: false, reason }
      }
      return { available: true, version: 'working tree' }
    },
    async open(directory: string, options: EngineRunOptions): Promise<EngineSession> {
      const result = await loadStrata()
      if (!('module' in result)) throw new Error(result.reason)
      const db = await result.module.open(directory, strataOpenOptions(options, kvSeparation))
      return {
        // Strata takes an integer limit (-1 for none), not Infinity.
        ...levelStyleWritesAndScan(db, options.sync, -1),
        get: (key: Uint8Array) => db.get(key),
        getMany: (keys: readonly Uint8Array[]) => db.getMany(keys),
        flush: () => db.flush(),
        compact: () => db.compact(),
        counters: () => strataCounters(db.stats()),
        close: () => db.close(),
      }
    },
    effectiveOptions(options: EngineRunOptions): EffectiveOptions {
      const preset = options.preset
      const codec = options.compression.codec === 'preset' ? preset.paritySettings.codec : options.compression.codec
      return {
        codec,
        codecLevel: options.compression.codec === 'zstd' ? options.compression.level : codec === 'none' ? 0 : 'default',
        bloomBitsPerKey: preset.paritySettings.bloomBitsPerKey,
        blockCacheBytes: options.blockCacheBytes ?? preset.paritySettings.blockCacheBytes,
        wal: 'on',
        sync: options.sync,
        kvSeparationMinBytes: kvSeparation ? options.minBlobSizeBytes : 0,
        memtableBytes: numberOption(preset.strataOptions.memtableSizeBytes) ?? STRATA_DEFAULT_MEMTABLE_BYTES,
        memtableCountMax: 1 + (numberOption(preset.strataOptions.immutableMemtableCountMax) ?? STRATA_DEFAULT_IMMUTABLE_MEMTABLE_COUNT_MAX),
        preset: preset.name,
        perKeyChecksums: String(preset.protections.perKeyChecksums),
        ecc: preset.protections.ecc,
        manifestHardening: String(preset.protections.manifestHardening),
        encryption: preset.protections.encryption,
      }
    },
    notes(options: EngineRunOptions): string[] {
      return [
        `Options are the ones preset ${options.preset.name} passes to Strata's open() (benchsuite/presets.ts).`,
        'getMany is Strata\'s getMany(): the keys read synchronously in one call, one promise per batch.',
      ]
    },
  }
}

function numberOption(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined
}

function strataCounters(stats: StrataStats): EngineCounters {
  const counters: EngineCounters = {
    memtableBytes: stats.memtableSizeBytes,
    immutableMemtableCount: stats.immutableMemtableCount,
    flushCount: stats.flushCount,
    compactionCount: stats.compactionCount,
  }
  if (stats.blob !== undefined) {
    counters.separatedValueCount = stats.blob.separatedValueCount
    counters.blobBytesWritten = stats.blob.bytesWritten
  }
  return counters
}

export const strataAdapter = createStrataAdapter('strata', false)
export const blobtreeAdapter = createStrataAdapter('blobtree', true)
