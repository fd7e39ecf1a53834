// Goal: every malformed call gets a typed StrataError (INVALID_ARGUMENT, CLOSED, LOCKED) instead
// of a crash, a TypeError or silently stored garbage, and a rejected call loses nothing already
// stored and leaves the store writable.
// Method: a store on MemVfs (a temp directory for the lock tests) holds a few known keys; each
// test throws bad keys, values, batch operations and options at every public entry point, then
// reads the known keys back and writes once more.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { open, Db, MemVfs } from '../index.ts'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const KEY_SIZE_BYTES_MAX = 64 * 1024
const VALUE_SIZE_BYTES_MAX = 64 * 1024 * 1024
const KNOWN = new Map([['alpha', '1'], ['beta', '2'], ['gamma', '3']])

const invalid = { code: 'INVALID_ARGUMENT' }
const closed = { code: 'CLOSED' }

/** Keys that are not bytes or a string, or are too long. (The empty key is valid, as in LevelDB; see engine/keys.ts.) */
const BAD_KEYS: [string, unknown][] = [
  ['a number', 42], ['an object', { a: 1 }], ['null', null], ['undefined', undefined], ['an array', [1, 2]],
  ['a boolean', true], ['a bigint', 7n],
  ['a key over the limit', new Uint8Array(KEY_SIZE_BYTES_MAX + 1)],
]

async function storeWithKnownKeys(): Promise<Db> {
  const db = await open('/bad-input', { vfs: new MemVfs() })
  for (const [key, value] of KNOWN) await db.put(key, value)
  return db
}

/** Nothing stored was lost and the store still takes writes. */
async function assertIntact(db: Db): Promise<void> {
  for (const [key, value] of KNOWN) assert.equal((await db.get(key))?.toString(), value, `${key} lost after a rejected call`)
  const keys: string[] = []
  for await (const [key] of db.iterator()) keys.push(key.toString())
  assert.deepEqual(keys, [...KNOWN.keys()], 'the store holds exactly the known keys')
  await db.put('after', 'ok')
  assert.equal((await db.get('after'))?.toString(), 'ok')
  await db.delete('after')
}

describe('bad keys and values', () => {
  for (const [name, key] of BAD_KEYS) {
    test(`every entry point rejects ${name} as a key with INVALID_ARGUMENT`, async () => {
      const db = await storeWithKnownKeys()
      try {
        const k = key as string
        await assert.rejects(db.put(k, 'v'), invalid)
        await assert.rejects(db.get(k), invalid)
        assert.throws(() => db.getSync(k), invalid)
        await assert.rejects(db.delete(k), invalid)
        await assert.rejects(db.deleteRange(k, 'zzz'), invalid)
        await assert.rejects(db.deleteRange('a', k), invalid)
        await assert.rejects(db.batch([{ type: 'put', key: k, value: 'v' }]), invalid)
        await assert.rejects(db.batch([{ type: 'put', key: 'ok', value: 'v' }, { type: 'del', key: k }]), invalid)
        if (key !== undefined) {
          // An undefined bound means "no bound"; every other bad bound is an error.
          for (const bound of ['gt', 'gte', 'lt', 'lte']) assert.throws(() => db.iterator({ [bound]: k }), invalid, bound)
        }
        const iterator = db.iterator()
        assert.throws(() => iterator.seek(k), invalid)
        await iterator.close()
        await assertIntact(db)
      } finally {
        await db.close()
      }
    })
  }

  test('the empty key is a key like any other: stored, read, deleted', async () => {
    const db = await storeWithKnownKeys()
    try {
      await db.put('', 'empty')
      assert.equal((await db.get(new Uint8Array(0)))?.toString(), 'empty')
      const first = await db.iterator().next()
      assert.equal(first.value?.[0].length, 0, 'the empty key sorts first')
      await db.delete('')
      await assertIntact(db)
    } finally {
      await db.close()
    }
  })

  test('a key of exactly the limit is accepted', async () => {
    const db = await open('/bad-input', { vfs: new MemVfs() })
    try {
      const key = new Uint8Array(KEY_SIZE_BYTES_MAX).fill(0x61)
      await db.put(key, 'v')
      assert.equal((await db.get(key))?.toString(), 'v')
    } finally {
      await db.close()
    }
  })

  test('values that are not bytes or strings, or over the limit, are INVALID_ARGUMENT', async () => {
    const db = await storeWithKnownKeys()
    try {
      for (const value of [42, { a: 1 }, null, undefined, [1], true]) {
        await assert.rejects(db.put('k', value as unknown as string), invalid, String(value))
        await assert.rejects(db.batch([{ type: 'put', key: 'k', value: value as unknown as string }]), invalid, String(value))
      }
      await assert.rejects(db.put('k', new Uint8Array(VALUE_SIZE_BYTES_MAX + 1)), invalid)
      await assertIntact(db)
    } finally {
      await db.close()
    }
  })

  test('a batch whose record would exceed the log limit is INVALID_ARGUMENT and the store stays writable', async () => {
    // Each value is under the value limit; together they exceed one log record (64 MiB).
    const db = await storeWithKnownKeys()
    try {
      const big = new Uint8Array(VALUE_SIZE_BYTES_MAX / 2 + 1024)
      await assert.rejects(db.batch([{ type: 'put', key: 'big1', value: big }, { type: 'put', key: 'big2', value: big }]), invalid)
      assert.equal(await db.get('big1'), undefined, 'no part of the rejected batch is visible')
      await assertIntact(db)
    } finally {
      await db.close()
    }
  })
})

describe('bad batch operations and options', () => {
  test('malformed batches are INVALID_ARGUMENT and apply nothing', async () => {
    const db = await storeWithKnownKeys()
    try {
      const bad: unknown[] = [
        null, 'put', { type: 'put', key: 'x', value: 'v' },
        [null], [42], [{ type: 'nope', key: 'x' }], [{ key: 'x', value: 'v' }],
        [{ type: 'put', key: 'x' }], [{ type: 'delRange', start: 'b' }],
        [{ type: 'delRange', start: 'b', end: 'a' }], [{ type: 'delRange', start: 'b', end: 'b' }],
      ]
      for (const operations of bad) {
        await assert.rejects(db.batch(operations as never), invalid, JSON.stringify(operations))
      }
      // A bad op late in the batch must not let the earlier ops through.
      await assert.rejects(db.batch([{ type: 'del', key: 'alpha' }, { type: 'put', key: 'new', value: 'v' }, { type: 'nope' } as never]), invalid)
      await assertIntact(db)
    } finally {
      await db.close()
    }
  })

  test('bad write, read and iterator options are INVALID_ARGUMENT', async () => {
    const db = await storeWithKnownKeys()
    try {
      for (const options of [{ sync: 'yes' }, { sync: 1 }, null, 'sync']) {
        await assert.rejects(db.put('k', 'v', options as never), invalid, JSON.stringify(options))
        await assert.rejects(db.delete('alpha', options as never), invalid, JSON.stringify(options))
        await assert.rejects(db.batch([{ type: 'put', key: 'k', value: 'v' }], options as never), invalid, JSON.stringify(options))
      }
      for (const options of [{ limit: -5 }, { limit: 1.5 }, { limit: 'ten' }, { limit: Number.NaN }, null, 'reverse', { snapshot: {} }, { snapshot: 5 }]) {
        assert.throws(() => db.iterator(options as never), invalid, JSON.stringify(options))
      }
      await assert.rejects(db.get('alpha', { snapshot: { seqno: 1 } } as never), invalid)
      await assertIntact(db)
    } finally {
      await db.close()
    }
  })

  test('open() of the package entry rejects options that are not an object', async () => {
    for (const options of ['fast', 42, null, [], [{ vfs: new MemVfs() }]]) {
      await assert.rejects(open('/bad-open-entry', options as never), invalid, JSON.stringify(options))
    }
  })

  test('bad open options are INVALID_ARGUMENT', async () => {
    const vfs = new MemVfs()
    const bad: unknown[] = [
      { memtableSizeBytes: -1 }, { memtableSizeBytes: 1.5 }, { memtableSizeBytes: '4MB' }, { blockSizeBytes: 0 },
      { bloomBitsPerKey: -1 }, { walRecovery: 'maybe' }, { l0CompactionTrigger: 8, l0StopWritesTrigger: 4 },
      { openFileCountMax: 0 }, { createIfMissing: true, kvSeparation: 'yes' },
    ]
    for (const options of bad) await assert.rejects(open('/bad-open', { ...(options as object), vfs }), invalid, JSON.stringify(options))
    await assert.rejects(Db.open('/bad-open', 'fast' as never), invalid)
    await assert.rejects(Db.open('/bad-open', null as never), invalid)
    for (const directory of ['', 42, null, undefined]) await assert.rejects(open(directory as never, { vfs }), invalid, String(directory))
    // Nothing was created by the rejected opens, and a good open still works.
    assert.equal(vfs.exists('/bad-open/CURRENT'), false)
    const db = await open('/bad-open', { vfs })
    await db.close()
  })
})

describe('snapshots', () => {
  test("a snapshot's own get and iterator read its view; bad options are INVALID_ARGUMENT", async () => {
    const db = await storeWithKnownKeys()
    const snapshot = db.snapshot()
    const other = db.snapshot()
    try {
      const before = (await db.get('alpha'))!
      await db.put('alpha', 'changed')
      assert.deepEqual(await snapshot.get('alpha'), before)
      assert.deepEqual(snapshot.getSync('alpha'), before)
      const viaDb: Buffer[] = []
      for await (const [key] of db.iterator({ snapshot })) viaDb.push(key)
      const viaSnapshot: Buffer[] = []
      for await (const [key, value] of snapshot.iterator()) {
        viaSnapshot.push(key)
        if (key.toString() === 'alpha') assert.deepEqual(value, before)
      }
      assert.deepEqual(viaSnapshot, viaDb)
      await assert.rejects(snapshot.get(42 as never), invalid)
      assert.throws(() => snapshot.iterator(null as never), invalid)
      assert.throws(() => snapshot.iterator({ snapshot: other } as never), invalid)
      // Naming itself is allowed: the same read.
      for await (const [key] of snapshot.iterator({ snapshot } as never)) assert.ok(viaDb.some((k) => k.equals(key)))
    } finally {
      snapshot.release()
      other.release()
      await db.close()
    }
  })

  test('a released snapshot is INVALID_ARGUMENT for get and iterator; release is idempotent', async () => {
    const db = await storeWithKnownKeys()
    try {
      const snapshot = db.snapshot()
      assert.equal((await db.get('alpha', { snapshot }))?.toString(), '1')
      snapshot.release()
      snapshot.release()
      await assert.rejects(db.get('alpha', { snapshot }), invalid)
      assert.throws(() => db.getSync('alpha', { snapshot }), invalid)
      assert.throws(() => db.iterator({ snapshot }), invalid)
      await assert.rejects(snapshot.get('alpha'), invalid)
      assert.throws(() => snapshot.getSync('alpha'), invalid)
      assert.throws(() => snapshot.iterator(), invalid)
      assert.equal(db.stats().snapshotCount, 0)
      await assertIntact(db)
    } finally {
      await db.close()
    }
  })
})

describe('use after close()', () => {
  test('every entry point is CLOSED; close() is idempotent', async () => {
    const db = await storeWithKnownKeys()
    const iterator = db.iterator()
    await db.close()
    await db.close()
    assert.equal(db.closed, true)
    await assert.rejects(db.put('k', 'v'), closed)
    await assert.rejects(db.get('alpha'), closed)
    assert.throws(() => db.getSync('alpha'), closed)
    await assert.rejects(db.delete('alpha'), closed)
    await assert.rejects(db.deleteRange('a', 'b'), closed)
    await assert.rejects(db.batch([{ type: 'put', key: 'k', value: 'v' }]), closed)
    assert.throws(() => db.iterator(), closed)
    assert.throws(() => db.snapshot(), closed)
    assert.throws(() => db.stats(), closed)
    await assert.rejects(db.flush(), closed)
    await assert.rejects(db.compact(), closed)
    await assert.rejects(db.verify(), closed)
    // An iterator opened before close() must not read freed files.
    await assert.rejects(iterator.next(), closed)
    assert.throws(() => iterator.nextSync(), closed)
  })

  test('an empty batch after close() is CLOSED too', async () => {
    const db = await storeWithKnownKeys()
    await db.close()
    await assert.rejects(db.batch([]), closed)
  })
})

describe('the directory lock', () => {
  test('a second open in the same process is LOCKED, and works after close()', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-lock-'))
    try {
      const db = await open(directory)
      await db.put('kept', 'yes')
      await assert.rejects(open(directory), { code: 'LOCKED' })
      await assert.rejects(open(path.join(directory, '.', '')), { code: 'LOCKED' }, 'the same directory spelled differently')
      assert.equal((await db.get('kept'))?.toString(), 'yes', 'the failed open disturbed nothing')
      await db.close()
      const again = await open(directory)
      assert.equal((await again.get('kept'))?.toString(), 'yes')
      await again.close()
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  test('an open from another process is LOCKED while this one holds the store', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-lock-'))
    const tryOpen = (): string => {
      const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/open-child.ts', directory], { cwd: REPO_ROOT, encoding: 'utf8' })
      assert.equal(child.stderr, '')
      return child.stdout.trim()
    }
    try {
      const db = await open(directory)
      await db.put('kept', 'yes', { sync: true })
      assert.equal(tryOpen(), 'LOCKED')
      assert.equal((await db.get('kept'))?.toString(), 'yes')
      await db.close()
      assert.equal(tryOpen(), 'opened')
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})
