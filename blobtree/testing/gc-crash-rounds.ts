/**
 * The SIGKILL loop of the blob GC crash test, shared by test/blob-gc-crash.test.ts (10 rounds)
 * and scripts/blob-gc-crash.ts (as many as asked). Each round spawns gc-crash-child.ts on one
 * directory, kills it with SIGKILL after a seeded delay (sometimes before it finished opening),
 * reopens the store here and checks: the surviving batches form a prefix holding every
 * acknowledged batch; the store equals the model of surviving prefixes, through the iterator and
 * through point gets (every handle resolves: no dangling handle); verify() passes; every blob
 * file on disk is one the manifest lists. `checkNoLeak` then compacts and collects and bounds
 * the blob bytes left by the live bytes.
 */
import assert from 'node:assert/strict'
import { PrefixHistory, runAndKill, survivorCountOf } from '../../test/support/kill-child.ts'
import fs from 'node:fs'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { fileURLToPath } from 'node:url'
import { BlobDb } from '../blob-db.ts'
import { SeededRandom } from './seeded-random.ts'
import { applyGcCrashBatch, GC_CRASH_ENGINE_OPTIONS, GC_CRASH_KV_OPTIONS, gcCrashMarkerOf } from './gc-crash-workload.ts'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const CHILD_PATH = path.join(HERE, 'gc-crash-child.ts')
const REPO_ROOT = path.resolve(HERE, '..', '..')

/** What one round saw. */
export interface GcCrashRound {
  round: number
  ackedCount: number
  survivorCount: number
  killDelayMs: number
  killedBeforeReady: boolean
  blobFileCount: number
}

/** Expected content: each round's surviving prefix of batches, applied in order. */
export class GcCrashHistory extends PrefixHistory<Buffer> {
  constructor(seed: number, directory: string) {
    super(seed, directory, applyGcCrashBatch)
  }
}

async function killChild(history: GcCrashHistory, random: SeededRandom): Promise<{ acked: Set<number>; killDelayMs: number; killedBeforeReady: boolean }> {
  const round = history.survivorCounts.length
  const killedBeforeReady = random.below(100) < 15
  const killDelayMs = killedBeforeReady ? random.below(400) : 20 + random.below(600)
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

export function openGcCrashStore(directory: string): Promise<BlobDb> {
  return BlobDb.open(directory, GC_CRASH_ENGINE_OPTIONS, GC_CRASH_KV_OPTIONS)
}

function blobFilesOnDisk(directory: string): number[] {
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.blob'))
    .map((name) => Number.parseInt(name, 10))
    .sort((a, b) => a - b)
}

/** Every key equals the model, through a full scan and through point gets; verify() passes. */
export async function checkAgainstModel(db: BlobDb, model: Map<string, Buffer>, where: string): Promise<void> {
  const actual = new Map<string, Buffer>()
  for await (const [key, value] of db.iterator()) actual.set(key.toString('latin1'), value)
  const wrong = [...model.keys()].filter((key) => !actual.get(key)?.equals(model.get(key)!)).slice(0, 5)
  const extra = [...actual.keys()].filter((key) => !model.has(key)).slice(0, 5)
  assert.ok(wrong.length === 0 && extra.length === 0, `${where}: wrong or missing ${JSON.stringify(wrong)}, unexpected ${JSON.stringify(extra)}`)
  for (const [key, value] of model) assert.ok((await db.get(key))?.equals(value), `${where}: get ${key}`)
  const verification = await db.verify()
  assert.ok(verification.ok, `${where}: verify ${JSON.stringify(verification.blobFiles.filter((file) => !file.ok))}`)
}

/** One round: spawn, kill, reopen, check. */
export async function runGcCrashRound(history: GcCrashHistory, random: SeededRandom): Promise<GcCrashRound> {
  const round = history.survivorCounts.length
  const where = `seed=${history.seed} round=${round}`
  const { acked, killDelayMs, killedBeforeReady } = await killChild(history, random)
  const db = await openGcCrashStore(history.directory)
  try {
    const survivorCount = await survivorCountOf(db, round, where)
    for (const batch of acked) assert.ok(batch < survivorCount, `${where}: acknowledged batch ${batch} lost (survivors 0..${survivorCount - 1})`)
    history.survivorCounts.push(survivorCount)
    await checkAgainstModel(db, history.model(), where)
    if (survivorCount > 0) assert.equal((await db.get(gcCrashMarkerOf(round, survivorCount - 1)))?.toString('latin1'), String(survivorCount - 1))
    // Open has deleted orphans: every blob file left is one the manifest lists.
    const onDisk = blobFilesOnDisk(history.directory)
    assert.equal(onDisk.length, db.stats().blob.fileCount, `${where}: blob files on disk ${onDisk.join(',')} vs manifest ${db.stats().blob.fileCount}`)
    return { round, ackedCount: acked.size, survivorCount, killDelayMs, killedBeforeReady, blobFileCount: onDisk.length }
  } finally {
    await db.close()
  }
}

/**
 * After the rounds: compact and collect twice, then the blob bytes left are bounded by the live
 * bytes (staleness threshold) plus the active file; nothing on disk is unlisted.
 */
export async function checkNoLeak(history: GcCrashHistory): Promise<{ fileCount: number; fileBytesTotal: number; liveBytes: number; staleBytes: number }> {
  const where = `seed=${history.seed} after the rounds`
  const db = await openGcCrashStore(history.directory)
  try {
    await db.compact()
    await db.gc()
    await db.gc()
    await checkAgainstModel(db, history.model(), where)
    const blob = db.stats().blob
    const boundBytes = blob.liveBytes / (1 - GC_CRASH_KV_OPTIONS.stalenessThreshold) + 2 * GC_CRASH_KV_OPTIONS.blobFileSizeBytesTarget
    assert.ok(blob.fileBytesTotal <= boundBytes, `${where}: ${blob.fileBytesTotal} blob bytes for ${blob.liveBytes} live (${blob.fileCount} files, stale ${blob.staleBytes})`)
    assert.equal(blobFilesOnDisk(history.directory).length, blob.fileCount, `${where}: unlisted blob files on disk`)
    return { fileCount: blob.fileCount, fileBytesTotal: blob.fileBytesTotal, liveBytes: blob.liveBytes, staleBytes: blob.staleBytes }
  } finally {
    await db.close()
  }
}
