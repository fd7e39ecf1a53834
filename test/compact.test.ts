// Goal: `compact()` keeps its word ("every shadowed version, deletion and range deletion no
// snapshot can see is dropped") when the whole tree already sits in one level: it used to merge
// nothing then, so versions a snapshot kept at the last compaction stayed after the snapshot was
// released, and with KV separation their blob frames counted live (found by review, 2026-11-26).
// Method: a version kept for a snapshot through one compact(), the snapshot released, compact()
// again; count the entries left in the tables and, with KV separation, the stale frame bytes.
// Then a model run (from the second review's probe): puts, deletes, range deletes, snapshots
// taken and released, compact() and flush() interleaved, compactions on either thread, with
// and without KV separation; every live snapshot and the latest view read as the model says
// after each step, and a compact() with no snapshot open leaves one entry per live key.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, open, type Db, type Snapshot } from '../index.ts'
import { mulberry32Float } from '../engine/mulberry32.ts'

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

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-compact-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

/** What the model run uses of either store. */
type Store = Pick<Db, 'put' | 'delete' | 'deleteRange' | 'snapshot' | 'compact' | 'flush' | 'get' | 'close'> & { stats(): { levels: { entryCount: number }[] } }
const MODEL_KEY_COUNT = 40
const modelKeyOf = (index: number): string => `k${String(index).padStart(3, '0')}`

for (const kvSeparation of [false, true]) {
  for (const compactionThread of ['main', 'worker'] as const) {
    test(`compact() against a model (KV separation ${kvSeparation ? 'on' : 'off'}, compactions on the ${compactionThread} thread)`, { timeout: 120_000 }, async () => {
      for (let seed = 1; seed <= 6; seed++) {
        const random = mulberry32Float(seed * 7919 + (kvSeparation ? 1 : 0))
        // The worker reaches files only through the real file system.
        const [directory, vfs] = compactionThread === 'worker' ? [path.join(root, `${kvSeparation}-${seed}`), undefined] : ['/db', new MemVfs()]
        const engine = { vfs, compactionThread, flushThread: 'main' as const, backgroundWork: false }
        const db: Store = kvSeparation ? await BlobDb.open(directory, engine, { minBlobSize: 8, gcOnCompact: random() < 0.5 }) : await open(directory, engine)
        const model = new Map<string, string>()
        const snapshots: { snapshot: Snapshot; model: Map<string, string> }[] = []
        try {
          for (let step = 0; step < 300; step++) {
            const roll = random()
            const key = modelKeyOf(Math.floor(random() * MODEL_KEY_COUNT))
            if (roll < 0.45) {
              const value = `v${step}-${seed}`.padEnd(20, '.')
              await db.put(key, value)
              model.set(key, value)
            } else if (roll < 0.55) {
              await db.delete(key)
              model.delete(key)
            } else if (roll < 0.6) {
              const other = modelKeyOf(Math.floor(random() * MODEL_KEY_COUNT))
              const [start, end] = key < other ? [key, other] : [other, key]
              if (start === end) continue
              await db.deleteRange(start, end)
              for (const k of [...model.keys()]) if (k >= start && k < end) model.delete(k)
            } else if (roll < 0.67) {
              snapshots.push({ snapshot: db.snapshot(), model: new Map(model) })
            } else if (roll < 0.75 && snapshots.length > 0) {
              snapshots.splice(Math.floor(random() * snapshots.length), 1)[0].snapshot.release()
            } else if (roll < 0.88) {
              await db.compact()
              if (snapshots.length === 0) {
                const entryCount = db.stats().levels.reduce((total, level) => total + level.entryCount, 0)
                assert.equal(entryCount, model.size, `seed ${seed} step ${step}: entries after compact() with no snapshot open`)
              }
            } else {
              await db.flush()
            }
            for (let index = 0; index < MODEL_KEY_COUNT; index++) {
              const k = modelKeyOf(index)
              assert.equal((await db.get(k))?.toString(), model.get(k), `seed ${seed} step ${step}: latest ${k}`)
              for (const [which, kept] of snapshots.entries()) assert.equal((await kept.snapshot.get(k))?.toString(), kept.model.get(k), `seed ${seed} step ${step}: snapshot ${which} ${k}`)
            }
          }
        } finally {
          for (const kept of snapshots) kept.snapshot.release()
          await db.close()
        }
      }
    })
  }
}
