// Goal: under I/O faults the store fails loudly and safely: a write that cannot be made durable
// rejects with a typed IO_ERROR; a failed background flush or compaction turns the store
// read-only (reads go on, writes reject with READ_ONLY carrying the cause) without an unhandled
// rejection; disk-full never damages data already stored; a reopen once the fault is gone
// recovers every acknowledged write; a failed read is a typed IO_ERROR, never wrong data.
// Method: FaultVfs (engine/vfs/fault-vfs.ts) over MemVfs injects the fault; MemVfs.crash()
// models the power loss that follows; every check reads through the public API.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { open, isStrataError, BlobDb, MemVfs, type Db, type OpenOptions } from '../index.ts'
import { FaultVfs } from '../engine/vfs/fault-vfs.ts'

const SMALL: OpenOptions = { memtableSizeBytes: 8 * 1024, l0CompactionTrigger: 2, targetTableSizeBytes: 8 * 1024, blockSizeBytes: 512 }
const KV = { minBlobSize: 64 }

const keyOf = (i: number): string => `key${String(i).padStart(5, '0')}`
const valueOf = (i: number, size = 40): string => `v${i}-`.padEnd(size, 'x')

// No unhandled rejection may escape, whatever fails in the background.
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
before(() => process.on('unhandledRejection', onUnhandled))
after(() => {
  process.off('unhandledRejection', onUnhandled)
  assert.deepEqual(unhandled, [], 'unhandled rejections escaped')
})

async function expectAll(db: Db, count: number, note: string, size = 40): Promise<void> {
  for (let i = 0; i < count; i++) assert.equal((await db.get(keyOf(i)))?.toString(), valueOf(i, size), `${note}: ${keyOf(i)}`)
}

/** Waits until background work settled (the store went read-only or nothing is queued). */
async function settle(db: Db): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const stats = db.stats()
    if (stats.readOnly || stats.immutableMemtableCount === 0) return
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe('faults at a log switch', () => {
  test('a failed fsync of the frozen log: no record of the new log survives without the writes before it', async () => {
    const mem = new MemVfs()
    const vfs = new FaultVfs(mem)
    const db = await open('/db', { ...SMALL, vfs })
    await db.put('base', 'b', { sync: true })
    // The first log fsync from here is the frozen log's, at the switch; no table may make its
    // writes durable before the crash either.
    vfs.addRule({ op: 'sync', path: /\.wal$/, nth: 1, errno: 'EIO' })
    vfs.addRule({ op: 'create', path: /\.sst$/, errno: 'ENOSPC' })
    const unsynced: Promise<void>[] = []
    let count = 0
    for (; db.stats().immutableMemtableCount === 0; count++) unsynced.push(db.put(keyOf(count), valueOf(count)))
    // In the turn of the switch: its record goes to the new log, whose fsync must wait for the old one's.
    await assert.rejects(db.put('after-switch', 'x', { sync: true }), (error) => isStrataError(error, 'IO_ERROR'))
    await Promise.allSettled(unsynced)
    assert.ok(vfs.injected.some((fault) => fault.op === 'sync' && fault.path.endsWith('.wal')), 'the frozen log fsync failed')
    const reopened = await open('/db', { ...SMALL, vfs: mem.crash() })
    try {
      // The frozen log's writes were never synced (its fsync failed), so the new log's record,
      // which comes after them, must not be there either.
      assert.equal(await reopened.get('after-switch'), undefined, 'the new log\'s record survived without the writes of the frozen log before it')
      assert.equal((await reopened.get('base'))?.toString(), 'b')
    } finally {
      await reopened.close()
    }
    await db.close().catch(() => undefined)
  })

  test('ENOSPC creating the next log stops writes with READ_ONLY; the memtable stays active, nothing acknowledged is lost', async () => {
    const mem = new MemVfs()
    const vfs = new FaultVfs(mem)
    const db = await open('/db', { ...SMALL, vfs })
    vfs.addRule({ op: 'create', path: /\.wal$/, errno: 'ENOSPC' })
    let acknowledged = 0
    let refused: unknown
    for (; acknowledged < 1000; acknowledged++) {
      try {
        await db.put(keyOf(acknowledged), valueOf(acknowledged), { sync: true })
      } catch (error) {
        refused = error
        break
      }
    }
    assert.ok(isStrataError(refused, 'READ_ONLY'), `the write after the failed switch: ${String(refused)}`)
    assert.ok(vfs.injected.some((fault) => fault.op === 'create'), 'the next log could not be created')
    assert.equal(db.stats().immutableMemtableCount, 0, 'no memtable was frozen without a new log')
    await expectAll(db, acknowledged, 'before close')
    await assert.rejects(db.flush(), (error) => isStrataError(error, 'READ_ONLY'))
    await db.close().catch(() => undefined)
    const reopened = await open('/db', { ...SMALL, vfs: mem.crash() })
    try {
      await expectAll(reopened, acknowledged, 'after crash')
    } finally {
      await reopened.close()
    }
  })
})

for (const kvSeparation of [undefined, KV]) {
  const label = kvSeparation === undefined ? 'inline values' : 'KV separation'
  const size = kvSeparation === undefined ? 40 : 100
  const optionsOf = (vfs: FaultVfs | MemVfs): OpenOptions & { kvSeparation?: typeof KV } => ({ ...SMALL, vfs, kvSeparation })

  describe(`faults (${label})`, () => {
    test('a failing WAL sync rejects that put with IO_ERROR and loses no acknowledged write', async () => {
      const mem = new MemVfs()
      const vfs = new FaultVfs(mem)
      const db = await open('/db', optionsOf(vfs))
      for (let i = 0; i < 20; i++) await db.put(keyOf(i), valueOf(i, size), { sync: true })
      vfs.addRule({ op: 'sync', path: /\.(wal|blob)$/, nth: 1, errno: 'EIO' })
      await assert.rejects(db.put(keyOf(20), valueOf(20, size), { sync: true }), (error) => isStrataError(error, 'IO_ERROR'))
      assert.equal(vfs.injected.length, 1)
      // After a failed fsync nothing more can be made durable in order: later writes fail typed.
      await assert.rejects(db.put(keyOf(21), valueOf(21, size), { sync: true }), (error) => isStrataError(error))
      await expectAll(db, 20, 'before crash', size)
      const reopened = await open('/db', optionsOf(mem.crash()))
      try {
        await expectAll(reopened, 20, 'after crash', size)
        assert.equal(await reopened.get(keyOf(21)), undefined)
        await reopened.put('after', 'works', { sync: true })
      } finally {
        await reopened.close()
      }
    })

    test('a short WAL write rejects the put; the torn tail is cut on reopen', async () => {
      const mem = new MemVfs()
      const vfs = new FaultVfs(mem, { seed: 11 })
      const db = await open('/db', optionsOf(vfs))
      for (let i = 0; i < 10; i++) await db.put(keyOf(i), valueOf(i, size), { sync: true })
      vfs.addRule({ op: 'append', path: /\.(wal|blob)$/, nth: 1, mode: 'short-write', errno: 'ENOSPC' })
      await assert.rejects(db.put(keyOf(10), valueOf(10, size), { sync: true }), (error) => isStrataError(error, 'IO_ERROR'))
      await assert.rejects(db.put(keyOf(11), valueOf(11, size)), (error) => isStrataError(error))
      await expectAll(db, 10, 'before reopen', size)
      // The torn bytes were not synced, so the power loss drops them; a clean close would too.
      const reopened = await open('/db', optionsOf(mem.crash()))
      try {
        await expectAll(reopened, 10, 'after reopen', size)
        assert.equal(await reopened.get(keyOf(11)), undefined)
      } finally {
        await reopened.close()
      }
    })

    test('ENOSPC during a background flush turns the store read-only; reopen recovers', async () => {
      const mem = new MemVfs()
      const vfs = new FaultVfs(mem)
      const db = await open('/db', optionsOf(vfs))
      vfs.addRule({ op: 'append', path: /\.sst$/, errno: 'ENOSPC' })
      let acknowledged = 0
      let failure: unknown
      for (let i = 0; i < 2000; i++) {
        try {
          await db.put(keyOf(i), valueOf(i, size), { sync: true })
          acknowledged = i + 1
        } catch (error) {
          failure = error
          break
        }
        await settle(db)
      }
      assert.ok(isStrataError(failure, 'READ_ONLY'), `expected READ_ONLY, got ${String(failure)}`)
      assert.ok(isStrataError(failure.cause, 'IO_ERROR'), 'READ_ONLY carries the IO_ERROR cause')
      assert.equal(failure.cause.details.errno, 'ENOSPC')
      assert.ok(db.stats().readOnly)
      assert.ok(acknowledged > 0)
      // Reads keep working, from memtables and tables alike.
      await expectAll(db, acknowledged, 'read-only store', size)
      let iterated = 0
      for await (const entry of db.iterator()) iterated += entry.length === 2 ? 1 : 0
      assert.equal(iterated, acknowledged)
      await assert.rejects(db.flush(), (error) => isStrataError(error, 'READ_ONLY'))
      await assert.rejects(db.delete(keyOf(0)), (error) => isStrataError(error, 'READ_ONLY'))
      await assert.rejects(db.batch([{ type: 'put', key: 'b', value: 'c' }]), (error) => isStrataError(error, 'READ_ONLY'))
      await db.close()
      vfs.clearRules()
      const reopened = await open('/db', optionsOf(vfs))
      try {
        await expectAll(reopened, acknowledged, 'after reopen', size)
        await reopened.put('after', 'works', { sync: true })
        await reopened.flush()
        await reopened.compact()
        await expectAll(reopened, acknowledged, 'after flush and compaction', size)
        assert.equal((await reopened.verify()).ok, true)
      } finally {
        await reopened.close()
      }
    })

    test('ENOSPC during a background compaction turns the store read-only and never damages the inputs', async () => {
      const mem = new MemVfs()
      // `let`, assigned once after open: the fault hook runs during open and must see undefined, not a TDZ error.
      // eslint-disable-next-line prefer-const
      let db: Db | undefined
      // A table created while no memtable awaits flush is a compaction output: fail its appends.
      const vfs = new FaultVfs(mem, {
        onOp: (op, filePath) => {
          if (op !== 'create' || !filePath.endsWith('.sst') || db === undefined || vfs.injected.length > 0) return
          if (db.stats().immutableMemtableCount === 0) vfs.addRule({ op: 'append', path: new RegExp(`${filePath}$`), errno: 'ENOSPC' })
        },
      })
      db = await open('/db', optionsOf(vfs))
      let acknowledged = 0
      let failure: unknown
      for (let i = 0; i < 5000 && failure === undefined; i++) {
        try {
          await db.put(keyOf(i), valueOf(i, size), { sync: i % 10 === 9 })
          acknowledged = i + 1
        } catch (error) {
          failure = error
        }
        await settle(db)
      }
      assert.ok(isStrataError(failure, 'READ_ONLY'), `expected READ_ONLY, got ${String(failure)}`)
      assert.ok(isStrataError(failure.cause, 'IO_ERROR') && failure.cause.details.errno === 'ENOSPC', 'READ_ONLY carries the ENOSPC cause')
      assert.ok(db.stats().levels[0].tableCount + db.stats().levels[1].tableCount >= 2, 'a compaction was due')
      await expectAll(db, acknowledged, 'after failed compaction', size)
      assert.equal((await db.verify()).ok, true)
      await db.close()
      vfs.clearRules()
      const reopened = await open('/db', optionsOf(mem.crash()))
      try {
        await expectAll(reopened, acknowledged, 'after crash', size)
        assert.equal((await reopened.verify()).ok, true)
        await reopened.compact()
        await expectAll(reopened, acknowledged, 'after a compaction that succeeds', size)
      } finally {
        await reopened.close()
      }
    })

    test('an explicit compaction failing with ENOSPC rejects typed; a retry after the fault succeeds', async () => {
      const mem = new MemVfs()
      const vfs = new FaultVfs(mem)
      const db = await open('/db', { ...optionsOf(vfs), backgroundWork: false })
      const count = 300
      for (let i = 0; i < count; i++) {
        await db.put(keyOf(i), valueOf(i, size))
        if (i % 100 === 99) await db.flush()
      }
      vfs.addRule({ op: 'append', path: /\.sst$/, errno: 'ENOSPC' })
      await assert.rejects(db.compact(), (error) => isStrataError(error, 'IO_ERROR'))
      await expectAll(db, count, 'after failed compaction', size)
      vfs.clearRules()
      await db.compact()
      await expectAll(db, count, 'after retried compaction', size)
      assert.equal((await db.verify()).ok, true)
      await db.close()
      const reopened = await open('/db', optionsOf(mem.crash()))
      try {
        await expectAll(reopened, count, 'after crash', size)
        assert.equal((await reopened.verify()).ok, true)
      } finally {
        await reopened.close()
      }
    })

    test('disk full for every file never corrupts existing data', async () => {
      const mem = new MemVfs()
      const vfs = new FaultVfs(mem)
      const db = await open('/db', optionsOf(vfs))
      const count = 400
      for (let i = 0; i < count; i++) await db.put(keyOf(i), valueOf(i, size), { sync: i % 50 === 49 })
      await db.flush()
      vfs.addRule({ op: 'append', errno: 'ENOSPC' })
      vfs.addRule({ op: 'create', errno: 'ENOSPC' })
      let failures = 0
      for (let i = 0; i < 100; i++) {
        try {
          await db.put(keyOf(count + i), valueOf(i, size), { sync: true })
        } catch (error) {
          assert.ok(isStrataError(error), `untyped error ${String(error)}`)
          failures++
        }
      }
      assert.equal(failures, 100)
      // Compaction may have nothing to write (it resolves) or fail (typed); it never damages data.
      await db.compact().catch((error) => assert.ok(isStrataError(error), `untyped error ${String(error)}`))
      await expectAll(db, count, 'disk full', size)
      assert.equal((await db.verify()).ok, true)
      await db.close().catch((error) => assert.ok(isStrataError(error)))
      vfs.clearRules()
      for (const image of [mem.crash(), vfs]) {
        const reopened = await open('/db', optionsOf(image))
        try {
          await expectAll(reopened, count, 'after disk full', size)
          assert.equal((await reopened.verify()).ok, true)
        } finally {
          await reopened.close()
        }
      }
    })

    test('EIO on read is a typed IO_ERROR and later reads succeed once the fault is gone', async () => {
      const mem = new MemVfs()
      const vfs = new FaultVfs(mem)
      const first = await open('/db', optionsOf(vfs))
      for (let i = 0; i < 100; i++) await first.put(keyOf(i), valueOf(i, size))
      await first.flush()
      await first.close()
      const db = await open('/db', optionsOf(vfs))
      try {
        vfs.addRule({ op: 'read', path: /\.(sst|blob)$/, errno: 'EIO' })
        await assert.rejects(db.get(keyOf(50)), (error) => isStrataError(error, 'IO_ERROR') && error.details.errno === 'EIO')
        await assert.rejects(async () => {
          for await (const entry of db.iterator()) assert.ok(entry)
        }, (error) => isStrataError(error, 'IO_ERROR'))
        vfs.clearRules()
        await expectAll(db, 100, 'after the read fault is gone', size)
      } finally {
        await db.close()
      }
    })

    test('a read-only store appends nothing for the writes it refuses (no blob frames on a full disk)', async () => {
      const mem = new MemVfs()
      const vfs = new FaultVfs(mem)
      const db = await open('/db', optionsOf(vfs))
      for (let i = 0; i < 10; i++) await db.put(keyOf(i), valueOf(i, size))
      vfs.addRule({ op: 'append', path: /\.wal$/, nth: 1, errno: 'ENOSPC' })
      await assert.rejects(db.put(keyOf(10), valueOf(10, size)), (error) => isStrataError(error, 'IO_ERROR'))
      assert.equal(db.stats().readOnly, true)
      const bytesOnDisk = (): number => mem.list('/db').reduce((total, name) => total + mem.sizeBytes(`/db/${name}`), 0)
      const before = bytesOnDisk()
      for (let i = 0; i < 50; i++) await assert.rejects(db.put(keyOf(100 + i), valueOf(100 + i, 500)), (error) => isStrataError(error, 'READ_ONLY'))
      await assert.rejects(db.batch([{ type: 'put', key: 'b', value: valueOf(0, 500) }]), (error) => isStrataError(error, 'READ_ONLY'))
      if (db instanceof BlobDb) {
        const chunks = Array.from({ length: 8 }, (_, index) => Buffer.alloc(4096, index))
        await assert.rejects(db.putStream('stream', chunks), (error) => isStrataError(error, 'READ_ONLY'))
      }
      // Before: with KV separation each refused put still appended its frame (50 x ~560 bytes here).
      assert.equal(bytesOnDisk(), before)
      await expectAll(db, 10, 'read-only', size)
      await db.close().catch((error) => assert.ok(isStrataError(error)))
    })

    test('a failing manifest sync during flush leaves the store readable and recoverable', async () => {
      const mem = new MemVfs()
      const vfs = new FaultVfs(mem)
      const db = await open('/db', optionsOf(vfs))
      for (let i = 0; i < 50; i++) await db.put(keyOf(i), valueOf(i, size), { sync: true })
      vfs.addRule({ op: 'sync', path: /MANIFEST/, errno: 'EIO' })
      await assert.rejects(db.flush(), (error) => isStrataError(error))
      await expectAll(db, 50, 'after failed manifest sync', size)
      await assert.rejects(db.put('x', 'y'), (error) => isStrataError(error))
      vfs.clearRules()
      await db.close().catch((error) => assert.ok(isStrataError(error)))
      const reopened = await open('/db', optionsOf(mem.crash()))
      try {
        await expectAll(reopened, 50, 'after crash', size)
      } finally {
        await reopened.close()
      }
    })
  })
}
