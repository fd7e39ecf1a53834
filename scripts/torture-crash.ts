/**
 * Long SIGKILL torture run (not part of the test suite): the loop of test/crash-recovery.test.ts
 * with a configurable round count. Every round
 * spawns test/support/crash-child.ts, kills it with SIGKILL after a seeded delay, reopens the
 * store and compares it with the model of the surviving batch prefixes; all rounds share one
 * directory, so recovery of a recovery is exercised. Prints counts and seeds; exits 1 on the
 * first failure with the seed and round that replay it.
 * Usage: node --import tsx scripts/torture-crash.ts [--rounds 200] [--seed <n>] [--dir <path>] [--keep]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { parseArgs } from 'node:util'
import { Rng } from '../test/support/seed.ts'
import { CrashHistory, runSigkillRound } from '../test/support/sigkill-rounds.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '200' },
    seed: { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
})
const roundCount = Number(values.rounds)
if (!Number.isInteger(roundCount) || roundCount < 1) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`)
// The seed decides kill delays and batch contents; without --seed a fresh one is drawn and printed.
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0
const directory = values.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-torture-'))
fs.mkdirSync(directory, { recursive: true })

console.log(`torture-crash: seed=${seed} rounds=${roundCount} dir=${directory}`)
const rng = new Rng(seed)
const history = new CrashHistory(seed, directory)
let ackedTotal = 0
let survivorTotal = 0
let beforeReadyCount = 0
const startedMs = Date.now()
try {
  for (let round = 0; round < roundCount; round++) {
    const result = await runSigkillRound(history, rng)
    ackedTotal += result.ackedCount
    survivorTotal += result.survivorCount
    if (result.killedBeforeReady) beforeReadyCount++
    if ((round + 1) % 10 === 0 || round + 1 === roundCount) {
      console.log(`round ${round + 1}/${roundCount}: acked=${ackedTotal} survived=${survivorTotal} ` +
        `(survivors beyond acks: ${survivorTotal - ackedTotal}) killed-before-ready=${beforeReadyCount} ` +
        `elapsed=${((Date.now() - startedMs) / 1000).toFixed(1)}s`)
    }
  }
  console.log(`torture-crash: OK seed=${seed} rounds=${roundCount} acked=${ackedTotal} survived=${survivorTotal}`)
  if (!values.keep && values.dir === undefined) fs.rmSync(directory, { recursive: true, force: true })
} catch (error) {
  console.error(`torture-crash: FAILED seed=${seed} after ${history.survivorCounts.length} good rounds; directory kept at ${directory}`)
  console.error(error)
  process.exit(1)
}
