/**
 * Garbage collection during awaited random gets of 16 KiB values, Strata with KV separation
 * against lmdb, each engine in a process of its own (blob-get-vs-lmdb.ts shares one heap between
 * them, so each engine's GC counts there include the other's). Each child loads the issue #4
 * shape (blob-bench-shape.ts), reads every key once, then times GET_COUNT seeded random gets
 * under `--trace-gc-nvp`; the parent runs ROUND_COUNT rounds, the engine going first alternating,
 * and prints per engine: gets/s, mark-compacts and scavenges per 100,000 gets, the bytes the
 * scavenges promoted to the old generation, the GC pause per get, and CPU time per get.
 * What it showed is in docs/formats/blob-file.md (Reads): no scavenge promotes anything, and
 * mark-compacts come and go with the machine's load for both engines.
 * Env: VALUE_COUNT (32768), GET_COUNT (100000), ROUND_COUNT (2), STRATA_SEED (42), BENCH_DIR
 * (os.tmpdir()). Benchmark, not test.
 */
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { BlobDb } from '../index.ts'
import { Prng } from '../datasets/mod.ts'
import { BATCH_COUNT, VALUE_SIZE_BYTES, baseDirectory, envNumber, openLmdb, seed, shapeKeys, shapeValues, valueCount } from './blob-bench-shape.ts'

type Engine = 'strata' | 'lmdb'

/** What a child reports after its gets. */
interface ChildResult {
  getsPerSecond: number
  userCpuUsPerGet: number
  systemCpuUsPerGet: number
}

const getCount = envNumber('GET_COUNT', 100000)
const roundCount = envNumber('ROUND_COUNT', 2)
/** Printed by a child right before its timed gets: the GC lines after it are theirs. */
const TIMED_START_MARKER = 'blob-get-gc: timed gets start'
const RESULT_PREFIX = 'blob-get-gc: result '

/** Loads the shape into `engine`, reads every key once, times the gets and prints the result. */
async function runChild(engine: Engine): Promise<void> {
  const values = shapeValues()
  const keys = shapeKeys()
  const directory = fs.mkdtempSync(path.join(baseDirectory, 'strata-get-gc-'))
  process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }))
  let get: (key: Uint8Array) => Promise<Uint8Array | undefined>
  let close: () => Promise<void>
  if (engine === 'strata') {
    const db = await BlobDb.open(directory, {}, { minBlobSize: 1024 })
    for (let start = 0; start < valueCount; start += BATCH_COUNT) {
      const end = Math.min(valueCount, start + BATCH_COUNT)
      await db.batch(keys.slice(start, end).map((key, offset) => ({ type: 'put' as const, key, value: values.value(start + offset, VALUE_SIZE_BYTES) })))
    }
    await db.flush()
    get = (key) => db.get(key)
    close = () => db.close()
  } else {
    const db = openLmdb(directory)
    for (let start = 0; start < valueCount; start += BATCH_COUNT) {
      const end = Math.min(valueCount, start + BATCH_COUNT)
      await Promise.all(keys.slice(start, end).map((key, offset) => db.put(key, values.value(start + offset, VALUE_SIZE_BYTES))))
    }
    await db.flushed
    // Awaited like Strata's, so both pay one promise per get.
    get = async (key) => db.get(key)
    close = () => db.close()
  }
  for (const key of keys) await get(key)
  const prng = Prng.derive(seed, 'blob-get-gc')
  const indices = Uint32Array.from({ length: getCount }, () => prng.nextBelow(valueCount))
  console.log(TIMED_START_MARKER)
  const usageBefore = process.resourceUsage()
  const startedMs = performance.now()
  let bytes = 0
  for (const index of indices) bytes += (await get(keys[index]))?.length ?? 0
  const elapsedMs = performance.now() - startedMs
  const usageAfter = process.resourceUsage()
  if (bytes !== getCount * VALUE_SIZE_BYTES) throw new Error(`read ${bytes} bytes, expected ${getCount * VALUE_SIZE_BYTES}`)
  const result: ChildResult = {
    getsPerSecond: getCount / (elapsedMs / 1000),
    userCpuUsPerGet: (usageAfter.userCPUTime - usageBefore.userCPUTime) / getCount,
    systemCpuUsPerGet: (usageAfter.systemCPUTime - usageBefore.systemCPUTime) / getCount,
  }
  console.log(RESULT_PREFIX + JSON.stringify(result))
  await close()
}

/** What the `--trace-gc-nvp` lines of the timed gets add up to. */
interface GcCounts {
  scavengeCount: number
  markCompactCount: number
  /** Young objects the scavenges moved to the old generation. */
  scavengePromotedBytes: number
  /** Young objects the mark-compacts moved there (a mark-compact promotes every live young object). */
  markCompactPromotedBytes: number
  pauseMs: number
}

/** Counts of the `--trace-gc-nvp` lines (one per GC) in `lines`. */
function gcCounts(lines: readonly string[]): GcCounts {
  const counts: GcCounts = { scavengeCount: 0, markCompactCount: 0, scavengePromotedBytes: 0, markCompactPromotedBytes: 0, pauseMs: 0 }
  for (const line of lines) {
    const kind = / gc=(\w+) /.exec(line)?.[1]
    if (kind === undefined) continue
    counts.pauseMs += Number(/pause=([\d.]+)/.exec(line)?.[1] ?? 0)
    const promotedBytes = Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0)
    if (kind === 's') {
      counts.scavengeCount++
      counts.scavengePromotedBytes += promotedBytes
    } else if (kind === 'mc') {
      counts.markCompactCount++
      counts.markCompactPromotedBytes += promotedBytes
    }
  }
  return counts
}

/** Runs one child for `engine` and prints its line. */
function runRound(engine: Engine, round: number): void {
  const child = spawnSync(process.execPath, ['--trace-gc-nvp', '--import', 'tsx', fileURLToPath(import.meta.url), engine], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  if (child.status !== 0) throw new Error(`${engine} child failed (${child.status}): ${child.stderr}`)
  const lines = child.stdout.split('\n')
  const startIndex = lines.indexOf(TIMED_START_MARKER)
  const resultIndex = lines.findIndex((line) => line.startsWith(RESULT_PREFIX))
  if (startIndex < 0 || resultIndex < startIndex) throw new Error(`${engine} child printed no result: ${child.stdout.slice(-2000)}`)
  const result = JSON.parse(lines[resultIndex].slice(RESULT_PREFIX.length)) as ChildResult
  const gc = gcCounts(lines.slice(startIndex, resultIndex))
  const per100k = (count: number): string => ((count * 100000) / getCount).toFixed(1)
  console.log(`round ${round + 1} ${engine.padEnd(6)} ${result.getsPerSecond.toFixed(0).padStart(7)} gets/s, ` +
    `mark-compacts ${per100k(gc.markCompactCount)} and scavenges ${per100k(gc.scavengeCount)} per 100k gets, ` +
    `promoted by scavenges ${gc.scavengePromotedBytes} B and by mark-compacts ${gc.markCompactPromotedBytes} B, GC pause ${((gc.pauseMs * 1000) / getCount).toFixed(2)} µs/get, ` +
    `CPU ${result.userCpuUsPerGet.toFixed(1)} user + ${result.systemCpuUsPerGet.toFixed(1)} sys µs/get`)
}

const childEngine = process.argv[2]
if (childEngine === 'strata' || childEngine === 'lmdb') {
  await runChild(childEngine)
} else {
  console.log(`seed=${seed} ${valueCount} x ${VALUE_SIZE_BYTES} B, ${getCount} gets per child, rounds=${roundCount}`)
  for (let round = 0; round < roundCount; round++) {
    const order: Engine[] = round % 2 === 0 ? ['strata', 'lmdb'] : ['lmdb', 'strata']
    for (const engine of order) runRound(engine, round)
  }
}
