/**
 * Child process of the blob GC SIGKILL test: opens the BlobDb in `dir` on the real file system,
 * then writes the batches of gc-crash-workload.ts with `sync: true` (up to 3 in flight) while a
 * second loop runs gc() and compact() (which flushes, compacts and runs GC) back to back, until
 * it is killed. Prints `ready` once open returned and `ack <n>` after batch n's promise resolved.
 * Anything on stderr fails the round.
 * Usage: node --import tsx blobtree/testing/gc-crash-child.ts <dir> <seed> <round>
 */
import process from 'node:process'
import { BlobDb } from '../blob-db.ts'
import { GC_CRASH_ENGINE_OPTIONS, GC_CRASH_KV_OPTIONS, gcCrashBatchOf } from './gc-crash-workload.ts'

const PIPELINE_DEPTH = 3
/** Ends the child if the parent never kills it. */
const BATCH_COUNT_MAX = 1_000_000

const [directory, seedText, roundText] = process.argv.slice(2)
const seed = Number(seedText)
const round = Number(roundText)
if (directory === undefined || !Number.isInteger(seed) || !Number.isInteger(round)) {
  process.stderr.write('usage: gc-crash-child.ts <dir> <seed> <round>\n')
  process.exit(2)
}

function say(line: string): void {
  // Writes to a pipe are synchronous on Linux, so a line printed is a line the parent can read.
  process.stdout.write(`${line}\n`)
}

function fail(error: unknown): void {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(3)
}

const db = await BlobDb.open(directory, GC_CRASH_ENGINE_OPTIONS, GC_CRASH_KV_OPTIONS)
say('ready')
void (async () => {
  for (let pass = 0; ; pass++) {
    await db.gc()
    if (pass % 2 === 0) await db.compact()
    await new Promise((resolve) => setImmediate(resolve))
  }
})().catch(fail)
let next = 0
const inFlight = new Set<Promise<void>>()
try {
  while (next < BATCH_COUNT_MAX) {
    const batch = next++
    const write = db.batch(gcCrashBatchOf(seed, round, batch), { sync: true }).then(() => {
      say(`ack ${batch}`)
      inFlight.delete(write)
    })
    inFlight.add(write)
    if (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight)
  }
} catch (error) {
  fail(error)
}
