import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { BlobFileReader } from './blob-file/mod.ts'
import { ReaderCache } from './reader-cache.ts'

/** A stand-in reader that records whether it was closed. */
function fakeReader(fileNumber: number, closed: Set<number>): BlobFileReader {
  return { fileNumber, close: () => closed.add(fileNumber) } as unknown as BlobFileReader
}

describe('ReaderCache', () => {
  test('get opens on a miss only, and a full cache closes the least recently used reader', () => {
    const closed = new Set<number>()
    const readers = new ReaderCache(3)
    const opened: number[] = []
    const get = (fileNumber: number): BlobFileReader =>
      readers.get(fileNumber, () => {
        opened.push(fileNumber)
        return fakeReader(fileNumber, closed)
      })
    for (const fileNumber of [1, 2, 3]) get(fileNumber)
    get(1) // 2 is now the least recently used, though it was not opened first
    get(3)
    assert.equal(get(4).fileNumber, 4)
    assert.deepEqual([...closed], [2])
    assert.deepEqual(opened, [1, 2, 3, 4])
    assert.deepEqual([readers.hitCount, readers.missCount, readers.size], [2, 4, 3])
    get(5) // 1 was used before 3 and 4
    assert.deepEqual([...closed], [2, 1])
  })

  test('evict and clear close what they drop', () => {
    const closed = new Set<number>()
    const readers = new ReaderCache(4)
    for (const fileNumber of [1, 2, 3]) readers.get(fileNumber, () => fakeReader(fileNumber, closed))
    readers.evict(2)
    readers.evict(9)
    assert.deepEqual([...closed], [2])
    readers.clear()
    assert.deepEqual([...closed].sort(), [1, 2, 3])
    assert.equal(readers.size, 0)
  })
})
