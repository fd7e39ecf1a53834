import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Prng } from '../../datasets/mod.ts'
import { LatencyHistogram } from './histogram.ts'
import { summarize } from './summary.ts'

describe('LatencyHistogram', () => {
  test('percentiles are within 1.6% of the exact order statistics', () => {
    const seed = 5
    const prng = new Prng(seed)
    const histogram = new LatencyHistogram()
    const values: number[] = []
    for (let i = 0; i < 50_000; i++) {
      const ns = Math.floor(Math.exp(prng.nextFloat() * 16)) // 1 ns .. ~9 ms, log-uniform
      values.push(ns)
      histogram.recordNs(ns)
    }
    values.sort((a, b) => a - b)
    for (const q of [0.5, 0.95, 0.99, 0.999]) {
      const exact = values[Math.ceil(q * values.length) - 1]
      const reported = histogram.quantileNs(q)
      assert.ok(reported >= exact && reported <= exact * 1.016 + 1, `seed=${seed} q=${q} exact=${exact} reported=${reported}`)
    }
    assert.equal(histogram.quantileNs(1), values[values.length - 1])
  })

  test('summaryUs reports exact max, mean and count, and merge adds samples', () => {
    const a = new LatencyHistogram()
    const b = new LatencyHistogram()
    a.recordNs(1000)
    b.recordNs(3000)
    a.merge(b)
    const summary = a.summaryUs()
    assert.deepEqual({ max: summary.max, mean: summary.mean, count: summary.count }, { max: 3, mean: 2, count: 2 })
    assert.ok(summary.p50 >= 1 && summary.p50 <= 1.016, `p50=${summary.p50}`)
    assert.equal(summary.p99, 3) // capped at the exact max
    assert.equal(new LatencyHistogram().summaryUs().count, 0)
  })
})

describe('summarize()', () => {
  test('gives median, extremes and sample standard deviation', () => {
    assert.deepEqual(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, stddev: 1 })
    assert.equal(summarize([1, 2, 3, 4]).median, 2.5)
  })
})
