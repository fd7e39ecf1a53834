// Goal: after dropPageCache an fsynced file's pages are no longer resident (checked with
// util-linux fincore where it exists), and a failing dd is reported, never thrown.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { dropPageCache } from './page-cache.ts'
import { syncDirectory } from './sync-directory.ts'

const SIZE_BYTES = 4 * 1024 * 1024

/** Resident bytes of `file` per fincore, or undefined where fincore is missing. */
function residentBytes(file: string): number | undefined {
  const result = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' })
  return result.status === 0 ? Number(result.stdout.trim()) : undefined
}

describe('dropPageCache()', () => {
  test('drops every file of a directory tree from the page cache', (t) => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'page-cache-'))
    try {
      fs.mkdirSync(path.join(directory, 'sub'))
      const file = path.join(directory, 'sub', 'data')
      fs.writeFileSync(file, Buffer.alloc(SIZE_BYTES, 7))
      fs.writeFileSync(path.join(directory, 'other'), 'x')
      syncDirectory(directory)
      const drop = dropPageCache(directory)
      assert.deepEqual(drop, { droppedFileCount: 2, failure: undefined })
      const resident = residentBytes(file)
      if (resident === undefined) {
        t.skip('fincore unavailable: residency not checked')
        return
      }
      assert.equal(resident, 0)
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  test('reports the first failure and counts the files that worked', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'page-cache-'))
    try {
      for (const name of ['a', 'b', 'c']) fs.writeFileSync(path.join(directory, name), name)
      const drop = dropPageCache(directory, (file) => (file.endsWith('b') ? 'dd: not here' : undefined))
      assert.equal(drop.droppedFileCount, 2)
      assert.match(drop.failure ?? '', /b: dd: not here$/)
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})
