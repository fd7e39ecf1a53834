import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { computeSecDed, correctSecDed, secDedSizeOf } from './sec-ded.ts'
import { TestRandom, seedFromEnv } from './test-random.ts'

function checksOf(data: Uint8Array): Uint8Array {
  const checks = new Uint8Array(secDedSizeOf(data.length))
  computeSecDed(data, checks, 0)
  return checks
}

describe('SEC-DED (72,64)', () => {
  const seed = seedFromEnv()

  test('corrects every single bit flip of data and check bytes', (t) => {
    t.diagnostic(`seed=${seed}`)
    const data = new TestRandom(seed).bytes(37) // a partial last word too
    const checks = checksOf(data)
    for (let bit = 0; bit < data.length * 8; bit++) {
      const damaged = data.slice()
      damaged[bit >> 3] ^= 1 << (bit & 7)
      const result = correctSecDed(damaged, checks)
      assert.ok(result, `data bit ${bit}`)
      assert.deepEqual(result.data, data, `data bit ${bit}`)
      assert.equal(result.correctedBitCount, 1)
    }
    for (let bit = 0; bit < checks.length * 8; bit++) {
      const damaged = checks.slice()
      damaged[bit >> 3] ^= 1 << (bit & 7)
      assert.deepEqual(correctSecDed(data, damaged)?.data, data, `check bit ${bit}`)
    }
  })

  test('detects every double flip within one word (returns undefined)', () => {
    const data = new TestRandom(seed + 1).bytes(8)
    const checks = checksOf(data)
    for (let first = 0; first < 72; first++) {
      for (let second = first + 1; second < 72; second++) {
        const damagedData = data.slice()
        const damagedChecks = checks.slice()
        for (const bit of [first, second]) {
          if (bit < 64) damagedData[bit >> 3] ^= 1 << (bit & 7)
          else damagedChecks[0] ^= 1 << (bit - 64)
        }
        assert.equal(correctSecDed(damagedData, damagedChecks), undefined, `bits ${first},${second}`)
      }
    }
  })

  test('corrects one flip in each of many words at once', () => {
    const data = new TestRandom(seed + 2).bytes(4096)
    const checks = checksOf(data)
    const damaged = data.slice()
    for (let word = 0; word < 512; word += 3) damaged[word * 8 + (word % 8)] ^= 1 << (word % 7)
    assert.deepEqual(correctSecDed(damaged, checks)?.data, data)
  })
})
