import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { validateResultFile } from './validate.ts'

function sample(): Record<string, any> {
  const engine = {
    engine: 'lmdb', options: { codec: 'none' }, notes: [], opsPerSecond: 10, opsPerSecondSpread: { min: 9, max: 11, stddev: 1 },
    repetitions: [9, 11], latencyUs: { p50: 1, p95: 2, p99: 3, p999: 4, max: 5, mean: 1.5, count: 20 },
    storage: { userBytesWritten: 1, diskBytesWritten: 2, diskBytesRead: 0, directoryBytes: 3, writeAmplification: 2, readAmplification: 0, spaceAmplification: 3 },
    peakRssBytes: 1, cpuUserMs: 1, cpuSystemMs: 1, ratioToBaseline: 1, parityWithBaseline: true, parityDifferences: [],
  }
  return {
    schemaVersion: 1,
    provenance: {
      gitCommit: 'unknown', gitDirty: false, startedAt: '2025-01-01T00:00:00.000Z', hostname: 'h', platform: 'linux x64', cpuModel: 'c',
      cpuCount: 2, memoryBytes: 1, nodeVersion: 'v20', packageVersions: { lmdb: '3.5.6' }, preset: 'rocksdb-parity', suite: 'quick', seed: 1, source: 'strata-bench',
    },
    workloads: [{ workload: 'readrandom', parameters: { keyCount: 1 }, baselineEngine: 'lmdb', engines: [engine], skipped: [{ engine: 'strata', reason: 'x' }] }],
  }
}

describe('validateResultFile()', () => {
  test('accepts a well-formed file', () => {
    assert.equal(validateResultFile(sample()).workloads[0].engines[0].engine, 'lmdb')
  })

  test('rejects a bad field with a message naming its path', () => {
    const file = sample()
    file.workloads[0].engines[0].latencyUs.p99 = 'fast'
    assert.throws(() => validateResultFile(file), { code: 'INVALID_ARGUMENT', message: /\$\.workloads\[0\]\.engines\[0\]\.latencyUs\.p99: expected a finite number/ })
  })

  test('rejects a missing field, an unknown preset and a bad skipped entry', () => {
    const missing = sample()
    delete missing.provenance.seed
    assert.throws(() => validateResultFile(missing), /\$\.provenance\.seed/)
    const preset = sample()
    preset.provenance.preset = 'fastest'
    assert.throws(() => validateResultFile(preset), /\$\.provenance\.preset: expected one of/)
    const skipped = sample()
    skipped.workloads[0].skipped = [{ engine: 'x' }]
    assert.throws(() => validateResultFile(skipped), /skipped\[0\]\.reason/)
  })

  test('reads files with and without the phase figures added after v1 (sample() has none), and checks them when present', () => {
    const file = sample()
    file.workloads[0].engines[0].phase = { loadState: 'flushed', settleMs: 300, settled: true, cacheState: 'cold (page cache dropped)', separatedValueCount: 0 }
    assert.equal(validateResultFile(file).workloads[0].engines[0].phase?.loadState, 'flushed')
    file.workloads[0].engines[0].phase.loadState = 'in memory'
    assert.throws(() => validateResultFile(file), /engines\[0\]\.phase\.loadState: expected one of flushed, not-flushable, no-load/)
  })

  test('accepts the optional writer and call timings, and a file without them (written before they existed)', () => {
    const file = sample()
    const engine = file.workloads[0].engines[0]
    engine.writer = { batchCount: 10, operationCount: 1000, userBytesWritten: 272000, opsPerSecond: 7700, batchesDueCount: 11, rateLimitBytesPerSecond: 2097152 }
    engine.callTimings = [{ call: 'flush', count: 4, totalMs: 12.5, maxMs: 4 }]
    assert.equal(validateResultFile(file).workloads[0].engines[0].writer?.batchCount, 10)
    assert.equal(validateResultFile(sample()).workloads[0].engines[0].writer, undefined)
    engine.writer.opsPerSecond = -1
    assert.throws(() => validateResultFile(file), /engines\[0\]\.writer\.opsPerSecond: expected a number ≥ 0/)
    delete engine.writer
    engine.callTimings = [{ call: 'flush', count: 4, totalMs: 12.5 }]
    assert.throws(() => validateResultFile(file), /callTimings\[0\]\.maxMs/)
  })

  test('rejects another schema version with UNSUPPORTED_FORMAT_VERSION', () => {
    assert.throws(() => validateResultFile({ ...sample(), schemaVersion: 2 }), { code: 'UNSUPPORTED_FORMAT_VERSION' })
    assert.throws(() => validateResultFile([]), /\$: expected an object/)
  })
})
