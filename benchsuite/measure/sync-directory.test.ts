// Goal: after syncDirectory, rewriting pages that the unmeasured phase left dirty is counted by
// /proc/self/io again (the lmdb update-in-place case that read write amplification 0.00).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { readIoCounters } from './io-counters.ts'
import { syncDirectory } from './sync-directory.ts'

const SIZE_BYTES = 1024 * 1024

describe('syncDirectory()', () => {
  test('cleans dirty pages, so the next rewrite of them counts as written', (t) => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-dir-'))
    try {
      fs.mkdirSync(path.join(directory, 'sub'))
      const file = path.join(directory, 'sub', 'data')
      const before = readIoCounters()
      fs.writeFileSync(file, Buffer.alloc(SIZE_BYTES, 1))
      const afterFirst = readIoCounters()
      if (before === null || afterFirst === null || afterFirst.writeBytes - before.writeBytes < SIZE_BYTES) {
        t.skip('this file system does not count page-cache writes in /proc/self/io (tmpfs, or not Linux)')
        return
      }
      syncDirectory(directory)
      const beforeRewrite = readIoCounters()!
      const fd = fs.openSync(file, 'r+')
      fs.writeSync(fd, Buffer.alloc(SIZE_BYTES, 2), 0, SIZE_BYTES, 0)
      fs.closeSync(fd)
      assert.ok(readIoCounters()!.writeBytes - beforeRewrite.writeBytes >= SIZE_BYTES)
      syncDirectory(path.join(directory, 'missing')) // a vanished directory is not an error
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})
