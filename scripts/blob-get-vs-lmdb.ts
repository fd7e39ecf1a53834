/**
 * Awaited random gets of 16 KiB values, Strata with KV separation against lmdb, interleaved in
 * one process (issue #4: gets at least 1.0x lmdb). Loads VALUE_COUNT values (datasets/
 * compressible:0.5, 16-byte keys, batches of 100, no sync) into both, flushes, reads every key
 * once, then alternates rounds of GET_COUNT seeded random gets on each and prints each round
 * and the median of the per-round ratios. Also times the pieces of a blob get: the index alone
 * (`valueSize`, no blob read), a bare pread of one frame into a fresh, a reused or a slab-carved
 * buffer, XXH3-128 of 16 KiB; and the garbage collection pauses that fell inside each engine's
 * rounds (a PerformanceObserver), per get.
 * Both engines share this process's heap, so lmdb's gets pay the major GCs that Strata's cached
 * values cause: the figure favours Strata. `strata bench run` (one process per engine) is the
 * one to quote; this one is for quick before/after comparisons and for PROFILE_OUT (a CPU
 * profile of one round of Strata's gets).
 * Env: VALUE_COUNT (32768), GET_COUNT (20000), ROUND_COUNT (11), STRATA_SEED (42),
 * BENCH_DIR (os.tmpdir()), BLOCK_CACHE_BYTES (Strata's, default the engine's), PROFILE_OUT. Benchmark, not test.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks'
import { BlobDb } from '../index.ts'
import { Prng, randomPermutation } from '../datasets/mod.ts'
import { BATCH_COUNT, KEY_SIZE_BYTES, VALUE_SIZE_BYTES, baseDirectory, envNumber, median, openLmdb, seed, shapeBatch, shapeKeys, shapeValues, valueCount } from './blob-bench-shape.ts'
import { xxh3128 } from '../engine/checksum/xxh3.ts'

const getCount = envNumber('GET_COUNT', 20000)
const roundCount = envNumber('ROUND_COUNT', 11)
const blockCacheSizeBytes = process.env.BLOCK_CACHE_BYTES === undefined ? undefined : Number(process.env.BLOCK_CACHE_BYTES)

const values = shapeValues()
const order = randomPermutation(valueCount, Prng.derive(seed, 'blob-get-vs-lmdb'))
const keys = shapeKeys()
const directory = fs.mkdtempSync(path.join(baseDirectory, 'strata-get-'))
process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }))

const strata = await BlobDb.open(path.join(directory, 'strata'), blockCacheSizeBytes === undefined ? {} : { blockCacheSizeBytes }, { minBlobSize: 1024 })
const lmdb = openLmdb(path.join(directory, 'lmdb'))
for (let start = 0; start < valueCount; start += BATCH_COUNT) {
  const batch = shapeBatch(start, order, keys, values)
  await strata.batch(batch)
  await Promise.all(batch.map((op) => lmdb.put(op.key, op.value)))
}
await strata.flush()
await lmdb.flushed
for (const key of keys) {
  await strata.get(key)
  lmdb.get(key)
}

function plan(round: number): Uint32Array {
  const prng = Prng.derive(seed, `gets ${round}`)
  return Uint32Array.from({ length: getCount }, () => prng.nextBelow(valueCount))
}

// Garbage collections, so each engine's rounds can be charged the pauses that fell inside them.
const gcPauses: { startMs: number; durationMs: number; major: boolean }[] = []
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind
    gcPauses.push({ startMs: entry.startTime, durationMs: entry.duration, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR })
  }
}).observe({ entryTypes: ['gc'] })
const roundSpans: Record<'strata' | 'lmdb', { startMs: number; endMs: number }[]> = { strata: [], lmdb: [] }

/**
 * Gets per second over `indices`, and the process's CPU time (user + system, all threads) per get
 * in µs: on a shared machine CPU time moves less than wall time when other jobs take the cores.
 */
async function timeGets(get: (key: Uint8Array) => Promise<Uint8Array | undefined> | Uint8Array | undefined, indices: Uint32Array, engine?: 'strata' | 'lmdb'): Promise<{ rate: number; cpuUs: number }> {
  let bytes = 0
  const startedMs = performance.now()
  const cpuBefore = process.cpuUsage()
  for (const index of indices) bytes += (await get(keys[index]))?.length ?? 0
  const cpu = process.cpuUsage(cpuBefore)
  const elapsedMs = performance.now() - startedMs
  if (engine !== undefined) roundSpans[engine].push({ startMs: startedMs, endMs: startedMs + elapsedMs })
  if (bytes !== indices.length * VALUE_SIZE_BYTES) throw new Error(`read ${bytes} bytes, expected ${indices.length * VALUE_SIZE_BYTES}`)
  return { rate: indices.length / (elapsedMs / 1000), cpuUs: (cpu.user + cpu.system) / indices.length }
}

function timeUs(count: number, work: (index: number) => void): number {
  const startedMs = performance.now()
  for (let index = 0; index < count; index++) work(index)
  return ((performance.now() - startedMs) * 1000) / count
}

if (process.env.PROFILE_OUT !== undefined) {
  const { Session } = await import('node:inspector/promises')
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  await timeGets((key) => strata.get(key), plan(0))
  const { profile } = await session.post('Profiler.stop')
  fs.writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile))
}

const ratios: number[] = []
const cpuRatios: number[] = []
console.log(`seed=${seed} ${valueCount} x ${VALUE_SIZE_BYTES} B, ${getCount} gets per round, rounds=${roundCount}, block cache ${blockCacheSizeBytes ?? 'default'}`)
for (let round = 0; round < roundCount; round++) {
  // The engine that goes first alternates, so neither always runs right after the other.
  const indices = plan(round)
  const first = round % 2 === 0
  const lmdbBefore = first ? undefined : await timeGets(async (key) => lmdb.get(key), indices, 'lmdb')
  const strataRound = await timeGets((key) => strata.get(key), indices, 'strata')
  const lmdbRound = lmdbBefore ?? (await timeGets(async (key) => lmdb.get(key), indices, 'lmdb'))
  ratios.push(strataRound.rate / lmdbRound.rate)
  cpuRatios.push(lmdbRound.cpuUs / strataRound.cpuUs)
  console.log(
    `round ${round + 1}: strata ${strataRound.rate.toFixed(0)}/s (CPU ${strataRound.cpuUs.toFixed(2)} µs/get), ` +
      `lmdb ${lmdbRound.rate.toFixed(0)}/s (CPU ${lmdbRound.cpuUs.toFixed(2)} µs/get), ratio ${ratios.at(-1)!.toFixed(2)}`,
  )
}
console.log(`median of per-round ratios (strata / lmdb): ${median(ratios).toFixed(2)} by wall time, ${median(cpuRatios).toFixed(2)} by CPU time per get`)
// GC entries reach the observer a timer tick or more after the pause.
await new Promise((resolve) => setTimeout(resolve, 100))
for (const engine of ['strata', 'lmdb'] as const) {
  const inside = gcPauses.filter((pause) => roundSpans[engine].some((span) => pause.startMs >= span.startMs && pause.startMs < span.endMs))
  const sumMs = (list: typeof inside): number => list.reduce((total, pause) => total + pause.durationMs, 0)
  const perGetUs = (ms: number): string => ((ms * 1000) / (roundCount * getCount)).toFixed(2)
  const major = inside.filter((pause) => pause.major)
  console.log(`gc during ${engine} gets: ${perGetUs(sumMs(inside))} µs per get (${inside.length} pauses; major ${major.length}, ${perGetUs(sumMs(major))} µs per get)`)
}
console.log(`value cache: ${JSON.stringify(strata.stats().blob.valueCache)}, handle cache: ${JSON.stringify(strata.stats().blob.handleCache)}`)

const indices = plan(roundCount)
const blobPath = path.join(directory, 'strata', fs.readdirSync(path.join(directory, 'strata')).find((name) => name.endsWith('.blob'))!)
const fd = fs.openSync(blobPath, 'r')
const frameSizeBytes = 40 + KEY_SIZE_BYTES + 24 + VALUE_SIZE_BYTES
const frameCount = Math.floor((fs.fstatSync(fd).size - 40) / frameSizeBytes) - 1
const sample = new Uint8Array(VALUE_SIZE_BYTES)
const scratch = new Uint8Array(frameSizeBytes)
let slab = new Uint8Array(0)
let slabOffsetBytes = 0
const pieces = {
  indexOnlyUs: timeUs(getCount, (index) => strata.valueSize(keys[indices[index]])),
  allocUs: timeUs(getCount, () => new Uint8Array(frameSizeBytes)),
  preadFreshUs: timeUs(getCount, (index) => fs.readSync(fd, new Uint8Array(frameSizeBytes), 0, frameSizeBytes, 40 + (indices[index] % frameCount) * frameSizeBytes)),
  // Unzeroed, as the blob reader allocates a frame.
  // One reused (cache-hot) buffer: what a pread costs without the fresh memory a caller must own.
  preadScratchUs: timeUs(getCount, (index) => fs.readSync(fd, scratch, 0, frameSizeBytes, 40 + (indices[index] % frameCount) * frameSizeBytes)),
  preadUnsafeUs: timeUs(getCount, (index) => fs.readSync(fd, Buffer.allocUnsafeSlow(frameSizeBytes), 0, frameSizeBytes, 40 + (indices[index] % frameCount) * frameSizeBytes)),
  // Idea 2 of issue #4's get work: frames carved from a slab of eight, one ArrayBuffer per eight gets.
  preadSlabUs: timeUs(getCount, (index) => {
    if (slabOffsetBytes + frameSizeBytes > slab.length) {
      slab = new Uint8Array(8 * frameSizeBytes)
      slabOffsetBytes = 0
    }
    fs.readSync(fd, slab.subarray(slabOffsetBytes, slabOffsetBytes + frameSizeBytes), 0, frameSizeBytes, 40 + (indices[index] % frameCount) * frameSizeBytes)
    slabOffsetBytes += frameSizeBytes
  }),
  xxh3Us: timeUs(getCount, () => xxh3128(sample)),
  // What a get cannot avoid with a copy per get and a checksum: a fresh frame, read, then verified.
  preadFreshXxh3Us: timeUs(getCount, (index) => {
    const frame = Buffer.allocUnsafeSlow(frameSizeBytes)
    fs.readSync(fd, frame, 0, frameSizeBytes, 40 + (indices[index] % frameCount) * frameSizeBytes)
    xxh3128(frame.subarray(frameSizeBytes - VALUE_SIZE_BYTES))
  }),
}
fs.closeSync(fd)
console.log(`pieces (µs each): ${Object.entries(pieces).map(([name, us]) => `${name} ${us.toFixed(2)}`).join(', ')}`)
await strata.close()
await lmdb.close()
