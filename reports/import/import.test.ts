import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { checkResultFile } from '../result/read.ts'
import { criterionToResult, readCriterion } from './criterion.ts'
import { dbBenchToResult, parseDbBench } from './db-bench.ts'

const sample = fs.readFileSync('reports/fixtures/import/db_bench-7.8.3.txt', 'utf8')

describe('parseDbBench()', () => {
  test('reads the header and every benchmark line', () => {
    const output = parseDbBench(sample)
    assert.equal(output.rocksdbVersion, '7.8.3')
    assert.equal(output.startedAt, '2025-07-07T17:50:00.000Z')
    assert.deepEqual([output.cpuCount, output.cpuModel], [2, 'AMD EPYC 7B13'])
    assert.deepEqual([output.keySizeBytes, output.valueSizeBytes, output.keyCount, output.compression], [16, 256, 200000, 'NoCompression'])
    assert.deepEqual(output.lines.map((l) => [l.benchmark, l.opsPerSecond]), [
      ['fillrandom', 192276], ['fillrandom', 184537], ['fillrandom', 176797], ['readrandom', 189482], ['readseq', 2099106],
    ])
    assert.equal(output.lines[3].tail, '(50000 of 50000 found)')
  })
  test('reads the histogram under a line and interpolates p95 from its buckets', () => {
    const [first, second] = parseDbBench(sample).lines
    // p95: 89.863% lie at or below 6 µs, the (6, 10] bucket holds 9.281%: 6 + 4 × (95 − 89.863) / 9.281 = 8.21.
    assert.deepEqual(first.latencyUs, { p50: 4.01, p95: 8.21, p99: 9.75, p999: 46.1, max: 4512, mean: 5.201, count: 200000 })
    assert.equal(second.latencyUs, null)
  })
  test('reads the older line format without seconds and operations', () => {
    const output = parseDbBench('fillseq      :       2.500 micros/op 400000 ops/sec;   44.2 MB/s\n')
    assert.deepEqual([output.lines[0].benchmark, output.lines[0].opsPerSecond, output.lines[0].megabytesPerSecond], ['fillseq', 400000, 44.2])
  })
  test('throws INVALID_RESULT on text without a benchmark line', () => {
    assert.throws(() => parseDbBench('RocksDB:    version 7.8.3\nhello\n', 'x.txt'), { code: 'INVALID_RESULT' })
  })
})

describe('dbBenchToResult()', () => {
  test('maps repeated lines to repetitions and the median run to the summary', () => {
    const result = checkResultFile(dbBenchToResult(parseDbBench(sample), { commit: 'a'.repeat(40) }), 'import')
    assert.equal(result.provenance.source, 'db_bench')
    assert.equal(result.provenance.gitCommit, 'a'.repeat(40))
    assert.deepEqual(result.provenance.packageVersions, { rocksdb: '7.8.3' })
    const fill = result.workloads[0].engines[0]
    assert.equal(result.workloads[0].workload, 'fillrandom')
    assert.deepEqual(result.workloads[0].parameters, { keyCount: 200000, keySizeBytes: 16, valueSizeBytes: 256, compression: 'NoCompression' })
    assert.equal(fill.engine, 'rocksdb-db_bench')
    assert.equal(fill.opsPerSecond, 184537)
    assert.deepEqual(fill.repetitions, [192276, 184537, 176797])
    assert.deepEqual([fill.opsPerSecondSpread.min, fill.opsPerSecondSpread.max], [176797, 192276])
    // The median repetition had no histogram printed under it: the closest that has one is not substituted.
    assert.equal(fill.latencyUs.count, 0)
    assert.equal(result.workloads[1].engines[0].latencyUs.p99, 10.02)
  })

  test('db_bench benchmarks that match one of our workloads take its name; the others keep theirs', () => {
    const text = [
      'filluniquerandom :       2.000 micros/op 500000 ops/sec 0.400 seconds 200000 operations;',
      'multireadrandom :       1.000 micros/op 1000000 ops/sec 0.200 seconds 200000 operations;',
      'compact      :  100000.000 micros/op 10 ops/sec 0.100 seconds 1 operations;',
    ].join('\n')
    const result = dbBenchToResult(parseDbBench(text))
    assert.deepEqual(result.workloads.map((w) => [w.workload, w.parameters.dbBenchName]), [
      ['fillrandom', 'filluniquerandom'],
      ['multiget', 'multireadrandom'],
      ['compact', undefined],
    ])
    // With db_bench's own fillrandom (keys may repeat) in the same output, no rename collides with it.
    const both = dbBenchToResult(parseDbBench(`${text}\nfillrandom   :       2.500 micros/op 400000 ops/sec 0.500 seconds 200000 operations;`))
    assert.deepEqual(both.workloads.map((w) => w.workload), ['filluniquerandom', 'multiget', 'compact', 'fillrandom'])
  })
})

describe('readCriterion() and criterionToResult()', () => {
  test('maps groups to workloads, function ids to engines and samples to repetitions', async () => {
    const result = checkResultFile(criterionToResult(await readCriterion('reports/fixtures/import/criterion'), { parameterName: 'keyCount' }), 'import')
    assert.equal(result.provenance.source, 'criterion')
    assert.deepEqual(result.workloads.map((w) => `${w.workload}:${w.parameters.keyCount}`).sort(), [
      'point_read:1000', 'point_read:10000', 'write_throughput:1000', 'write_throughput:10000',
    ])
    const workload = result.workloads.find((w) => w.workload === 'write_throughput' && w.parameters.keyCount === 10000)!
    assert.equal(workload.baselineEngine, 'rocksdb')
    const ours = workload.engines.find((e) => e.engine === 'ours')!
    assert.equal(ours.repetitions.length, 10)
    // 410,000 ops/s planted in the fixture, ±3% sample noise.
    assert.ok(Math.abs(ours.opsPerSecond / 410_000 - 1) < 0.03, String(ours.opsPerSecond))
    assert.equal(ours.parityWithBaseline, false)
    assert.equal(workload.engines.find((e) => e.engine === 'rocksdb')!.ratioToBaseline, 1)
  })
  test('uses the median confidence interval when sample.json is absent', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'criterion-'))
    const folder = path.join(directory, 'g', 'f', 'new')
    fs.mkdirSync(folder, { recursive: true })
    fs.writeFileSync(path.join(folder, 'benchmark.json'), JSON.stringify({ group_id: 'g', function_id: 'f', value_str: null, throughput: null }))
    const interval = (point: number) => ({ point_estimate: point, confidence_interval: { confidence_level: 0.95, lower_bound: point * 0.9, upper_bound: point * 1.1 }, standard_error: 1 })
    fs.writeFileSync(path.join(folder, 'estimates.json'), JSON.stringify({ mean: interval(1000), median: interval(1000), slope: null, std_dev: interval(10), median_abs_dev: interval(5) }))
    const [engine] = criterionToResult(await readCriterion(directory)).workloads[0].engines
    assert.equal(engine.opsPerSecond, 1e6)
    assert.deepEqual(engine.repetitions, [])
    assert.ok(Math.abs(engine.opsPerSecondSpread.min - 1e6 / 1.1) < 1e-6)
    assert.ok(engine.notes.some((n) => n.includes('one operation here is one benchmark iteration')))
    fs.rmSync(directory, { recursive: true })
  })
  test('throws INVALID_RESULT for a folder without benchmarks', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'criterion-'))
    await assert.rejects(readCriterion(directory), { code: 'INVALID_RESULT' })
    fs.rmSync(directory, { recursive: true })
  })
})
