/**
 * Goal: with KV separation on, every read equals what a sorted-Map model answers, whatever mix
 * of writes, deletes, range deletes, batches, snapshots, flushes, compactions (each followed by
 * a blob GC round) and reopens led there.
 * Method: the shared model driver (test/support/model.ts) with `open` enabling kvSeparation at
 * thresholds that split the model's values (8–48 bytes mostly, 300–2300 bytes one time in ten)
 * between inline and separated, and tiny blob files so rotation, sealing and relocation happen.
 */
import { describe, test } from 'node:test'
import { configurations, runModel } from './support/model.ts'
import { seedFromEnv } from './support/seed.ts'
import { open, type OpenOptions } from '../index.ts'

const blobConfigurations = [
  { name: 'blob min 64, 4 KiB blob files, tiny levels', base: configurations[0].options, kvSeparation: { minBlobSize: 64, blobFileSizeBytesTarget: 4096 } },
  { name: 'blob min 24 (half the small values), 16 KiB files, GC at 10%', base: configurations[2].options, kvSeparation: { minBlobSize: 24, blobFileSizeBytesTarget: 16 * 1024, stalenessThreshold: 0.1 } },
  { name: 'blob min 1024 (large values only), defaults', base: configurations[1].options, kvSeparation: { minBlobSize: 1024 } },
  { name: 'blob min 64, 4 KiB blob files, flushes and compactions in the worker thread', base: configurations[3].options, realFileSystem: true, kvSeparation: { minBlobSize: 64, blobFileSizeBytesTarget: 4096 } },
  { name: 'blob min 64, tiny block cache (handles read from recycled blocks)', base: configurations[4].options, kvSeparation: { minBlobSize: 64, blobFileSizeBytesTarget: 4096, handleCacheSizeBytes: 0 } },
]

describe('KV separation against the model', () => {
  for (const configuration of blobConfigurations) {
    test(`runModel with ${configuration.name}`, async (t) => {
      const seed = seedFromEnv(`blob-model ${configuration.name}`)
      t.diagnostic(`seed=${seed}`)
      const options: OpenOptions = { ...configuration.base, kvSeparation: configuration.kvSeparation }
      await runModel({ name: configuration.name, options, realFileSystem: configuration.realFileSystem }, seed, (directory, openOptions) => open(directory, openOptions))
    })
  }
})
