/**
 * The blob GC SIGKILL torture loop: as test/blob-gc-crash.test.ts, with as many rounds as asked.
 * Each round a child writes synced overwrite batches while gc()/compact() loop and is killed at
 * a seeded moment; the parent reopens and checks every acknowledged write, every handle and
 * every blob file; at the end one compact + gc must bound the blob bytes by the live bytes.
 * Usage: node --import tsx scripts/blob-gc-crash.ts [--rounds 100] [--seed n] [--dir /tmp]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { SeededRandom } from '../blobtree/testing/seeded-random.ts'
import { checkNoLeak, GcCrashHistory, runGcCrashRound } from '../blobtree/testing/gc-crash-rounds.ts'

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '100' }, seed: { type: 'string' }, dir: { type: 'string', default: os.tmpdir() } },
})
const roundCount = Number(args.rounds)
const seed = args.seed === undefined ? Number(process.env.STRATA_SEED ?? Date.now() % 2 ** 32) >>> 0 : Number(args.seed) >>> 0
const directory = fs.mkdtempSync(path.join(args.dir!, 'strata-gc-crash-'))
console.log(`seed=${seed} rounds=${roundCount} dir=${directory} (--seed ${seed} replays)`)
const history = new GcCrashHistory(seed, directory)
const random = new SeededRandom(seed)
let ackedTotal = 0
let killedBeforeReady = 0
try {
  for (let round = 0; round < roundCount; round++) {
    const result = await runGcCrashRound(history, random)
    ackedTotal += result.ackedCount
    if (result.killedBeforeReady) killedBeforeReady++
    if (round % 10 === 9 || round === roundCount - 1) {
      console.log(`round ${round + 1}/${roundCount}: acked ${ackedTotal} batches so far, ${killedBeforeReady} kills before ready, ${result.blobFileCount} blob files`)
    }
  }
  const leak = await checkNoLeak(history)
  console.log(`ok: ${roundCount} kills, ${ackedTotal} acknowledged batches all present; after compact + gc ${leak.fileCount} blob files, ${leak.fileBytesTotal} bytes for ${leak.liveBytes} live`)
  fs.rmSync(directory, { recursive: true, force: true })
} catch (error) {
  console.error(`FAILED at seed=${seed}; store kept in ${directory}`)
  throw error
}
