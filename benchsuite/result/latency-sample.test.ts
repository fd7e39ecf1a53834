import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { WORKLOAD_NAMES } from '../workloads/registry.ts'
import { DESCRIBED_WORKLOADS, latencySampleOf, percentileSupported, UNKNOWN_SAMPLE } from './latency-sample.ts'

describe('latencySampleOf()', () => {
  test('every registered workload says what it times', () => {
    assert.deepEqual(WORKLOAD_NAMES.filter((name) => !DESCRIBED_WORKLOADS.includes(name)), [])
  })
  test('names the batch and scan sizes from the parameters', () => {
    assert.equal(latencySampleOf('fillrandom', { batchSize: 1000 }), 'per 1,000-entry write batch')
    assert.equal(latencySampleOf('multiget', { batchSize: 64 }), 'per 64-key multiget')
    assert.equal(latencySampleOf('seekrandom', { scanLength: 100 }), 'per seek and 100-entry scan')
    assert.equal(latencySampleOf('readseq', { batchSize: 1000 }), 'per full scan')
    assert.equal(latencySampleOf('readrandom', {}), 'per get')
  })
  test('without the parameter (some imports) the size is left out; unknown workloads say so', () => {
    assert.equal(latencySampleOf('fillrandom', {}), 'per write batch')
    assert.equal(latencySampleOf('mixgraph', {}), UNKNOWN_SAMPLE)
  })
})

describe('percentileSupported()', () => {
  test('a percentile q needs 1 / (1 − q) samples', () => {
    assert.equal(percentileSupported('p50', 1), true)
    assert.equal(percentileSupported('p99', 99), false)
    assert.equal(percentileSupported('p99', 100), true)
    assert.equal(percentileSupported('p999', 999), false)
    assert.equal(percentileSupported('p999', 1000), true)
    assert.equal(percentileSupported('max', 1), true)
  })
})
