// Goal: BlobDb.verify() running while gc() relocates and deletes blob files reports only real
// damage: a file GC deleted between two of verify's files is skipped, not reported
// unrecoverable (NOT_FOUND). Method: verify() and gc() started a few macrotasks apart, in both
// orders, on a store with relocatable and dead files; every file verify reports must be clean.
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { test } from 'node:test'
import { BlobDb, MemVfs } from '../index.ts'

const DIRECTORY = '/verify-during-gc'
const KV = { minBlobSize: 100, gcOnCompact: false }
const tick = () => new Promise((resolve) => setImmediate(resolve))

/** Three sessions, three blob files: two half overwritten (relocatable), one wholly dead. */
async function threeFiles(vfs: MemVfs): Promise<void> {
  for (const [group, count] of [['a', 10], ['b', 10], ['c', 4]] as const) {
    const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    for (let index = 0; index < count; index++) await db.put(`${group}${index}`, Buffer.alloc(500, group.charCodeAt(0) + index))
    await db.close()
  }
  const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
  for (let index = 5; index < 10; index++) await db.delete(`a${index}`)
  for (let index = 5; index < 10; index++) await db.delete(`b${index}`)
  for (let index = 0; index < 4; index++) await db.delete(`c${index}`)
  await db.compact()
  await db.close()
}

test('verify() beside gc() reports no file GC removed meanwhile', async () => {
  let deletions = 0
  for (let offset = 0; offset < 8; offset++) {
    for (const verifyFirst of [true, false]) {
      const vfs = new MemVfs()
      await threeFiles(vfs)
      const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
      const first = verifyFirst ? db.verify() : db.gc()
      for (let i = 0; i < offset; i++) await tick()
      const second = verifyFirst ? db.gc() : db.verify()
      const [verification, collection] = verifyFirst ? [await first, await second] : [await second, await first]
      const v = verification as Awaited<ReturnType<BlobDb['verify']>>
      const c = collection as Awaited<ReturnType<BlobDb['gc']>>
      const note = `offset ${offset}, ${verifyFirst ? 'verify' : 'gc'} first`
      assert.deepEqual(v.blobFiles.filter((file) => !file.ok).map((file) => [file.fileNumber, file.code]), [], note)
      assert.equal(v.ok, true, note)
      deletions += c.deletedFileNumbers.length
      await db.close()
    }
  }
  // Without deletions there is no race to lose (before the fix, 3 of these 16 failed).
  assert.ok(deletions > 0, 'no interleaving deleted a file')
})
