// Goal: the directory walk counts written data, not the holes of sparse files, and the disk-bytes
// estimate is the larger of /proc/self/io and that data's growth, for every engine alike.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { diskBytesWrittenEstimate } from '../runner/cell.ts'
import { directorySize } from './directory-size.ts'

describe('directorySize()', () => {
  test('sums files in subdirectories; a file extended by ftruncate adds apparent but not data bytes', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dirsize-'))
    try {
      fs.mkdirSync(path.join(directory, 'sub'))
      fs.writeFileSync(path.join(directory, 'a'), Buffer.alloc(1000, 1))
      fs.writeFileSync(path.join(directory, 'sub', 'b'), Buffer.alloc(3000, 2))
      const before = directorySize(directory)
      assert.deepEqual({ apparent: before.apparentBytes, data: before.dataBytes, files: before.fileCount }, { apparent: 4000, data: 4000, files: 2 })
      fs.writeFileSync(path.join(directory, 'sparse'), '')
      fs.truncateSync(path.join(directory, 'sparse'), 64 * 1024 * 1024) // a map file grown without writing
      const after = directorySize(directory)
      assert.equal(after.apparentBytes, 4000 + 64 * 1024 * 1024)
      assert.ok(after.dataBytes < 4000 + 64 * 1024, `dataBytes=${after.dataBytes}`)
      assert.equal(directorySize(path.join(directory, 'missing')).fileCount, 0)
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe('diskBytesWrittenEstimate()', () => {
  test('takes the larger of the io counter and the data growth, never below 0', () => {
    assert.equal(diskBytesWrittenEstimate(5000, 100, 1100), 5000) // a WAL engine: io counts more
    assert.equal(diskBytesWrittenEstimate(0, 100, 1100), 1000) // mmap writes the counter missed
    assert.equal(diskBytesWrittenEstimate(0, 2000, 1000), 0) // deletes shrank the directory
  })
})
