import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createKeyChooser, describeKeyOrder, parseKeyOrder } from './key-order.ts'
import { Prng } from './prng.ts'
import { ZipfianGenerator, zeta } from './zipfian.ts'

const SEED = 1234

function draw(text: string, keyCount: number, count: number, liveCount?: () => number): number[] {
  const chooser = createKeyChooser(parseKeyOrder(text), { keyCount, prng: Prng.derive(SEED, text), liveCount })
  return Array.from({ length: count }, () => chooser.next())
}

describe('createKeyChooser()', () => {
  test('sequential counts up and wraps', () => {
    assert.deepEqual(draw('sequential', 3, 7), [0, 1, 2, 0, 1, 2, 0])
  })

  test('permutation visits every index once per pass', () => {
    const values = draw('permutation', 500, 500)
    assert.equal(new Set(values).size, 500)
  })

  test('every order is deterministic for a seed', () => {
    for (const order of ['permutation', 'uniform', 'zipfian:0.99', 'latest']) {
      assert.deepEqual(draw(order, 1000, 200), draw(order, 1000, 200), `seed=${SEED} order=${order}`)
    }
  })

  test('uniform stays in range and covers it', () => {
    const values = draw('uniform', 100, 10_000)
    assert.ok(values.every((v) => v >= 0 && v < 100))
    assert.equal(new Set(values).size, 100)
  })

  test('zipfian top key frequency matches 1/zeta(n, theta)', () => {
    const keyCount = 1000
    const drawCount = 100_000
    const values = draw('zipfian-unscrambled:0.99', keyCount, drawCount)
    const expected = 1 / zeta(keyCount, 0.99) // ≈ 0.134
    const observed = values.filter((v) => v === 0).length / drawCount
    assert.ok(Math.abs(observed - expected) < 0.01, `seed=${SEED} observed=${observed} expected=${expected}`)
    // Rank 1 is the second most frequent, at 1/2^theta of rank 0.
    const second = values.filter((v) => v === 1).length / drawCount
    assert.ok(Math.abs(second - expected / Math.pow(2, 0.99)) < 0.01, `seed=${SEED} second=${second}`)
  })

  test('scrambled zipfian keeps the frequencies but moves the hot key away from index 0', () => {
    const values = draw('zipfian:0.99', 1000, 50_000)
    const counts = new Map<number, number>()
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
    const [hotIndex, hotCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]
    assert.ok(Math.abs(hotCount / 50_000 - 1 / zeta(1000, 0.99)) < 0.01)
    assert.notEqual(hotIndex, 0)
  })

  test('latest favours the most recently inserted index and follows growth', () => {
    let live = 1000
    const values = draw('latest', 1000, 20_000, () => live)
    assert.ok(values.filter((v) => v === 999).length > values.filter((v) => v === 0).length * 50)
    live = 2000
    const after = draw('latest', 1000, 1000, () => live)
    assert.ok(after.some((v) => v >= 1000))
    assert.ok(after.every((v) => v < 2000))
  })
})

describe('ZipfianGenerator', () => {
  test('extends zeta incrementally when the item count grows', () => {
    const zipf = new ZipfianGenerator(0.99, new Prng(1))
    zipf.next(100)
    assert.ok(Math.abs(zipf.topProbability(500) - 1 / zeta(500, 0.99)) < 1e-12)
  })

  test('rejects theta outside (0, 1)', () => {
    assert.throws(() => new ZipfianGenerator(1, new Prng(1)), /theta/)
  })
})

describe('parseKeyOrder()', () => {
  test('round-trips through describeKeyOrder', () => {
    for (const text of ['sequential', 'permutation', 'uniform', 'zipfian:0.8', 'zipfian-unscrambled:0.99', 'latest:0.99']) {
      assert.equal(describeKeyOrder(parseKeyOrder(text)), text)
    }
  })

  test('rejects unknown orders and bad theta with a message naming the input', () => {
    assert.throws(() => parseKeyOrder('gaussian'), /Unknown key order 'gaussian'/)
    assert.throws(() => parseKeyOrder('zipfian:1.5'), /theta/)
  })
})
