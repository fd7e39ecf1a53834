/**
 * The SIGKILL loop shared by test/crash-recovery.test.ts (a few dozen rounds) and
 * scripts/torture-crash.ts (hundreds): each round spawns crash-child.ts on one directory, kills
 * it with SIGKILL after a seeded delay, reopens the store in this process and checks it against
 * the model of crash-workload.ts. Rounds continue on the same directory, so a kill during the
 * child's own recovery of the previous kill is covered too.
 */
import assert from 'node:assert/strict'
import { PrefixHistory, runAndKill, survivorCountOf } from './kill-child.ts'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { open, type Db } from '../../index.ts'
import { applyBatch, CRASH_STORE_OPTIONS, markerKey } from './crash-workload.ts'
import { Rng } from './seed.ts'

const CHILD_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.ts')
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** What one round saw. */
export interface RoundResult {
  round: number
  /** Batches the child acknowledged before the kill. */
  ackedCount: number
  /** Highest surviving batch + 1: the length of the surviving prefix. */
  survivorCount: number
  /** Milliseconds between `ready` (or spawn) and the kill. */
  killDelayMs: number
  killedBeforeReady: boolean
}

/** The state the parent keeps across rounds; the model replays crash-workload.ts's batches. */
export class CrashHistory extends PrefixHistory<string> {
  constructor(seed: number, directory: string) {
    super(seed, directory, applyBatch)
  }
}

async function killChild(history: CrashHistory, rng: Rng): Promise<{ acked: Set<number>; killDelayMs: number; killedBeforeReady: boolean }> {
  const round = history.survivorCounts.length
  const killedBeforeReady = rng.chance(0.15)
  const killDelayMs = killedBeforeReady ? rng.below(400) : rng.below(700)
  const acked = await runAndKill({
    script: CHILD_PATH,
    args: [history.directory, String(history.seed), String(round)],
    cwd: REPO_ROOT,
    killedBeforeReady,
    killDelayMs,
    label: `seed=${history.seed} round=${round}`,
  })
  return { acked, killDelayMs, killedBeforeReady }
}

async function readAll(db: Db): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const [key, value] of db.iterator()) out.set(key.toString('latin1'), value.toString('latin1'))
  return out
}

/**
 * One round: spawn, kill, reopen, check. Throws an AssertionError naming the seed and round
 * when an acknowledged batch is missing, a batch is partial, or the store differs from the model.
 */
export async function runSigkillRound(history: CrashHistory, rng: Rng): Promise<RoundResult> {
  const round = history.survivorCounts.length
  const where = `seed=${history.seed} round=${round}`
  const { acked, killDelayMs, killedBeforeReady } = await killChild(history, rng)
  const db = await open(history.directory, CRASH_STORE_OPTIONS)
  try {
    const survivorCount = await survivorCountOf(db, round, where)
    for (const n of acked) assert.ok(n < survivorCount, `${where}: acknowledged batch ${n} lost (survivors 0..${survivorCount - 1})`)
    history.survivorCounts.push(survivorCount)
    const expected = history.model()
    const actual = await readAll(db)
    if (actual.size !== expected.size || [...expected].some(([k, v]) => actual.get(k) !== v)) {
      const missing = [...expected.keys()].filter((k) => actual.get(k) !== expected.get(k)).slice(0, 5)
      const extra = [...actual.keys()].filter((k) => !expected.has(k)).slice(0, 5)
      assert.fail(`${where}: store differs from the model of surviving prefixes ${JSON.stringify(history.survivorCounts)}; ` +
        `wrong or missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}`)
    }
    // Point reads go through a different path (memtable/table get, filters) than the scan.
    const marker = markerKey(round, survivorCount - 1)
    if (survivorCount > 0) assert.equal((await db.get(marker))?.toString('latin1'), String(survivorCount - 1), `${where}: get ${marker}`)
    return { round, ackedCount: acked.size, survivorCount, killDelayMs, killedBeforeReady }
  } finally {
    await db.close()
  }
}
