// Goal: a compaction whose input table holds more range tombstones than a JS call takes
// arguments (V8 throws RangeError past ~120k) completes. compactTables collected them with
// push(...spread): compact() rejected, and a background compaction left the store read-only,
// again at every reopen (found by review, 2026-11-26).
// Method: 200,000 range deletions in one memtable, flushed into one level-0 table, compacted.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemVfs, open } from '../index.ts'

const TOMBSTONE_COUNT = 200_000
const BATCH_COUNT = 5_000

test('compact() of a table with 200,000 range tombstones completes', { timeout: 300_000 }, async () => {
  const db = await open('/db', { vfs: new MemVfs(), memtableSizeBytes: 256 * 1024 * 1024, backgroundWork: false, compactionThread: 'main', flushThread: 'main' })
  try {
    await db.put('a', 'below') // something under the tombstones
    await db.put('r0000007a', 'deleted')
    await db.flush()
    await db.compact()
    for (let start = 0; start < TOMBSTONE_COUNT; start += BATCH_COUNT) {
      const ops = []
      for (let i = start; i < start + BATCH_COUNT; i++) {
        const n = String(i).padStart(7, '0')
        ops.push({ type: 'delRange' as const, start: `r${n}a`, end: `r${n}b` })
      }
      await db.batch(ops)
    }
    await db.flush() // one level-0 table with every tombstone
    await db.compact()
    assert.equal((await db.get('a'))?.toString(), 'below')
    assert.equal(await db.get('r0000007a'), undefined, 'the range deletion still applies')
    await db.put('after', 'writes still work')
  } finally {
    await db.close()
  }
})
