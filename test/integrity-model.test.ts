/**
 * Goal: the whole integrity stack changes no answer. The sorted-Map model test agrees with
 * Strata when every block is compressed, encrypted and ECC-protected, with per-KV checksums and
 * a hardened manifest, with and without KV separation, and with the encryption key rotated at
 * every reopen (each open adds an epoch and makes it active, so tables, blob frames, logs and
 * manifests of several epochs are read side by side, and compactions rewrite tables under the
 * newest: docs/encryption.md).
 * Method: the shared model driver (test/support/model.ts: writes, deletes, range deletes,
 * batches, snapshots, flushes, compactions with a GC round when separated, reopens) with an
 * `open` that rotates the key; STRATA_SEED replays one run.
 */
import { describe, test } from 'node:test'
import { configurations, runModel } from './support/model.ts'
import { seedFromEnv } from './support/seed.ts'
import { open, type OpenOptions } from '../index.ts'
import type { IntegrityOptions } from '../engine/integrity-options.ts'

/** Epochs available to the rotation: a run reopens fewer times than this (the last one stays active past it). */
const EPOCH_COUNT_MAX = 64

/** A 32-byte key per epoch, distinct and fixed (test keys, not secrets). */
const KEYS = Array.from({ length: EPOCH_COUNT_MAX }, (_, index) => ({ epoch: index + 1, key: new Uint8Array(32).fill(index + 1) }))

const stackConfigurations: { name: string; options: OpenOptions; realFileSystem?: boolean; integrity: Omit<IntegrityOptions, 'encryption'> & { suite: 'aes-256-gcm' | 'chacha20-poly1305' | 'xchacha20-poly1305' } }[] = [
  {
    name: 'zstd-3 + aes-256-gcm + reed-solomon, per-KV checksums, hardened manifest, KV separation (min 64, 4 KiB blob files, blobs at zstd-19)',
    options: { ...configurations[0].options, kvSeparation: { minBlobSize: 64, blobFileSizeBytesTarget: 4096 } },
    integrity: { suite: 'aes-256-gcm', compression: { kind: 'zstd', level: 3, perBlockKind: { blob: { kind: 'zstd', level: 19 } } }, ecc: 'reed-solomon', perKeyChecksums: true, manifestHardening: true },
  },
  {
    name: 'xchacha20-poly1305 + sec-ded, level 0 uncompressed and zstd-1 below, no separation',
    options: configurations[2].options,
    integrity: { suite: 'xchacha20-poly1305', compression: { kind: 'zstd', level: 1, perLevel: [{ kind: 'none' }] }, ecc: 'sec-ded' },
  },
  {
    name: 'chacha20-poly1305 + xor, KV separation (min 24), flushes and compactions in the worker thread',
    options: { ...configurations[3].options, kvSeparation: { minBlobSize: 24, blobFileSizeBytesTarget: 16 * 1024, stalenessThreshold: 0.1 } },
    realFileSystem: true,
    integrity: { suite: 'chacha20-poly1305', compression: { kind: 'none' }, ecc: 'xor' },
  },
]

describe('the integrity stack against the model, key rotated at every reopen', () => {
  for (const configuration of stackConfigurations) {
    test(`runModel with ${configuration.name}`, async (t) => {
      const seed = seedFromEnv(`integrity-model ${configuration.name}`)
      t.diagnostic(`seed=${seed}`)
      const { suite, ...integrity } = configuration.integrity
      let openCount = 0
      const openRotating = (directory: string, options: OpenOptions) => {
        openCount++
        const activeEpoch = Math.min(openCount, EPOCH_COUNT_MAX)
        const encryption = { suite, keys: KEYS.slice(0, activeEpoch), activeEpoch, requireEncryptedManifest: openCount > 1 }
        return open(directory, { ...options, integrity: { ...integrity, encryption } })
      }
      await runModel({ name: configuration.name, options: configuration.options, realFileSystem: configuration.realFileSystem }, seed, openRotating)
      t.diagnostic(`opens (epochs used): ${openCount}`)
    })
  }
})
