/**
 * Goal: stale blob bytes are counted on every path that drops a handle (a memtable flush as well
 * as a compaction), reach the manifest atomically with the job's edit, and blob files keep
 * taking numbers from the engine's allocator; stores that numbered blob files with the old
 * `highest + 1024` gap still open, read and grow.
 * Method: overwrite separated values inside one memtable, flush, and compare stats().blob with
 * the frame sizes written; reopen and compare again. Copy the checked-in gap-numbered store
 * (blobtree/testing/fixtures/gap-numbered-store, written by commit 71d7177's code) to a temp
 * directory, read it, write to it, reopen.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, isStrataError } from '../index.ts'
import { FaultVfs } from '../engine/vfs/fault-vfs.ts'
import { FILE_HEADER_SIZE_BYTES, FRAME_HEADER_SIZE_BYTES } from '../blobtree/mod.ts'

const VALUE_SIZE_BYTES = 1000
const KEY_COUNT = 10
const ROUND_COUNT = 5
const kv = { minBlobSize: 512, gcOnCompact: false }

const keyOf = (index: number): string => `key${index}`
const valueOf = (round: number, index: number): Buffer => Buffer.from(`r${round}k${index}-`.padEnd(VALUE_SIZE_BYTES, 'x'), 'latin1')

describe('blob accounting', () => {
  test('a flush counts the handles it drops as stale, in the active file, durably', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/acct', { vfs }, kv)
    for (let round = 0; round < ROUND_COUNT; round++) {
      for (let index = 0; index < KEY_COUNT; index++) await db.put(keyOf(index), valueOf(round, index))
    }
    assert.equal(db.stats().blob.staleBytes, 0, 'nothing is stale before the flush')
    await db.flush()
    // Every frame has the same size: header, key (4 bytes), body (envelope + value).
    const frame = db.stats().blob
    const frameSizeBytes = (frame.fileBytesTotal - FILE_HEADER_SIZE_BYTES) / (KEY_COUNT * ROUND_COUNT)
    assert.ok(Number.isInteger(frameSizeBytes) && frameSizeBytes > FRAME_HEADER_SIZE_BYTES + VALUE_SIZE_BYTES, `frame size ${frameSizeBytes}`)
    const staleExpected = frameSizeBytes * KEY_COUNT * (ROUND_COUNT - 1)
    assert.equal(frame.staleBytes, staleExpected, 'the flush dropped four of five versions of each key')
    assert.equal(frame.liveBytes, frameSizeBytes * KEY_COUNT, 'live bytes of the active file')
    await db.close()
    const reopened = await BlobDb.open('/acct', { vfs }, kv)
    const after = reopened.stats().blob
    // The first file is sealed now; its stale figure came through the manifest.
    assert.equal(after.staleBytes, staleExpected, 'stale bytes survive reopen (sealed file)')
    for (let index = 0; index < KEY_COUNT; index++) assert.deepEqual(await reopened.get(keyOf(index)), valueOf(ROUND_COUNT - 1, index))
    const report = await reopened.gc()
    assert.equal(report.relocatedFileNumbers.length, 1, 'the 80%-stale file is relocated')
    assert.equal(report.deletedFileNumbers.length, 1)
    for (let index = 0; index < KEY_COUNT; index++) assert.deepEqual(await reopened.get(keyOf(index)), valueOf(ROUND_COUNT - 1, index))
    await reopened.close()
  })

  test('a flush that fails and runs again counts the handles it drops once', async () => {
    // Until 2026-11-26 the handles a failed flush had dropped were counted, and the retry counted
    // them again (the crash torture, seed 3186993031: a table append met ENOSPC).
    const vfs = new FaultVfs(new MemVfs())
    const db = await BlobDb.open('/retry', { vfs }, kv)
    for (let round = 0; round < ROUND_COUNT; round++) {
      for (let index = 0; index < KEY_COUNT; index++) await db.put(keyOf(index), valueOf(round, index))
    }
    // The background flush the freeze starts meets the fault (the store turns read-only), and
    // flush() runs the same memtable again, which succeeds and rejects with that error.
    vfs.addRule({ op: 'append', path: /\.sst$/, nth: 1, errno: 'ENOSPC' })
    await assert.rejects(db.flush(), (error) => isStrataError(error))
    assert.equal(vfs.injected.length, 1)
    assert.equal(db.stats().flushCount, 1, 'the second try flushed the memtable')
    const frameSizeBytes = (db.stats().blob.fileBytesTotal - FILE_HEADER_SIZE_BYTES) / (KEY_COUNT * ROUND_COUNT)
    assert.equal(db.stats().blob.staleBytes, frameSizeBytes * KEY_COUNT * (ROUND_COUNT - 1), 'four of five versions of each key, once')
    await db.close()
  })

  test('blob files take file numbers from the engine allocator, densely', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/numbers', { vfs }, { ...kv, blobFileSizeBytesTarget: 4096 })
    for (let index = 0; index < 40; index++) await db.put(keyOf(index), valueOf(0, index))
    await db.close()
    const numbers = vfs.list('/numbers').filter((name) => name.endsWith('.blob')).map((name) => Number.parseInt(name, 10))
    assert.ok(numbers.length >= 5, `files: ${numbers.join(',')}`)
    // Without the old gap every number sits within a few of the previous one.
    for (let index = 1; index < numbers.length; index++) assert.ok(numbers[index] - numbers[index - 1] < 8, `numbers ${numbers.join(',')}`)
  })

  test('a store with gap-numbered blob files (highest + 1024) opens, reads and grows', async () => {
    const fixture = path.join(import.meta.dirname, '..', 'blobtree', 'testing', 'fixtures', 'gap-numbered-store')
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-gap-'))
    try {
      fs.cpSync(fixture, directory, { recursive: true })
      const expected = (index: number): Buffer =>
        Buffer.from(`value-${index}-`.padEnd(100 + index * 7, String.fromCharCode(97 + (index % 26))), 'latin1')
      const key = (index: number): string => `key${String(index).padStart(3, '0')}`
      const open = (): Promise<BlobDb> => BlobDb.open(directory, { memtableSizeBytes: 16 * 1024 }, { minBlobSize: 64, blobFileSizeBytesTarget: 4096 })
      let db = await open()
      for (let index = 0; index < 40; index++) assert.deepEqual(await db.get(key(index)), expected(index), key(index))
      assert.deepEqual(await db.get('small'), Buffer.from('inline'))
      const oldNumbers = new Set(fs.readdirSync(directory).filter((name) => name.endsWith('.blob')))
      assert.ok([...oldNumbers].some((name) => Number.parseInt(name, 10) > 3000), `fixture files: ${[...oldNumbers].join(',')}`)
      for (let index = 40; index < 80; index++) await db.put(key(index), expected(index), { sync: true })
      await db.compact()
      await db.close()
      db = await open()
      for (let index = 0; index < 80; index++) assert.deepEqual(await db.get(key(index)), expected(index), `after reopen ${key(index)}`)
      assert.equal((await db.verify()).ok, true)
      await db.close()
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  test('stats() blob fields add up: sizes, live and stale bytes, counters, write amplification', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/stats', { vfs }, { ...kv, blobFileSizeBytesTarget: 8 * 1024 })
    for (let index = 0; index < KEY_COUNT; index++) await db.put(keyOf(index), valueOf(0, index))
    await db.put('inline', 'small')
    let stats = db.stats()
    const frameSizeBytes = FRAME_HEADER_SIZE_BYTES + 4 + 24 + VALUE_SIZE_BYTES
    assert.equal(stats.blob.separatedValueCount, KEY_COUNT)
    assert.equal(stats.blob.staleBytes, 0)
    assert.equal(stats.blob.liveBytes, KEY_COUNT * frameSizeBytes, 'every frame is live, sealed or not')
    assert.ok(stats.blob.fileCount >= 2, 'the 8 KiB target rotated')
    assert.ok(stats.blob.fileBytesTotal >= stats.blob.liveBytes + stats.blob.fileCount * FILE_HEADER_SIZE_BYTES)
    assert.ok(stats.blob.bytesWritten >= stats.blob.fileBytesTotal - FILE_HEADER_SIZE_BYTES)
    assert.ok(stats.blob.spaceAmplification >= 1 && stats.blob.spaceAmplification < 1.1, `amplification ${stats.blob.spaceAmplification}`)
    assert.equal(stats.userBytesWritten, KEY_COUNT * (4 + VALUE_SIZE_BYTES) + 'inline'.length + 'small'.length)
    assert.ok(stats.writeAmplification >= 1 && stats.writeAmplification < 1.3, `write amplification ${stats.writeAmplification}`)
    for (let index = 0; index < KEY_COUNT; index++) await db.put(keyOf(index), valueOf(1, index))
    await db.compact()
    await db.gc()
    stats = db.stats()
    assert.ok(stats.blob.filesDeleted > 0, 'GC deleted the overwritten files')
    assert.equal(stats.blob.liveBytes, KEY_COUNT * frameSizeBytes, 'live bytes after overwrite and GC')
    assert.equal(stats.blob.filesAwaitingDeletion, 0)
    assert.ok(stats.blob.readerCache.openCount <= 64)
    await db.close()
  })
})
