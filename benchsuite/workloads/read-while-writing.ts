/**
 * readwhilewriting: `clients` readers do random gets of loaded keys while one writer overwrites
 * random keys at a fixed rate (PacedWriter); ops = reads. The readers give the event loop a turn
 * every READER_YIELD_INTERVAL_OPS reads, the same for every engine: without it, an engine whose
 * gets resolve through microtasks only (strata, blobtree, lmdb) never let the writer's next batch
 * run, and the phase was a plain read test (one batch written against 659,000 entries for
 * rocksdb-native, whose gets go to a native thread).
 */
import type { WorkloadContext, WorkloadOutcome } from './context.ts'
import { stoppedEarly, valueMatches } from './context.ts'
import { PACED_WRITER_RING_SECONDS_DEFAULT, PacedWriter } from './paced-writer.ts'
import { liveBytes, planIndices } from './reads.ts'
import type { Workload } from './workload.ts'

/**
 * Reads between two event-loop turns. A turn (await setImmediate) cost 4-6 µs here against
 * ~0.2-1.3 µs for a microtask await (a 100,000-iteration loop of each, five rounds, load ~10):
 * at 32 reads per turn that is under 4% of a 5 µs cached get, while the writer's timer fires at
 * most 32 reads late (~0.2 ms at cached speeds; batches are >= 13 ms apart at the default rate).
 */
export const READER_YIELD_INTERVAL_OPS = 32
/** The phase's check fails when the writer completed fewer batches than this. */
export const WRITER_BATCH_COUNT_MIN = 10
/**
 * Readers that finish their plan before the writer's minimum keep reading the plan again, for at
 * most this many times the schedule time of WRITER_BATCH_COUNT_MIN batches (then the check fails).
 */
export const READER_EXTENSION_FACTOR_MAX = 4

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export const readwhilewriting: Workload = {
  name: 'readwhilewriting',
  summary: `clients readers do operationCount random gets (more if the writer has not yet written ${WRITER_BATCH_COUNT_MIN} batches) while one writer overwrites random keys in batches at writeRateLimitBytesPerSecond; ops = reads`,
  needsLoad: true,
  readsData: true,
  plannedOperations: ({ parameters }) => parameters.operationCount,
  async run(context: WorkloadContext): Promise<WorkloadOutcome> {
    const { session, dataset, meter, parameters } = context
    const plan = planIndices(context, 'readwhilewriting', parameters.keyCount, parameters.operationCount)
    const rateBytesPerSecond = parameters.writeRateLimitBytesPerSecond
    const writer = new PacedWriter(session, dataset, {
      rateLimitBytesPerSecond: rateBytesPerSecond,
      ringSeconds: parameters.durationSeconds > 0 ? parameters.durationSeconds : PACED_WRITER_RING_SECONDS_DEFAULT,
      ringBatchCountMin: WRITER_BATCH_COUNT_MIN + 1,
    })
    const batchBytes = parameters.batchSize * (parameters.keySizeBytes + dataset.sizer('live').meanBytes)
    const extensionMsMax = READER_EXTENSION_FACTOR_MAX * WRITER_BATCH_COUNT_MIN * (batchBytes / rateBytesPerSecond) * 1000
    const more = (next: number): boolean =>
      !meter.expired() && (next < plan.length || (writer.batchesDone < WRITER_BATCH_COUNT_MIN && meter.elapsedMs() < extensionMsMax))
    let next = 0
    let found = 0
    let bytesRead = 0
    const reader = async (): Promise<void> => {
      while (more(next)) {
        const i = next++
        if (i % READER_YIELD_INTERVAL_OPS === READER_YIELD_INTERVAL_OPS - 1) await yieldTurn()
        const index = plan[i % plan.length]
        const value = await meter.time(() => session.get(dataset.key(index)))
        if (valueMatches(value, index)) { found++; bytesRead += value!.length }
      }
    }
    writer.start()
    await Promise.all(Array.from({ length: Math.max(1, parameters.clients) }, reader))
    const tally = await writer.stop()
    const done = next
    const seconds = meter.spanMs / 1000
    const writerOk = tally.batchCount >= WRITER_BATCH_COUNT_MIN
    // Behind by more than the batch in flight: this engine's readers faced a lighter write load
    // than the rate (lmdb's writer once completed 10 of 29 due batches); the check still passes,
    // since that is the engine's own write speed under reads, but the note says so.
    const behind = tally.batchCount < tally.batchesDueCount - 1 ? ', BEHIND its rate' : ''
    const writerNote = `writer: ${tally.batchCount} batches (${tally.batchesDueCount} due at ${rateBytesPerSecond} B/s${behind}, at least ${WRITER_BATCH_COUNT_MIN} required), ${tally.operationCount} entries, ${tally.userBytesWritten} bytes`
    const extended = done > plan.length ? ` (${done - plan.length} reads past the plan while the writer reached its minimum)` : ''
    return {
      operationCount: done, userBytesWritten: tally.userBytesWritten, userBytesRead: bytesRead, liveUserBytes: liveBytes(context),
      check: {
        ok: found === done && writerOk,
        message: `${found} of ${done} reads found their key while writing${extended}${stoppedEarly(done, plan.length)}; ${writerNote}`,
      },
      writer: { ...tally, opsPerSecond: seconds > 0 ? tally.operationCount / seconds : 0 },
    }
  },
}
