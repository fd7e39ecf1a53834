import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BlockType, type BlockContext } from './block-codec.ts'
import {
  BlockCompressor,
  COMPRESSION_CONTEXT_SIZE_BYTES,
  CompressionType,
  readCompressionContext,
  writeCompressionContext,
} from './compress.ts'
import { TestRandom, seedFromEnv } from './test-random.ts'

const where: BlockContext = { fileNumber: 7, blockType: BlockType.Data, fileName: '000007.sst', offsetBytes: 4096 }

describe('BlockCompressor', () => {
  const seed = seedFromEnv()
  test('compress() then decompress() returns the raw bytes at several levels', (t) => {
    t.diagnostic(`seed=${seed}`)
    const random = new TestRandom(seed)
    for (const level of [1, 3, 9, 19, 22]) {
      const compressor = new BlockCompressor({ kind: 'zstd', level })
      for (const sizeBytes of [512, 4096, 65536]) {
        const raw = random.compressibleBytes(sizeBytes)
        const packed = compressor.compress(raw, COMPRESSION_CONTEXT_SIZE_BYTES)
        assert.ok(packed, `level=${level} size=${sizeBytes} seed=${seed}`)
        assert.equal(packed.context.rawSizeBytes, sizeBytes)
        assert.ok(packed.body.length < sizeBytes)
        assert.deepEqual(compressor.decompress(packed.body, packed.context, where), raw, `seed=${seed}`)
      }
    }
  })

  test('compress() returns undefined for incompressible and empty input (stored raw)', (t) => {
    t.diagnostic(`seed=${seed}`)
    const compressor = new BlockCompressor({ kind: 'zstd', level: 3 })
    assert.equal(compressor.compress(new TestRandom(seed).bytes(4096), COMPRESSION_CONTEXT_SIZE_BYTES), undefined)
    assert.equal(compressor.compress(new Uint8Array(0), COMPRESSION_CONTEXT_SIZE_BYTES), undefined)
    assert.equal(new BlockCompressor({ kind: 'none' }).compress(new Uint8Array(4096), 0), undefined)
  })

  test('a dictionary round-trips, is recorded by id, and compresses small blocks better', () => {
    const random = new TestRandom(seed)
    const dictionaryBytes = random.compressibleBytes(8192)
    const raw = dictionaryBytes.slice(1000, 1300)
    const plain = new BlockCompressor({ kind: 'zstd', level: 3 })
    const withDictionary = new BlockCompressor({ kind: 'zstd', level: 3, dictionary: { id: 42, bytes: dictionaryBytes } })
    const packed = withDictionary.compress(raw, 0)
    assert.ok(packed)
    assert.equal(packed.context.dictionaryId, 42)
    assert.ok(packed.body.length < (plain.compress(raw, 0)?.body.length ?? raw.length))
    assert.deepEqual(withDictionary.decompress(packed.body, packed.context, where), raw)
    assert.throws(() => plain.decompress(packed.body, packed.context, where), { code: 'CORRUPTION' })
  })

  test('decompress() rejects a forged raw size above the limit without allocating it', () => {
    const compressor = new BlockCompressor({ kind: 'zstd', level: 3 }, { rawSizeBytesMax: 1 << 20 })
    const packed = compressor.compress(new Uint8Array(4096), 0)
    assert.ok(packed)
    assert.throws(() => compressor.decompress(packed.body, { ...packed.context, rawSizeBytes: 0xffff_ffff }, where), {
      code: 'CORRUPTION',
      message: /exceeds the limit/,
    })
  })

  test('decompress() rejects a raw size that disagrees with the frame, larger or smaller', () => {
    const compressor = new BlockCompressor({ kind: 'zstd', level: 3 })
    const packed = compressor.compress(new Uint8Array(4096), 0)
    assert.ok(packed)
    const body = packed.body.slice()
    assert.throws(() => compressor.decompress(body, { ...packed.context, rawSizeBytes: 4095 }, where), { code: 'CORRUPTION' })
    assert.throws(() => compressor.decompress(body, { ...packed.context, rawSizeBytes: 4097 }, where), { code: 'CORRUPTION' })
    assert.throws(() => compressor.decompress(new Uint8Array([1, 2, 3]), packed.context, where), { code: 'CORRUPTION' })
  })

  test('constructor rejects levels, window logs and dictionary ids out of range', () => {
    for (const level of [0, 23, 2.5]) {
      assert.throws(() => new BlockCompressor({ kind: 'zstd', level }), { code: 'INVALID_ARGUMENT' })
    }
    assert.throws(() => new BlockCompressor({ kind: 'zstd', level: 3, windowLog: 9 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new BlockCompressor({ kind: 'zstd', level: 3, dictionary: { id: 0, bytes: new Uint8Array(8) } }), {
      code: 'INVALID_ARGUMENT',
    })
  })

  test('a configured window log is recorded and still round-trips', () => {
    const compressor = new BlockCompressor({ kind: 'zstd', level: 3, windowLog: 17 })
    const raw = new TestRandom(seed).compressibleBytes(65536)
    const packed = compressor.compress(raw, 0)
    assert.ok(packed)
    assert.equal(packed.context.windowLog, 17)
    assert.deepEqual(compressor.decompress(packed.body, packed.context, where), raw)
  })
})

describe('writeCompressionContext() / readCompressionContext()', () => {
  test('encode the byte table exactly', () => {
    const out = new Uint8Array(COMPRESSION_CONTEXT_SIZE_BYTES)
    writeCompressionContext(out, 0, { compressionType: CompressionType.Zstd, windowLog: 17, dictionaryId: 0x01020304, rawSizeBytes: 4096 })
    assert.equal(Buffer.from(out).toString('hex'), '01110000' + '04030201' + '00100000')
    assert.deepEqual(readCompressionContext(out, 0, where), { compressionType: 1, windowLog: 17, dictionaryId: 0x01020304, rawSizeBytes: 4096 })
  })
  test('reject an unknown type, a bad window log and non-zero reserved bytes', () => {
    for (const [index, value] of [[0, 2], [1, 9], [2, 1]] as const) {
      const out = new Uint8Array(COMPRESSION_CONTEXT_SIZE_BYTES)
      writeCompressionContext(out, 0, { compressionType: CompressionType.Zstd, windowLog: 0, dictionaryId: 0, rawSizeBytes: 1 })
      out[index] = value
      assert.throws(() => readCompressionContext(out, 0, where), { code: 'CORRUPTION' })
    }
  })
})
