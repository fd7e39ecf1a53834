// Goal: every workload runs its plan and passes its own check on a correct engine, with one client
// and with several, and a duration limit stops a workload early with a consistent count.
// Method: an in-memory engine (a sorted Map) behind EngineSession; tiny sizes; seeds printed.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { EngineSession, ScanRange, WriteEntry } from '../engines/adapter.ts'
import { ScanTally } from '../engines/adapter.ts'
import { Dataset, OperationMeter, runClients } from './context.ts'
import type { WorkloadParameters } from './parameters.ts'
import { DEFAULT_PARAMETERS } from './parameters.ts'
import { WORKLOADS } from './registry.ts'
import { writeAllKeys } from './writes.ts'

/** A correct engine: latin1 strings of the key bytes as Map keys, sorted on scan. */
function memorySession(options: { delayMs?: number } = {}): EngineSession & { size: () => number } {
  const map = new Map<string, Uint8Array>()
  const id = (key: Uint8Array): string => Buffer.from(key).toString('latin1')
  const pause = (): Promise<void> => new Promise((resolve) => (options.delayMs ? setTimeout(resolve, options.delayMs) : setImmediate(resolve)))
  return {
    size: () => map.size,
    async putBatch(entries: readonly WriteEntry[]) { await pause(); for (const e of entries) map.set(id(e.key), e.value) },
    async deleteBatch(keys: readonly Uint8Array[]) { await pause(); for (const k of keys) map.delete(id(k)) },
    async get(key: Uint8Array) { await pause(); return map.get(id(key)) },
    async getMany(keys: readonly Uint8Array[]) { await pause(); return keys.map((k) => map.get(id(k))) },
    async scan(range: ScanRange, limit: number) {
      await pause()
      const tally = new ScanTally()
      const low = range.gte === undefined ? undefined : id(range.gte)
      const high = range.lt === undefined ? undefined : id(range.lt)
      for (const key of [...map.keys()].sort()) {
        if (tally.count >= limit) break
        if ((low !== undefined && key < low) || (high !== undefined && key >= high)) continue
        tally.add(Buffer.from(key, 'latin1'), map.get(key))
      }
      return tally.outcome()
    },
    async flush() {},
    async compact() {},
    async close() {},
  }
}

const SEED = 11
const TINY: WorkloadParameters = { ...DEFAULT_PARAMETERS, keyCount: 300, operationCount: 200, batchSize: 16, scanLength: 10, flushCount: 2, seed: SEED }

async function runWorkload(name: string, parameters: WorkloadParameters, session = memorySession()) {
  const workload = WORKLOADS.find((w) => w.name === name)!
  const dataset = new Dataset(parameters, name)
  if (workload.needsLoad) await writeAllKeys(session, dataset, { kind: 'permutation' }, undefined)
  const meter = new OperationMeter(workload.plannedOperations({ parameters }), parameters.durationSeconds)
  const outcome = await workload.run({ session, dataset, meter, parameters })
  return { outcome, meter, session }
}

describe('workloads on an in-memory engine', () => {
  for (const workload of WORKLOADS) {
    for (const clients of [1, 4]) {
      test(`${workload.name} with ${clients} client(s) passes its own check (seed ${SEED})`, async () => {
        const { outcome, meter } = await runWorkload(workload.name, { ...TINY, clients })
        assert.ok(outcome.check.ok, outcome.check.message)
        assert.ok(outcome.operationCount > 0)
        assert.ok(meter.histogram.count > 0 && meter.spanMs >= 0)
      })
    }
  }

  test('fills with several clients write every key exactly once, the same keys as one client', async () => {
    for (const name of ['fillseq', 'fillrandom']) {
      const one = await runWorkload(name, TINY)
      const four = await runWorkload(name, { ...TINY, clients: 4 })
      assert.equal(one.session.size(), TINY.keyCount)
      assert.equal(four.session.size(), TINY.keyCount)
      assert.equal(four.outcome.userBytesWritten, one.outcome.userBytesWritten)
      assert.equal(four.meter.done, TINY.keyCount)
    }
  })

  test('a duration limit stops a workload early and its check counts only what ran', async () => {
    const parameters = { ...TINY, operationCount: 100_000, durationSeconds: 1 }
    for (const name of ['readrandom', 'overwrite', 'ycsb-a']) {
      const { outcome, meter } = await runWorkload(name, parameters, memorySession({ delayMs: 2 }))
      assert.ok(outcome.check.ok, `${name}: ${outcome.check.message}`)
      assert.ok(outcome.operationCount < parameters.operationCount, `${name} stopped early: ${outcome.operationCount}`)
      assert.equal(meter.done, outcome.operationCount)
      assert.match(outcome.check.message, /duration limit/)
    }
  })
})

describe('runClients()', () => {
  test('issues every index once, in increasing order, whatever the interleaving', async () => {
    const issued: number[] = []
    const done = await runClients(3, 50, async (index) => {
      issued.push(index)
      await new Promise((resolve) => setTimeout(resolve, index % 4))
    })
    assert.equal(done, 50)
    assert.deepEqual(issued, Array.from({ length: 50 }, (_, i) => i))
  })

  test('stops issuing once the meter expires, and returns the prefix length', async () => {
    const meter = new OperationMeter(1000, 0.05)
    const done = await runClients(2, 1000, () => meter.time(() => new Promise((resolve) => setTimeout(resolve, 5))), meter)
    assert.ok(done > 0 && done < 1000, `done=${done}`)
    assert.equal(meter.done, done)
    assert.equal(meter.fractionDone(), 1)
  })
})

describe('OperationMeter', () => {
  test('the span leaves out excluded time inside it, but not excluded time before the first operation', async () => {
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 2))
    let excludedMs = 1_000_000 // e.g. value generation before the first timed operation: not subtracted
    const before = new OperationMeter(2, 0, () => excludedMs)
    await before.time(sleep)
    await before.time(sleep)
    assert.ok(before.spanMs > 0, `spanMs=${before.spanMs}`)
    const inside = new OperationMeter(2, 0, () => excludedMs)
    await inside.time(sleep)
    excludedMs += 1_000_000 // excluded work between the operations: subtracted (the span clamps at 0)
    await inside.time(sleep)
    assert.equal(inside.spanMs, 0)
    assert.equal(new OperationMeter(1).spanMs, 0)
  })
})
