// Goal: readwhilewriting's writer really writes while the readers read, whatever the engine's
// calls resolve through (microtasks only included), never faster than its rate limit, from batches
// that are the same for every engine; and the cell's check fails when the writer falls short.
// Method: the in-memory engine of memory-session.ts with its calls resolving through microtasks
// only, or with a slow putBatch; tiny sizes; seeds printed in every message.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Dataset, OperationMeter } from './context.ts'
import type { MemorySessionOptions } from './memory-session.ts'
import { memorySession } from './memory-session.ts'
import { PacedWriter } from './paced-writer.ts'
import type { WorkloadParameters } from './parameters.ts'
import { DEFAULT_PARAMETERS } from './parameters.ts'
import { readwhilewriting, WRITER_BATCH_COUNT_MIN } from './read-while-writing.ts'
import { writeAllKeys } from './writes.ts'

const SEED = 23
// 16 entries of 16 + 256 bytes at 1 MiB/s: a batch every ~4 ms, the minimum after ~40 ms.
const TINY: WorkloadParameters = { ...DEFAULT_PARAMETERS, keyCount: 300, operationCount: 200, batchSize: 16, writeRateLimitBytesPerSecond: 1024 * 1024, seed: SEED }

async function run(parameters: WorkloadParameters, options: MemorySessionOptions) {
  // The session reads its options on every call: the load runs without the slow putBatch.
  const sessionOptions: MemorySessionOptions = { ...options, putDelayMs: undefined }
  const session = memorySession(sessionOptions)
  const dataset = new Dataset(parameters, 'readwhilewriting')
  await writeAllKeys(session, dataset, { kind: 'permutation' }, undefined)
  sessionOptions.putDelayMs = options.putDelayMs
  const meter = new OperationMeter(parameters.operationCount, parameters.durationSeconds)
  return { outcome: await readwhilewriting.run({ session, dataset, meter, parameters }), meter }
}

describe('readwhilewriting', () => {
  for (const clients of [1, 4]) {
    test(`the writer writes at least the minimum of batches when gets resolve through microtasks only (${clients} client(s), seed ${SEED})`, async () => {
      const { outcome, meter } = await run({ ...TINY, clients }, { microtaskOnly: true })
      const writer = outcome.writer!
      assert.ok(outcome.check.ok, `seed=${SEED}: ${outcome.check.message}`)
      assert.ok(writer.batchCount >= WRITER_BATCH_COUNT_MIN, `seed=${SEED}: ${writer.batchCount} batches`)
      assert.equal(writer.operationCount, writer.batchCount * TINY.batchSize)
      assert.equal(writer.userBytesWritten, writer.operationCount * (16 + 256))
      assert.equal(outcome.userBytesWritten, writer.userBytesWritten)
      assert.ok(writer.opsPerSecond > 0)
      // The readers read the whole plan, and past it only while the writer had not reached its minimum.
      assert.ok(outcome.operationCount >= TINY.operationCount)
      assert.equal(meter.histogram.count, outcome.operationCount)
    })
  }

  test('the writer never runs ahead of its rate limit', async () => {
    const { outcome } = await run({ ...TINY, operationCount: 5_000 }, { microtaskOnly: true })
    const writer = outcome.writer!
    assert.ok(writer.batchCount <= writer.batchesDueCount, `seed=${SEED}: ${writer.batchCount} batches, ${writer.batchesDueCount} due`)
    assert.equal(writer.rateLimitBytesPerSecond, TINY.writeRateLimitBytesPerSecond)
  })

  test('the check fails when the writer completes fewer than the minimum of batches', async () => {
    // Each batch takes 50 ms; the readers stop reading past their plan 4 × 10 × ~4 ms = ~170 ms
    // after they start, so the writer completes at most 5 batches.
    const { outcome } = await run(TINY, { microtaskOnly: true, putDelayMs: 50 })
    assert.equal(outcome.check.ok, false, outcome.check.message)
    assert.ok(outcome.writer!.batchCount < WRITER_BATCH_COUNT_MIN)
    assert.match(outcome.check.message, new RegExp(`at least ${WRITER_BATCH_COUNT_MIN} required`))
  })
})

describe('PacedWriter', () => {
  test('pre-generates the same batches for every engine', async () => {
    const written: string[][] = []
    for (let engine = 0; engine < 2; engine++) {
      const session = memorySession({ microtaskOnly: true })
      const keys: string[] = []
      const inner = session.putBatch
      session.putBatch = (entries) => { keys.push(...entries.map((e) => Buffer.from(e.key).toString('hex') + Buffer.from(e.value).toString('hex'))); return inner(entries) }
      const writer = new PacedWriter(session, new Dataset(TINY, 'readwhilewriting'), { rateLimitBytesPerSecond: 1e9, ringSeconds: 0, ringBatchCountMin: 3 })
      writer.start()
      while (writer.batchesDone < 3) await new Promise((resolve) => setImmediate(resolve))
      await writer.stop()
      written.push(keys.slice(0, 3 * TINY.batchSize))
    }
    assert.deepEqual(written[0], written[1])
  })
})
