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
const suite = require('abstract-level/test') as (options: {
  test: unknown
  factory: (options?: object) => unknown
}) => void

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

/** Runs what `register` adds to a fresh tape harness; resolves once tape reports the end. */
function runTape(register: (test: unknown) => void): Promise<SuiteReport> {
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
        report.failures.push(
          `${where} (${row.operator}: expected ${fmt(row.expected)}, actual ${fmt(row.actual)})${error}`,
        )
      }
    })
    stream.on('end', () => resolve(report))
  })
  register(harness)
  return finished
}

function runSuite(factory: (options?: object) => unknown): Promise<SuiteReport> {
  return runTape((test) => suite({ test, factory }))
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
  test('the tape collector reports failed and skipped assertions (it can fail)', async () => {
    const report = await runTape((test) => {
      const tapeTest = test as (
        name: string,
        body: (t: { ok(value: unknown, message: string): void; skip(message: string): void; end(): void }) => void,
      ) => void
      tapeTest('a failing test', (t) => {
        t.ok(true, 'passes')
        t.ok(false, 'fails')
        t.skip('skipped')
        t.end()
      })
    })
    assert.equal(report.testCount, 1)
    assert.equal(report.failures.length, 1)
    assert.match(report.failures[0], /a failing test › fails/)
    assert.equal(report.skips.length, 1)
  })

  test('passes the abstract-level compliance suite (tape)', { timeout: 240_000 }, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-level-'))
    let directoryIndex = 0
    try {
      const report = await runSuite((options) => new StrataLevel(path.join(root, `db-${directoryIndex++}`), options))
      console.log(
        `abstract-level suite: ${report.testCount} tests, ${report.assertCount} assertions, ${report.failures.length} failed, ${report.skips.length} skipped`,
      )
      assert.deepEqual(report.failures, [], 'no tape assertion failed')
      assert.deepEqual(report.skips, [], 'no test skipped')
      assert.ok(report.testCount > 500, `the whole suite ran (${report.testCount} tests)`)
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('StrataLevel beyond the suite', () => {
  function tempLocation(): { location: string; cleanup: () => void } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-level-'))
    return { location: path.join(root, 'db'), cleanup: () => fs.rmSync(root, { recursive: true, force: true }) }
  }

  test('the empty key survives flush, compaction, reopen and a whole-range clear()', async () => {
    const { location, cleanup } = tempLocation()
    try {
      const db = new StrataLevel(location)
      await db.batch([
        { type: 'put', key: '', value: 'empty' },
        { type: 'put', key: '\x00', value: 'nul' },
        { type: 'put', key: 'a', value: 'A' },
      ])
      await db.strata.flush()
      await db.put('b', 'B')
      await db.strata.compact()
      await db.close()
      await db.open()
      assert.equal(await db.get(''), 'empty')
      assert.deepEqual(await db.keys().all(), ['', '\x00', 'a', 'b'])
      assert.deepEqual(await db.keys({ lte: '' }).all(), [''])
      assert.deepEqual(await db.keys({ gt: '' }).all(), ['\x00', 'a', 'b'])
      await db.clear()
      assert.deepEqual(await db.keys().all(), [])
      await db.strata.compact()
      assert.deepEqual(await db.keys().all(), [])
      await db.close()
    } finally {
      cleanup()
    }
  })

  test('clear() with a plain range writes one range deletion and keeps neighbours', async () => {
    const { location, cleanup } = tempLocation()
    try {
      const db = new StrataLevel(location)
      const keys = Array.from({ length: 50 }, (_, index) => String(index).padStart(2, '0'))
      await db.batch(keys.map((key) => ({ type: 'put' as const, key, value: key })))
      await db.strata.flush()
      const before = db.strata.stats().lastSeqno
      await db.clear({ gt: '10', lte: '40' })
      // One batch: a range deletion [11, 40) plus a point deletion of 40.
      assert.equal(db.strata.stats().lastSeqno - before, 2)
      assert.deepEqual(
        await db.keys().all(),
        keys.filter((key) => key <= '10' || key > '40'),
      )
      await db.clear({ gte: 'x' })
      assert.equal(db.strata.stats().lastSeqno - before, 2, 'an empty range writes nothing')
      await db.close()
    } finally {
      cleanup()
    }
  })

  test('clear() with a snapshot deletes only what the snapshot sees', async () => {
    const { location, cleanup } = tempLocation()
    try {
      const db = new StrataLevel(location)
      await db.put('a', '1')
      const snapshot = db.snapshot()
      await db.put('b', '2')
      await db.clear({ snapshot })
      assert.deepEqual(await db.keys().all(), ['b'])
      await snapshot.close()
      await db.close()
    } finally {
      cleanup()
    }
  })

  test('engine errors map to level codes and keep the StrataError as cause', async () => {
    const { location, cleanup } = tempLocation()
    try {
      const first = new StrataLevel(location)
      await first.open()
      const second = new StrataLevel(location)
      await assert.rejects(
        second.open(),
        (error: Error & { code?: string; cause?: Error & { code?: string; cause?: { code?: string } } }) => {
          assert.equal(error.code, 'LEVEL_DATABASE_NOT_OPEN')
          assert.equal(error.cause?.code, 'LEVEL_LOCKED')
          assert.equal(error.cause?.cause?.code, 'LOCKED')
          return true
        },
      )
      await first.close()
      const missing = new StrataLevel(path.join(location, 'absent'), { createIfMissing: false })
      await assert.rejects(
        missing.open(),
        (error: Error & { code?: string; cause?: Error & { cause?: { code?: string } } }) => {
          assert.equal(error.code, 'LEVEL_DATABASE_NOT_OPEN')
          assert.match(error.cause!.message, /does not exist/)
          assert.equal(error.cause?.cause?.code, 'NOT_FOUND')
          return true
        },
      )
      assert.throws(() => first.strata, { code: 'LEVEL_DATABASE_NOT_OPEN' })
    } finally {
      cleanup()
    }
  })

  test('iterators seek after their end and read their implicit snapshot', async () => {
    const { location, cleanup } = tempLocation()
    try {
      const db = new StrataLevel(location, { strata: { memtableSizeBytes: 4096 } })
      await db.batch(['a', 'b', 'c'].map((key) => ({ type: 'put' as const, key, value: key })))
      const iterator = db.iterator()
      await db.del('b')
      await db.put('d', 'd')
      for (let index = 0; index < 200; index++) await db.put(`z${index}`, 'x'.repeat(100))
      await db.strata.compact()
      assert.deepEqual(await iterator.all(), [
        ['a', 'a'],
        ['b', 'b'],
        ['c', 'c'],
      ])
      const again = db.iterator()
      assert.equal((await again.nextv(1000)).length, 203)
      assert.equal(await again.next(), undefined)
      again.seek('b')
      assert.deepEqual(await again.next(), ['c', 'c'])
      await again.close()
      await db.close()
    } finally {
      cleanup()
    }
  })
})
