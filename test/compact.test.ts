// Goal: `compact()` keeps its word ("every shadowed version, deletion and range deletion no
// snapshot can see is dropped") when the whole tree already sits in one level: it used to merge
// nothing then, so versions a snapshot kept at the last compaction stayed after the snapshot was
// released, and with KV separation their blob frames counted live (found by review, 2026-11-26).
// Method: a version kept for a snapshot through one compact(), the snapshot released, compact()
// again; count the entries left in the tables and, with KV separation, the stale frame bytes.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, open } from '../index.ts'

const value = (version: number): Buffer => Buffer.from(`v${version}`.padEnd(300, 'x'), 'latin1')

test('compact() drops what a released snapshot kept when the tree sits in one level', async () => {
  const db = await open('/db', { vfs: new MemVfs() })
  try {
    await db.put('kept', value(1))
    await db.put('gone', value(1))
    const snapshot = db.snapshot()
    await db.put('kept', value(2))
    await db.delete('gone')
    await db.compact() // one level now, holding kept@1 and gone@1 for the snapshot
    const entryCount = (): number => db.stats().levels.reduce((total, level) => total + level.entryCount, 0)
    assert.equal(entryCount(), 4, 'the snapshot keeps both old versions and the deletion')
    assert.equal((await snapshot.get('gone'))?.toString('latin1'), value(1).toString('latin1'))
    snapshot.release()
    await db.compact()
    assert.equal(entryCount(), 1, 'only kept@2 is left')
    assert.deepEqual(await db.get('kept'), value(2))
    assert.equal(await db.get('gone'), undefined)
    // Compacted with no snapshot open: another compact() has nothing to drop and rewrites nothing.
    const { compactionCount } = db.stats()
    await db.compact()
    assert.equal(db.stats().compactionCount, compactionCount)
  } finally {
    await db.close()
  }
})

test('with KV separation, the frame a released snapshot kept counts stale after compact()', async () => {
  const db = await BlobDb.open('/db', { vfs: new MemVfs() }, { minBlobSize: 64, gcOnCompact: false })
  try {
    await db.put('k', value(1))
    const snapshot = db.snapshot()
    await db.put('k', value(2))
    await db.compact() // keeps v1 for the snapshot
    snapshot.release()
    await db.compact()
    const { staleBytes, liveBytes } = db.stats().blob
    // Two frames of one size: v1's is stale, v2's live.
    assert.equal(staleBytes, liveBytes, `v1's frame is stale once no snapshot needs it: stale ${staleBytes}, live ${liveBytes}`)
  } finally {
    await db.close()
  }
})
