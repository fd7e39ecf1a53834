import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readResultFiles } from '../result/read.ts'
import { engineRows } from '../result/rows.ts'
import { sampleEngine, sampleResult, sampleRun, sampleWorkload } from '../result/sample.ts'
import { classifyChange, compareRows, exitStatusOf, measurementOf, parseThreshold, pooledMeasurement, verdictOf, type Measurement, type PeerMeasurements } from './compare.ts'
import { parameterWarnings, provenanceWarnings } from './provenance-check.ts'

const thresholds = { alertFraction: 0.1, failFraction: 0.25 }
const m = (...repetitions: number[]): Measurement => measurementOf(repetitions, 0)
const classify = (baseline: Measurement, current: Measurement, peer: PeerMeasurements | null = null) => classifyChange(baseline, current, peer, thresholds, 'test')

describe('measurementOf()', () => {
  test('returns the median and range of odd and even repetition counts', () => {
    assert.deepEqual(measurementOf([110, 90, 100], 0), { medianOpsPerSecond: 100, lowOpsPerSecond: 90, highOpsPerSecond: 110, repetitionCount: 3, repetitionsOpsPerSecond: [90, 100, 110] })
    assert.equal(measurementOf([1, 2, 3, 10], 0).medianOpsPerSecond, 2.5)
  })
  test('falls back to the median as a point without repetitions', () => {
    assert.deepEqual(measurementOf([], 42), { medianOpsPerSecond: 42, lowOpsPerSecond: 42, highOpsPerSecond: 42, repetitionCount: 1, repetitionsOpsPerSecond: [42] })
  })
})

describe('pooledMeasurement()', () => {
  test('pools repetitions of several baseline runs', () => {
    const rows = engineRows([
      sampleRun('a', sampleResult([sampleWorkload('w', [sampleEngine('e', 100, { repetitions: [90, 100, 110] })])])),
      sampleRun('b', sampleResult([sampleWorkload('w', [sampleEngine('e', 120, { repetitions: [120, 130, 125] })])])),
    ])
    const pooled = pooledMeasurement(rows)
    assert.deepEqual([pooled.medianOpsPerSecond, pooled.lowOpsPerSecond, pooled.highOpsPerSecond, pooled.repetitionCount], [115, 90, 130, 6])
  })
  test('keeps a summary spread for display when there are no raw repetitions', () => {
    const rows = engineRows([sampleRun('a', sampleResult([sampleWorkload('w', [sampleEngine('e', 100, { repetitions: [] })])]))])
    assert.deepEqual(pooledMeasurement(rows), { medianOpsPerSecond: 100, lowOpsPerSecond: 98, highOpsPerSecond: 102, repetitionCount: 1, repetitionsOpsPerSecond: [100] })
  })
})

describe('classifyChange()', () => {
  test('fails a drop past the fail threshold', () => {
    const result = classify(m(97, 100, 103), m(68, 70, 72))
    assert.equal(result.level, 'fail')
    assert.ok(Math.abs(result.changeFraction! + 0.3) < 1e-12)
  })
  test('fails a 40% drop even when one outlier repetition makes the ranges overlap (review finding 4)', () => {
    assert.equal(classify(m(95, 100, 105), m(58, 60, 110)).level, 'fail')
  })
  test('alerts on a drop between the thresholds when the interval lies below 0', () => {
    const result = classify(m(97, 100, 103), m(83, 85, 87))
    assert.equal(result.level, 'alert')
    assert.ok(result.interval!.high < 0, JSON.stringify(result.interval))
  })
  test('calls a drop between the thresholds noise when the interval reaches 0', () => {
    const result = classify(m(70, 100, 130), m(60, 85, 110))
    assert.equal(result.level, 'noise')
    assert.ok(result.interval!.low < 0 && result.interval!.high > 0, JSON.stringify(result.interval))
  })
  test('ignores a change below the alert threshold', () => {
    assert.equal(classify(m(99, 100, 101), m(94.5, 95, 95.5)).level, 'ok')
  })
  test('reports a rise past the threshold outside the noise as improved', () => {
    assert.equal(classify(m(97, 100, 103), m(118, 120, 122)).level, 'improved')
  })
  test('treats exactly the threshold as past it', () => {
    assert.equal(classify(m(100, 100, 100), m(90, 90, 90)).level, 'alert')
    assert.equal(classify(m(100, 100, 100), m(75, 75, 75)).level, 'fail')
  })
  test('a zero baseline gives no change fraction', () => {
    assert.equal(classify(m(0, 0, 0), m(5, 5, 5)).changeFraction, null)
  })
  test('a machine slower as a whole (the peer dropped as much) is noise, not a regression', () => {
    const peer = { engine: 'peer', baseline: m(49, 50, 51), current: m(29, 30, 31) }
    const result = classify(m(98, 100, 102), m(59, 60, 61), peer)
    assert.equal(result.level, 'noise')
    assert.equal(result.peerEngine, 'peer')
    assert.ok(Math.abs(result.pairedChangeFraction!) < 1e-12)
  })
  test('a drop of the engine alone fails through the paired change too', () => {
    const peer = { engine: 'peer', baseline: m(49, 50, 51), current: m(49, 50, 51) }
    const result = classify(m(98, 100, 102), m(59, 60, 61), peer)
    assert.equal(result.level, 'fail')
    assert.ok(Math.abs(result.pairedChangeFraction! + 0.4) < 1e-12)
  })
  test('a peer that got faster alone does not fail the engine', () => {
    const peer = { engine: 'peer', baseline: m(49, 50, 51), current: m(79, 80, 81) }
    assert.equal(classify(m(98, 100, 102), m(98, 100, 102), peer).level, 'noise')
  })
  test('the interval is the same on every call (seeded)', () => {
    assert.deepEqual(classify(m(70, 100, 130), m(60, 85, 110)).interval, classify(m(70, 100, 130), m(60, 85, 110)).interval)
  })
})

describe('compareRows()', () => {
  test('marks engines only on one side as new or missing', () => {
    const before = engineRows([sampleRun('a', sampleResult([sampleWorkload('w', [sampleEngine('x', 100), sampleEngine('gone', 5)])]))])
    const after = engineRows([sampleRun('b', sampleResult([sampleWorkload('w', [sampleEngine('x', 100), sampleEngine('fresh', 5)])]))])
    const levels = compareRows(before, after, thresholds).map((c) => [c.engine, c.level])
    assert.deepEqual(levels, [['x', 'ok'], ['gone', 'missing'], ['fresh', 'new']])
  })
  test('marks the reference engine drift and judges the others against it', () => {
    const before = engineRows([sampleRun('a', sampleResult([sampleWorkload('w', [sampleEngine('peer', 100), sampleEngine('x', 100), sampleEngine('y', 100)])]))])
    const after = engineRows([sampleRun('b', sampleResult([sampleWorkload('w', [sampleEngine('peer', 60), sampleEngine('x', 60), sampleEngine('y', 36)])]))])
    const changes = compareRows(before, after, thresholds)
    assert.deepEqual(changes.map((c) => [c.engine, c.level]), [['peer', 'drift'], ['x', 'noise'], ['y', 'fail']])
    assert.equal(verdictOf(changes), 'fail')
  })
  test('does not match workloads with different parameters', () => {
    const before = engineRows([sampleRun('a', sampleResult([sampleWorkload('w', [sampleEngine('x', 100)], { keyCount: 1 })]))])
    const after = engineRows([sampleRun('b', sampleResult([sampleWorkload('w', [sampleEngine('x', 100)], { keyCount: 2 })]))])
    assert.deepEqual(compareRows(before, after, thresholds).map((c) => c.level), ['missing', 'new'])
  })
  test('finds the planned changes between the last two fixture runs', async () => {
    const runs = await readResultFiles(['reports/fixtures/runs'])
    const changes = compareRows(engineRows([runs[3]]), engineRows([runs[4]]), thresholds)
    const level = (workload: string, engine: string): string | undefined => changes.find((c) => c.workload === workload && c.engine === engine)?.level
    assert.equal(level('fillrandom', 'strata'), 'fail')
    assert.equal(level('ycsb-a', 'strata'), 'alert')
    assert.equal(level('readrandom', 'blobtree'), 'noise')
    assert.equal(level('readseq', 'strata'), 'improved')
    assert.equal(changes.length, 20)
    assert.equal(verdictOf(changes), 'fail')
  })
})

describe('verdictOf() and exitStatusOf()', () => {
  const matched = { baseline: m(1), current: m(1) }
  const change = (level: 'fail' | 'alert' | 'ok' | 'noise' | 'missing' | 'new') =>
    ({ level, ...(level === 'new' ? { baseline: null, current: m(1) } : level === 'missing' ? { baseline: m(1), current: null } : matched) }) as Parameters<typeof verdictOf>[0][number]
  test('fail wins over alert, alert over ok; only fail exits 1', () => {
    assert.equal(verdictOf([change('alert'), change('fail')]), 'fail')
    assert.equal(verdictOf([change('noise'), change('alert')]), 'alert')
    assert.equal(verdictOf([change('noise'), change('ok')]), 'ok')
    assert.equal(exitStatusOf('fail'), 1)
    assert.equal(exitStatusOf('alert'), 0)
  })
  test('nothing matched is no-match, exit 3, not a vacuous OK', () => {
    assert.equal(verdictOf([change('missing'), change('new')]), 'no-match')
    assert.equal(verdictOf([]), 'no-match')
    assert.equal(exitStatusOf('no-match'), 3)
  })
  test('baseline rows missing from the current run are incomplete, exit 3, unless allowed', () => {
    assert.equal(verdictOf([change('ok'), change('missing')]), 'incomplete')
    assert.equal(verdictOf([change('alert'), change('missing')], { allowMissing: true }), 'alert')
    assert.equal(verdictOf([change('ok'), change('new')]), 'ok')
    assert.equal(exitStatusOf('incomplete'), 3)
  })
})

describe('matching and warnings', () => {
  const run = (label: string, seed: number, keyCount: number, commit = '0123456789abcdef0123456789abcdef01234567') =>
    sampleRun(label, sampleResult([sampleWorkload('w', [sampleEngine('x', 100)], { keyCount, seed })], { seed, gitCommit: commit }))
  test('another seed still matches the rows and warns', () => {
    const [a, b] = [run('a', 42, 10), run('b', 7, 10)]
    assert.deepEqual(compareRows(engineRows([a]), engineRows([b]), thresholds).map((c) => c.level), ['ok'])
    assert.deepEqual(provenanceWarnings([a.result.provenance], [b.result.provenance]), ['seed differs: 42 (baseline) vs 7 (current)'])
  })
  test('other parameters do not match and are named', () => {
    const [a, b] = [run('a', 42, 10), run('b', 42, 20)]
    const changes = compareRows(engineRows([a]), engineRows([b]), thresholds)
    assert.equal(verdictOf(changes), 'no-match')
    assert.deepEqual(parameterWarnings(engineRows([a]), engineRows([b])), ['w: keyCount differs: 10 (baseline) vs 20 (current)'])
  })
  test('a side pooling runs of two commits is named', () => {
    const a = run('a', 42, 10).result.provenance
    const b = run('b', 42, 10, 'fedcba9876543210fedcba9876543210fedcba98').result.provenance
    assert.deepEqual(provenanceWarnings([a], [a, b]), ['the current pools runs of 2 commits (0123456, fedcba9): its repetitions mix code versions'])
  })
})

describe('parseThreshold()', () => {
  test('reads percentages with or without the sign', () => {
    assert.equal(parseThreshold('10%'), 0.1)
    assert.equal(parseThreshold('25'), 0.25)
    assert.equal(parseThreshold('2.5%'), 0.025)
  })
  test('rejects text, zero, negatives and 100% or more', () => {
    for (const text of ['', 'ten', '0', '-5%', '100%', '150', '10%%', '0.1.2']) assert.equal(parseThreshold(text), null, text)
  })
})

describe('provenanceWarnings()', () => {
  test('names each differing field and a dirty tree', () => {
    const a = sampleResult([]).provenance
    const b = { ...a, preset: 'lsm-default' as const, gitDirty: true, packageVersions: { 'strata-kv': '0.2.0' } }
    assert.deepEqual(provenanceWarnings([a], [b]), [
      'preset differs: rocksdb-parity (baseline) vs lsm-default (current)',
      'strata-kv version differs: 0.1.0 (baseline) vs 0.2.0 (current)',
      'the current run was made from a tree with uncommitted changes',
    ])
    assert.deepEqual(provenanceWarnings([a], [a]), [])
  })
})

describe('a real quick-suite result', () => {
  test('compares with itself as OK and lists its skipped engines in the notes', async () => {
    const { parityNotes } = await import('../pages/summary.ts')
    const [run] = await readResultFiles(['reports/fixtures/real'])
    const changes = compareRows(engineRows([run]), engineRows([run]), thresholds)
    assert.equal(verdictOf(changes), 'ok')
    assert.ok(changes.every((c) => c.level === 'ok'))
    const notes = parityNotes(run.result.provenance, run.result.workloads)
    assert.ok(notes.some((n) => n.includes('blobtree was skipped')), notes.join('\n'))
  })
})
