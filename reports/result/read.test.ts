import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { sampleEngine, sampleResult, sampleWorkload } from './sample.ts'
import { checkResultFile, readResultFiles } from './read.ts'
import { engineRows, workloadKeyOf } from './rows.ts'

const valid = (): ReturnType<typeof sampleResult> => sampleResult([sampleWorkload('w', [sampleEngine('a', 100)])])

describe('checkResultFile()', () => {
  test('accepts a complete result file', () => {
    assert.equal(checkResultFile(valid(), 'x').workloads.length, 1)
  })
  test('throws UNSUPPORTED_FORMAT_VERSION for another schemaVersion', () => {
    assert.throws(() => checkResultFile({ ...valid(), schemaVersion: 2 }, 'x'), { code: 'UNSUPPORTED_FORMAT_VERSION' })
  })
  test('throws INVALID_RESULT naming the bad field', () => {
    const bad = valid() as unknown as { workloads: Array<{ engines: Array<Record<string, unknown>> }> }
    bad.workloads[0].engines[0].opsPerSecond = 'fast'
    assert.throws(() => checkResultFile(bad, 'x.json'), (error: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(error.code, 'INVALID_RESULT')
      assert.match(String(error.details?.field), /workloads\[0\]\.engines\[0\]\.opsPerSecond$/)
      return true
    })
    assert.throws(() => checkResultFile({ ...valid(), provenance: { ...valid().provenance, startedAt: 'yesterday' } }, 'x'), { code: 'INVALID_RESULT' })
    assert.throws(() => checkResultFile([], 'x'), { code: 'INVALID_RESULT' })
  })
})

describe('readResultFiles()', () => {
  test('walks folders and sorts runs by start time', async () => {
    const runs = await readResultFiles(['reports/fixtures/runs'])
    assert.equal(runs.length, 5)
    assert.deepEqual(runs.map((r) => r.result.provenance.startedAt), [...runs.map((r) => r.result.provenance.startedAt)].sort())
    assert.equal(runs[0].label, '2025-06-02-618bda6')
  })
  test('throws IO_ERROR for a missing path and INVALID_RESULT for a non-JSON file', async () => {
    await assert.rejects(readResultFiles(['/nonexistent/run.json']), { code: 'IO_ERROR' })
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'results-'))
    fs.writeFileSync(path.join(directory, 'bad.json'), '{ not json')
    await assert.rejects(readResultFiles([directory]), { code: 'INVALID_RESULT' })
    fs.rmSync(directory, { recursive: true })
  })
  test('skips other JSON found in a folder but not a file named explicitly', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'results-'))
    fs.writeFileSync(path.join(directory, 'result-1.json'), JSON.stringify(valid()))
    fs.writeFileSync(path.join(directory, 'dashboard-bigger.json'), '[]')
    assert.deepEqual((await readResultFiles([directory])).map((r) => r.label), ['result-1'])
    await assert.rejects(readResultFiles([path.join(directory, 'dashboard-bigger.json')]), { code: 'INVALID_RESULT' })
    fs.rmSync(directory, { recursive: true })
  })
  test('throws INVALID_ARGUMENT for a folder without JSON files', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'results-'))
    await assert.rejects(readResultFiles([directory]), { code: 'INVALID_ARGUMENT' })
    fs.rmSync(directory, { recursive: true })
  })
})

describe('engineRows()', () => {
  test('gives the same workload key to the same instance in different runs', () => {
    assert.equal(workloadKeyOf('w', { b: 2, a: 1 }), 'w [a=1, b=2]')
    const rows = engineRows([
      { path: 'a', label: 'a', result: valid() },
      { path: 'b', label: 'b', result: valid() },
    ])
    assert.deepEqual(rows.map((r) => [r.runIndex, r.workloadKey, r.engine]), [[0, 'w [keyCount=1000]', 'a'], [1, 'w [keyCount=1000]', 'a']])
  })
})
