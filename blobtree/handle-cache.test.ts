import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BlobDb, MemVfs, type Vfs, type VfsFile } from '../index.ts'
import { HandleCache, HANDLE_CACHE_ENTRY_OVERHEAD_BYTES } from './handle-cache.ts'
import type { BlobHandle } from './handle.ts'

const handle: BlobHandle = { fileNumber: 7, offsetBytes: 40, frameSizeBytes: 580, rawValueSizeBytes: 500 }
const entryBytes = 2 + HANDLE_CACHE_ENTRY_OVERHEAD_BYTES // a two-character key

describe('HandleCache', () => {
  test('record charges key bytes plus the entry overhead, and evicts the oldest entries to stay within budget', () => {
    const handles = new HandleCache(3 * entryBytes)
    handles.record('k1', handle)
    handles.record('k2', { ...handle, offsetBytes: 620 })
    handles.record('k3', handle)
    assert.equal(handles.get('k1'), handle)
    assert.deepEqual(handles.stats(), { entryCount: 3, sizeBytes: 3 * entryBytes, capacityBytes: 3 * entryBytes, hitCount: 1, evictionCount: 0 })
    // Recorded first, evicted first, whatever was read since (FIFO, no reorder on a hit).
    handles.record('k4', handle)
    assert.equal(handles.get('k1'), undefined)
    assert.equal(handles.get('k2')?.offsetBytes, 620)
    assert.deepEqual(handles.stats(), { entryCount: 3, sizeBytes: 3 * entryBytes, capacityBytes: 3 * entryBytes, hitCount: 2, evictionCount: 1 })
    // A key of 2 + entryBytes characters takes the room of two entries: k2 and k3 make way.
    handles.record('k'.repeat(2 + entryBytes), handle)
    assert.deepEqual([handles.get('k2'), handles.get('k3')], [undefined, undefined])
    assert.equal(handles.get('k4'), handle)
    assert.deepEqual([handles.size, handles.stats().sizeBytes, handles.stats().evictionCount], [2, 3 * entryBytes, 3])
  })

  test('forget and clear give back the bytes; a second record of a key replaces it', () => {
    const handles = new HandleCache(3 * entryBytes)
    handles.record('k1', handle)
    handles.record('k1', { ...handle, offsetBytes: 620 })
    assert.equal(handles.stats().sizeBytes, entryBytes)
    assert.equal(handles.get('k1')?.offsetBytes, 620)
    handles.forget('k1')
    handles.forget('absent')
    assert.equal(handles.stats().sizeBytes, 0)
    handles.record('k1', handle)
    handles.record('k2', handle)
    handles.clear()
    assert.deepEqual([handles.size, handles.stats().sizeBytes], [0, 0])
  })

  test('a capacity of 0, or below one entry, records nothing', () => {
    for (const capacityBytes of [0, entryBytes - 1]) {
      const handles = new HandleCache(capacityBytes)
      handles.record('k1', handle)
      assert.equal(handles.get('k1'), undefined)
      assert.equal(handles.size, 0)
    }
  })
})

// Each scenario runs with the default block cache (values also in the value cache) and with none
// (every hit reads the blob file), since the handle cache serves both.
const blockCacheSizes = [undefined, 0]

describe('BlobDb handle cache', () => {
  for (const blockCacheSizeBytes of blockCacheSizes) {
    const label = `(block cache ${blockCacheSizeBytes ?? 'default'})`

    test(`a read key skips the index until a write of it, and no write or snapshot reads a stale value ${label}`, async () => {
      const db = await BlobDb.open('/hc', { vfs: new MemVfs(), blockCacheSizeBytes }, { minBlobSize: 100 })
      try {
        for (let index = 0; index < 6; index++) await db.put(`key${index}`, Buffer.alloc(500, index))
        for (let index = 0; index < 6; index++) await db.get(`key${index}`)
        assert.deepEqual(await db.get('key1'), Buffer.alloc(500, 1))
        assert.equal(db.stats().blob.handleCache.hitCount, 1)
        const before = db.snapshot()
        // Not awaited: the write is applied in this turn, and the next get must see it.
        const written = db.put('key1', Buffer.alloc(500, 0x71))
        assert.deepEqual(await db.get('key1'), Buffer.alloc(500, 0x71))
        await written
        assert.deepEqual(await db.get('key1', { snapshot: before }), Buffer.alloc(500, 1))
        before.release()
        assert.deepEqual(await db.get('key1'), Buffer.alloc(500, 0x71))
        await db.delete('key2')
        assert.equal(await db.get('key2'), undefined)
        await db.batch([{ type: 'put', key: 'key3', value: Buffer.alloc(50, 3) }])
        assert.deepEqual(await db.get('key3'), Buffer.alloc(50, 3))
        await db.deleteRange('key4', 'key6')
        assert.equal(await db.get('key4'), undefined)
        assert.equal(await db.get('key5'), undefined)
        // The range delete dropped every entry: key0 is looked up again, then served by handle.
        const hitsBefore = db.stats().blob.handleCache.hitCount
        assert.deepEqual(await db.get('key0'), Buffer.alloc(500, 0))
        assert.equal(db.stats().blob.handleCache.hitCount, hitsBefore)
        assert.deepEqual(await db.get('key0'), Buffer.alloc(500, 0))
        assert.equal(db.stats().blob.handleCache.hitCount, hitsBefore + 1)
        const returned = (await db.get('key0'))!
        returned.fill(0xff) // the caller owns what get returned, hit or not
        assert.deepEqual(await db.get('key0'), Buffer.alloc(500, 0))
      } finally {
        await db.close()
      }
    })

    test(`a get while a write stalls (applied later) leaves no stale handle behind ${label}`, async () => {
      let gate: Promise<void> | undefined
      let release = (): void => undefined
      // Table syncs wait on the gate: the flush of a frozen memtable blocks, so the next write stalls.
      const vfs = gatedVfs(new MemVfs(), /\.sst$/, () => gate)
      const db = await BlobDb.open('/stall', { vfs, memtableSizeBytes: 4096, immutableMemtableCountMax: 1, blockCacheSizeBytes }, { minBlobSize: 4000 })
      try {
        await db.put('k', Buffer.alloc(5000, 1))
        await db.get('k')
        assert.deepEqual(await db.get('k'), Buffer.alloc(5000, 1))
        assert.equal(db.stats().blob.handleCache.hitCount, 1)
        gate = new Promise<void>((resolve) => (release = resolve))
        await db.put('fill1', Buffer.alloc(3000, 2))
        await db.put('fill2', Buffer.alloc(3000, 3))
        const stallsBefore = db.stats().writeStallCount
        const write = db.put('k', Buffer.alloc(5000, 9))
        assert.equal(db.stats().writeStallCount, stallsBefore + 1, 'the write stalls behind the blocked flush')
        assert.deepEqual(await db.get('k'), Buffer.alloc(5000, 1)) // not applied yet
        release()
        await write
        assert.deepEqual(await db.get('k'), Buffer.alloc(5000, 9))
        assert.deepEqual(await db.get('k'), Buffer.alloc(5000, 9))
      } finally {
        release()
        await db.close()
      }
    })

    test(`GC relocation drops the handles it rewrites: gets after it read the new copies ${label}`, async () => {
      const db = await BlobDb.open('/gc', { vfs: new MemVfs(), blockCacheSizeBytes }, { minBlobSize: 100, blobFileSizeBytesTarget: 4096 })
      try {
        for (let index = 0; index < 20; index++) await db.put(`key${index}`, Buffer.alloc(500, index))
        for (let index = 0; index < 20; index++) await db.get(`key${index}`)
        // Overwriting every other key leaves each file about half stale: GC relocates the rest.
        for (let index = 0; index < 20; index += 2) await db.put(`key${index}`, Buffer.alloc(500, 100 + index))
        await db.compact()
        const stats = db.stats().blob
        assert.ok(stats.filesRelocated > 0, 'GC relocated files whose handles were cached')
        assert.ok(stats.filesDeleted > 0, 'and deleted them: a stale handle would name a missing file')
        for (let round = 0; round < 2; round++) {
          for (let index = 0; index < 20; index++) assert.deepEqual(await db.get(`key${index}`), Buffer.alloc(500, index % 2 === 0 ? 100 + index : index))
        }
        assert.ok(db.stats().blob.handleCache.hitCount >= 20, 'the second round is served by handle')
      } finally {
        await db.close()
      }
    })
  }

  test('streamed values and inline values are not recorded; handleCacheSizeBytes 0 turns the cache off', async () => {
    const db = await BlobDb.open('/kinds', { vfs: new MemVfs() }, { minBlobSize: 100, streamChunkSizeBytes: 1024 })
    try {
      await db.putStream('stream', [Buffer.alloc(3000, 7)])
      await db.put('inline', Buffer.alloc(10, 8))
      for (let round = 0; round < 2; round++) {
        assert.deepEqual(await db.get('stream'), Buffer.alloc(3000, 7))
        assert.deepEqual(await db.get('inline'), Buffer.alloc(10, 8))
      }
      assert.equal(db.stats().blob.handleCache.entryCount, 0)
    } finally {
      await db.close()
    }
    const off = await BlobDb.open('/off', { vfs: new MemVfs() }, { minBlobSize: 100, handleCacheSizeBytes: 0 })
    try {
      await off.put('k', Buffer.alloc(500, 1))
      for (let round = 0; round < 3; round++) assert.deepEqual(await off.get('k'), Buffer.alloc(500, 1))
      assert.deepEqual(off.stats().blob.handleCache, { entryCount: 0, sizeBytes: 0, capacityBytes: 0, hitCount: 0, evictionCount: 0 })
    } finally {
      await off.close()
    }
  })

  test('handleCacheSizeBytes must be a non-negative integer', async () => {
    for (const handleCacheSizeBytes of [-1, 1.5, Number.NaN]) {
      await assert.rejects(BlobDb.open('/bad', { vfs: new MemVfs() }, { handleCacheSizeBytes }), { code: 'INVALID_ARGUMENT' })
    }
  })

  test('a frame damaged after its handle was cached throws CHECKSUM_MISMATCH on every hit, never wrong bytes', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-hc-'))
    const db = await BlobDb.open(directory, { blockCacheSizeBytes: 0 }, { minBlobSize: 100 })
    try {
      await db.put('k', Buffer.alloc(5000, 1))
      await db.flush()
      assert.deepEqual(await db.get('k'), Buffer.alloc(5000, 1))
      // Flipped in place, under the open reader: the value's bytes follow the 40-byte file header,
      // the 40-byte frame header, the key and the 24-byte envelope header.
      const blobPath = path.join(directory, fs.readdirSync(directory).find((name) => name.endsWith('.blob'))!)
      const fd = fs.openSync(blobPath, 'r+')
      fs.writeSync(fd, Uint8Array.of(0xfe), 0, 1, 40 + 40 + 1 + 24 + 2000)
      fs.closeSync(fd)
      for (let round = 0; round < 2; round++) await assert.rejects(db.get('k'), { code: 'CHECKSUM_MISMATCH' })
      assert.equal(db.stats().blob.handleCache.hitCount, 2)
    } finally {
      await db.close()
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

/** `inner`, except that syncs of files whose path matches wait for the gate when one is set. */
function gatedVfs(inner: Vfs, pathPattern: RegExp, gateOf: () => Promise<void> | undefined): Vfs {
  const gateFile = (file: VfsFile): VfsFile => {
    if (!pathPattern.test(file.path)) return file
    return new Proxy(file, {
      get(target, property) {
        if (property === 'sync') {
          return async () => {
            await gateOf()
            await target.sync()
          }
        }
        const member = Reflect.get(target, property) as unknown
        return typeof member === 'function' ? member.bind(target) : member
      },
    })
  }
  return new Proxy(inner, {
    get(target, property) {
      const member = Reflect.get(target, property) as unknown
      if (typeof member !== 'function') return member
      if (property === 'create' || property === 'openAppend') return (...args: unknown[]) => gateFile(member.apply(target, args) as VfsFile)
      return member.bind(target)
    },
  })
}
