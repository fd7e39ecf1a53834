/**
 * Child process of the SIGKILL crash test: opens the store in `dir` on the real file system and
 * writes the batches of crash-workload.ts with `sync: true` until it is killed. It prints
 * `ready` once open returned and `ack <n>` for batch n only after its promise resolved, so every
 * acknowledged batch is one the engine promised was durable. Up to PIPELINE_DEPTH batches are in
 * flight at once so that group commit folds several into one fsync.
 * Usage: node --import tsx test/support/crash-child.ts <dir> <seed> <round>
 */
import process from 'node:process'
import { open } from '../../index.ts'
import { batchOf, CRASH_STORE_OPTIONS } from './crash-workload.ts'

const PIPELINE_DEPTH = 3
/** Ends the child if the parent never kills it (a bug in the parent must not leave it running). */
const BATCH_COUNT_MAX = 1_000_000

const [directory, seedText, roundText] = process.argv.slice(2)
const seed = Number(seedText)
const round = Number(roundText)
if (directory === undefined || !Number.isInteger(seed) || !Number.isInteger(round)) {
  process.stderr.write('usage: crash-child.ts <dir> <seed> <round>\n')
  process.exit(2)
}

function say(line: string): void {
  // Writes to a pipe are synchronous on Linux, so a line printed is a line the parent can read.
  process.stdout.write(`${line}\n`)
}

// Odd rounds build their flush tables in the background worker (engine/background/), so kills land in the
// middle of worker flushes too; even rounds flush on the main thread (the default at this size).
const db = await open(directory, round % 2 === 1 ? { ...CRASH_STORE_OPTIONS, flushThread: 'worker', compactionThread: 'worker' } : CRASH_STORE_OPTIONS)
say('ready')
let next = 0
const inFlight = new Set<Promise<void>>()
while (next < BATCH_COUNT_MAX) {
  const n = next++
  const write = db.batch(batchOf(seed, round, n), { sync: true }).then(() => {
    say(`ack ${n}`)
    inFlight.delete(write)
  })
  inFlight.add(write)
  if (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight)
}
await Promise.all(inFlight)
await db.close()
