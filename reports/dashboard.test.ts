import assert from 'node:assert/strict'
import fs from 'node:fs'
import { describe, test } from 'node:test'
import { toDashboards } from '../benchsuite/result/dashboard.ts'
import { dashboardEntries } from './dashboard.ts'
import { isReportError } from './errors.ts'
import { dbBenchToResult, parseDbBench } from './import/db-bench.ts'
import { readResultFiles } from './result/read.ts'
import { sampleRun } from './result/sample.ts'

const [standard] = await readResultFiles(['docs/reports/standard-2026-11-26.json'])
const dbBench = sampleRun('db_bench', dbBenchToResult(parseDbBench(fs.readFileSync('reports/fixtures/import/db_bench-7.8.3.txt', 'utf8')), { commit: 'unknown' }))

describe('dashboardEntries()', () => {
  test('writes exactly the entries bench run writes for the same result file', () => {
    assert.deepEqual(dashboardEntries([standard]), toDashboards(standard.result).biggerIsBetter)
    assert.equal(dashboardEntries([standard])[0].name, 'fillseq / strata throughput')
  })
  test('a run keeps its series names whatever other files are given with it', () => {
    const alone = dashboardEntries([standard]).map((entry) => entry.name)
    const together = dashboardEntries([standard, dbBench]).map((entry) => entry.name)
    assert.deepEqual(together.slice(0, alone.length), alone)
    assert.ok(together.length > alone.length)
    assert.deepEqual(dashboardEntries([dbBench]).map((entry) => entry.name), together.slice(alone.length))
  })
  test('refuses two runs of one series: a dashboard file holds one point per series', () => {
    assert.throws(() => dashboardEntries([standard, standard]), (error) => isReportError(error) && error.code === 'INVALID_ARGUMENT' && /fillseq \/ strata throughput/.test(error.message))
  })
})
