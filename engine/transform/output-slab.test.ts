import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BlockType, type BlockContext } from './block-codec.ts'
import { OUTPUT_SLAB_SIZE_BYTES, OutputSlab } from './output-slab.ts'
import { IntegrityCodec } from './pipeline.ts'
import { PlainCodec } from './plain-codec.ts'
import { TestRandom } from './test-random.ts'

describe('OutputSlab', () => {
  test('regions are zeroed, 8-byte aligned and never overlap, across slab boundaries', () => {
    const slab = new OutputSlab()
    const regions: Uint8Array[] = []
    for (let i = 0; i < 200; i++) {
      const region = slab.allocate(1 + ((i * 977) % 5000))
      assert.ok(region.every((byte) => byte === 0), `region ${i} is not zeroed`)
      assert.equal(region.byteOffset % 8, 0)
      region.fill(i & 0xff) // a later region overlapping this one would see these bytes
      regions.push(region)
    }
    regions.forEach((region, i) => assert.ok(region.every((byte) => byte === (i & 0xff)), `region ${i} was overwritten`))
  })

  test('a region of a quarter slab or more gets a buffer of its own', () => {
    const slab = new OutputSlab()
    const small = slab.allocate(100)
    const large = slab.allocate(OUTPUT_SLAB_SIZE_BYTES / 4)
    assert.equal(large.byteOffset, 0)
    assert.equal(large.buffer.byteLength, OUTPUT_SLAB_SIZE_BYTES / 4)
    assert.notEqual(large.buffer, small.buffer)
    assert.equal(slab.allocate(100).buffer, small.buffer, 'small regions keep filling the current slab')
  })

  test('encoded blocks stay intact while later blocks are encoded (both codecs)', () => {
    const random = new TestRandom(11)
    const context: BlockContext = { fileNumber: 3, blockType: BlockType.Data, fileName: 'slab.sst', offsetBytes: 0 }
    const key = random.bytes(32)
    const codecs = [
      new PlainCodec(),
      new IntegrityCodec({ compression: { kind: 'zstd', level: 1 }, encryption: { suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } }, ecc: { kind: 'sec-ded' } }),
    ]
    for (const codec of codecs) {
      const raws = Array.from({ length: 64 }, (_, i) => random.compressibleBytes(500 + i * 37))
      const encoded = raws.map((raw) => codec.encode(raw, context))
      const copies = encoded.map((block) => block.slice())
      assert.ok(encoded.some((block) => block.byteOffset > 0), 'blocks share slabs')
      encoded.forEach((block, i) => {
        assert.deepEqual(block, copies[i])
        assert.deepEqual(codec.decode(block, context), raws[i])
      })
    }
  })
})
