import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readResultFiles } from '../result/read.ts'
import { summaryTable } from './summary.ts'

const [standard] = await readResultFiles(['docs/reports/standard-2026-11-26.json'])
const workload = (name: string) => standard.result.workloads.find((w) => w.workload === name)!
const column = (name: string, label: string) => summaryTable(workload(name)).columns.findIndex((c) => c.label.startsWith(label))

describe('summaryTable() latency columns (review finding 6)', () => {
  test('name what one sample is and show how many there were', () => {
    const labels = summaryTable(workload('fillrandom')).columns.map((c) => c.label)
    assert.ok(labels.includes('p50 latency per 1,000-entry write batch'), labels.join(' | '))
    assert.ok(summaryTable(workload('readseq')).columns.some((c) => c.label === 'p50 latency per full scan'))
    const strata = summaryTable(workload('readrandom')).rows.find((row) => row[0] === 'strata')!
    assert.equal(strata[column('readrandom', 'Latency samples')], '50,000')
  })
  test('leave the p99 out below 100 samples: one full scan has no p99, 200 batches do', () => {
    const scan = summaryTable(workload('readseq')).rows.find((row) => row[0] === 'strata')!
    assert.equal(scan[column('readseq', 'p99 latency')], null)
    assert.ok(Number(scan[column('readseq', 'p50 latency')]) > 0)
    const fill = summaryTable(workload('fillrandom')).rows.find((row) => row[0] === 'strata')!
    assert.ok(Number(fill[column('fillrandom', 'p99 latency')]) > 0)
    const overwrite = summaryTable(workload('overwrite')).rows.find((row) => row[0] === 'strata')!
    assert.equal(overwrite[column('overwrite', 'p99 latency')], null) // 50 batches
  })
})
