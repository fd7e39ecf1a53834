// Goal: the result file lists engines that could not load or failed a check as skipped with their
// reason (never a crash, never silently missing), computes ratios per workload against the
// baseline, never labels as parity a pair whose settings differ, and feeds the CI dashboards.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PRESETS } from '../presets.ts'
import type { CellMeasurement } from '../runner/cell.ts'
import { buildResultFile, phaseNotes } from './build.ts'
import { toDashboards } from './dashboard.ts'
import { validateResultFile } from './validate.ts'

function cell(opsPerSecond: number): CellMeasurement {
  return {
    status: 'ok', opsPerSecond, seconds: 1, latencyUs: { p50: 1, p95: 2, p99: 3, p999: 4, max: 5, mean: 1.5, count: 10 },
    userBytesWritten: 1000, userBytesRead: 0, liveUserBytes: 1000, diskBytesWritten: 2000, diskBytesRead: 0, directoryBytes: 1500,
    peakRssBytes: 1, cpuUserMs: 1, cpuSystemMs: 1, check: 'ok', phase: { loadState: 'no-load', valueBytesMax: 256 },
  }
}

const provenance = {
  gitCommit: 'unknown', gitDirty: false, startedAt: '2026-01-01T00:00:00.000Z', hostname: 'h', platform: 'linux x64', cpuModel: 'c',
  cpuCount: 2, memoryBytes: 1, nodeVersion: 'v20', packageVersions: {}, preset: 'rocksdb-parity' as const, suite: 'quick', seed: 1, source: 'strata-bench',
}

function build(minBlobSizeBytes = 1024) {
  return buildResultFile({
    provenance,
    measurements: {
      fillrandom: {
        'rocksdb-native': [cell(100), cell(300), cell(200)],
        strata: [cell(400), cell(400), cell(400)],
        blobtree: [cell(50), cell(50), cell(50)],
        'rocksdb-native-blob': [cell(10), cell(10), cell(10)],
        lmdb: [cell(10), { status: 'failed', reason: 'result check failed: 3 wrong values' }, cell(10)],
      },
    },
    parameters: { keyCount: 1 },
    runOptions: { preset: PRESETS['rocksdb-parity'], compression: { codec: 'preset' }, sync: false, minBlobSizeBytes },
    baselineEngine: 'rocksdb-native',
    unavailable: [{ engine: 'surrealkv', reason: 'packages surrealdb / @surrealdb/node failed to load: Cannot find module' }],
  })
}

describe('buildResultFile()', () => {
  test('lists unavailable and failed engines as skipped, with their reasons', () => {
    const workload = build().workloads[0]
    assert.deepEqual(workload.engines.map((e) => e.engine), ['rocksdb-native', 'strata', 'blobtree', 'rocksdb-native-blob'])
    assert.deepEqual(workload.skipped?.map((s) => s.engine), ['surrealkv', 'lmdb'])
    assert.match(workload.skipped![0].reason, /failed to load/)
    assert.match(workload.skipped![1].reason, /^failed: result check failed/)
  })

  test('median, spread and ratio to the baseline; WA from the median repetition', () => {
    const [baseline, strata] = build().workloads[0].engines
    assert.equal(baseline.opsPerSecond, 200)
    assert.deepEqual(baseline.opsPerSecondSpread, { min: 100, max: 300, stddev: 100 })
    assert.equal(baseline.ratioToBaseline, 1)
    assert.equal(strata.ratioToBaseline, 2)
    assert.equal(strata.storage.writeAmplification, 2)
  })

  test('parity only where every setting matches: strata under rocksdb-parity yes, KV separation no', () => {
    const engines = Object.fromEntries(build().workloads[0].engines.map((e) => [e.engine, e]))
    assert.equal(engines.strata.parityWithBaseline, true, engines.strata.parityDifferences.join('; '))
    assert.equal(engines.blobtree.parityWithBaseline, false)
    assert.deepEqual(engines.blobtree.parityDifferences, ['kvSeparationMinBytes: 1024 vs 0'])
    // blobtree and RocksDB's BlobDB run the same threshold, whatever it is.
    assert.equal(engines['rocksdb-native-blob'].options.kvSeparationMinBytes, 1024)
    assert.equal(build(4096).workloads[0].engines.find((e) => e.engine === 'rocksdb-native-blob')!.options.kvSeparationMinBytes, 4096)
  })

  test('the median repetition\'s phase figures are kept; a KV-separation engine below its threshold is flagged', () => {
    const engines = Object.fromEntries(build().workloads[0].engines.map((e) => [e.engine, e]))
    assert.deepEqual(engines.strata.phase, { loadState: 'no-load', valueBytesMax: 256 })
    const flag = /No value reaches the KV-separation threshold \(largest value 256 B < 1024 B\)/
    assert.ok(engines.blobtree.notes.some((note) => flag.test(note)), engines.blobtree.notes.join('\n'))
    assert.ok(engines['rocksdb-native-blob'].notes.some((note) => flag.test(note)))
    assert.ok(!engines.strata.notes.some((note) => flag.test(note)))
  })

  test('phaseNotes names load state, in-phase flushes, unsettled work, a cache that was not cold and zero separated values', () => {
    const blob = { kvSeparationMinBytes: 1024 }
    const notes = phaseNotes([
      { loadState: 'not-flushable', valueBytesMax: 4096, separatedValueCount: 0 },
      { loadState: 'flushed', loadFlushedInPhase: true, settled: false, cacheState: 'reopen (OS page cache warm)', valueBytesMax: 4096, separatedValueCount: 0 },
      undefined,
    ], blob)
    assert.equal(notes.length, 5, notes.join('\n'))
    assert.match(notes[0], /^Load not flushed/)
    assert.match(notes[1], /flushed inside the measured phase \(1 of 3 repetitions\)/)
    assert.match(notes[2], /still running .* \(1 of 3 repetitions\)/)
    assert.match(notes[3], /could not drop the OS page cache \(1 of 3 repetitions\)/)
    assert.match(notes[4], /No value was separated in any repetition/)
    assert.deepEqual(phaseNotes([{ loadState: 'flushed', settled: true, valueBytesMax: 4096, separatedValueCount: 7 }], blob), [])
  })

  test("the writer figures and call timings are the median repetition's; engines without them have none", () => {
    const writer = (batchCount: number) => ({ batchCount, operationCount: batchCount * 100, userBytesWritten: batchCount * 27200, opsPerSecond: batchCount * 10, batchesDueCount: batchCount, rateLimitBytesPerSecond: 2097152 })
    const withExtras = (opsPerSecond: number, batchCount: number): CellMeasurement => ({
      ...cell(opsPerSecond), writer: writer(batchCount), callTimings: [{ call: 'compact', count: 1, totalMs: batchCount, maxMs: batchCount }],
    } as CellMeasurement)
    const result = buildResultFile({
      provenance, parameters: {}, baselineEngine: 'strata', unavailable: [],
      runOptions: { preset: PRESETS['rocksdb-parity'], compression: { codec: 'preset' }, sync: false, minBlobSizeBytes: 1024 },
      measurements: { readwhilewriting: { strata: [withExtras(100, 11), withExtras(200, 22), withExtras(300, 33)], lmdb: [cell(5)] } },
    })
    const [strata, lmdb] = validateResultFile(JSON.parse(JSON.stringify(result))).workloads[0].engines
    assert.deepEqual(strata.writer, writer(22))
    assert.deepEqual(strata.callTimings, [{ call: 'compact', count: 1, totalMs: 22, maxMs: 22 }])
    assert.equal(lmdb.writer, undefined)
    assert.equal(lmdb.callTimings, undefined)
  })

  test('the file validates, and the dashboards carry throughput, latency with its sample and write amplification', () => {
    const result = validateResultFile(JSON.parse(JSON.stringify(build())))
    const { biggerIsBetter, smallerIsBetter } = toDashboards(result)
    assert.equal(biggerIsBetter.length, 4)
    assert.deepEqual(biggerIsBetter[0], {
      name: 'fillrandom / rocksdb-native throughput', unit: 'ops/s', value: 200, range: '± 100',
      extra: `preset rocksdb-parity, suite quick, seed 1, commit ${result.provenance.gitCommit.slice(0, 7)}; repetitions 100, 300, 200; latency per write batch: p50 1 µs (10 samples)`,
    })
    // 10 samples support a p50, not a p99 (which would be their maximum).
    assert.deepEqual(smallerIsBetter.filter((e) => e.name.startsWith('fillrandom / strata')).map((e) => [e.name, e.unit, e.value]), [
      ['fillrandom / strata p50 latency', 'µs per write batch', 1],
      ['fillrandom / strata write amplification', 'x', 2],
    ])
  })
})
