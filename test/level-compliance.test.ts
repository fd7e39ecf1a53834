/**
 * The abstract-level 3 compliance suite, run with tape against StrataLevel, inside node:test so
 * the project's runner counts it. Every tape assertion is collected; the node:test test fails
 * when any failed, when the suite skipped or planned-but-missed one, or when it did not finish.
 * Each factory call gets a fresh directory under one temp root, removed at the end.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import tape from 'tape'
import { StrataLevel } from '../level.ts'

const require = createRequire(import.meta.url)
const suite = require('abstract-level/test') as (options: { test: unknown; factory: (options?: object) => unknown }) => void

interface TapeRow {
  type: 'test' | 'assert' | 'end'
  id?: number
  test?: number
  name?: string
  ok?: boolean
  skip?: boolean | string
  todo?: boolean | string
  operator?: string
  actual?: unknown
  expected?: unknown
  error?: unknown
}

interface SuiteReport {
  testCount: number
  assertCount: number
  failures: string[]
  skips: string[]
}

/** Runs the suite on a fresh tape harness; resolves once tape reports the end. */
function runSuite(factory: (options?: object) => unknown): Promise<SuiteReport> {
  const harness = tape.createHarness()
  const report: SuiteReport = { testCount: 0, assertCount: 0, failures: [], skips: [] }
  const testNames = new Map<number, string>()
  const finished = new Promise<SuiteReport>((resolve) => {
    const stream = harness.createStream({ objectMode: true })
    stream.on('data', (row: TapeRow) => {
      if (row.type === 'test') {
        report.testCount++
        testNames.set(row.id!, row.name ?? '')
        if (row.skip) report.skips.push(`test: ${row.name}`)
        return
      }
      if (row.type !== 'assert') return
      report.assertCount++
      const where = `${testNames.get(row.test!) ?? '?'} › ${row.name}`
      if (row.skip || row.todo) report.skips.push(where)
      else if (!row.ok) {
        const error = row.error instanceof Error ? ` ${row.error.stack?.split('\n').slice(0, 3).join(' | ')}` : ''
        report.failures.push(`${where} (${row.operator}: expected ${fmt(row.expected)}, actual ${fmt(row.actual)})${error}`)
      }
    })
    stream.on('end', () => resolve(report))
  })
  suite({ test: harness, factory })
  return finished
}

/** A short rendering of an expected or actual value: enough to find the failure. */
function fmt(value: unknown): string {
  let text: string
  try {
    text = typeof value === 'string' ? value : String(JSON.stringify(value))
  } catch {
    text = String(value)
  }
  return text.length > 160 ? `${text.slice(0, 160)}…` : text
}

describe('strata-kv/level', () => {
  test('passes the abstract-level compliance suite (tape)', { timeout: 240_000 }, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-level-'))
    let directoryIndex = 0
    try {
      const report = await runSuite((options) => new StrataLevel(path.join(root, `db-${directoryIndex++}`), options))
      console.log(`abstract-level suite: ${report.testCount} tests, ${report.assertCount} assertions, ${report.failures.length} failed, ${report.skips.length} skipped`)
      assert.deepEqual(report.failures, [], 'no tape assertion failed')
      assert.deepEqual(report.skips, [], 'no test skipped')
      assert.ok(report.testCount > 500, `the whole suite ran (${report.testCount} tests)`)
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
