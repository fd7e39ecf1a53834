/**
 * Compression policy: which compressor encodes a block, chosen by its kind and, for table
 * blocks, the LSM level of the table being written (RocksDB's `compression_per_level`, kept
 * simple). Only encoding consults it: nothing in the block records the policy or the zstd
 * level, and any block decodes with the codec's default compressor, which knows every
 * dictionary (the block's compression context says what to do).
 *
 * Precedence: a per-block-type override, then a per-level override (table blocks only), then
 * the codec's default. Overrides carry no dictionary and no window log: a dictionary is trained
 * for the default configuration's blocks, and an override names only off or a zstd level.
 */
import { BlockType } from './block-codec.ts'
import { BlockCompressor } from './compress.ts'

/** One override: store raw, or zstd at a level (1–22), without a dictionary. */
export type CompressionSpec = { kind: 'none' } | { kind: 'zstd'; level: number }

/** Overrides of the default compression; absent entries fall through to the next rule. */
export interface CompressionPolicy {
  /** Index = LSM level of the table (BlockContext.level); undefined or missing entries use the default. */
  perLevel?: readonly (CompressionSpec | undefined)[]
  /** Keyed by BlockType id (BlockType.Index, BlockType.BlobFrame, …); wins over perLevel. */
  perBlockType?: Readonly<Partial<Record<number, CompressionSpec>>>
}

/** Block types that belong to a table, so that a per-level override applies to them. */
const TABLE_BLOCK_TYPES: readonly number[] = [BlockType.Data, BlockType.Index, BlockType.Filter, BlockType.Properties, BlockType.RangeTombstones]

/** True when `policy` overrides nothing (the codec then skips selection entirely). */
export function isEmptyPolicy(policy: CompressionPolicy | undefined): boolean {
  if (policy === undefined) return true
  const perLevelEmpty = (policy.perLevel ?? []).every((spec) => spec === undefined || spec === null)
  const perBlockTypeEmpty = Object.values(policy.perBlockType ?? {}).every((spec) => spec === undefined)
  return perLevelEmpty && perBlockTypeEmpty
}

/**
 * Picks the compressor for a block from precomputed tables (one array lookup or two per block).
 * @example
 * ```ts
 * const selector = new CompressorSelector(defaultCompressor, { perLevel: [{ kind: 'none' }] }, RAW_BLOCK_SIZE_BYTES_MAX)
 * selector.select(BlockType.Data, 0) // the 'none' compressor
 * ```
 * @throws {StrataError} `INVALID_ARGUMENT` from the constructor for a zstd level out of range.
 */
export class CompressorSelector {
  readonly #default: BlockCompressor
  /** By block type id; undefined where no override exists. */
  readonly #byBlockType: (BlockCompressor | undefined)[] = []
  /** By level; undefined where no override exists. */
  readonly #byLevel: (BlockCompressor | undefined)[] = []
  readonly #isTableBlock: boolean[] = []

  constructor(defaultCompressor: BlockCompressor, policy: CompressionPolicy, rawSizeBytesMax: number) {
    this.#default = defaultCompressor
    // Equal specs share one compressor (one zstd context each, not one per level and kind).
    const shared = new Map<string, BlockCompressor>()
    const compressorOf = (spec: CompressionSpec): BlockCompressor => {
      const key = spec.kind === 'none' ? 'none' : `zstd:${spec.level}`
      let compressor = shared.get(key)
      if (compressor === undefined) {
        compressor = new BlockCompressor(spec.kind === 'none' ? { kind: 'none' } : { kind: 'zstd', level: spec.level }, { rawSizeBytesMax })
        shared.set(key, compressor)
      }
      return compressor
    }
    for (const [blockType, spec] of Object.entries(policy.perBlockType ?? {})) {
      if (spec !== undefined) this.#byBlockType[Number(blockType)] = compressorOf(spec)
    }
    const perLevel = policy.perLevel ?? []
    for (let level = 0; level < perLevel.length; level++) {
      const spec = perLevel[level]
      if (spec !== undefined && spec !== null) this.#byLevel[level] = compressorOf(spec)
    }
    for (const blockType of TABLE_BLOCK_TYPES) this.#isTableBlock[blockType] = true
  }

  /** The compressor for a block of `blockType` in a table of `level` (undefined outside tables). */
  select(blockType: number, level: number | undefined): BlockCompressor {
    const byBlockType = this.#byBlockType[blockType]
    if (byBlockType !== undefined) return byBlockType
    if (level !== undefined && this.#isTableBlock[blockType] === true) {
      const byLevel = this.#byLevel[level]
      if (byLevel !== undefined) return byLevel
    }
    return this.#default
  }
}
