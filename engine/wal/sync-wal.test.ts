import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Db } from '../db.ts'
import { MemVfs } from '../vfs/mod.ts'

const DIRECTORY = '/db'

describe('Db.syncWal', () => {
  test('makes unsynced writes durable without a flush, across memtable switches; without it a crash loses them', async () => {
    for (const callSyncWal of [true, false]) {
      const vfs = new MemVfs()
      const db = await Db.open(DIRECTORY, { vfs, memtableSizeBytes: 4096 })
      // Enough writes to switch memtables: older logs must be synced too, not only the current one.
      for (let i = 0; i < 80; i++) await db.put(`key-${i}`, `value-${i}-${'v'.repeat(100)}`)
      if (callSyncWal) await db.syncWal()
      // No flush: the active memtable still holds the last writes (a flush would have emptied it).
      assert.ok(db.stats().memtableSizeBytes > 0)
      const crashed = vfs.crash()
      const reopened = await Db.open(DIRECTORY, { vfs: crashed, memtableSizeBytes: 4096 })
      try {
        const survivors = []
        for (let i = 0; i < 80; i++) if ((await reopened.get(`key-${i}`)) !== undefined) survivors.push(i)
        if (callSyncWal) assert.equal(survivors.length, 80, `syncWal: lost ${80 - survivors.length} writes`)
        else assert.ok(survivors.length < 80, 'without syncWal the crash image should lack the last unsynced writes')
      } finally {
        await reopened.close()
      }
      await db.close()
    }
  })

  test('is refused on a closed store', async () => {
    const db = await Db.open(DIRECTORY, { vfs: new MemVfs() })
    await db.close()
    await assert.rejects(db.syncWal(), { code: 'CLOSED' })
  })
})
