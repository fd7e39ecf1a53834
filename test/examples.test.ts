// Goal: every program in examples/ runs as a user would run it and prints what it promises.
// Method: spawn each with `node --import tsx` and a fresh temp directory, require exit 0 and
// check the lines that prove its point (ranges match, retention count matches, old epoch
// refused then dropped). The examples check their own results against their inputs; these
// assertions make a silent change of behaviour fail here.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function runExample(name: string): string[] {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), `strata-example-${name}-`))
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join('examples', `${name}.ts`), path.join(directory, 'db')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    })
    assert.equal(result.status, 0, `examples/${name}.ts exited ${result.status} (${result.signal ?? 'no signal'})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`)
    return result.stdout.trim().split('\n')
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
}

describe('examples/', () => {
  test('every example in examples/ is covered here', () => {
    const names = fs.readdirSync(path.join(ROOT, 'examples')).filter((name) => name.endsWith('.ts')).sort()
    assert.deepEqual(names, ['attachment-store.ts', 'encrypted-store.ts', 'event-timeseries.ts'])
  })

  test('attachment-store stores a large file and serves byte ranges', () => {
    const lines = runExample('attachment-store')
    assert.equal(lines[0], 'stored video-1: 5243003 bytes in 81 chunks')
    assert.deepEqual(lines.slice(1, 4), [
      'range 0-100: 100 bytes, matches the original',
      'range 65000-70000: 5000 bytes, matches the original',
      'range 5242880-5243003: 123 bytes, matches the original',
    ])
    assert.equal(lines[4], 'whole file sha256 matches')
    assert.match(lines[5], /^blob files: [1-9]\d*, separated values: 1$/)
    assert.equal(lines[6], 'after delete: meta gone')
    assert.equal(lines[7], 'after compact: live blob bytes 0')
  })

  test('event-timeseries scans time windows and applies retention with deleteRange', () => {
    const lines = runExample('event-timeseries')
    assert.match(lines[0], /^ingested \d+ events over 7 days$/)
    assert.match(lines[1], /^payments on day 3, 09:00-12:00: 9h=\d+ 10h=\d+ 11h=\d+ \(matches a scan of the input\)$/)
    assert.match(lines[2], /^latest 3: 2025-01-07T23:\S+, 2025-01-07T\S+, 2025-01-07T\S+$/)
    assert.match(lines[3], /^after retention: (\d+) events remain \(matches the \1 expected\)$/)
    assert.match(lines[4], /^compaction: table bytes shrank, oldest kept 2025-01-06T/)
  })

  test('encrypted-store refuses a missing epoch, rotates keys and reads with the new key alone', () => {
    const lines = runExample('encrypted-store')
    assert.deepEqual(lines, [
      'epoch 1: wrote 100 records; plaintext on disk: no',
      'open without epoch 1: UNKNOWN_KEY_EPOCH',
      'rotation: epochs 1,2 loaded, epoch 2 active, compact() done',
      'epoch 2 only: 101 records readable, all intact; verify clean',
    ])
  })
})
