/**
 * Goal: a SIGKILL at any moment of overwrites with blob GC running (relocations, file deletions,
 * seals, compactions) loses no acknowledged sync write, leaves no dangling handle, and leaks no
 * blob files once GC runs again.
 * Method: 10 rounds of blobtree/testing/gc-crash-rounds.ts on NodeVfs in a temp directory: each
 * round a child writes synced overwrite batches while gc()/compact() loop, and is killed at a
 * seeded moment; the parent reopens and checks against the model of surviving prefixes. Then one
 * compact + gc bounds the blob bytes by the live bytes. More rounds: scripts/blob-gc-crash.ts.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { SeededRandom } from '../blobtree/testing/seeded-random.ts'
import { checkNoLeak, GcCrashHistory, runGcCrashRound } from '../blobtree/testing/gc-crash-rounds.ts'
import { seedFromEnv } from './support/seed.ts'

const ROUND_COUNT = 10

test('SIGKILL during overwrites and blob GC: acknowledged writes survive, nothing dangles or leaks', async (t) => {
  const seed = seedFromEnv('blob-gc-crash sigkill')
  t.diagnostic(`seed=${seed} (STRATA_SEED=${seed} replays)`)
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-gc-crash-'))
  try {
    const history = new GcCrashHistory(seed, directory)
    const random = new SeededRandom(seed)
    for (let round = 0; round < ROUND_COUNT; round++) {
      const result = await runGcCrashRound(history, random)
      t.diagnostic(`round ${round}: acked ${result.ackedCount}, survived ${result.survivorCount}, kill after ${result.killDelayMs} ms${result.killedBeforeReady ? ' (before ready)' : ''}, blob files ${result.blobFileCount}`)
    }
    const leak = await checkNoLeak(history)
    t.diagnostic(`after compact + gc: ${leak.fileCount} blob files, ${leak.fileBytesTotal} bytes, ${leak.liveBytes} live, ${leak.staleBytes} stale`)
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
})
