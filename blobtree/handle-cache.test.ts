import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BlobDb, MemVfs, type Vfs, type VfsFile } from '../index.ts'
import { HandleCache, HANDLE_CACHE_KEY_SIZE_BYTES_MAX } from './handle-cache.ts'
import { SeededRandom, seedFromEnv } from './testing/seeded-random.ts'
import type { BlobHandle } from './handle.ts'

const handle: BlobHandle = { fileNumber: 7, offsetBytes: 40, frameSizeBytes: 580, rawValueSizeBytes: 500 }
/** A 16-character key: its record is 48 bytes (32-byte header, key, no padding). */
const keyOf = (index: number): string => `key${String(index).padStart(13, '0')}`

describe('HandleCache', () => {
  test('record, get, forget and clear; get returns the recorded fields, large ones included', () => {
    const handles = new HandleCache(4096)
    const big = { fileNumber: 2 ** 40 + 3, offsetBytes: 2 ** 39 + 40, frameSizeBytes: 2 ** 32 - 1, rawValueSizeBytes: 2 ** 31 }
    handles.record(keyOf(1), handle)
    handles.record(keyOf(2), big)
    handles.record('', handle)
    assert.deepEqual(handles.get(keyOf(1)), handle)
    assert.deepEqual(handles.get(keyOf(2)), big)
    assert.deepEqual(handles.get(''), handle)
    assert.equal(handles.get(keyOf(3)), undefined)
    handles.record(keyOf(1), { ...handle, offsetBytes: 620 })
    assert.equal(handles.get(keyOf(1))?.offsetBytes, 620)
    assert.deepEqual(handles.stats(), { entryCount: 3, sizeBytes: 48 + 48 + 32 + 48, capacityBytes: 4096, hitCount: 4, evictionCount: 0 })
    handles.forget(keyOf(2))
    handles.forget(keyOf(9))
    assert.equal(handles.get(keyOf(2)), undefined)
    assert.equal(handles.size, 2)
    handles.clear()
    assert.deepEqual([handles.size, handles.stats().sizeBytes, handles.get(keyOf(1))], [0, 0, undefined])
  })

  test('a full ring evicts the oldest recorded entry first, whatever was read since', () => {
    // 256 bytes: a 192-byte ring (four 48-byte records) and 8 index slots.
    const handles = new HandleCache(256)
    for (let index = 1; index <= 4; index++) handles.record(keyOf(index), handle)
    assert.ok(handles.get(keyOf(1)))
    handles.record(keyOf(5), handle)
    assert.equal(handles.get(keyOf(1)), undefined)
    for (let index = 2; index <= 5; index++) assert.ok(handles.get(keyOf(index)), `key ${index}`)
    assert.deepEqual([handles.size, handles.stats().evictionCount], [4, 1])
    // A forgotten record's bytes come back when the tail reaches it, without an eviction.
    handles.forget(keyOf(2))
    handles.record(keyOf(6), handle)
    assert.deepEqual([handles.size, handles.stats().evictionCount], [4, 1])
  })

  test('the index stays at most 70% full: past it the oldest entries go', () => {
    // 1536 bytes: a 1152-byte ring (28 records of one-character keys) but 32 index slots (22 entries).
    const handles = new HandleCache(1536)
    for (let index = 0; index < 28; index++) handles.record(String.fromCharCode(65 + index), handle)
    assert.equal(handles.size, 22)
    assert.equal(handles.get('A'), undefined)
    assert.ok(handles.get(String.fromCharCode(65 + 27)))
  })

  test('a capacity below 256 bytes, or a key past HANDLE_CACHE_KEY_SIZE_BYTES_MAX, records nothing', () => {
    for (const capacityBytes of [0, 255]) {
      const handles = new HandleCache(capacityBytes)
      handles.record('k1', handle)
      assert.equal(handles.get('k1'), undefined)
    }
    const handles = new HandleCache(1024 * 1024)
    handles.record('k'.repeat(HANDLE_CACHE_KEY_SIZE_BYTES_MAX + 1), handle)
    handles.record('k'.repeat(HANDLE_CACHE_KEY_SIZE_BYTES_MAX), handle)
    assert.equal(handles.size, 1)
  })

  test('seeded operations: a get returns the latest handle recorded for the key or nothing, and recent records stay', () => {
    const seed = seedFromEnv()
    const random = new SeededRandom(seed)
    // 4096 bytes: a 3072-byte ring and 128 slots; records of 32-72 bytes wrap the ring often.
    const handles = new HandleCache(4096)
    const model = new Map<string, BlobHandle>()
    const recent: string[] = []
    for (let step = 0; step < 20000; step++) {
      const key = 'k'.repeat(random.below(41)).slice(0, random.below(3) === 0 ? 1 : undefined) + String.fromCharCode(97 + random.below(8))
      const roll = random.below(100)
      if (roll < 45) {
        const recorded = { fileNumber: random.below(1000), offsetBytes: random.below(2 ** 30), frameSizeBytes: random.below(2 ** 20), rawValueSizeBytes: random.below(2 ** 20) }
        handles.record(key, recorded)
        model.set(key, recorded)
        recent.push(key)
      } else if (roll < 55) {
        handles.forget(key)
        model.delete(key)
      } else if (roll < 56) {
        handles.clear()
        model.clear()
        recent.length = 0
      } else {
        const found = handles.get(key)
        if (found !== undefined) assert.deepEqual(found, model.get(key), `seed=${seed} step=${step} key=${key}`)
      }
      // The last 20 records (at most 1440 bytes) fit in the ring and the index whatever came before.
      for (const kept of recent.slice(-20)) {
        if (model.has(kept)) assert.deepEqual(handles.get(kept), model.get(kept), `seed=${seed} step=${step} recent key=${kept}`)
      }
      if (recent.length > 100) recent.splice(0, 50)
      assert.ok(handles.stats().sizeBytes <= 3072, `seed=${seed} step=${step}`)
      assert.ok(handles.size <= model.size, `seed=${seed} step=${step}`)
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
        // A Buffer key takes the same entry (its bytes check the frame's key directly).
        assert.deepEqual(await db.get(Buffer.from('key0')), Buffer.alloc(500, 0))
        assert.equal(db.stats().blob.handleCache.hitCount, hitsBefore + 2)
        const returned = (await db.get('key0'))!
        returned.fill(0xff) // the caller owns what get returned, hit or not
        assert.deepEqual(await db.get('key0'), Buffer.alloc(500, 0))
      } finally {
        await db.close()
      }
    })

    test(`valueSize of a read key comes from the handle cache, and follows writes and snapshots ${label}`, async () => {
      const db = await BlobDb.open('/vs', { vfs: new MemVfs(), blockCacheSizeBytes }, { minBlobSize: 100 })
      try {
        await db.put('k', Buffer.alloc(500, 1))
        assert.equal(db.valueSize('k'), 500)
        assert.equal(db.stats().blob.handleCache.hitCount, 0, 'an unread key is looked up in the index')
        await db.get('k')
        assert.equal(db.valueSize('k'), 500)
        assert.equal(db.stats().blob.handleCache.hitCount, 1, 'a read key is answered by its cached handle')
        const before = db.snapshot()
        await db.put('k', Buffer.alloc(700, 2))
        assert.equal(db.valueSize('k'), 700)
        await db.get('k') // caches the new handle: a snapshot read must still not use it
        assert.equal(db.valueSize('k'), 700)
        assert.equal(db.valueSize('k', { snapshot: before }), 500)
        before.release()
        await db.get('k')
        await db.put('k', Buffer.alloc(40, 3)) // inline now: below minBlobSize
        assert.equal(db.valueSize('k'), 40)
        await db.get('k')
        await db.delete('k')
        assert.equal(db.valueSize('k'), undefined)
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

  test('handleCacheSizeBytes must be an integer from 0 to HANDLE_CACHE_SIZE_BYTES_MAX', async () => {
    for (const handleCacheSizeBytes of [-1, 1.5, Number.NaN, 2 ** 40]) {
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
