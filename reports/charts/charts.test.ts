import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { engineRows } from '../result/rows.ts'
import { sampleEngine, sampleResult, sampleRun, sampleWorkload } from '../result/sample.ts'
import { amplificationData, amplificationFigure } from './amplification.ts'
import { engineColor, engineOrder, OKABE_ITO } from './figure.ts'
import { latencyData, latencyFigure } from './latency.ts'
import { findSweeps, scalingData, scalingFigures } from './scaling.ts'
import { throughputData, throughputFigure } from './throughput.ts'

const twoEngines = sampleRun('run', sampleResult([
  sampleWorkload('fillrandom', [sampleEngine('rocksdb-native', 1000), sampleEngine('strata', 1500)]),
  sampleWorkload('readrandom', [
    sampleEngine('rocksdb-native', 500, { storage: { ...sampleEngine('x', 1).storage, writeAmplification: 0, readAmplification: 1.5 } }),
    sampleEngine('strata', 400, { latencyUs: { p50: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 } }),
  ]),
]))

describe('throughputData()', () => {
  test('returns one datum per engine result with median and repetition range', () => {
    const data = throughputData(engineRows([twoEngines]))
    assert.equal(data.length, 4)
    assert.deepEqual(data[1], { workload: 'fillrandom', engine: 'strata', opsPerSecond: 1500, minOpsPerSecond: 1470, maxOpsPerSecond: 1530, ratioToBaseline: 1.5 })
  })
  test('labels workload instances by the parameters that differ', () => {
    const run = sampleRun('sweep', sampleResult([
      sampleWorkload('fillrandom', [sampleEngine('a', 1)], { keyCount: 10, valueSizeBytes: 100 }),
      sampleWorkload('fillrandom', [sampleEngine('a', 1)], { keyCount: 100, valueSizeBytes: 100 }),
    ]))
    assert.deepEqual(throughputData(engineRows([run])).map((d) => d.workload), ['fillrandom (keyCount=10)', 'fillrandom (keyCount=100)'])
  })
})

describe('throughputFigure()', () => {
  test('carries the data inline, a title, axis titles with units and a matching table', () => {
    const figure = throughputFigure(engineRows([twoEngines]), 'f')
    assert.ok(figure)
    assert.equal((figure.spec.data as { values: unknown[] }).values.length, 4)
    assert.match(JSON.stringify(figure.spec), /Throughput \(ops\/s, median\)/)
    assert.equal(figure.spec.title, figure.title)
    assert.equal(figure.table.rows.length, 4)
    assert.deepEqual(figure.table.rows[1], ['fillrandom', 'strata', 1500, 1470, 1530])
  })
  test('returns null without rows', () => {
    assert.equal(throughputFigure([], 'f'), null)
  })
})

describe('latencyData()', () => {
  test('skips results without a histogram and keeps percentile order', () => {
    const data = latencyData(engineRows([twoEngines]))
    assert.equal(data.length, 15) // 3 results with histograms × 5 percentiles
    assert.deepEqual(data.slice(0, 5).map((d) => d.percentile), ['p50', 'p95', 'p99', 'p99.9', 'max'])
    assert.ok(!data.some((d) => d.workload.startsWith('readrandom') && d.engine === 'strata'))
    assert.equal(data[0].workload, 'fillrandom, per write batch')
  })
  test('names the sample and leaves out percentiles the sample count cannot support', () => {
    const latencyUs = { p50: 395612, p95: 395612, p99: 395612, p999: 395612, max: 395612, mean: 395612, count: 1 }
    const run = sampleRun('r', sampleResult([
      sampleWorkload('readseq', [sampleEngine('strata', 1, { latencyUs })]),
      sampleWorkload('multiget', [sampleEngine('strata', 1, { latencyUs: { ...latencyUs, count: 50 } })], { batchSize: 1000 }),
    ]))
    assert.deepEqual(latencyData(engineRows([run])).map((d) => [d.workload, d.percentile, d.sampleCount]), [
      ['readseq, per full scan', 'p50', 1],
      ['readseq, per full scan', 'max', 1],
      ['multiget, per 1,000-key multiget', 'p50', 50],
      ['multiget, per 1,000-key multiget', 'p95', 50],
      ['multiget, per 1,000-key multiget', 'max', 50],
    ])
  })
  test('latencyFigure() uses a log y axis titled in µs', () => {
    const figure = latencyFigure(engineRows([twoEngines]), 'l')
    assert.ok(figure)
    assert.match(JSON.stringify(figure.spec), /"title":"Latency \(µs, log scale\)","scale":\{"type":"log"\}/)
    assert.equal(figure.table.rows.length, 15)
  })
})

describe('amplificationData()', () => {
  test('leaves out zero figures (no I/O of that kind)', () => {
    const data = amplificationData(engineRows([twoEngines]))
    const readrandomRocks = data.filter((d) => d.workload === 'readrandom' && d.engine === 'rocksdb-native')
    assert.deepEqual(readrandomRocks.map((d) => [d.kind, d.amplification]), [['read', 1.5], ['space', 1.1]])
    assert.equal(data.filter((d) => d.kind === 'read').length, 1)
  })
  test('amplificationFigure() returns null when nothing was measured', () => {
    const zero = sampleEngine('a', 1, { storage: { userBytesWritten: 0, diskBytesWritten: 0, diskBytesRead: 0, directoryBytes: 0, writeAmplification: 0, readAmplification: 0, spaceAmplification: 0 } })
    assert.equal(amplificationFigure(engineRows([sampleRun('r', sampleResult([sampleWorkload('w', [zero])]))]), 'a'), null)
  })
})

describe('findSweeps()', () => {
  const sweepRun = sampleRun('sweep', sampleResult([
    sampleWorkload('fillrandom', [sampleEngine('a', 300), sampleEngine('b', 200)], { keyCount: 1000, valueSizeBytes: 100 }),
    sampleWorkload('fillrandom', [sampleEngine('a', 100), sampleEngine('b', 150)], { keyCount: 10000, valueSizeBytes: 100 }),
    sampleWorkload('fillrandom', [sampleEngine('a', 50)], { keyCount: 10000, valueSizeBytes: 4096 }),
    sampleWorkload('readrandom', [sampleEngine('a', 50)], { keyCount: 10000, mode: 'x' }),
  ]))
  test('finds one sweep per varying numeric parameter with the others fixed', () => {
    const sweeps = findSweeps(engineRows([sweepRun]))
    assert.deepEqual(sweeps.map((s) => [s.workload, s.parameter, s.fixed, s.rows.length]), [
      ['fillrandom', 'keyCount', 'valueSizeBytes=100', 4],
      ['fillrandom', 'valueSizeBytes', 'keyCount=10000', 3],
    ])
  })
  test('scalingData() sorts by engine then value', () => {
    const [sweep] = findSweeps(engineRows([sweepRun]))
    assert.deepEqual(scalingData(sweep).map((d) => [d.engine, d.parameterValue, d.opsPerSecond]), [
      ['a', 1000, 300], ['a', 10000, 100], ['b', 1000, 200], ['b', 10000, 150],
    ])
  })
  test('scalingFigures() names the unit on the x axis and returns nothing without a sweep', () => {
    const figures = scalingFigures(engineRows([sweepRun]), 's')
    assert.equal(figures.length, 2)
    assert.match(JSON.stringify(figures[1].spec), /Value size \(bytes\), log scale/)
    assert.deepEqual(scalingFigures(engineRows([twoEngines]), 's'), [])
  })
})

describe('engineColor()', () => {
  test('orders known engines first, then others by name', () => {
    assert.deepEqual(engineOrder(['zeta', 'lmdb', 'strata', 'alpha', 'strata']), ['strata', 'lmdb', 'alpha', 'zeta'])
  })
  test("keeps an engine's page colour on a chart that shows only some engines", () => {
    const page = engineOrder(['rocksdb-native', 'strata', 'lmdb'])
    assert.deepEqual((engineColor(['rocksdb-native', 'lmdb'], page).scale as { range: string[] }).range, [OKABE_ITO[0], OKABE_ITO[2]])
    assert.deepEqual((engineColor(page).scale as { range: string[] }).range, OKABE_ITO.slice(0, 3))
  })
})
