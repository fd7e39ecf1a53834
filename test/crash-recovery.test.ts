// Goal: a write acknowledged with sync: true survives any crash, and no batch is ever partially
// applied, whether the process is killed (SIGKILL) or the machine loses power.
// Method, SIGKILL: a child process (test/support/crash-child.ts) writes seeded batches with
// sync: true on the real file system and prints each acknowledged batch id; the parent kills it
// after a seeded delay, reopens the store and compares it with a model built from the surviving
// prefix of batches (test/support/crash-workload.ts explains why partial batches are visible).
// SIGKILL_ROUND_COUNT rounds run on one directory, so recovery of a recovery is covered.
// Method, power loss: a seeded workload with sync and unsynced writes, flushes and compactions
// runs on MemVfs with a tiny memtable; vfs.crash() keeps only what was synced; the reopened
// store must equal the model after some prefix of the writes no shorter than the last
// acknowledged sync. STRATA_SEED=<n> replays a run; scripts/torture-crash.ts runs longer.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { describe, test } from 'node:test'
import { open, MemVfs, type Db, type OpenOptions, type Vfs, type VfsFile } from '../index.ts'
import { Rng, seedFromEnv } from './support/seed.ts'
import { CrashHistory, runSigkillRound } from './support/sigkill-rounds.ts'

/** Rounds of the default test: each costs a child start-up (~0.5 s) plus a kill delay under 0.7 s. */
const SIGKILL_ROUND_COUNT = Number(process.env.STRATA_SIGKILL_ROUNDS ?? 20)

describe('crash recovery', () => {
  test(`acknowledged sync batches survive SIGKILL and no batch is partial (${SIGKILL_ROUND_COUNT} rounds)`, async (t) => {
    const seed = seedFromEnv('crash-recovery sigkill')
    t.diagnostic(`seed=${seed}`)
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sigkill-'))
    try {
      const rng = new Rng(seed)
      const history = new CrashHistory(seed, directory)
      let ackedTotal = 0
      let survivorTotal = 0
      for (let round = 0; round < SIGKILL_ROUND_COUNT; round++) {
        const result = await runSigkillRound(history, rng)
        ackedTotal += result.ackedCount
        survivorTotal += result.survivorCount
      }
      t.diagnostic(`rounds=${SIGKILL_ROUND_COUNT} acked=${ackedTotal} survived=${survivorTotal}`)
      // A test that cannot fail is a defect: make sure the children got to write something.
      assert.ok(ackedTotal > 0, `seed=${seed}: no child acknowledged a batch`)
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  test('a synced write into a fresh log makes the unsynced writes before it durable too', async () => {
    // The memtable switch that starts a new log leaves unsynced records in the frozen one; a
    // later synced write must not survive a power loss without them (recovery yields a prefix).
    // Table syncs never finish here, so no flush can make the frozen records durable instead.
    const memVfs = new MemVfs()
    const options = { vfs: withTableSyncsStalled(memVfs), memtableSizeBytes: 4096 }
    const db = await open('/prefix', options)
    let count = 0
    while (db.stats().immutableMemtableCount === 0) await db.put(`a${String(count++).padStart(4, '0')}`, 'x'.repeat(100))
    await db.put('synced', 'yes', { sync: true })
    const reopened = await open('/prefix', { ...options, vfs: memVfs.crash() })
    try {
      assert.equal((await reopened.get('synced'))?.toString(), 'yes')
      for (let i = 0; i < count; i++) {
        const key = `a${String(i).padStart(4, '0')}`
        assert.equal((await reopened.get(key))?.toString(), 'x'.repeat(100), `${key} written before the synced write was lost`)
      }
    } finally {
      await reopened.close()
    }
  })

  test('power loss on MemVfs keeps a prefix of writes covering every acknowledged sync', async (t) => {
    const seed = seedFromEnv('crash-recovery power loss')
    t.diagnostic(`seed=${seed}`)
    await runPowerLoss(seed, t.diagnostic.bind(t))
  })
})

/** `vfs` with every table file's sync() left pending forever: flushes and compactions never finish. */
function withTableSyncsStalled(vfs: Vfs): Vfs {
  const stall = (file: VfsFile): VfsFile => {
    if (!file.path.endsWith('.sst')) return file
    return new Proxy(file, {
      get: (target, name) => {
        if (name === 'sync') return () => new Promise(() => undefined)
        // Bound: MemVfs files keep their state in private fields, which a proxy receiver cannot reach.
        const member = Reflect.get(target, name, target)
        return typeof member === 'function' ? member.bind(target) : member
      },
    })
  }
  return new Proxy(vfs, {
    get: (target, name) => {
      const member = Reflect.get(target, name, target)
      if (name === 'create' || name === 'openAppend') return (filePath: string) => stall(member.call(target, filePath))
      return typeof member === 'function' ? member.bind(target) : member
    },
  })
}

const POWER_LOSS_OPTIONS: OpenOptions = {
  memtableSizeBytes: 4096,
  l0CompactionTrigger: 2,
  l1SizeBytes: 16 * 1024,
  targetTableSizeBytes: 8 * 1024,
  blockSizeBytes: 512,
}
const CRASH_COUNT = 40
const KEY_SPACE = 120

type Model = Map<string, string>

function keyOf(rng: Rng): string {
  return `k${String(rng.below(KEY_SPACE)).padStart(3, '0')}`
}

async function readAll(db: Db): Promise<Model> {
  const out: Model = new Map()
  for await (const [key, value] of db.iterator()) out.set(key.toString('latin1'), value.toString('latin1'))
  return out
}

function sameMap(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}

async function runPowerLoss(seed: number, log: (message: string) => void): Promise<void> {
  const rng = new Rng(seed)
  let vfs = new MemVfs()
  let db = await open('/crash', { ...POWER_LOSS_OPTIONS, vfs })
  // states[i] is the model after the i-th write since the last crash; states[0] is the recovered state.
  let states: Model[] = [new Map()]
  let durableIndex = 0
  let step = 0
  let lostTotal = 0
  try {
    for (let crash = 0; crash < CRASH_COUNT; crash++) {
      const stepCount = 1 + rng.below(80)
      for (let i = 0; i < stepCount; i++, step++) {
        const model = new Map(states.at(-1))
        const roll = rng.below(100)
        const sync = rng.chance(0.3)
        if (roll < 45) {
          const key = keyOf(rng)
          const value = `v${step}`.padEnd(rng.chance(0.1) ? 1500 : 20, '.')
          await db.put(key, value, { sync })
          model.set(key, value)
        } else if (roll < 55) {
          const key = keyOf(rng)
          await db.delete(key, { sync })
          model.delete(key)
        } else if (roll < 60) {
          let [a, b] = [keyOf(rng), keyOf(rng)]
          if (a > b) [a, b] = [b, a]
          if (a === b) continue
          await db.deleteRange(a, b, { sync })
          for (const key of [...model.keys()]) if (key >= a && key < b) model.delete(key)
        } else if (roll < 85) {
          const ops: { type: 'put' | 'del'; key: string; value: string }[] = []
          for (let n = 1 + rng.below(10); n > 0; n--) ops.push({ type: rng.chance(0.8) ? 'put' : 'del', key: keyOf(rng), value: `b${step}-${n}` })
          await db.batch(ops, { sync })
          for (const op of ops) {
            if (op.type === 'put') model.set(op.key, op.value)
            else model.delete(op.key)
          }
        } else if (roll < 95) {
          const key = keyOf(rng)
          assert.equal((await db.get(key))?.toString('latin1'), model.get(key), `seed=${seed} step=${step} get ${key}`)
          continue
        } else if (roll < 98) {
          await db.flush()
          durableIndex = states.length - 1
          continue
        } else {
          await db.compact()
          durableIndex = states.length - 1
          continue
        }
        states.push(model)
        if (sync) durableIndex = states.length - 1
      }
      // Power loss: no close(), the running db object is abandoned with its vfs.
      vfs = vfs.crash()
      db = await open('/crash', { ...POWER_LOSS_OPTIONS, vfs })
      const recovered = await readAll(db)
      let match = -1
      for (let index = states.length - 1; index >= durableIndex; index--) {
        if (sameMap(recovered, states[index])) {
          match = index
          break
        }
      }
      assert.ok(match >= 0,
        `seed=${seed} crash=${crash} step=${step}: recovered store matches no write prefix from the last acknowledged sync ` +
        `(${durableIndex} of ${states.length - 1} writes); a synced write was lost or a batch is partial`)
      lostTotal += states.length - 1 - match
      states = [states[match]]
      durableIndex = 0
    }
    log(`crashes=${CRASH_COUNT} steps=${step} unsynced writes lost=${lostTotal}`)
    assert.ok(Buffer.byteLength(JSON.stringify([...states[0]])) > 0)
  } finally {
    await db.close()
  }
}
