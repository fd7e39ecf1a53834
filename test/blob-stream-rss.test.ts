/**
 * Goal: putStream and getStream move a value far larger than the memtable budget (48x the
 * 4 MiB budget here) without holding it in memory: RSS grows by a bounded amount, well below the
 * value's size, both while writing and while reading back, and the bytes read back are the
 * bytes written (SHA-256).
 * Method: blobtree/testing/stream-rss-child.ts in a child process (its RSS is this workload's,
 * not the test runner's) on the real file system: a 192 MiB value from a generator that reuses
 * one 64 KiB buffer, RSS sampled once per piece. Measured here: writing grows RSS by about
 * 3-6 MiB, reading by 35-55 MiB (1 MiB frame buffers awaiting V8's collection), at 64, 128
 * and 256 MiB alike, so the bounds below hold with room and do not scale with the value.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'

const VALUE_SIZE_MIB = 192
const WRITE_RSS_GROWTH_BYTES_MAX = 32 * 1024 * 1024
const READ_RSS_GROWTH_BYTES_MAX = 96 * 1024 * 1024

test('putStream and getStream of a 192 MiB value keep RSS growth far below its size', (t) => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-stream-rss-'))
  try {
    const script = path.join(import.meta.dirname, '..', 'blobtree', 'testing', 'stream-rss-child.ts')
    const output = execFileSync(process.execPath, ['--import', 'tsx', script, directory, String(VALUE_SIZE_MIB), '7'], { encoding: 'utf8' })
    t.diagnostic(output.trim())
    const report = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, number | boolean>
    const sizeBytes = VALUE_SIZE_MIB * 1024 * 1024
    assert.equal(report.storedBytes, sizeBytes)
    assert.equal(report.hashMatches, true, 'the value read back is the value written')
    assert.ok(sizeBytes > 4 * (report.memtableSizeBytes as number), 'the value is larger than 4x the memtable budget')
    const writeGrowthBytes = (report.writePeakRssBytes as number) - (report.startRssBytes as number)
    const readGrowthBytes = (report.readPeakRssBytes as number) - (report.startRssBytes as number)
    assert.ok(writeGrowthBytes < WRITE_RSS_GROWTH_BYTES_MAX, `RSS grew ${writeGrowthBytes} bytes while writing`)
    assert.ok(readGrowthBytes < READ_RSS_GROWTH_BYTES_MAX, `RSS grew ${readGrowthBytes} bytes while reading`)
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
})
