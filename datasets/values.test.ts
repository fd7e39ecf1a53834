import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { compress } from 'zstd-napi'
import { decodeKeyIndex, encodeKey } from './key-format.ts'
import { Prng } from './prng.ts'
import { createValueSource, parseValueContent, valueHeaderIndex } from './value-content.ts'
import { createValueSizer, ETC_VALUE_SIZE, parseValueSize } from './value-size.ts'

const SEED = 99

describe('encodeKey()', () => {
  test('keeps index order as byte order and decodes back', () => {
    const keys = [0, 1, 255, 256, 2 ** 32, 2 ** 40 + 7].map((i) => encodeKey(i, 16))
    for (let i = 1; i < keys.length; i++) assert.equal(Buffer.compare(keys[i - 1], keys[i]), -1)
    assert.equal(decodeKeyIndex(keys[5]), 2 ** 40 + 7)
    assert.deepEqual(encodeKey(5, 24), encodeKey(5, 24))
  })
})

describe('createValueSizer()', () => {
  test('pareto with the ETC fit has a mean within 3% of sigma/(1-k)', () => {
    const sizer = createValueSizer({ kind: 'pareto', ...ETC_VALUE_SIZE, maxBytes: 1 << 26 }, Prng.derive(SEED, 'sizes'))
    let sum = 0
    const drawCount = 200_000
    for (let i = 0; i < drawCount; i++) sum += sizer.next()
    const mean = sum / drawCount
    assert.ok(Math.abs(mean / sizer.meanBytes - 1) < 0.03, `seed=${SEED} mean=${mean} expected=${sizer.meanBytes}`)
    assert.ok(Math.abs(sizer.meanBytes - 329.07) < 0.1)
  })

  test('pareto is heavy-tailed: the median is far below the mean and the tail is long', () => {
    const sizer = createValueSizer(parseValueSize('pareto'), Prng.derive(SEED, 'tail'))
    const sizes = Array.from({ length: 50_000 }, () => sizer.next()).sort((a, b) => a - b)
    const median = sizes[25_000]
    assert.ok(median < 0.75 * sizer.meanBytes, `median=${median}`)
    assert.ok(sizes[sizes.length - 1] > 20 * median)
    assert.ok(sizes.every((s) => s >= 1 && s <= 1024 * 1024))
  })

  test('uniform covers its closed range and fixed is fixed', () => {
    const sizer = createValueSizer(parseValueSize('uniform:10-12'), new Prng(SEED))
    const seen = new Set(Array.from({ length: 200 }, () => sizer.next()))
    assert.deepEqual([...seen].sort(), [10, 11, 12])
    assert.equal(createValueSizer(parseValueSize('256'), new Prng(1)).next(), 256)
  })

  test('parseValueSize rejects malformed text naming the input', () => {
    assert.throws(() => parseValueSize('big'), /Bad value size 'big'/)
    assert.throws(() => createValueSizer(parseValueSize('uniform:10-5'), new Prng(1)), /uniform maximum/)
  })
})

/** zstd level 3 ratio over the first `sizeBytes` of the pool. */
function ratio(text: string, sizeBytes: number): number {
  const pool = createValueSource(parseValueContent(text), SEED).pool.subarray(0, sizeBytes)
  return pool.length / compress(pool, { compressionLevel: 3 }).length
}

describe('createValueSource()', () => {
  test('is deterministic and stamps the key index in the header', () => {
    const a = createValueSource({ kind: 'json' }, SEED).value(12345, 300)
    assert.deepEqual(a, createValueSource({ kind: 'json' }, SEED).value(12345, 300))
    assert.equal(valueHeaderIndex(a), 12345)
    assert.notDeepEqual(createValueSource({ kind: 'random' }, SEED).value(1, 64, 1), createValueSource({ kind: 'random' }, SEED).value(1, 64, 0))
  })

  test('tiles the pool for values larger than it', () => {
    const value = createValueSource({ kind: 'random' }, SEED).value(3, 3 * 1024 * 1024)
    assert.equal(value.length, 3 * 1024 * 1024)
    assert.equal(valueHeaderIndex(value), 3)
  })

  test('compressibility lands in the documented range (zstd level 3)', () => {
    const cases: Array<[string, number, number, number]> = [
      ['random', 65536, 0.98, 1.02],
      ['repeated', 65536, 50, Infinity],
      ['compressible:0.5', 65536, 1.7, 2.3],
      ['compressible:0.25', 65536, 3.3, 4.5],
      ['text', 4096, 2.3, 4],
      ['json', 4096, 2.2, 4],
    ]
    for (const [text, sizeBytes, low, high] of cases) {
      const measured = ratio(text, sizeBytes)
      assert.ok(measured >= low && measured <= high, `${text}: ratio ${measured.toFixed(2)} outside [${low}, ${high}] seed=${SEED}`)
    }
  })

  test('parseValueContent rejects unknown kinds and bad ratios', () => {
    assert.throws(() => parseValueContent('lorem'), /Unknown value content 'lorem'/)
    assert.throws(() => parseValueContent('compressible:2'), /ratio/)
  })
})
