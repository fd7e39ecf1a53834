import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readResultFiles } from '../result/read.ts'
import { engineRows } from '../result/rows.ts'
import { sampleEngine, sampleResult, sampleRun, sampleWorkload } from '../result/sample.ts'
import { classifyChange, compareRows, exitStatusOf, measurementOf, parseThreshold, pooledMeasurement, verdictOf, type Measurement } from './compare.ts'
import { provenanceWarnings } from './provenance-check.ts'

const thresholds = { alertFraction: 0.1, failFraction: 0.25 }
const m = (median: number, low: number, high: number): Measurement => ({ medianOpsPerSecond: median, lowOpsPerSecond: low, highOpsPerSecond: high, repetitionCount: 3 })

describe('measurementOf()', () => {
  test('returns the median and range of odd and even repetition counts', () => {
    assert.deepEqual(measurementOf([110, 90, 100], 0), m(100, 90, 110))
    assert.equal(measurementOf([1, 2, 3, 10], 0).medianOpsPerSecond, 2.5)
  })
  test('falls back to the median as a point without repetitions', () => {
    assert.deepEqual(measurementOf([], 42), { medianOpsPerSecond: 42, lowOpsPerSecond: 42, highOpsPerSecond: 42, repetitionCount: 1 })
  })
})

describe('pooledMeasurement()', () => {
  test('pools repetitions of several baseline runs', () => {
    const rows = engineRows([
      sampleRun('a', sampleResult([sampleWorkload('w', [sampleEngine('e', 100, { repetitions: [90, 100, 110] })])])),
      sampleRun('b', sampleResult([sampleWorkload('w', [sampleEngine('e', 120, { repetitions: [120, 130, 125] })])])),
    ])
    assert.deepEqual(pooledMeasurement(rows), { medianOpsPerSecond: 115, lowOpsPerSecond: 90, highOpsPerSecond: 130, repetitionCount: 6 })
  })
  test('keeps a summary spread when there are no raw repetitions', () => {
    const rows = engineRows([sampleRun('a', sampleResult([sampleWorkload('w', [sampleEngine('e', 100, { repetitions: [] })])]))])
    assert.deepEqual(pooledMeasurement(rows), { medianOpsPerSecond: 100, lowOpsPerSecond: 98, highOpsPerSecond: 102, repetitionCount: 1 })
  })
})

describe('classifyChange()', () => {
  test('fails a drop past the fail threshold outside the noise', () => {
    assert.deepEqual(classifyChange(m(100, 97, 103), m(70, 68, 72), thresholds), { changeFraction: -0.3, overlapping: false, level: 'fail' })
  })
  test('alerts on a drop between the thresholds outside the noise', () => {
    assert.equal(classifyChange(m(100, 97, 103), m(85, 83, 87), thresholds).level, 'alert')
  })
  test('calls a drop past the fail threshold noise when the ranges overlap', () => {
    const result = classifyChange(m(100, 60, 140), m(70, 50, 90), thresholds)
    assert.equal(result.level, 'noise')
    assert.equal(result.overlapping, true)
  })
  test('ignores a change below the alert threshold even outside the noise', () => {
    assert.equal(classifyChange(m(100, 99, 101), m(95, 94.5, 95.5), thresholds).level, 'ok')
  })
  test('reports a rise past the threshold outside the noise as improved', () => {
    assert.equal(classifyChange(m(100, 97, 103), m(120, 118, 122), thresholds).level, 'improved')
  })
  test('treats exactly the threshold as past it', () => {
    assert.equal(classifyChange(m(100, 100, 100), m(90, 90, 90), thresholds).level, 'alert')
    assert.equal(classifyChange(m(100, 100, 100), m(75, 75, 75), thresholds).level, 'fail')
  })
  test('single-number runs (no spread) are compared on the threshold alone', () => {
    assert.equal(classifyChange(m(100, 100, 100), m(89, 89, 89), thresholds).level, 'alert')
  })
  test('a zero baseline gives no change fraction', () => {
    assert.equal(classifyChange(m(0, 0, 0), m(5, 5, 5), thresholds).changeFraction, null)
  })
})

describe('compareRows()', () => {
  test('marks engines only on one side as new or missing', () => {
    const before = engineRows([sampleRun('a', sampleResult([sampleWorkload('w', [sampleEngine('x', 100), sampleEngine('gone', 5)])]))])
    const after = engineRows([sampleRun('b', sampleResult([sampleWorkload('w', [sampleEngine('x', 100), sampleEngine('fresh', 5)])]))])
    const levels = compareRows(before, after, thresholds).map((c) => [c.engine, c.level])
    assert.deepEqual(levels, [['x', 'ok'], ['gone', 'missing'], ['fresh', 'new']])
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
  const change = (level: 'fail' | 'alert' | 'ok' | 'noise') => ({ level } as Parameters<typeof verdictOf>[0][number])
  test('fail wins over alert, alert over ok; only fail exits 1', () => {
    assert.equal(verdictOf([change('alert'), change('fail')]), 'fail')
    assert.equal(verdictOf([change('noise'), change('alert')]), 'alert')
    assert.equal(verdictOf([change('noise'), change('ok')]), 'ok')
    assert.equal(exitStatusOf('fail'), 1)
    assert.equal(exitStatusOf('alert'), 0)
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
