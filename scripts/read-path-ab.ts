/**
 * Hot point gets and full scans of the issue #2 read shape (200,000 16-byte keys, 256-byte values
 * of compressible:0.5, loaded in a seeded permutation in batches of 1,000, flushed, every key read
 * and one scan to warm up), on lmdb and on one or more Strata checkouts, interleaved in one
 * process. Each round runs, per engine in rotating order, GET_COUNT awaited gets of seeded random
 * keys and one full forward scan (`for await` over the iterator, as the bench adapters do), then
 * prints each engine's rate and its ratio to the first Strata checkout and to lmdb; the end
 * prints the medians of the per-round ratios. For before/after comparisons of a change:
 * STRATA_ROOTS=/tmp/base,. runs a copy of the parent commit beside the working tree.
 * `strata bench run` (one process per engine) is the figure to quote against lmdb.
 * PROFILE_OUT=<prefix> writes <prefix>-get.cpuprofile and <prefix>-scan.cpuprofile (25 µs
 * sampling) of the last root's gets and scan, for scripts/blob-cpuprofile-summary.ts.
 * Env: STRATA_ROOTS (.), BLOCK_CACHE_BYTES (128 MiB; the standard suite's 32 MiB leaves about half
 * the blocks outside it), KEY_COUNT (200000), GET_COUNT (20000), ROUND_COUNT (31), REVERSE (0:
 * scan forward; 1 backward), STRATA_SEED (42), BENCH_DIR (os.tmpdir()). Benchmark, not test.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { spawnSync } from 'node:child_process'
import { Session } from 'node:inspector/promises'
import { encodeKey, Prng } from '../datasets/mod.ts'
import { baseDirectory, envNumber, loadAverageText, median, openLmdb, seed } from './blob-bench-shape.ts'
import { KEY_SIZE_BYTES, readShapeBatches, readShapeKeys, VALUE_SIZE_BYTES } from './read-bench-shape.ts'

const BLOCK_CACHE_SIZE_BYTES = envNumber('BLOCK_CACHE_BYTES', 128 * 1024 * 1024)
const keyCount = envNumber('KEY_COUNT', 200000)
const getCount = envNumber('GET_COUNT', 20000)
const roundCount = envNumber('ROUND_COUNT', 31)
const reverse = process.env.REVERSE === '1'
const roots = (process.env.STRATA_ROOTS ?? '.').split(',').map((root) => path.resolve(root))

interface Engine {
  name: string
  get(key: Uint8Array): Promise<Uint8Array | undefined> | Uint8Array | undefined
  /** Entries and bytes of one full scan. */
  scan(): Promise<{ count: number; bytes: number }>
  close(): Promise<void>
}

interface StrataDb {
  batch(operations: { type: 'put'; key: Uint8Array; value: Uint8Array }[]): Promise<void>
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  iterator(options: { reverse?: boolean }): AsyncIterable<[Uint8Array, Uint8Array]>
  flush(): Promise<void>
  close(): Promise<void>
}

const keys = readShapeKeys(keyCount)
const directory = process.env.READ_AB_DIRECTORY ?? fs.mkdtempSync(path.join(baseDirectory, 'strata-read-ab-'))
if (process.env.READ_AB_LOAD_ONLY !== '1') process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }))

/** The loaded store every Strata root reads a copy of, so all read the same tables. */
const sourceDirectory = path.join(directory, 'source')

async function loadSource(root: string): Promise<void> {
  const module = (await import(pathToFileURL(path.join(root, 'index.ts')).href)) as { open(directory: string, options: object): Promise<StrataDb> }
  const db = await module.open(sourceDirectory, { bloomBitsPerKey: 10, blockCacheSizeBytes: BLOCK_CACHE_SIZE_BYTES })
  for (const batch of readShapeBatches(keys, 'read-path-ab load')) await db.batch(batch)
  await db.flush()
  await db.close()
}

async function openStrata(root: string, index: number): Promise<Engine> {
  const module = (await import(pathToFileURL(path.join(root, 'index.ts')).href)) as { open(directory: string, options: object): Promise<StrataDb> }
  const copy = path.join(directory, `strata-${index}`)
  fs.cpSync(sourceDirectory, copy, { recursive: true })
  const db = await module.open(copy, { bloomBitsPerKey: 10, blockCacheSizeBytes: BLOCK_CACHE_SIZE_BYTES })
  return {
    name: `strata ${path.relative(process.cwd(), root) || '.'}`,
    get: (key) => db.get(key),
    async scan() {
      let count = 0
      let bytes = 0
      for await (const [key, value] of db.iterator({ reverse })) {
        count++
        bytes += key.length + value.length
      }
      return { count, bytes }
    },
    close: () => db.close(),
  }
}

async function openLmdbEngine(): Promise<Engine> {
  const lmdb = openLmdb(path.join(directory, 'lmdb')) as ReturnType<typeof openLmdb> & {
    getRange(options: { reverse?: boolean }): Iterable<{ key: Uint8Array; value: Uint8Array }>
  }
  for (const batch of readShapeBatches(keys, 'read-path-ab load')) await Promise.all(batch.map((op) => lmdb.put(op.key, op.value)))
  await lmdb.flushed
  return {
    name: 'lmdb',
    get: (key) => lmdb.get(key),
    async scan() {
      let count = 0
      let bytes = 0
      for (const { key, value } of lmdb.getRange({ reverse })) {
        count++
        bytes += key.length + value.length
      }
      return { count, bytes }
    },
    close: () => lmdb.close(),
  }
}

function plan(round: number): Uint32Array {
  const prng = Prng.derive(seed, `read-path-ab gets ${round}`)
  return Uint32Array.from({ length: getCount }, () => prng.nextBelow(keyCount))
}

/**
 * Operations per second of wall time and per second of this process's CPU time (user + system):
 * on a shared machine CPU time moves less than wall time when other jobs take the cores.
 */
interface Rate {
  wall: number
  cpu: number
}

function rateOf(count: number, startedMs: number, cpuBefore: NodeJS.CpuUsage): Rate {
  const cpu = process.cpuUsage(cpuBefore)
  return { wall: count / ((performance.now() - startedMs) / 1000), cpu: count / ((cpu.user + cpu.system) / 1e6) }
}

async function timeGets(engine: Engine, indices: Uint32Array): Promise<Rate> {
  let bytes = 0
  const cpuBefore = process.cpuUsage()
  const startedMs = performance.now()
  // A fresh key per get, as the bench's workloads make them (datasets/ encodeKey).
  for (const index of indices) bytes += (await engine.get(encodeKey(index, KEY_SIZE_BYTES)))?.length ?? 0
  const rate = rateOf(indices.length, startedMs, cpuBefore)
  if (bytes !== indices.length * VALUE_SIZE_BYTES) throw new Error(`${engine.name}: read ${bytes} bytes, expected ${indices.length * VALUE_SIZE_BYTES}`)
  return rate
}

async function timeScan(engine: Engine): Promise<Rate> {
  const cpuBefore = process.cpuUsage()
  const startedMs = performance.now()
  const { count, bytes } = await engine.scan()
  const rate = rateOf(count, startedMs, cpuBefore)
  if (count !== keyCount || bytes !== keyCount * (KEY_SIZE_BYTES + VALUE_SIZE_BYTES)) throw new Error(`${engine.name}: scanned ${count} entries of ${bytes} bytes`)
  return rate
}

async function profile(engine: Engine, prefix: string): Promise<void> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 25 })
  for (const [phase, work] of [['get', () => timeGets(engine, plan(-1))], ['scan', async () => { for (let i = 0; i < 5; i++) await timeScan(engine) }]] as const) {
    await session.post('Profiler.start')
    await work()
    const { profile: result } = await session.post('Profiler.stop')
    fs.writeFileSync(`${prefix}-${phase}.cpuprofile`, JSON.stringify(result))
  }
  session.disconnect()
}

// Loaded in a child process: a module that ran the writes carries their type feedback into its
// reads, which made the first root ~5% slower than an identical second one (A/A runs).
if (process.env.READ_AB_LOAD_ONLY === '1') {
  await loadSource(roots[0])
  process.exit(0)
}
const loader = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)],
  { env: { ...process.env, READ_AB_LOAD_ONLY: '1', READ_AB_DIRECTORY: directory }, stdio: 'inherit' })
if (loader.status !== 0) throw new Error(`loading the store failed with status ${loader.status}`)
const engines: Engine[] = [await openLmdbEngine()]
for (const [index, root] of roots.entries()) engines.push(await openStrata(root, index))
for (const engine of engines) {
  for (const key of keys) await engine.get(key)
  await timeScan(engine)
}
if (process.env.PROFILE_OUT !== undefined) await profile(engines.at(-1)!, process.env.PROFILE_OUT)

console.log(`seed=${seed} ${keyCount} x ${VALUE_SIZE_BYTES} B, ${getCount} gets and one ${reverse ? 'reverse' : 'forward'} scan per engine and round, ${roundCount} rounds, load ${loadAverageText()}`)
type Ratios = Record<'get' | 'scan' | 'getCpu' | 'scanCpu', number[]>
const emptyRatios = (): Ratios => ({ get: [], scan: [], getCpu: [], scanCpu: [] })
const vsLmdb = new Map<string, Ratios>()
const vsFirst = new Map<string, Ratios>()
for (const engine of engines.slice(1)) {
  vsLmdb.set(engine.name, emptyRatios())
  vsFirst.set(engine.name, emptyRatios())
}
function push(ratios: Ratios, rate: { get: Rate; scan: Rate }, base: { get: Rate; scan: Rate }): void {
  ratios.get.push(rate.get.wall / base.get.wall)
  ratios.scan.push(rate.scan.wall / base.scan.wall)
  ratios.getCpu.push(rate.get.cpu / base.get.cpu)
  ratios.scanCpu.push(rate.scan.cpu / base.scan.cpu)
}
const describe = (ratios: Ratios): string =>
  `get ${median(ratios.get).toFixed(3)}x (CPU ${median(ratios.getCpu).toFixed(3)}x), scan ${median(ratios.scan).toFixed(3)}x (CPU ${median(ratios.scanCpu).toFixed(3)}x)`
for (let round = 0; round < roundCount; round++) {
  const indices = plan(round)
  const rates = new Map<string, { get: Rate; scan: Rate }>()
  // Rotate who goes first so no engine always runs right after the same one.
  for (let step = 0; step < engines.length; step++) {
    const engine = engines[(round + step) % engines.length]
    rates.set(engine.name, { get: await timeGets(engine, indices), scan: await timeScan(engine) })
  }
  const lmdb = rates.get('lmdb')!
  const first = rates.get(engines[1].name)!
  const line = [`round ${round + 1}: lmdb get ${lmdb.get.wall.toFixed(0)}/s scan ${lmdb.scan.wall.toFixed(0)}/s`]
  for (const engine of engines.slice(1)) {
    const rate = rates.get(engine.name)!
    push(vsLmdb.get(engine.name)!, rate, lmdb)
    push(vsFirst.get(engine.name)!, rate, first)
    line.push(`${engine.name} get ${rate.get.wall.toFixed(0)}/s (${(rate.get.wall / lmdb.get.wall).toFixed(2)}x lmdb) scan ${rate.scan.wall.toFixed(0)}/s (${(rate.scan.wall / lmdb.scan.wall).toFixed(2)}x lmdb)`)
  }
  console.log(line.join('; '))
}
for (const engine of engines.slice(1)) {
  console.log(`${engine.name}: medians of per-round ratios vs lmdb: ${describe(vsLmdb.get(engine.name)!)}`)
  if (engine !== engines[1]) console.log(`${engine.name}: medians of per-round ratios vs ${engines[1].name}: ${describe(vsFirst.get(engine.name)!)}`)
}
console.log(`load ${loadAverageText()}`)
for (const engine of engines) await engine.close()
