import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mulberry32, mulberry32Float } from './mulberry32.ts'

describe('mulberry32', () => {
  // Pinned: FaultVfs's dice and the engine tests' replayed seeds depend on this exact stream
  // (values produced by the copies this module replaced).
  test('gives the stream replayed seeds depend on', () => {
    const next = mulberry32(1)
    assert.deepEqual([next(), next(), next()], [2693262067, 11749833, 2265367787])
  })

  test('mulberry32Float is each output over 2^32, in [0, 1)', () => {
    const words = mulberry32(20250101)
    const floats = mulberry32Float(20250101)
    for (let index = 0; index < 1000; index++) {
      const value = floats()
      assert.equal(value, words() / 2 ** 32)
      assert.ok(value >= 0 && value < 1)
    }
  })
})
