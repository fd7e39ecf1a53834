// Goal: values overwritten within one unflushed log still count as stale after a reopen.
// Method: overwrite separated values without a flush, close (the memtable stays in the WAL),
// reopen: the replay flush drops the shadowed handles, and their bytes must reach the manifest.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs } from '../index.ts'

test('the replay flush at open counts the blob bytes it drops as stale', async () => {
  const vfs = new MemVfs()
  const value = (round: number) => Buffer.alloc(2048, `round ${round} `)
  let db = await BlobDb.open('/replay-stale', { vfs }, { minBlobSize: 1024 })
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 20; i++) await db.put(`key-${i}`, value(round))
  }
  assert.equal(db.stats().blob.staleBytes, 0, 'nothing is flushed yet, so nothing is counted')
  await db.close()
  db = await BlobDb.open('/replay-stale', { vfs }, { minBlobSize: 1024 })
  const stale = db.stats().blob.staleBytes
  // 3 of 4 rounds are shadowed: 60 frames of a little over 2 KiB each.
  assert.ok(stale >= 60 * 2048, `stale bytes after replay: ${stale}`)
  assert.ok(stale < 80 * 2048, `stale bytes after replay: ${stale}`)
  assert.deepEqual(await db.get('key-7'), value(3))
  await db.close()
  db = await BlobDb.open('/replay-stale', { vfs }, { minBlobSize: 1024 })
  assert.equal(db.stats().blob.staleBytes, stale, 'the count is durable')
  await db.close()
})
