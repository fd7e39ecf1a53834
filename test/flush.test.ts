/**
 * db.flush(): it waits for the memtables frozen before the call and for the background jobs
 * queued before it, not for the compactions its own flushes make necessary, and a close() during
 * it lets the running flush end. The flush and the compaction are held at their table syncs
 * (HookedVfs), so what runs when is decided by the test, not by timing.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { open, type Db } from '../index.ts'
import { MemVfs } from '../engine/vfs/mod.ts'
import { HookedVfs } from '../engine/wal/hooked-vfs.ts'

/** A gate a hook waits at: `reached` once something arrived, `release()` lets it pass. */
function gate(): { reached: Promise<void>; arrive(): Promise<void>; release(): void } {
  let arrived!: () => void
  let release!: () => void
  const reached = new Promise<void>((resolve) => {
    arrived = resolve
  })
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  return {
    reached,
    arrive: () => {
      arrived()
      return released
    },
    release,
  }
}

/** What the event loop has settled: 'pending' when `promise` is still unsettled after the microtasks. */
async function stateOf(promise: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  const pending = new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))
  return Promise.race([promise.then(() => 'resolved' as const, () => 'rejected' as const), pending])
}

/** Table file syncs, in order, and a hook that can hold the nth one. */
function tableSyncs(memory: MemVfs): { vfs: HookedVfs; holdNext(): ReturnType<typeof gate> } {
  let held: ReturnType<typeof gate> | undefined
  const vfs = new HookedVfs(memory, {
    beforeSync: async (op, filePath) => {
      if (op !== 'sync' || !filePath.endsWith('.sst') || held === undefined) return
      const current = held
      held = undefined
      await current.arrive()
    },
  })
  return {
    vfs,
    holdNext: () => {
      held = gate()
      return held
    },
  }
}

async function putRange(db: Db, from: number, count: number, tag: string): Promise<void> {
  const batch = []
  for (let index = from; index < from + count; index++) batch.push({ type: 'put' as const, key: `key-${String(index).padStart(5, '0')}`, value: `${tag}-${index}`.padEnd(64, '.') })
  await db.batch(batch)
}

async function contents(db: Db): Promise<Map<string, string>> {
  const entries = new Map<string, string>()
  for await (const [key, value] of db.iterator()) entries.set(Buffer.from(key).toString(), Buffer.from(value).toString())
  return entries
}

function expected(ranges: [number, number, string][]): Map<string, string> {
  const model = new Map<string, string>()
  for (const [from, count, tag] of ranges) {
    for (let index = from; index < from + count; index++) model.set(`key-${String(index).padStart(5, '0')}`, `${tag}-${index}`.padEnd(64, '.'))
  }
  return new Map([...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/**
 * A store with two L0 tables' worth of writes, the first flushed; returns the second flush()
 * (its table let through) once the L0→L1 compaction it triggers is held at its output's sync.
 */
async function secondFlushWithCompactionHeld(): Promise<{ memory: MemVfs; db: Db; flushed: Promise<void>; compactionOutput: ReturnType<typeof gate> }> {
  const memory = new MemVfs()
  const syncs = tableSyncs(memory)
  // Two L0 tables trigger an L0→L1 compaction, which starts right after the second flush.
  const db = await open('/db', { vfs: syncs.vfs, l0CompactionTrigger: 2 })
  await putRange(db, 0, 200, 'a')
  await db.flush()
  await putRange(db, 100, 200, 'b')
  // The next table sync is the second flush's table; the one after it is the compaction's output.
  const flushTable = syncs.holdNext()
  const flushed = db.flush()
  await flushTable.reached
  const compactionOutput = syncs.holdNext()
  flushTable.release()
  await compactionOutput.reached
  return { memory, db, flushed, compactionOutput }
}

describe('db.flush()', () => {
  test('resolves once its memtable is a table, while the compaction that flush triggered is still running', async () => {
    const { memory, db, flushed, compactionOutput } = await secondFlushWithCompactionHeld()
    // Before: flush() queued behind the whole background job, compaction included, and was still pending here.
    assert.equal(await stateOf(flushed), 'resolved')
    assert.equal(db.stats().levels[0].tableCount, 2, 'the compaction of the two L0 tables has not ended yet')
    compactionOutput.release()
    await db.compact()
    assert.deepEqual(await contents(db), expected([[0, 200, 'a'], [100, 200, 'b']]))
    await db.close()
    const reopened = await open('/db', { vfs: memory })
    assert.deepEqual(await contents(reopened), expected([[0, 200, 'a'], [100, 200, 'b']]))
    await reopened.close()
  })

  test('waits for a compaction already running when it is called (one background job at a time)', async () => {
    const { db, flushed, compactionOutput } = await secondFlushWithCompactionHeld()
    await flushed
    await putRange(db, 300, 50, 'c')
    const third = db.flush()
    assert.equal(await stateOf(third), 'pending')
    compactionOutput.release()
    await third
    assert.deepEqual(await contents(db), expected([[0, 200, 'a'], [100, 200, 'b'], [300, 50, 'c']]))
    await db.close()
  })

  test('a close() during the flush lets the running flush end, and flush() resolves with its table written', async () => {
    const memory = new MemVfs()
    const syncs = tableSyncs(memory)
    const db = await open('/db', { vfs: syncs.vfs })
    await putRange(db, 0, 300, 'a')
    const flushTable = syncs.holdNext()
    const flushed = db.flush()
    await flushTable.reached
    const closed = db.close()
    assert.equal(await stateOf(flushed), 'pending')
    flushTable.release()
    await closed
    await flushed
    const reopened = await open('/db', { vfs: memory })
    assert.equal(reopened.stats().levels[0].tableCount, 1, 'the flush that was running when close() came wrote its table')
    assert.deepEqual(await contents(reopened), expected([[0, 300, 'a']]))
    await reopened.close()
  })

  test('rejects with CLOSED on a closed store, and resolves at once with nothing to flush', async () => {
    const db = await open('/db', { vfs: new MemVfs() })
    await db.flush()
    assert.equal(db.stats().levels[0].tableCount, 0)
    await db.close()
    await assert.rejects(db.flush(), { code: 'CLOSED' })
  })
})
