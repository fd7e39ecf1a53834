/**
 * Goal: an engine iterator whose step meets a value that fails to read fails that step only: the
 * entry is skipped, the error names its key, and seeking back to the key reads it again.
 * Method: a BlobDb on MemVfs with small values around a streamed value past
 * streamGetSizeBytesMax (VALUE_TOO_LARGE on every whole read); step with nextSync() and next().
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, StrataError } from '../index.ts'

async function openStore(): Promise<BlobDb> {
  const db = await BlobDb.open('/db', { vfs: new MemVfs() }, { minBlobSize: 64, streamChunkSizeBytes: 1024, streamGetSizeBytesMax: 10_000 })
  for (const key of ['a', 'b', 'd']) await db.put(key, key.toUpperCase())
  await db.putStream('c-big', [Buffer.alloc(20_000, 0x43)])
  return db
}

function isTooLargeForCBig(error: unknown): true {
  assert.ok(error instanceof StrataError, String(error))
  assert.equal(error.code, 'VALUE_TOO_LARGE')
  assert.equal(error.details.keyHex, Buffer.from('c-big').toString('hex'))
  return true
}

describe('StrataIterator when a value fails to read', () => {
  test('nextSync() skips the entry, names its key in details.keyHex, and a seek back retries it', async () => {
    const db = await openStore()
    const iterator = db.iterator()
    assert.equal(iterator.nextSync()?.[0].toString(), 'a')
    assert.equal(iterator.nextSync()?.[0].toString(), 'b')
    assert.throws(() => iterator.nextSync(), isTooLargeForCBig)
    assert.equal(iterator.nextSync()?.[0].toString(), 'd')
    iterator.seek('c-big')
    assert.throws(() => iterator.nextSync(), isTooLargeForCBig)
    assert.equal(iterator.nextSync()?.[0].toString(), 'd')
    assert.equal(iterator.nextSync(), undefined)
    await db.close()
  })

  test('next() rejects for the entry and leaves the iterator open for the next one', async () => {
    const db = await openStore()
    const iterator = db.iterator({ gte: 'b' })
    assert.equal((await iterator.next()).value?.[0].toString(), 'b')
    await assert.rejects(iterator.next(), isTooLargeForCBig)
    assert.equal((await iterator.next()).value?.[0].toString(), 'd')
    await iterator.close()
    await db.close()
  })

  test('values: false never reads the value, so no step fails', async () => {
    const db = await openStore()
    const keys: string[] = []
    for await (const [key] of db.iterator({ values: false })) keys.push(key.toString())
    assert.deepEqual(keys, ['a', 'b', 'c-big', 'd'])
    await db.close()
  })
})
