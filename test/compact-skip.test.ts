// Goal: `compact()` of a tree that sits in one level rewrites it exactly when a rewrite would
// drop something or re-key a table, and decides that from the tables (their properties and key
// epoch), so the skip holds across a reopen, where this process remembers nothing.
// Method: a store compacted into one level, closed and reopened, compacted again: the same table
// files and no compaction bytes written. Then each thing a rewrite exists for (an overwrite, a
// delete, a range delete, versions a snapshot kept and released since, a table written before
// the shadowedEntryCount property, a table under an old key epoch) must make the next compact()
// rewrite, leave one entry per live key, and the compact() after it rewrite nothing again.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, open, type Db, type EngineOptions } from '../index.ts'

const KEY_COUNT = 100
const keyOf = (index: number): string => `key${String(index).padStart(3, '0')}`
const valueOf = (index: number, round = 0): Buffer => Buffer.from(`r${round}-${index}-`.padEnd(200, 'x'), 'latin1')

/** What these tests use of either store. */
type Store = Pick<Db, 'put' | 'delete' | 'deleteRange' | 'snapshot' | 'compact' | 'get' | 'close'> & {
  stats(): { levels: { entryCount: number }[]; compactionCount: number; compactionBytesWritten: number }
}

/** Opens the store at /db of `vfs`, with KV separation (values of 64 B and more in blob files) or without. */
function openStore(vfs: MemVfs, kvSeparation: boolean): Promise<Store> {
  return kvSeparation ? BlobDb.open('/db', { vfs }, { minBlobSize: 64 }) : open('/db', { vfs })
}

function tableNames(vfs: MemVfs): string[] {
  return vfs.list('/db').filter((name) => name.endsWith('.sst')).sort()
}

function entryCount(db: Store): number {
  return db.stats().levels.reduce((total, level) => total + level.entryCount, 0)
}

/** Asserts that compact() leaves every table file in place and writes no compaction bytes. */
async function assertCompactRewritesNothing(db: Store, names: () => string[], message: string): Promise<void> {
  const before = names()
  const { compactionCount, compactionBytesWritten } = db.stats()
  await db.compact()
  assert.deepEqual(names(), before, `${message}: same table files`)
  assert.equal(db.stats().compactionCount, compactionCount, `${message}: no compaction`)
  assert.equal(db.stats().compactionBytesWritten, compactionBytesWritten, `${message}: no compaction bytes written`)
}

/** Asserts that compact() replaces every table file of the store. */
async function assertCompactRewrites(db: Store, names: () => string[], message: string): Promise<void> {
  const before = names()
  await db.compact()
  const after = new Set(names())
  assert.ok(after.size > 0, `${message}: tables left`)
  for (const name of before) assert.equal(after.has(name), false, `${message}: ${name} rewritten`)
}

/** A store at /db of a fresh MemVfs holding KEY_COUNT keys compacted into one level, reopened. */
async function compactedStore(kvSeparation: boolean): Promise<{ vfs: MemVfs; db: Store }> {
  const vfs = new MemVfs()
  const db = await openStore(vfs, kvSeparation)
  for (let index = 0; index < KEY_COUNT; index++) await db.put(keyOf(index), valueOf(index))
  await db.compact()
  assert.equal(db.stats().levels.filter((level) => level.entryCount > 0).length, 1, 'one level holds the data')
  await db.close()
  return { vfs, db: await openStore(vfs, kvSeparation) }
}

for (const kvSeparation of [false, true]) {
  describe(`compact() of a one-level tree (KV separation ${kvSeparation ? 'on' : 'off'})`, () => {
    test('after a reopen rewrites nothing when no table holds anything to drop', async () => {
      const { vfs, db } = await compactedStore(kvSeparation)
      try {
        await assertCompactRewritesNothing(db, () => tableNames(vfs), 'first compact() after the reopen')
        await assertCompactRewritesNothing(db, () => tableNames(vfs), 'second compact()')
        for (let index = 0; index < KEY_COUNT; index++) assert.deepEqual(await db.get(keyOf(index)), valueOf(index), keyOf(index))
      } finally {
        await db.close()
      }
    })

    const mutations: { name: string; liveCount: number; apply(db: Store): Promise<void>; expected(index: number): Buffer | undefined }[] = [
      { name: 'an overwrite', liveCount: KEY_COUNT, apply: (db) => db.put(keyOf(7), valueOf(7, 1)), expected: (index) => valueOf(index, index === 7 ? 1 : 0) },
      { name: 'a delete', liveCount: KEY_COUNT - 1, apply: (db) => db.delete(keyOf(7)), expected: (index) => (index === 7 ? undefined : valueOf(index)) },
      { name: 'a range delete', liveCount: KEY_COUNT - 10, apply: (db) => db.deleteRange(keyOf(10), keyOf(20)), expected: (index) => (index >= 10 && index < 20 ? undefined : valueOf(index)) },
    ]
    for (const mutation of mutations) {
      for (const snapshotHeld of [false, true]) {
        test(`rewrites after ${mutation.name}${snapshotHeld ? ' under a snapshot released since, across a reopen' : ''}, then rewrites nothing`, async () => {
          const opened = await compactedStore(kvSeparation)
          const vfs = opened.vfs
          let db = opened.db
          try {
            if (snapshotHeld) {
              // The snapshot keeps the old version through this compact(); the reopen releases it
              // and leaves only the tables to say that something can be dropped now.
              const snapshot = db.snapshot()
              await mutation.apply(db)
              await db.compact()
              assert.ok(entryCount(db) > mutation.liveCount, `the snapshot keeps old versions: ${entryCount(db)} entries`)
              assert.deepEqual(await snapshot.get(keyOf(7)), valueOf(7))
              snapshot.release()
              await db.close()
              db = await openStore(vfs, kvSeparation)
            } else {
              await mutation.apply(db)
            }
            await assertCompactRewrites(db, () => tableNames(vfs), mutation.name)
            assert.equal(entryCount(db), mutation.liveCount, 'one entry per live key')
            for (let index = 0; index < KEY_COUNT; index++) assert.deepEqual(await db.get(keyOf(index)), mutation.expected(index), keyOf(index))
            await assertCompactRewritesNothing(db, () => tableNames(vfs), 'the compact() after')
          } finally {
            await db.close()
          }
        })
      }
    }
  })
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-compact-skip-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

describe('compact() of a one-level tree on disk', () => {
  test('rewrites a table written before the shadowedEntryCount property once', async () => {
    // Written by commit 35f5f6b's code: 20 keys compacted into one level-1 table, closed
    // (test/fixtures/stores/no-shadowed-entry-count/README.md).
    const fixture = path.join(import.meta.dirname, 'fixtures', 'stores', 'no-shadowed-entry-count')
    const directory = path.join(root, 'no-shadowed-entry-count')
    fs.cpSync(fixture, directory, { recursive: true })
    fs.rmSync(path.join(directory, 'README.md'))
    const names = (): string[] => fs.readdirSync(directory).filter((name) => name.endsWith('.sst')).sort()
    assert.deepEqual(names(), ['000005.sst'])
    const db = await open(directory)
    try {
      assert.equal(db.stats().levels[1].tableCount, 1, 'the fixture sits in level 1')
      await assertCompactRewrites(db, names, 'a table without the property')
      await assertCompactRewritesNothing(db, names, 'its rewrite has the property')
      for (let index = 0; index < 20; index++) assert.equal((await db.get(`key${String(index).padStart(3, '0')}`))?.toString(), `value-${index}`)
    } finally {
      await db.close()
    }
  })

  test('reads the count from tables the background worker wrote', async () => {
    const directory = path.join(root, 'worker')
    const names = (): string[] => fs.readdirSync(directory).filter((name) => name.endsWith('.sst')).sort()
    const options: EngineOptions = { compactionThread: 'worker', flushThread: 'worker' }
    let db = await open(directory, options)
    for (let index = 0; index < KEY_COUNT; index++) await db.put(keyOf(index), valueOf(index))
    const snapshot = db.snapshot()
    await db.put(keyOf(7), valueOf(7, 1))
    await db.compact()
    assert.ok(db.stats().workerCompactionCount > 0, 'the worker wrote the level')
    snapshot.release()
    await db.close()
    db = await open(directory, options)
    try {
      await assertCompactRewrites(db, names, 'the version the snapshot kept')
      assert.equal(entryCount(db), KEY_COUNT)
      await assertCompactRewritesNothing(db, names, 'the compact() after')
    } finally {
      await db.close()
    }
  })

  test('rewrites tables under an old key epoch once (key rotation), then nothing', async () => {
    const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill)
    const epoch1: EngineOptions = { integrity: { encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: key(1) }], activeEpoch: 1 } } }
    const both: EngineOptions = { integrity: { encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: key(1) }, { epoch: 2, key: key(2) }], activeEpoch: 2 } } }
    const directory = path.join(root, 'rotation')
    const names = (): string[] => fs.readdirSync(directory).filter((name) => name.endsWith('.sst')).sort()
    let db = await open(directory, epoch1)
    for (let index = 0; index < KEY_COUNT; index++) await db.put(keyOf(index), valueOf(index))
    await db.compact()
    await assertCompactRewritesNothing(db, names, 'under the epoch it was written with')
    await db.close()
    db = await open(directory, both)
    try {
      await assertCompactRewrites(db, names, 'after rotation to epoch 2')
      assert.equal(db.stats().integrity.rekeyedTableCount, names().length)
      await assertCompactRewritesNothing(db, names, 'every table under epoch 2')
      assert.deepEqual(await db.get(keyOf(3)), valueOf(3))
    } finally {
      await db.close()
    }
  })
})
