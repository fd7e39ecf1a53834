// Goal: a compaction in the worker thread that drops more blob handles than a JS call takes
// arguments (V8 throws RangeError past ~120k) completes and counts every dropped frame stale
// once. A `dropped.push(...result.dropped)` failed it, and with it every later pick of the same
// compaction, leaving the store read-only (found by review, 2026-11-26).
// Method: 160,000 separated values written twice, one level-0 table per round, so compacting
// the two drops all 160,000 handles of the first round in one worker job.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { BlobDb } from '../index.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worker-dropped-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))
const KEY_COUNT = 160_000
const BATCH_COUNT = 5_000
const valueOf = (round: number, index: number): string => `r${round}-${index}`.padEnd(24, '.')

test('a worker compaction dropping 160,000 blob handles completes and counts each once', { timeout: 300_000 }, async () => {
  const db = await BlobDb.open(root, { compactionThread: 'worker', flushThread: 'main', memtableSizeBytes: 256 * 1024 * 1024, l0CompactionTrigger: 8, backgroundWork: false }, { minBlobSize: 16, gcOnCompact: false })
  try {
    for (let round = 0; round < 2; round++) {
      for (let start = 0; start < KEY_COUNT; start += BATCH_COUNT) {
        const ops = []
        for (let index = start; index < start + BATCH_COUNT; index++) ops.push({ type: 'put' as const, key: `k${index}`, value: valueOf(round, index) })
        await db.batch(ops)
      }
      await db.flush() // one level-0 table per round: the second shadows every entry of the first
    }
    await db.compact()
    const stats = db.stats()
    assert.ok(stats.workerCompactionCount > 0, 'the compaction ran in the worker')
    // Both rounds' frames have the same sizes key by key: the first round's are all stale now.
    assert.equal(stats.blob.staleBytes, stats.blob.liveBytes, 'every first-round frame counted stale, once')
    assert.equal((await db.get('k7'))?.toString(), valueOf(1, 7))
    await db.put('after', 'writes still work')
  } finally {
    await db.close()
  }
})
