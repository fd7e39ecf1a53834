// Goal: every workload runs its plan and passes its own check on a correct engine, with one client
// and with several, and a duration limit stops a workload early with a consistent count.
// Method: an in-memory engine (a sorted Map) behind EngineSession; tiny sizes; seeds printed.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Dataset, OperationMeter, runClients } from './context.ts'
import type { WorkloadParameters } from './parameters.ts'
import { memorySession } from './memory-session.ts'
import { DEFAULT_PARAMETERS } from './parameters.ts'
import { planReadrandom } from './reads.ts'
import { WORKLOADS } from './registry.ts'
import { writeAllKeys } from './writes.ts'

const SEED = 11
// readwhilewriting's writer paces its batches with timers: at the default 2 MiB/s a batch of 16
// was due every 2 ms and its reader window (4x the time of the writer's minimum of 10 batches)
// was 83 ms, which timer lateness on a loaded machine overran (7 of 43 due batches at load 6-10,
// 2026-11-26). At 256 KiB/s a batch is due every 17 ms and the window is 680 ms.
const TINY: WorkloadParameters = { ...DEFAULT_PARAMETERS, keyCount: 300, operationCount: 200, batchSize: 16, scanLength: 10, flushCount: 2, seed: SEED, writeRateLimitBytesPerSecond: 256 * 1024 }

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

describe('readrandom', () => {
  test('misses are the missRatio share of the reads, aimed at keys never loaded, the same plan for every engine', () => {
    const parameters = { ...TINY, keyCount: 1000, operationCount: 20_000, missRatio: 0.1 }
    const plan = planReadrandom({ session: memorySession(), dataset: new Dataset(parameters, 'readrandom'), meter: new OperationMeter(1), parameters })
    const again = planReadrandom({ session: memorySession(), dataset: new Dataset(parameters, 'readrandom'), meter: new OperationMeter(1), parameters })
    assert.deepEqual(again, plan)
    const misses = plan.filter((index) => index >= parameters.keyCount)
    // 20,000 draws at 0.1: a standard deviation of 0.21 points; the old plan's share was 9.09%.
    const share = misses.length / plan.length
    assert.ok(Math.abs(share - 0.1) < 0.006, `seed=${SEED}: miss share ${share}`)
    assert.ok(misses.every((index) => index < 2 * parameters.keyCount), `seed=${SEED}: a miss index past 2 × keyCount`)
  })

  test('its check expects exactly the planned hits', async () => {
    const { outcome } = await runWorkload('readrandom', { ...TINY, missRatio: 0.25 })
    const [found, done, expected] = /^(\d+) of (\d+) found \(expected (\d+)\)/.exec(outcome.check.message)!.slice(1).map(Number)
    assert.equal(found, expected)
    assert.ok(done - found > 0.1 * done, outcome.check.message)
  })
})

describe('compaction', () => {
  test('counts every pass as user bytes and keeps the flush and compact calls out of the batch latencies', async () => {
    const { outcome, meter, session } = await runWorkload('compaction', TINY)
    const passBytes = TINY.keyCount * (TINY.keySizeBytes + 256)
    assert.equal(outcome.userBytesWritten, TINY.flushCount * passBytes)
    assert.equal(outcome.liveUserBytes, passBytes)
    assert.equal(meter.histogram.count, TINY.flushCount * Math.ceil(TINY.keyCount / TINY.batchSize))
    assert.deepEqual([...meter.callTimings.values()].map((t) => [t.call, t.count]), [['flush', TINY.flushCount], ['compact', 1]])
    assert.deepEqual(session.calls, { flush: TINY.flushCount, compact: 1 })
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
  test('timeCall() extends the span but not the histogram, and tallies the call by name', async () => {
    const meter = new OperationMeter(1)
    await meter.time(() => Promise.resolve())
    const spanBefore = meter.spanMs
    await meter.timeCall('flush', () => new Promise((resolve) => setTimeout(resolve, 5)))
    await meter.timeCall('flush', () => Promise.resolve())
    assert.equal(meter.histogram.count, 1)
    assert.equal(meter.done, 1)
    assert.ok(meter.spanMs > spanBefore)
    const flush = meter.callTimings.get('flush')!
    assert.equal(flush.count, 2)
    assert.ok(flush.maxMs > 0 && flush.totalMs >= flush.maxMs)
  })

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
