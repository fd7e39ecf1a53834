// Goal: Db.getMany and BlobDb.getMany return what get() returns for each key, in order, read at
// one point (a snapshot's, or the state when the call runs), and refuse bad input with typed
// errors.
// Method: a seeded store with values in the memtable and in tables (and, for BlobDb, in blob
// files), overwritten and deleted after a snapshot; getMany over random key lists (repeats and
// absent keys included) is compared with a Map of the current state and one of the snapshot's.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { open, BlobDb, MemVfs, type Db } from '../index.ts'
import { Rng, seedFromEnv } from './support/seed.ts'

const KEY_COUNT = 600

function keyOf(index: number): string {
  return `key-${String(index).padStart(4, '0')}`
}

/** What the check uses, which Db and BlobDb both have. */
type Store = Pick<Db, 'put' | 'delete' | 'flush' | 'snapshot' | 'getMany'>

async function checkAgainstModel(db: Store, seed: number, valueBytes: (rng: Rng) => number): Promise<void> {
  const rng = new Rng(seed)
  const model = new Map<string, string>()
  for (let step = 0; step < 3000; step++) {
    const key = keyOf(rng.below(KEY_COUNT))
    if (rng.chance(0.85)) {
      const value = `${step}:`.padEnd(valueBytes(rng), 'v')
      await db.put(key, value)
      model.set(key, value)
    } else {
      await db.delete(key)
      model.delete(key)
    }
    if (step === 1500) await db.flush()
  }
  const snapshot = db.snapshot()
  const frozen = new Map(model)
  for (let step = 0; step < 300; step++) {
    const key = keyOf(rng.below(KEY_COUNT))
    await db.put(key, `after-${step}`)
    model.set(key, `after-${step}`)
  }
  try {
    for (let round = 0; round < 20; round++) {
      // Up to 50 keys, some beyond the key space (absent), some repeated.
      const keys = Array.from({ length: rng.below(50) }, () => keyOf(rng.below(KEY_COUNT + 100)))
      if (keys.length > 0 && rng.chance(0.5)) keys.push(keys[0])
      const now = await db.getMany(keys)
      assert.deepEqual(now.map((value) => value?.toString()), keys.map((key) => model.get(key)), `seed=${seed} round=${round} latest ${keys.join(',')}`)
      const then = await db.getMany(keys, { snapshot })
      assert.deepEqual(then.map((value) => value?.toString()), keys.map((key) => frozen.get(key)), `seed=${seed} round=${round} snapshot ${keys.join(',')}`)
      assert.deepEqual(await snapshot.getMany(keys), then, `seed=${seed} round=${round} snapshot.getMany ${keys.join(',')}`)
    }
  } finally {
    snapshot.release()
  }
}

describe('getMany', () => {
  test('Db: every key as get() reads it, latest and in a snapshot, in memtables and tables', async (t) => {
    const seed = seedFromEnv('getMany db')
    t.diagnostic(`seed=${seed}`)
    const db = await open('/db', { vfs: new MemVfs(), memtableSizeBytes: 32 * 1024 })
    try {
      await checkAgainstModel(db, seed, (rng) => 4 + rng.below(60))
    } finally {
      await db.close()
    }
  })

  test('BlobDb: separated and inline values, through the handle cache and the index', async (t) => {
    const seed = seedFromEnv('getMany blobdb')
    t.diagnostic(`seed=${seed}`)
    const db = await BlobDb.open('/blobs', { vfs: new MemVfs(), memtableSizeBytes: 64 * 1024 }, { minBlobSize: 100 })
    try {
      await checkAgainstModel(db, seed, (rng) => (rng.chance(0.5) ? 4 + rng.below(60) : 100 + rng.below(400)))
      assert.ok(db.stats().blob.handleCache.hitCount > 0, 'some keys were read through the handle cache')
    } finally {
      await db.close()
    }
  })

  test('an empty list gives an empty list; bad input and a closed store are typed errors', async () => {
    for (const kvSeparation of [undefined, { minBlobSize: 100 }]) {
      const db = await open('/db', { vfs: new MemVfs(), kvSeparation })
      assert.deepEqual(await db.getMany([]), [])
      await assert.rejects(db.getMany('key' as unknown as string[]), { code: 'INVALID_ARGUMENT' })
      await assert.rejects(db.getMany(['a', 7 as unknown as string]), { code: 'INVALID_ARGUMENT' })
      const snapshot = db.snapshot()
      snapshot.release()
      await assert.rejects(snapshot.getMany(['a']), { code: 'INVALID_ARGUMENT' })
      await db.close()
      await assert.rejects(db.getMany(['a']), { code: 'CLOSED' })
    }
  })
})
