import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FileCache } from './file-cache.ts'

class FakeFile {
  readonly fileNumber: number
  closed = false
  constructor(fileNumber: number) {
    this.fileNumber = fileNumber
  }
  close(): void {
    assert.equal(this.closed, false, `file ${this.fileNumber} closed twice`)
    this.closed = true
  }
}

function cacheOf(entryCountMax: number) {
  const opened: FakeFile[] = []
  const cache = new FileCache({ entryCountMax, open: (fileNumber) => { const file = new FakeFile(fileNumber); opened.push(file); return file } })
  return { cache, opened }
}

describe('FileCache', () => {
  test('keeps at most entryCountMax unreferenced files open, closing the least recently used', () => {
    const { cache, opened } = cacheOf(3)
    for (const fileNumber of [1, 2, 3]) cache.acquire(fileNumber).release()
    cache.acquire(1).release() // 1 is now most recent
    cache.acquire(4).release()
    assert.deepEqual(opened.filter((file) => file.closed).map((file) => file.fileNumber), [2])
    assert.equal(cache.stats().openFileCount, 3)
    assert.equal(cache.stats().hitCount, 1)
  })

  test('borrow() counts as a use: the least recently borrowed or acquired file closes first', () => {
    const { cache, opened } = cacheOf(2)
    cache.borrow(1)
    cache.acquire(2).release()
    assert.equal(cache.borrow(1), opened[0]) // 1 is now most recent
    cache.borrow(3)
    assert.deepEqual(opened.filter((file) => file.closed).map((file) => file.fileNumber), [2])
    assert.deepEqual([cache.stats().hitCount, cache.stats().missCount, cache.stats().openFileCount], [1, 3, 2])
  })

  test('never closes a file while a handle is held, and closes it on the last release', () => {
    const { cache, opened } = cacheOf(1)
    const held = cache.acquire(1)
    cache.acquire(2).release()
    assert.equal(held.value.closed, false)
    cache.evict(1)
    assert.equal(held.value.closed, false)
    held.release()
    held.release() // idempotent
    assert.equal(held.value.closed, true)
    assert.equal(opened.length, 2)
  })

  test('exceeds its bound while every file is referenced, then shrinks', () => {
    const { cache } = cacheOf(2)
    const handles = [1, 2, 3, 4].map((fileNumber) => cache.acquire(fileNumber))
    assert.equal(cache.stats().openFileCount, 4)
    for (const handle of handles) handle.release()
    assert.equal(cache.stats().openFileCount, 2)
    assert.deepEqual(handles.map((handle) => handle.value.closed), [true, true, false, false])
  })

  test('reuses the open file on a hit and counts references per handle', () => {
    const { cache, opened } = cacheOf(5)
    const a = cache.acquire(9)
    const b = cache.acquire(9)
    assert.equal(a.value, b.value)
    assert.equal(opened.length, 1)
    cache.evict(9)
    a.release()
    assert.equal(a.value.closed, false)
    b.release()
    assert.equal(a.value.closed, true)
  })

  test('close() closes unreferenced files now and referenced ones on release; open errors propagate', () => {
    const { cache } = cacheOf(5)
    const held = cache.acquire(1)
    const idle = cache.acquire(2)
    idle.release()
    cache.close()
    assert.equal(idle.value.closed, true)
    assert.equal(held.value.closed, false)
    held.release()
    assert.equal(held.value.closed, true)
    const failing = new FileCache({ open: () => { throw new Error('boom') } })
    assert.throws(() => failing.acquire(1), /boom/)
    assert.equal(failing.stats().openFileCount, 0)
  })
})
