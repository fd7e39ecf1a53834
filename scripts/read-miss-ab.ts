/**
 * Random point gets that miss the block cache about half the time, one process per Strata
 * checkout, for before/after comparisons of the read path's miss cost. The standard suite's read
 * shape: 200,000 16-byte keys, 256-byte values of compressible:0.5, loaded in a seeded permutation
 * in batches of 1,000 and flushed (57 MB of tables), read with a 32 MiB block cache.
 *
 * Why one process per checkout: scripts/read-path-ab.ts runs every checkout and lmdb in one
 * process, whose shared heap (and its garbage collections) blurs what an allocation change does
 * to one of them; here each round starts a fresh child per checkout, in rotating order, which
 * opens a copy of the same store, warms up with WARMUP_GET_COUNT gets and times GET_COUNT more.
 * Prints each child's µs per get and the median of per-round ratios against the first checkout.
 *
 * Usage: STRATA_ROOTS=/tmp/base,. node --import tsx scripts/read-miss-ab.ts
 * Env: STRATA_ROOTS (.), ROUND_COUNT (5), GET_COUNT (300000), WARMUP_GET_COUNT (100000),
 * BLOCK_CACHE_BYTES (32 MiB), STRATA_SEED (42), BENCH_DIR (os.tmpdir()). Benchmark, not test.
 */
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Prng } from '../datasets/mod.ts'
import { baseDirectory, envNumber, loadAverageText, median, seed } from './blob-bench-shape.ts'
import { readShapeBatches, readShapeKeys, VALUE_SIZE_BYTES } from './read-bench-shape.ts'

const KEY_COUNT = 200_000
const blockCacheSizeBytes = envNumber('BLOCK_CACHE_BYTES', 32 * 1024 * 1024)
const getCount = envNumber('GET_COUNT', 300_000)
const warmupGetCount = envNumber('WARMUP_GET_COUNT', 100_000)

interface StrataDb {
  batch(operations: { type: 'put'; key: Uint8Array; value: Uint8Array }[]): Promise<void>
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  flush(): Promise<void>
  close(): Promise<void>
}

async function openAt(root: string, directory: string): Promise<StrataDb> {
  const module = (await import(pathToFileURL(path.join(root, 'index.ts')).href)) as { open(directory: string, options: object): Promise<StrataDb> }
  return module.open(directory, { bloomBitsPerKey: 10, blockCacheSizeBytes })
}

const keys = readShapeKeys(KEY_COUNT)

/** Child: opens its copy of the store with `root`'s code, warms up, prints µs per get. */
async function measure(root: string, directory: string): Promise<void> {
  const db = await openAt(root, directory)
  const prng = Prng.derive(seed, 'read-miss-ab gets')
  for (let index = 0; index < warmupGetCount; index++) await db.get(keys[prng.nextBelow(KEY_COUNT)])
  const startedNs = process.hrtime.bigint()
  for (let index = 0; index < getCount; index++) await db.get(keys[prng.nextBelow(KEY_COUNT)])
  const elapsedUs = Number(process.hrtime.bigint() - startedNs) / 1000
  await db.close()
  console.log(JSON.stringify({ usPerGet: elapsedUs / getCount }))
}

if (process.env.READ_MISS_CHILD !== undefined) {
  const { root, directory } = JSON.parse(process.env.READ_MISS_CHILD) as { root: string; directory: string }
  await measure(root, directory)
} else {
  const roots = (process.env.STRATA_ROOTS ?? '.').split(',').map((root) => path.resolve(root))
  const roundCount = envNumber('ROUND_COUNT', 5)
  const directory = fs.mkdtempSync(path.join(baseDirectory, 'strata-read-miss-'))
  process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }))
  const source = path.join(directory, 'source')
  // Loaded once, by the first checkout; every child reads a copy of the same tables.
  const db = await openAt(roots[0], source)
  for (const batch of readShapeBatches(keys, 'read-miss-ab load')) await db.batch(batch)
  await db.flush()
  await db.close()
  const script = fileURLToPath(import.meta.url)
  const usPerGet = roots.map((): number[] => [])
  console.log(`seed=${seed} ${KEY_COUNT} x ${VALUE_SIZE_BYTES} B, block cache ${blockCacheSizeBytes} B, ${warmupGetCount} warm-up + ${getCount} timed gets per child; load ${loadAverageText()}`)
  for (let round = 0; round < roundCount; round++) {
    for (let turn = 0; turn < roots.length; turn++) {
      const index = (round + turn) % roots.length
      const copy = path.join(directory, `round-${round}-${index}`)
      fs.cpSync(source, copy, { recursive: true })
      const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, READ_MISS_CHILD: JSON.stringify({ root: roots[index], directory: copy }) },
        encoding: 'utf8',
      })
      if (child.status !== 0) throw new Error(`child for ${roots[index]} failed: ${child.stderr}`)
      usPerGet[index].push((JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { usPerGet: number }).usPerGet)
      fs.rmSync(copy, { recursive: true, force: true })
    }
    console.log(`round ${round + 1}: ${roots.map((root, index) => `${path.relative(process.cwd(), root) || '.'} ${usPerGet[index][round].toFixed(2)} µs/get`).join(', ')}`)
  }
  for (let index = 1; index < roots.length; index++) {
    const ratios = usPerGet[0].map((first, round) => first / usPerGet[index][round])
    console.log(`${path.relative(process.cwd(), roots[index]) || '.'}: gets ${median(ratios).toFixed(2)}x as fast as ${path.relative(process.cwd(), roots[0]) || '.'} (median of per-round ratios)`)
  }
  console.log(`load ${loadAverageText()}`)
}
