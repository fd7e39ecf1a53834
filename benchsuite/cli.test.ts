// Goal: the quick suite runs end to end on tiny sizes with the peers that load, writes a valid
// result file and dashboards, and the CLI rejects bad input with exit status 2.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { main, suiteLabel, summaryTable } from './cli.ts'
import { overallProgress } from './runner/run.ts'
import { SUITES } from './suites.ts'
import { readResultFile } from './result/validate.ts'

describe('strata bench', () => {
  test('run --suite quick on tiny sizes writes a valid result file and dashboards', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-e2e-'))
    try {
      const status = await main(['run', '--suite', 'quick', '--keys', '300', '--ops', '100', '--repetitions', '1', '--isolation', 'none',
        '--engines', 'strata,rocksdb-native,lmdb,classic-level', '--out', out, '--seed', '7'])
      const resultName = fs.readdirSync(out).find((name) => name.startsWith('result-'))
      assert.ok(resultName !== undefined)
      const result = readResultFile(path.join(out, resultName))
      assert.equal(result.provenance.seed, 7)
      assert.equal(result.provenance.preset, 'rocksdb-parity')
      assert.deepEqual(result.workloads.map((w) => w.workload), ['fillrandom', 'readrandom', 'multiget', 'readseq', 'ycsb-a'])
      const ran = result.workloads[0].engines.map((e) => e.engine)
      assert.ok(ran.length >= 1, 'at least one peer ran')
      for (const workload of result.workloads) for (const engine of workload.engines) assert.ok(engine.opsPerSecond > 0, `${workload.workload} × ${engine.engine}: ${engine.opsPerSecond} ops/s`)
      const bigger = JSON.parse(fs.readFileSync(path.join(out, 'dashboard-bigger.json'), 'utf8'))
      assert.ok(bigger.length >= ran.length && bigger.every((e: { unit: string }) => e.unit === 'ops/s'))
      assert.ok(status === 0 || result.workloads.some((w) => w.skipped?.some((s) => s.reason.startsWith('failed'))), `status ${status}`)
    } finally {
      fs.rmSync(out, { recursive: true, force: true })
    }
  })

  test('--cache hot and --block-cache-bytes reach the result: parameters recorded, Strata\'s cache in its effective options', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hot-'))
    try {
      const status = await main(['run', '--workloads', 'readrandom', '--keys', '300', '--ops', '100', '--repetitions', '1', '--isolation', 'none',
        '--engines', 'strata,lmdb', '--cache', 'hot', '--block-cache-bytes', '1048576', '--out', out])
      assert.equal(status, 0)
      const result = readResultFile(path.join(out, fs.readdirSync(out).find((name) => name.startsWith('result-'))!))
      assert.equal(result.workloads[0].parameters.cache, 'hot')
      assert.equal(result.workloads[0].parameters.blockCacheBytes, 1048576)
      const strata = result.workloads[0].engines.find((e) => e.engine === 'strata')!
      assert.equal(strata.options.blockCacheBytes, 1048576)
      assert.ok(strata.opsPerSecond > 0)
    } finally {
      fs.rmSync(out, { recursive: true, force: true })
    }
  })

  test('rejects unknown engines, workloads and bad parameters with status 2', async () => {
    assert.equal(await main(['run', '--engines', 'nosuchdb']), 2)
    assert.equal(await main(['run', '--workloads', 'fillfast']), 2)
    assert.equal(await main(['run', '--keys', '-3']), 2)
    assert.equal(await main(['run', '--preset', 'turbo']), 2)
    assert.equal(await main(['run', '--value-size', 'huge']), 2)
    assert.equal(await main(['run', '--bogus']), 2)
    assert.equal(await main(['run', '--suite', 'huge']), 2)
    assert.equal(await main(['run', '--duration', 'soon']), 2)
    assert.equal(await main(['run', '--compression', 'zstd:99']), 2)
    assert.equal(await main(['run', '--cache', 'scalding']), 2)
    assert.equal(await main(['run', '--block-cache-bytes', '-1']), 2)
    assert.equal(await main(['run', '--baseline', 'nosuchdb']), 2)
    assert.equal(await main(['run', '--engines', 'strata,lmdb', '--baseline', 'rocksdb-native']), 2)
    assert.equal(await main(['db-bench-command', '--workloads', 'fillfast']), 2)
    assert.equal(await main(['frobnicate']), 2)
  })

  test('a run keeps its suite name only with the suite\'s workloads, sizes and repetitions', () => {
    const standard = SUITES.standard
    const run = { workloads: standard.workloads, parameters: standard.parameters, repetitions: standard.repetitions, warmupRepetitions: standard.warmupRepetitions }
    assert.equal(suiteLabel(standard, run), 'standard')
    assert.equal(suiteLabel(standard, { ...run, parameters: { ...standard.parameters, seed: 7 } }), 'standard')
    assert.equal(suiteLabel(standard, { ...run, parameters: { ...standard.parameters, operationCount: 5 } }), 'custom')
    assert.equal(suiteLabel(standard, { ...run, workloads: ['readrandom'] }), 'custom')
    assert.equal(suiteLabel(standard, { ...run, repetitions: 1 }), 'custom')
  })

  test('overall progress names the engine run, the elapsed time and an ETA', () => {
    assert.equal(overallProgress(0, 8, 0), '(engine run 1 of 8, 0 min elapsed, ETA ?)')
    assert.equal(overallProgress(2, 8, 120_000), '(engine run 3 of 8, 2 min elapsed, ETA 6 min)')
  })
  test('the terminal table names the latency sample and prints no p99 of fewer than 100 samples', () => {
    const result = readResultFile('docs/reports/standard-2026-11-26.json')
    const text = summaryTable({ ...result, workloads: result.workloads.filter((w) => w.workload === 'readseq') })
    assert.match(text, /^readseq \(baseline rocksdb-native; latency per full scan\)$/m)
    assert.match(text, /^ {2}strata +505,546 +3\.35 +395611\.7 +– +1 /m)
  })
})
