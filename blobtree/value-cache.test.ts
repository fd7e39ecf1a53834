import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlockCache } from '../engine/cache/mod.ts'
import { BlobDb, MemVfs } from '../index.ts'
import { ValueCache, VALUE_CACHE_ENTRY_OVERHEAD_BYTES, VALUE_CACHE_ON_HEAP_CAPACITY_BYTES_MAX } from './value-cache.ts'
import type { BlobHandle } from './handle.ts'

const handle: BlobHandle = { fileNumber: 7, offsetBytes: 40, frameSizeBytes: 580, rawValueSizeBytes: 500 }
const value = Buffer.alloc(500, 0x61)

describe('ValueCache', () => {
  test('read returns a copy of an admitted value, never the cached bytes', () => {
    const values = new ValueCache()
    values.attach(new BlockCache({ capacityBytes: 1024 * 1024 }))
    values.admit(handle, 'k1', value)
    value[0] = 0x62 // the caller's buffer changes after admission: the cache kept its own copy
    const first = values.read(handle, 'k1')!
    assert.equal(first[0], 0x61)
    first[1] = 0x63
    const second = values.read(handle, 'k1')!
    assert.deepEqual(second, Buffer.alloc(500, 0x61))
    assert.notEqual(first.buffer, second.buffer)
    assert.deepEqual(values.stats(), { hitCount: 2, missCount: 0, insertCount: 1 })
    value[0] = 0x61
  })

  test('read misses for another key or frame size at the same place (the disk read reports it)', () => {
    const values = new ValueCache()
    values.attach(new BlockCache({ capacityBytes: 1024 * 1024 }))
    values.admit(handle, 'k1', value)
    assert.equal(values.read(handle, 'k2'), undefined)
    assert.equal(values.read({ ...handle, frameSizeBytes: 581 }, 'k1'), undefined)
    assert.equal(values.stats().missCount, 2)
  })

  test('admit takes free room only: it never evicts what the cache holds', () => {
    const cache = new BlockCache({ capacityBytes: 2 * (500 + 2 + VALUE_CACHE_ENTRY_OVERHEAD_BYTES) })
    const tableBlock = { referenced: false }
    cache.insert(99, 0, tableBlock, 500 + 2 + VALUE_CACHE_ENTRY_OVERHEAD_BYTES)
    const values = new ValueCache()
    values.attach(cache)
    values.admit(handle, 'k1', value)
    values.admit({ ...handle, offsetBytes: 620 }, 'k2', value)
    assert.equal(cache.get(99, 0), tableBlock)
    assert.equal(values.stats().insertCount, 1)
    assert.equal(values.read({ ...handle, offsetBytes: 620 }, 'k2'), undefined)
  })

  test('forget drops the values of one file', () => {
    const values = new ValueCache()
    values.attach(new BlockCache({ capacityBytes: 1024 * 1024 }))
    values.admit(handle, 'k1', value)
    values.admit({ ...handle, fileNumber: 8 }, 'k1', value)
    values.forget(7)
    assert.equal(values.read(handle, 'k1'), undefined)
    assert.ok(values.read({ ...handle, fileNumber: 8 }, 'k1'))
  })

  test('read returns every byte value intact, from a cache that keeps values on the heap or in Buffers', () => {
    const everyByte = Buffer.from(Array.from({ length: 512 }, (_, index) => index % 256))
    const everyByteHandle = { ...handle, rawValueSizeBytes: everyByte.length }
    // Capacities on either side of the bound: latin1 strings below it, Buffers above.
    for (const capacityBytes of [1024 * 1024, VALUE_CACHE_ON_HEAP_CAPACITY_BYTES_MAX + 1]) {
      const values = new ValueCache()
      values.attach(new BlockCache({ capacityBytes }))
      assert.ok(values.admit(everyByteHandle, 'k1', everyByte.subarray()), `capacity ${capacityBytes}`)
      const first = values.read(everyByteHandle, 'k1')!
      assert.deepEqual(first, everyByte, `capacity ${capacityBytes}`)
      first.fill(0)
      assert.deepEqual(values.read(everyByteHandle, 'k1'), everyByte, `capacity ${capacityBytes}`)
    }
  })

  test('caches nothing before attach or with a cache of capacity 0', () => {
    const unattached = new ValueCache()
    unattached.admit(handle, 'k1', value)
    assert.equal(unattached.read(handle, 'k1'), undefined)
    const empty = new ValueCache()
    empty.attach(new BlockCache({ capacityBytes: 0 }))
    empty.admit(handle, 'k1', value)
    assert.equal(empty.read(handle, 'k1'), undefined)
    assert.equal(empty.stats().insertCount, 0)
  })
})

describe('BlobDb value cache', () => {
  test('a second get is served from the block cache, and overwrites and GC never serve a stale value', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/vc', { vfs }, { minBlobSize: 100, blobFileSizeBytesTarget: 4096 })
    try {
      for (let index = 0; index < 20; index++) await db.put(`key${index}`, Buffer.alloc(500, index))
      for (let index = 0; index < 20; index++) assert.deepEqual(await db.get(`key${index}`), Buffer.alloc(500, index))
      const afterFirst = db.stats().blob.valueCache
      assert.equal(afterFirst.insertCount, 20)
      const again = (await db.get('key3'))!
      assert.deepEqual(again, Buffer.alloc(500, 3))
      again.fill(0xff) // the caller owns what get returned
      assert.deepEqual(await db.get('key3'), Buffer.alloc(500, 3))
      assert.equal(db.stats().blob.valueCache.hitCount, afterFirst.hitCount + 2)
      // Overwrite everything, then compact (GC relocates or deletes the old files).
      for (let index = 0; index < 20; index++) await db.put(`key${index}`, Buffer.alloc(500, 100 + index))
      await db.compact()
      assert.ok(db.stats().blob.filesDeleted > 0, 'GC deleted files whose values were cached')
      for (let index = 0; index < 20; index++) assert.deepEqual(await db.get(`key${index}`), Buffer.alloc(500, 100 + index))
    } finally {
      await db.close()
    }
  })

  test('blockCacheSizeBytes: 0 caches no value', async () => {
    const db = await BlobDb.open('/vc0', { vfs: new MemVfs(), blockCacheSizeBytes: 0 }, { minBlobSize: 100 })
    try {
      await db.put('k', Buffer.alloc(500, 1))
      assert.deepEqual(await db.get('k'), Buffer.alloc(500, 1))
      assert.deepEqual(await db.get('k'), Buffer.alloc(500, 1))
      assert.deepEqual(db.stats().blob.valueCache, { hitCount: 0, missCount: 0, insertCount: 0 })
    } finally {
      await db.close()
    }
  })
})
