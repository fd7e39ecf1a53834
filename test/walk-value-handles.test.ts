// Goal: Db.walkValueHandles with `yieldEveryEntries` (blob GC's index fallback) gives the event
// loop turns during the walk instead of blocking it for the whole index, and still visits every
// handle entry exactly once while writes land in the memtable it is walking; without the option
// the walk is one turn (the recount at open relies on that).
// Method: 12,000 handle entries, two thirds in a table and a third in the memtable (plus inline
// values the walk skips); a setImmediate loop counts event-loop turns during each walk, and in
// the yielding walk each turn writes fresh handle entries into the memtable being walked.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Db, MemVfs, OpKind, type BatchOp } from '../engine/mod.ts'

const HANDLE_COUNT = 12_000
const YIELD_EVERY_ENTRIES = 500

function handleOf(index: number): Uint8Array {
  return Buffer.from(`handle-${index}`, 'latin1')
}

async function filledDb(): Promise<Db> {
  const db = await Db.open('/db', { vfs: new MemVfs(), backgroundWork: false, compactionThread: 'main', flushThread: 'main' })
  for (let start = 0; start < HANDLE_COUNT; start += 1000) {
    const ops: BatchOp[] = []
    for (let i = start; i < start + 1000; i++) {
      const key = `k${String(i).padStart(6, '0')}`
      ops.push({ kind: OpKind.BlobHandle, key, value: handleOf(i) }, { kind: OpKind.Put, key: `${key}-inline`, value: Buffer.from('v') })
    }
    await db.write(ops)
    if (start + 1000 === (HANDLE_COUNT / 3) * 2) await db.flush()
  }
  return db
}

/** Walks once, counting the event-loop turns that ran before the walk resolved; `onTurn` runs in each. */
async function walkCountingTurns(db: Db, yieldEveryEntries: number | undefined, onTurn: (turn: number) => void): Promise<{ visited: Map<string, string>; turnCount: number }> {
  const visited = new Map<string, string>()
  let turnCount = 0
  let walking = true
  const tick = (): void => {
    if (!walking) return
    onTurn(++turnCount)
    setImmediate(tick)
  }
  setImmediate(tick)
  const options = yieldEveryEntries === undefined ? {} : { yieldEveryEntries }
  await db.walkValueHandles((key, handle) => {
    assert.equal(visited.has(key), false, `key ${key} visited twice`)
    visited.set(key, Buffer.from(handle).toString('latin1'))
  }, () => undefined, options)
  walking = false
  return { visited, turnCount }
}

test('walkValueHandles yields to the event loop when asked, and visits every entry once while writes land', async () => {
  const db = await filledDb()
  try {
    const writes: Promise<void>[] = []
    const yielding = await walkCountingTurns(db, YIELD_EVERY_ENTRIES, (turn) => {
      writes.push(db.write([{ kind: OpKind.BlobHandle, key: `k${String(turn * 7).padStart(6, '0')}+new`, value: handleOf(-turn) }]))
    })
    await Promise.all(writes)
    // One turn per YIELD_EVERY_ENTRIES entries walked (every handle and inline entry counts).
    assert.ok(yielding.turnCount >= (2 * HANDLE_COUNT) / YIELD_EVERY_ENTRIES - 2, `only ${yielding.turnCount} turns ran during the walk`)
    for (let i = 0; i < HANDLE_COUNT; i++) {
      const key = `k${String(i).padStart(6, '0')}`
      assert.equal(yielding.visited.get(key), `handle-${i}`, `entry of ${key}`)
    }
    // Entries written during the walk may or may not be visited; nothing else is.
    const unexpected = [...yielding.visited.keys()].filter((key) => !key.endsWith('+new') && !/^k\d{6}$/.test(key))
    assert.deepEqual(unexpected, [])

    const oneTurn = await walkCountingTurns(db, undefined, () => undefined)
    assert.ok(oneTurn.turnCount <= 1, `a walk without yieldEveryEntries let ${oneTurn.turnCount} turns run`)
    assert.equal(oneTurn.visited.size, HANDLE_COUNT + writes.length, 'the second walk sees the writes made during the first')
  } finally {
    await db.close()
  }
})
