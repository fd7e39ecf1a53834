/**
 * The public `integrity` option of `open()` and its resolution into the block codec every table
 * block goes through (IntegrityCodec, engine/transform/). Validation happens here, once, so a
 * bad option fails `open()` with INVALID_ARGUMENT naming the field (`integrity.encryption.keys[1].key`)
 * instead of failing the first flush.
 *
 * Keys: the caller's key bytes go straight into a KeyChain (which copies them and never prints
 * them); nothing here keeps, logs or describes them. `describeIntegrity` reports suite and
 * epochs only, for stats() and the CLI.
 */
import { StrataError, isStrataError } from './errors.ts'
// perLevel is indexed by LSM level, so it has at most one entry per level.
import { LEVEL_COUNT } from './limits.ts'
import {
  BlockType,
  IntegrityCodec,
  KeyChain,
  KEY_SIZE_BYTES,
  type CipherSuiteName,
  type CompressionConfig,
  type CompressionPolicy,
  type CompressionSpec,
  type EccConfig,
  type RepairEvent,
  type ZstdDictionary,
} from './transform/mod.ts'

/** The cipher suites `integrity.encryption.suite` accepts. */
export const INTEGRITY_SUITES: readonly CipherSuiteName[] = ['aes-256-gcm', 'chacha20-poly1305', 'xchacha20-poly1305', 'aes-256-gcm-siv']

/** The ECC presets; an object picks the shard counts (docs/ecc.md §1). */
export type IntegrityEcc = 'xor' | 'reed-solomon' | 'sec-ded' | EccConfig

/** Shard counts the ECC presets stand for (docs/ecc.md "typical choices"). */
export const ECC_PRESETS: Readonly<Record<'xor' | 'reed-solomon' | 'sec-ded', EccConfig>> = Object.freeze({
  // XOR(4): 25 % overhead, repairs one damaged quarter of a block.
  xor: { kind: 'xor', dataShards: 4 },
  // RS(8,2): 25 % overhead, repairs any two damaged eighths.
  'reed-solomon': { kind: 'reed-solomon', dataShards: 8, parityShards: 2 },
  // SEC-DED: 12.5 %, fixes one flipped bit per 8-byte word with no search.
  'sec-ded': { kind: 'sec-ded' },
})

/** zstd level when `compression: { kind: 'zstd' }` gives none: zstd's own default. */
export const INTEGRITY_ZSTD_LEVEL_DEFAULT = 3

/** The block kinds `compression.perBlockKind` can name, and the BlockType each stands for. */
export const INTEGRITY_COMPRESSION_BLOCK_KINDS = Object.freeze({
  data: BlockType.Data,
  index: BlockType.Index,
  filter: BlockType.Filter,
  properties: BlockType.Properties,
  rangeTombstones: BlockType.RangeTombstones,
  blob: BlockType.BlobFrame,
})

/** The `integrity` option of `open()`. Every axis is off by default; the checksum is always on. */
export interface IntegrityOptions {
  /**
   * Block compression: the default for every block, `{ kind: 'none' }` unless given;
   * `{ kind: 'zstd', level?, dictionary? }` with level 1–22 (default 3) and an optional
   * dictionary `{ id, bytes }` whose id every block it compressed records (`level` and
   * `dictionary` only with zstd; validation refuses them with 'none').
   *
   * Overrides (RocksDB's compression_per_level, simplified), each `{ kind: 'none' }` or
   * `{ kind: 'zstd', level? }` and never with the dictionary; precedence `perBlockKind`, then
   * `perLevel` (table blocks only), then the default. Reading needs none of them: every block
   * says how it was written.
   * - `perLevel[i]`: tables written for LSM level i (0 … 6; a flush writes level 0, a compaction
   *   its output level); undefined or null entries and missing levels use the default.
   * - `perBlockKind`: `data`, `index`, `filter`, `properties`, `rangeTombstones` (table blocks)
   *   and `blob` (blob-file value frames, kvSeparation).
   * @example
   * ```ts
   * const compression = { kind: 'zstd', level: 3, perLevel: [{ kind: 'none' }], perBlockKind: { blob: { kind: 'zstd', level: 19 } } }
   * ```
   */
  compression?: {
    kind: 'none' | 'zstd'
    level?: number
    dictionary?: ZstdDictionary
    /** Overrides by LSM level: index = level 0 … 6; undefined or null = the default. */
    perLevel?: readonly (
      | {
          /** Store the blocks raw. */
          kind: 'none'
        }
      | {
          /** zstd, without the default's dictionary. */
          kind: 'zstd'
          /** zstd level, 1–22; default 3. */
          level?: number
        }
      | undefined
      | null
    )[]
    /** Overrides by block kind (data, index, filter, properties, rangeTombstones, blob); they win over `perLevel`. */
    perBlockKind?: Partial<Record<'data' | 'index' | 'filter' | 'properties' | 'rangeTombstones' | 'blob',
      | {
          /** Store the blocks raw. */
          kind: 'none'
        }
      | {
          /** zstd, without the default's dictionary. */
          kind: 'zstd'
          /** zstd level, 1–22; default 3. */
          level?: number
        }
    >>
  }
  /**
   * Encryption at rest. `keys` maps epochs to 32-byte keys; new blocks use `activeEpoch`, older
   * epochs stay readable, and `compact()` rewrites every table under the active epoch.
   * Scope: table blocks, blob-file frames (kvSeparation), the write-ahead log and the manifest
   * (each record sealed under a per-file key). A store written before encryption was turned on
   * converts on its first open with keys; from then on plaintext logs and manifests are refused
   * (docs/encryption.md §7–8). `requireEncryptedManifest: true` also refuses a store whose
   * manifest is plaintext, which closes the one gap left (every sealed manifest deleted and a
   * plaintext one written in its place); set it once the store is known to be encrypted.
   */
  encryption?: {
    suite: CipherSuiteName
    keys: readonly { epoch: number; key: Uint8Array }[]
    activeEpoch: number
    /** Refuse to open a store whose manifest is plaintext (DECRYPT_FAILED). Default false. */
    requireEncryptedManifest?: boolean
  }
  /** Error-correcting code over each block's on-disk bytes. Default none. */
  ecc?: IntegrityEcc
  /**
   * Rewrite a table after ECC repaired one of its blocks, or after a scrub (verify(), the patrol)
   * found a block whose ECC region no longer matches its data (docs/ecc.md §4). Default false.
   */
  autoHeal?: boolean
  /**
   * Per-KV checksums: a CRC-32 of (key, seqno, kind, value) computed when a write enters the
   * memtable, stored beside every table entry (table format version 2) and verified on every
   * read, flush and compaction (docs/per-kv-checksums.md). Default false: tables keep format
   * version 1, unchanged. Tables written with and without it coexist in one store.
   */
  perKeyChecksums?: boolean
  /**
   * Manifest hardening: new manifests are written in format version 3, with the file header and
   * every record stored twice and each record checked by an XXH3-128 besides its CRC-32, so a
   * damaged copy is repaired from its mirror at open (docs/formats/manifest.md §6). Default
   * false: manifests keep format version 1, byte for byte. Either setting opens either format.
   */
  manifestHardening?: boolean
}

/** What `open()` keeps of the option: the codec and the switches the Db acts on. */
export interface ResolvedIntegrity {
  codec: IntegrityCodec
  autoHeal: boolean
  perKeyChecksums: boolean
  description: IntegrityDescription
}

/** A key-free description of the configuration (for stats() and the CLI). */
export interface IntegrityDescription {
  /** The default, then each override with its effective choice (describeCompression). */
  compression: string
  encryption: { suite: CipherSuiteName; activeEpoch: number; epochs: number[] } | undefined
  ecc: string
  /** Per-KV checksums on new writes and tables; absent means off. */
  perKeyChecksums?: boolean
}

function invalid(field: string, found: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', `Cannot open: option integrity.${field} ${found}`, { details: { option: `integrity.${field}` } })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function checkKnownFields(value: Record<string, unknown>, field: string, known: readonly string[]): void {
  for (const name of Object.keys(value)) {
    if (!known.includes(name)) throw invalid(field === '' ? name : `${field}.${name}`, 'is not a known option')
  }
}

function resolveCompression(value: unknown): CompressionConfig {
  if (value === undefined) return { kind: 'none' }
  if (!isObject(value)) throw invalid('compression', 'must be an object')
  if (value.kind === 'none') {
    checkKnownFields(value, 'compression', ['kind', 'perLevel', 'perBlockKind'])
    return { kind: 'none' }
  }
  if (value.kind !== 'zstd') throw invalid('compression.kind', `must be 'none' or 'zstd', got ${String(value.kind)}`)
  checkKnownFields(value, 'compression', ['kind', 'level', 'dictionary', 'perLevel', 'perBlockKind'])
  const level = zstdLevelOf(value.level, 'compression.level')
  const dictionary = value.dictionary
  if (dictionary === undefined) return { kind: 'zstd', level }
  if (!isObject(dictionary) || !(dictionary.bytes instanceof Uint8Array) || dictionary.bytes.length === 0) {
    throw invalid('compression.dictionary', 'must be { id, bytes } with non-empty bytes')
  }
  if (typeof dictionary.id !== 'number' || !Number.isInteger(dictionary.id) || dictionary.id < 1 || dictionary.id > 0xffff_ffff) {
    throw invalid('compression.dictionary.id', `must be an integer in [1, 2^32-1], got ${String(dictionary.id)}`)
  }
  return { kind: 'zstd', level, dictionary: { id: dictionary.id, bytes: dictionary.bytes } }
}

function zstdLevelOf(value: unknown, field: string): number {
  const level = value ?? INTEGRITY_ZSTD_LEVEL_DEFAULT
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 1 || level > 22) {
    throw invalid(field, `must be an integer in [1, 22], got ${String(level)}`)
  }
  return level
}

function resolveCompressionSpec(value: unknown, field: string): CompressionSpec {
  if (!isObject(value)) throw invalid(field, "must be { kind: 'none' } or { kind: 'zstd', level? }")
  if (value.kind === 'none') {
    checkKnownFields(value, field, ['kind'])
    return { kind: 'none' }
  }
  if (value.kind !== 'zstd') throw invalid(`${field}.kind`, `must be 'none' or 'zstd', got ${String(value.kind)}`)
  // A dictionary stays with the default: an override naming one is refused, not ignored.
  checkKnownFields(value, field, ['kind', 'level'])
  return { kind: 'zstd', level: zstdLevelOf(value.level, `${field}.level`) }
}

/** The per-level and per-block-kind overrides of `integrity.compression`; undefined when none. */
function resolveCompressionPolicy(value: unknown): CompressionPolicy | undefined {
  if (!isObject(value)) return undefined // resolveCompression has refused anything else
  const policy: { perLevel?: (CompressionSpec | undefined)[]; perBlockType?: Partial<Record<number, CompressionSpec>> } = {}
  if (value.perLevel !== undefined) {
    const perLevel = value.perLevel
    if (!Array.isArray(perLevel)) throw invalid('compression.perLevel', 'must be an array indexed by LSM level')
    if (perLevel.length > LEVEL_COUNT) {
      throw invalid('compression.perLevel', `has ${perLevel.length} entries; levels are 0..${LEVEL_COUNT - 1}`)
    }
    policy.perLevel = []
    // An index loop, not map(): holes in a sparse array are "the default" too.
    for (let level = 0; level < perLevel.length; level++) {
      const spec: unknown = perLevel[level]
      policy.perLevel.push(spec === undefined || spec === null ? undefined : resolveCompressionSpec(spec, `compression.perLevel[${level}]`))
    }
  }
  if (value.perBlockKind !== undefined) {
    const perBlockKind = value.perBlockKind
    if (!isObject(perBlockKind)) throw invalid('compression.perBlockKind', 'must be an object keyed by block kind')
    checkKnownFields(perBlockKind, 'compression.perBlockKind', Object.keys(INTEGRITY_COMPRESSION_BLOCK_KINDS))
    policy.perBlockType = {}
    for (const [kind, blockType] of Object.entries(INTEGRITY_COMPRESSION_BLOCK_KINDS)) {
      const spec = perBlockKind[kind]
      if (spec !== undefined) policy.perBlockType[blockType] = resolveCompressionSpec(spec, `compression.perBlockKind.${kind}`)
    }
  }
  const overrides = (policy.perLevel ?? []).some((spec) => spec !== undefined) || Object.keys(policy.perBlockType ?? {}).length > 0
  return overrides ? policy : undefined
}

function resolveKeyChain(value: Record<string, unknown>): KeyChain {
  if (!Array.isArray(value.keys) || value.keys.length === 0) throw invalid('encryption.keys', 'must be a non-empty array of { epoch, key }')
  const keys = value.keys.map((entry: unknown, index: number) => {
    if (!isObject(entry)) throw invalid(`encryption.keys[${index}]`, 'must be an object { epoch, key }')
    if (typeof entry.epoch !== 'number' || !Number.isInteger(entry.epoch) || entry.epoch < 0 || entry.epoch > 0xffff_ffff) {
      throw invalid(`encryption.keys[${index}].epoch`, `must be an integer in [0, 2^32-1], got ${String(entry.epoch)}`)
    }
    // The size only, never the bytes.
    if (!(entry.key instanceof Uint8Array) || entry.key.length !== KEY_SIZE_BYTES) {
      const found = entry.key instanceof Uint8Array ? `${entry.key.length} bytes` : typeof entry.key
      throw invalid(`encryption.keys[${index}].key`, `must be ${KEY_SIZE_BYTES} bytes, got ${found}`)
    }
    return { epoch: entry.epoch, key: entry.key }
  })
  if (typeof value.activeEpoch !== 'number' || !keys.some((entry) => entry.epoch === value.activeEpoch)) {
    throw invalid('encryption.activeEpoch', `must be the epoch of one of the keys, got ${String(value.activeEpoch)}`)
  }
  try {
    return new KeyChain({ keys, activeEpoch: value.activeEpoch })
  } catch (error) {
    // Duplicate epochs and the like: KeyChain's message is key-free; re-label the field.
    if (isStrataError(error)) throw invalid('encryption.keys', `are invalid: ${error.message}`)
    throw error
  }
}

function resolveEncryption(value: unknown): { suite: CipherSuiteName; keyChain: KeyChain } | undefined {
  if (value === undefined) return undefined
  if (!isObject(value)) throw invalid('encryption', 'must be an object { suite, keys, activeEpoch }')
  checkKnownFields(value, 'encryption', ['suite', 'keys', 'activeEpoch', 'requireEncryptedManifest'])
  booleanOption(value.requireEncryptedManifest, 'encryption.requireEncryptedManifest')
  if (!INTEGRITY_SUITES.includes(value.suite as CipherSuiteName)) {
    throw invalid('encryption.suite', `must be one of ${INTEGRITY_SUITES.join(', ')}, got ${String(value.suite)}`)
  }
  return { suite: value.suite as CipherSuiteName, keyChain: resolveKeyChain(value) }
}

function resolveEcc(value: unknown): EccConfig | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') {
    if (!Object.hasOwn(ECC_PRESETS, value)) throw invalid('ecc', `must be 'xor', 'reed-solomon', 'sec-ded' or an object, got ${value}`)
    return ECC_PRESETS[value as keyof typeof ECC_PRESETS]
  }
  if (!isObject(value)) throw invalid('ecc', 'must be a string or an object')
  const kind = value.kind
  if (kind === 'sec-ded') return { kind }
  const shards = (name: string, field: unknown): number => {
    if (typeof field !== 'number' || !Number.isInteger(field)) throw invalid(`ecc.${name}`, `must be an integer, got ${String(field)}`)
    return field
  }
  if (kind === 'xor') return { kind, dataShards: shards('dataShards', value.dataShards) }
  if (kind === 'reed-solomon') return { kind, dataShards: shards('dataShards', value.dataShards), parityShards: shards('parityShards', value.parityShards) }
  throw invalid('ecc.kind', `must be 'xor', 'reed-solomon' or 'sec-ded', got ${String(kind)}`)
}

function booleanOption(value: unknown, field: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalid(field, `must be a boolean, got ${typeof value}`)
  return value
}

/**
 * Validates `options` and builds the codec; `onRepair` hears every verified ECC repair.
 * @example
 * ```ts
 * const { codec } = resolveIntegrity({ compression: { kind: 'zstd' }, ecc: 'sec-ded' }, (event) => count(event))
 * ```
 * @throws {StrataError} `INVALID_ARGUMENT` naming the field (`integrity.ecc.dataShards`, …).
 */
export function resolveIntegrity(options: IntegrityOptions, onRepair: (event: RepairEvent) => void): ResolvedIntegrity {
  if (!isObject(options)) throw new StrataError('INVALID_ARGUMENT', 'Cannot open: option integrity must be an object')
  checkKnownFields(options, '', ['compression', 'encryption', 'ecc', 'autoHeal', 'perKeyChecksums', 'manifestHardening'])
  const compression = resolveCompression(options.compression)
  const compressionPolicy = resolveCompressionPolicy(options.compression)
  const encryption = resolveEncryption(options.encryption)
  const ecc = resolveEcc(options.ecc)
  const autoHeal = booleanOption(options.autoHeal, 'autoHeal')
  const perKeyChecksums = booleanOption(options.perKeyChecksums, 'perKeyChecksums')
  // Read by Db.open (the VersionSet's option); validated here with the other switches.
  booleanOption(options.manifestHardening, 'manifestHardening')
  let codec: IntegrityCodec
  try {
    codec = new IntegrityCodec({ compression, compressionPolicy, encryption, ecc, onRepair })
  } catch (error) {
    // The codec's own checks (shard ranges, dictionary): name the axis they concern.
    if (isStrataError(error) && error.code === 'INVALID_ARGUMENT') {
      const field = /ECC/.test(error.message) ? 'ecc' : /zstd|dictionary/.test(error.message) ? 'compression' : 'encryption'
      throw invalid(field, `is invalid: ${error.message}`)
    }
    throw error
  }
  return { codec, autoHeal, perKeyChecksums, description: { ...describe(compression, compressionPolicy, encryption, ecc), perKeyChecksums } }
}

function describe(
  compression: CompressionConfig,
  compressionPolicy: CompressionPolicy | undefined,
  encryption: { suite: CipherSuiteName; keyChain: KeyChain } | undefined,
  ecc: EccConfig | undefined,
): IntegrityDescription {
  return {
    compression: describeCompression(compression, compressionPolicy),
    encryption: encryption && { suite: encryption.suite, activeEpoch: encryption.keyChain.activeEpoch, epochs: encryption.keyChain.epochs },
    ecc: describeEcc(ecc),
  }
}

function describeSpec(spec: CompressionSpec): string {
  return spec.kind === 'none' ? 'none' : `zstd level ${spec.level}`
}

/**
 * 'none', 'zstd level 3 dictionary 7', and with overrides the effective choice of each:
 * 'zstd level 3; level 0 none; level 1 zstd level 1; index none; blob zstd level 19'.
 */
export function describeCompression(compression: CompressionConfig, policy?: CompressionPolicy): string {
  const parts = [compression.kind === 'none' ? 'none' : `zstd level ${compression.level}${compression.dictionary ? ` dictionary ${compression.dictionary.id}` : ''}`]
  const perLevel = policy?.perLevel ?? []
  for (let level = 0; level < perLevel.length; level++) {
    const spec = perLevel[level]
    if (spec !== undefined) parts.push(`level ${level} ${describeSpec(spec)}`)
  }
  for (const [kind, blockType] of Object.entries(INTEGRITY_COMPRESSION_BLOCK_KINDS)) {
    const spec = policy?.perBlockType?.[blockType]
    if (spec !== undefined) parts.push(`${kind} ${describeSpec(spec)}`)
  }
  return parts.join('; ')
}

/** `rs(8,2)`-style name of an ECC configuration; 'none' when absent. */
export function describeEcc(ecc: EccConfig | undefined): string {
  if (ecc === undefined) return 'none'
  if (ecc.kind === 'sec-ded') return 'sec-ded'
  if (ecc.kind === 'xor') return `xor(${ecc.dataShards})`
  return `reed-solomon(${ecc.dataShards},${ecc.parityShards})`
}
