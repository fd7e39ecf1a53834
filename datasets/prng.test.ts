import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Prng, randomPermutation } from './prng.ts'

describe('Prng', () => {
  test('gives the same stream for the same seed (golden values pin it across machines)', () => {
    const first = new Prng(42)
    const second = new Prng(42)
    const values = Array.from({ length: 4 }, () => first.nextU32())
    assert.deepEqual(values, Array.from({ length: 4 }, () => second.nextU32()))
    assert.deepEqual(values, GOLDEN_SEED_42)
  })

  test('fromState continues the xoshiro128** stream from raw words, and refuses an all-zero state', () => {
    const prng = Prng.fromState(1, 2, 3, 4)
    const again = Prng.fromState(1, 2, 3, 4)
    assert.equal(Prng.fromState(1, 2, 3, 4).nextU32(), 11520) // reference xoshiro128**: rotl(2 * 5, 7) * 9
    assert.deepEqual(Array.from({ length: 4 }, () => prng.nextU32()), Array.from({ length: 4 }, () => again.nextU32()))
    assert.throws(() => Prng.fromState(0, 0, 0, 0), RangeError)
  })

  test('gives different streams for different seeds and labels', () => {
    assert.notEqual(new Prng(1).nextU32(), new Prng(2).nextU32())
    assert.notEqual(Prng.derive(1, 'keys').nextU32(), Prng.derive(1, 'values').nextU32())
  })

  test('nextFloat stays in [0, 1) with a mean near 0.5', () => {
    const prng = new Prng(7)
    let sum = 0
    for (let index = 0; index < 20_000; index++) {
      const value = prng.nextFloat()
      assert.ok(value >= 0 && value < 1)
      sum += value
    }
    assert.ok(Math.abs(sum / 20_000 - 0.5) < 0.01)
  })

  test('fillBytes is deterministic for lengths that are not multiples of 4', () => {
    assert.deepEqual(new Prng(3).fillBytes(new Uint8Array(7)), new Prng(3).fillBytes(new Uint8Array(7)))
  })

  test('rejects a seed that is not a safe integer', () => {
    assert.throws(() => new Prng(1.5), /safe integer/)
  })
})

describe('randomPermutation()', () => {
  test('contains every index exactly once and depends on the seed', () => {
    const permutation = randomPermutation(1000, new Prng(9))
    assert.deepEqual([...permutation].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i))
    assert.notDeepEqual(permutation, randomPermutation(1000, new Prng(10)))
    assert.deepEqual(permutation, randomPermutation(1000, new Prng(9)))
  })
})

const GOLDEN_SEED_42 = [2014437610, 2536506388, 439704051, 682445763]
