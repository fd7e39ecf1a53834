/**
 * The preset table, in one place: how Strata is configured for a run. Presets move only Strata's
 * options (the object handed to Strata's open()); peers always run at their documented baseline
 * (engines/*.ts). Every option here is one Strata's open() accepts: open() rejects unknown
 * options, so a preset cannot silently measure a store without the protection it names.
 *
 * Selected by `--preset` or the LSM_BENCH_PRESET environment variable; the flag wins.
 */
import { StrataError } from '../engine/errors.ts'

export const PRESET_NAMES = ['rocksdb-parity', 'lsm-default', 'lsm-paranoid'] as const
export type PresetName = (typeof PRESET_NAMES)[number]
export const DEFAULT_PRESET: PresetName = 'rocksdb-parity'

/** A fixed, public benchmark key: encryption cost is measured, secrecy is not the point. */
const BENCHMARK_KEY_HEX = '5374726174612062656e63686d61726b206b6579202d206e6f74207365637265'

export interface Preset {
  name: PresetName
  summary: string
  /** The Strata-only protections, on or off, as a reader of a report sees them. */
  protections: { perKeyChecksums: boolean | 'default (off)'; ecc: string; manifestHardening: boolean | 'default (off)'; encryption: string }
  /** Passed to Strata's open() (merged under the workload's compression and KV-separation settings). */
  strataOptions: Record<string, unknown>
  /** Settings that decide parity with peers (see engines/effective-options.ts), as this preset sets them. */
  paritySettings: { bloomBitsPerKey: number | 'default'; blockCacheBytes: number | 'default'; codec: 'none' | 'default' }
}

/** Matches rocksdb-native's baseline: 10 bloom bits per key, 32 MiB block cache, no compression. */
const PARITY_BLOOM_BITS_PER_KEY = 10
const PARITY_BLOCK_CACHE_BYTES = 32 * 1024 * 1024
/**
 * The write buffer both sides get under parity: RocksDB's 64 MiB write_buffer_size, which
 * rocksdb-native is also given explicitly (engines/rocksdb-native.ts). At Strata's own default of
 * 32 MiB a standard-suite load (54 MB) ended with Strata's memtables nearly full while RocksDB's
 * held everything: the same reads hit different structures.
 */
export const PARITY_MEMTABLE_BYTES = 64 * 1024 * 1024
/**
 * Memtables one column family may hold, the active one included: RocksDB's max_write_buffer_number
 * (2); Strata's equivalent is one active plus `immutableMemtableCountMax` frozen ones.
 */
export const PARITY_MEMTABLE_COUNT_MAX = 2

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  'rocksdb-parity': {
    name: 'rocksdb-parity',
    summary: 'every Strata-only protection off; codec, bloom, cache and write buffer matched to the RocksDB baseline (the apples-to-apples number)',
    protections: { perKeyChecksums: false, ecc: 'off', manifestHardening: false, encryption: 'off' },
    // No `integrity` option: checksum-only blocks, no compression, encryption or parity.
    strataOptions: {
      bloomBitsPerKey: PARITY_BLOOM_BITS_PER_KEY,
      blockCacheSizeBytes: PARITY_BLOCK_CACHE_BYTES,
      memtableSizeBytes: PARITY_MEMTABLE_BYTES,
      immutableMemtableCountMax: PARITY_MEMTABLE_COUNT_MAX - 1,
    },
    paritySettings: { bloomBitsPerKey: PARITY_BLOOM_BITS_PER_KEY, blockCacheBytes: PARITY_BLOCK_CACHE_BYTES, codec: 'none' },
  },
  'lsm-default': {
    name: 'lsm-default',
    summary: "Strata's production defaults: nothing overridden",
    protections: { perKeyChecksums: 'default (off)', ecc: 'default (off)', manifestHardening: 'default (off)', encryption: 'default (off)' },
    strataOptions: {},
    paritySettings: { bloomBitsPerKey: 'default', blockCacheBytes: 'default', codec: 'default' },
  },
  'lsm-paranoid': {
    name: 'lsm-paranoid',
    summary:
      'every protection Strata has on: per-KV checksums (CRC-32 per entry), Reed-Solomon 8+2 ECC with auto-heal, manifest hardening (mirrored manifest, XXH3-128 per record), AES-256-GCM encryption (tables, blob files, WAL)',
    protections: { perKeyChecksums: true, ecc: 'reed-solomon 8+2', manifestHardening: true, encryption: 'aes-256-gcm' },
    strataOptions: {
      integrity: {
        perKeyChecksums: true,
        manifestHardening: true,
        ecc: 'reed-solomon',
        autoHeal: true,
        encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: hexBytes(BENCHMARK_KEY_HEX) }], activeEpoch: 1 },
      },
    },
    paritySettings: { bloomBitsPerKey: 'default', blockCacheBytes: 'default', codec: 'default' },
  },
}

export function resolvePreset(flag: string | undefined, environment: NodeJS.ProcessEnv = process.env): Preset {
  const fromEnvironment = environment.LSM_BENCH_PRESET
  const name = flag ?? (fromEnvironment === undefined || fromEnvironment === '' ? DEFAULT_PRESET : fromEnvironment)
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    const source = flag !== undefined ? '--preset' : 'LSM_BENCH_PRESET'
    throw new StrataError('INVALID_ARGUMENT', `Unknown preset '${name}' from ${source}: expected one of ${PRESET_NAMES.join(', ')}`)
  }
  return PRESETS[name as PresetName]
}

/** The preset as flat fields for a result's options and a start-of-run banner. */
export function describePreset(preset: Preset): string {
  const p = preset.protections
  return `preset ${preset.name}: ${preset.summary} [per-KV checksums ${p.perKeyChecksums}, ECC ${p.ecc}, manifest hardening ${p.manifestHardening}, encryption ${p.encryption}]`
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16))
}
