// Goal: a scrub finds damage inside a block's ECC region (check bytes or trailer), which leaves
// the checksum intact and so is invisible to `decode`; and it never reports a sound region.
// Method: encode seeded blocks under every ECC scheme, flip every bit of the region one at a time
// and decode through `checkingEccRegions`; flips in the protected bytes go to the repair path.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BlockType, type BlockContext } from './block-codec.ts'
import { eccRegionMatches, type EccConfig } from './ecc.ts'
import { checkingEccRegions, IntegrityCodec, type EccRegionDamage, type RepairEvent } from './pipeline.ts'
import { PlainCodec } from './plain-codec.ts'
import { TestRandom, seedFromEnv } from './test-random.ts'

const seed = seedFromEnv()
const context: BlockContext = { fileNumber: 7, blockType: BlockType.Data, fileName: '000007.sst', offsetBytes: 4096 }
const key = new Uint8Array(32).fill(0x5a)
const eccs: EccConfig[] = [
  { kind: 'xor', dataShards: 4 },
  { kind: 'reed-solomon', dataShards: 4, parityShards: 2 },
  { kind: 'reed-solomon', dataShards: 8, parityShards: 2 },
  { kind: 'sec-ded' },
]

function protectedSizeOf(block: Uint8Array): number {
  return 24 + new DataView(block.buffer, block.byteOffset, block.byteLength).getUint32(4, true)
}

describe('IntegrityCodec.checkingEccRegions()', () => {
  for (const ecc of eccs) {
    test(`reports every single-bit flip of the ECC region under ${JSON.stringify(ecc)}, and the block still decodes`, (t) => {
      t.diagnostic(`seed=${seed}`)
      const random = new TestRandom(seed)
      const raw = random.compressibleBytes(1500 + random.below(1000))
      const repairs: RepairEvent[] = []
      const codec = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 }, encryption: { suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } }, ecc, onRepair: (event) => repairs.push(event) })
      const damages: EccRegionDamage[] = []
      const scrubCodec = codec.checkingEccRegions((damage) => damages.push(damage))
      const onDisk = codec.encode(raw, context).slice()
      const protectedSizeBytes = protectedSizeOf(onDisk)
      assert.deepEqual(scrubCodec.decode(onDisk, context), raw, `seed=${seed}`)
      assert.equal(damages.length, 0, `a sound region is not reported, seed=${seed}`)
      for (let bit = protectedSizeBytes * 8; bit < onDisk.length * 8; bit++) {
        onDisk[bit >> 3] ^= 1 << (bit & 7)
        const before: number = damages.length
        assert.deepEqual(scrubCodec.decode(onDisk, context), raw, `bit ${bit} seed=${seed}`)
        assert.equal(damages.length, before + 1, `bit ${bit} of ${onDisk.length * 8} is reported once, seed=${seed}`)
        onDisk[bit >> 3] ^= 1 << (bit & 7)
      }
      assert.equal(damages.length, (onDisk.length - protectedSizeBytes) * 8)
      assert.deepEqual(damages[0], { fileName: context.fileName, fileNumber: 7, offsetBytes: 4096, blockType: BlockType.Data })
      assert.equal(repairs.length, 0, 'no flip in the region needed a repair')
    })
  }

  test('a flip in the protected bytes is repaired and reported as a repair, not as a damaged region', () => {
    const repairs: RepairEvent[] = []
    const damages: EccRegionDamage[] = []
    const codec = new IntegrityCodec({ ecc: { kind: 'reed-solomon', dataShards: 4, parityShards: 2 }, onRepair: (event) => repairs.push(event) })
    const raw = new TestRandom(seed).bytes(3000)
    const onDisk = codec.encode(raw, context).slice()
    onDisk[100] ^= 0x10
    assert.deepEqual(codec.checkingEccRegions((damage) => damages.push(damage)).decode(onDisk, context), raw)
    assert.equal(repairs.length, 1)
    assert.equal(damages.length, 0)
  })

  test('damage beyond the ECC still throws through the view', () => {
    const codec = new IntegrityCodec({ ecc: { kind: 'xor', dataShards: 4 } })
    const onDisk = codec.encode(new TestRandom(seed).bytes(3000), context).slice()
    onDisk[30] ^= 0x01
    onDisk[31] ^= 0x01 // same shard twice is fine for XOR; a second shard is not
    onDisk[30 + 800] ^= 0x01
    assert.throws(() => codec.checkingEccRegions(() => assert.fail('not a region damage')).decode(onDisk, context), { code: 'UNRECOVERABLE' })
  })

  test('blocks without an ECC region are never reported', () => {
    const damages: EccRegionDamage[] = []
    const codec = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 } })
    const raw = new TestRandom(seed).compressibleBytes(2000)
    assert.deepEqual(codec.checkingEccRegions((damage) => damages.push(damage)).decode(codec.encode(raw, context), context), raw)
    assert.equal(damages.length, 0)
  })

  test('checkingEccRegions() returns other codecs unchanged', () => {
    const plain = new PlainCodec()
    assert.equal(checkingEccRegions(plain, () => undefined), plain)
    assert.equal(checkingEccRegions(undefined, () => undefined), undefined)
  })
})

describe('eccRegionMatches()', () => {
  test('is false when the trailer names another protected size', () => {
    const codec = new IntegrityCodec({ ecc: { kind: 'sec-ded' } })
    const onDisk = codec.encode(new TestRandom(seed).bytes(500), context)
    const protectedSizeBytes = protectedSizeOf(onDisk)
    assert.equal(eccRegionMatches(onDisk, protectedSizeBytes), true)
    assert.equal(eccRegionMatches(onDisk, protectedSizeBytes - 8), false)
  })
})
