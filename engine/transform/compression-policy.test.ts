// Goal: a compression policy picks the compressor per block (block type first, then LSM level for
// table blocks, then the default), each choice shows in the written block (compressed flag, and
// a zstd body byte-identical to a fresh compression at the chosen level), every block decodes
// with a codec that knows only the default, and without overrides the bytes do not change.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BlockType, type BlockContext } from './block-codec.ts'
import { BlockCompressor, COMPRESSION_CONTEXT_SIZE_BYTES } from './compress.ts'
import { CompressorSelector, isEmptyPolicy, type CompressionPolicy } from './compression-policy.ts'
import { BlockFlag, IntegrityCodec } from './pipeline.ts'
import { BLOCK_HEADER_SIZE_BYTES } from './plain-codec.ts'
import { mulberry32Float } from '../mulberry32.ts'

const SEED = 0xc0ffee
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo']

/** Seeded text made of a few words: compressible, and different at zstd levels 1, 3 and 19. */
function compressibleBlock(sizeBytes: number, seed = SEED): Uint8Array {
  const random = mulberry32Float(seed)
  let text = ''
  while (text.length < sizeBytes) text += `${WORDS[Math.floor(random() * WORDS.length)]}-${Math.floor(random() * 1000)} `
  return new Uint8Array(Buffer.from(text.slice(0, sizeBytes), 'latin1'))
}

function contextOf(blockType: number, level?: number): BlockContext {
  return { fileNumber: 9, blockType, fileName: '000009.sst', offsetBytes: 0, level }
}

/** The zstd frame of an unencrypted block, or undefined when it is stored raw. */
function zstdBodyOf(block: Uint8Array): Uint8Array | undefined {
  if ((block[2] & BlockFlag.Compressed) === 0) return undefined
  return block.subarray(BLOCK_HEADER_SIZE_BYTES + COMPRESSION_CONTEXT_SIZE_BYTES)
}

/** What a fresh zstd context at `level` makes of `raw` (zstd is deterministic per level). */
function zstdAt(level: number, raw: Uint8Array): Uint8Array {
  const packed = new BlockCompressor({ kind: 'zstd', level }).compress(raw, COMPRESSION_CONTEXT_SIZE_BYTES)
  assert.ok(packed, `level ${level} compresses the sample`)
  return packed.body.slice()
}

const POLICY: CompressionPolicy = {
  perLevel: [{ kind: 'none' }, { kind: 'zstd', level: 1 }, undefined, { kind: 'zstd', level: 1 }],
  perBlockType: { [BlockType.Index]: { kind: 'none' }, [BlockType.BlobFrame]: { kind: 'zstd', level: 19 } },
}

describe('compression policy', () => {
  const raw = compressibleBlock(4096)
  console.log(`seed ${SEED}`)

  test('the sample tells zstd levels 1, 3 and 19 apart (so the checks below mean something)', () => {
    assert.notDeepEqual(zstdAt(1, raw), zstdAt(3, raw))
    assert.notDeepEqual(zstdAt(19, raw), zstdAt(3, raw))
    assert.notDeepEqual(zstdAt(19, raw), zstdAt(1, raw))
  })

  test('block type wins, then the level of a table block, then the default', () => {
    const codec = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 }, compressionPolicy: POLICY })
    const cases: [string, BlockContext, number | undefined][] = [
      ['data at level 0: none', contextOf(BlockType.Data, 0), undefined],
      ['data at level 1: zstd 1', contextOf(BlockType.Data, 1), 1],
      ['data at level 2 (hole): default zstd 3', contextOf(BlockType.Data, 2), 3],
      ['data at level 3: zstd 1', contextOf(BlockType.Data, 3), 1],
      ['data at level 6 (past the array): default', contextOf(BlockType.Data, 6), 3],
      ['data without a level: default', contextOf(BlockType.Data), 3],
      ['properties at level 0: none', contextOf(BlockType.Properties, 0), undefined],
      ['range tombstones at level 1: zstd 1', contextOf(BlockType.RangeTombstones, 1), 1],
      ['index at level 1: the block-type override (none)', contextOf(BlockType.Index, 1), undefined],
      ['blob frame: zstd 19', contextOf(BlockType.BlobFrame), 19],
      ['blob frame with a level: still the block-type override', contextOf(BlockType.BlobFrame, 0), 19],
      ['manifest block with a level: not a table block, default', contextOf(BlockType.Manifest, 0), 3],
    ]
    const defaultOnly = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 } })
    for (const [name, context, level] of cases) {
      const block = codec.encode(raw, context)
      const body = zstdBodyOf(block)
      if (level === undefined) assert.equal(body, undefined, name)
      else assert.deepEqual(body, zstdAt(level, raw), name)
      // Decoding needs no policy: the block says how it was written.
      assert.deepEqual(codec.decode(block, context), raw, `${name}: decode`)
      assert.deepEqual(defaultOnly.decode(block, context), raw, `${name}: decode by a codec without the policy`)
    }
  })

  test('a zstd override on a default of none compresses; a none default decodes it', () => {
    const codec = new IntegrityCodec({ compressionPolicy: { perLevel: [undefined, { kind: 'zstd', level: 1 }] } })
    const level0 = codec.encode(raw, contextOf(BlockType.Data, 0))
    const level1 = codec.encode(raw, contextOf(BlockType.Data, 1))
    assert.equal(zstdBodyOf(level0), undefined)
    assert.deepEqual(zstdBodyOf(level1), zstdAt(1, raw))
    assert.deepEqual(new IntegrityCodec().decode(level1, contextOf(BlockType.Data, 1)), raw)
  })

  test('overrides do not use the default dictionary; default blocks do, and one codec decodes both', () => {
    const dictionary = { id: 77, bytes: compressibleBlock(2048, SEED + 1) }
    const codec = new IntegrityCodec({ compression: { kind: 'zstd', level: 3, dictionary }, compressionPolicy: POLICY })
    const withDictionary = codec.encode(raw, contextOf(BlockType.Data, 2))
    const override = codec.encode(raw, contextOf(BlockType.Data, 1))
    const dictionaryIdOf = (block: Uint8Array): number => new DataView(block.buffer, block.byteOffset).getUint32(BLOCK_HEADER_SIZE_BYTES + 4, true)
    assert.equal(dictionaryIdOf(withDictionary), 77)
    assert.equal(dictionaryIdOf(override), 0)
    assert.deepEqual(zstdBodyOf(override), zstdAt(1, raw))
    const reader = new IntegrityCodec({ compression: { kind: 'zstd', level: 3, dictionary } })
    assert.deepEqual(reader.decode(withDictionary, contextOf(BlockType.Data, 2)), raw)
    assert.deepEqual(reader.decode(override, contextOf(BlockType.Data, 1)), raw)
  })

  test('encrypted blocks round-trip under every choice (the AAD binds no level)', () => {
    const key = new Uint8Array(32).fill(7)
    const encryption = { suite: 'aes-256-gcm' as const, keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } }
    const codec = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 }, compressionPolicy: POLICY, encryption, ecc: { kind: 'sec-ded' } })
    const reader = new IntegrityCodec({ compression: { kind: 'none' }, encryption })
    for (const context of [contextOf(BlockType.Data, 0), contextOf(BlockType.Data, 1), contextOf(BlockType.Index, 1), contextOf(BlockType.BlobFrame)]) {
      const block = codec.encode(raw, context)
      const compressed = (block[2] & BlockFlag.Compressed) !== 0
      assert.equal(compressed, !(context.blockType === BlockType.Index || context.level === 0), `compressed flag of type ${context.blockType} level ${context.level}`)
      assert.deepEqual(reader.decode(block, context), raw)
    }
  })

  test('without overrides the bytes are those of a codec without a policy', () => {
    const plain = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 } })
    for (const policy of [undefined, {}, { perLevel: [] }, { perLevel: [undefined, undefined] }, { perBlockType: {} }] as CompressionPolicy[]) {
      assert.equal(isEmptyPolicy(policy), true, JSON.stringify(policy))
      const codec = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 }, compressionPolicy: policy })
      for (const context of [contextOf(BlockType.Data, 0), contextOf(BlockType.Index, 4), contextOf(BlockType.BlobFrame)]) {
        assert.deepEqual(codec.encode(raw, context), plain.encode(raw, context))
      }
    }
    assert.equal(isEmptyPolicy(POLICY), false)
  })

  test('equal specs share one compressor; a level out of range is INVALID_ARGUMENT', () => {
    const defaultCompressor = new BlockCompressor({ kind: 'zstd', level: 3 })
    const selector = new CompressorSelector(defaultCompressor, POLICY, 1024 * 1024)
    assert.equal(selector.select(BlockType.Data, 1), selector.select(BlockType.Filter, 3))
    assert.equal(selector.select(BlockType.Data, 0), selector.select(BlockType.Index, 5))
    assert.equal(selector.select(BlockType.Data, 2), defaultCompressor)
    assert.throws(() => new IntegrityCodec({ compressionPolicy: { perLevel: [{ kind: 'zstd', level: 23 }] } }), { code: 'INVALID_ARGUMENT' })
  })
})
