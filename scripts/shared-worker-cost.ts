/**
 * What a process with several stores pays for their background worker threads, before (one
 * thread per store) and after (one per process, engine/background/shared-background-thread.ts),
 * side by side. Each measurement is a fresh child process that opens STORE_COUNT stores (defaults:
 * flushThread and compactionThread 'auto', so memtables of 1 MiB and more flush in the worker),
 * fills them in turn with unsynced batches of 1000 random-order 16-byte keys and 256-byte values
 * (the bench's fillrandom shape), MEMTABLE_COUNT memtables of MEMTABLE_MIB each per store (so each
 * flushes that many times, and compacts once L0 holds 4 tables), and closes them; it reports the
 * process's CPU time (process.cpuUsage(): every thread, the worker threads' included), its peak
 * RSS (resourceUsage().maxRSS), the wall time, and the flushes and compactions the workers ran.
 * The variants alternate in each round, their order swapped between rounds; each variant runs
 * once first, unreported, so that its worker bundle is built and cached (worker-bundle.ts)
 * before the measured runs.
 * Usage: node --import tsx scripts/shared-worker-cost.ts
 * Env: BEFORE_ROOT (a checkout of the code before, e.g. `git archive c540f34 | tar -x -C
 * /tmp/base-sw` with node_modules linked; default /tmp/base-sw), AFTER_ROOT (this checkout),
 * STORE_COUNT (4), MEMTABLE_COUNT (5), MEMTABLE_MIB (4), ROUND_COUNT (2), BENCH_DIR (os.tmpdir()).
 * Prints one JSON line per measured run: variant, round, cpuMs, peakRssMiB, wallMs,
 * workerFlushCount, flushCount, workerCompactionCount, then the after/before ratios per round.
 * Benchmark, not test.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { loadAverageText } from './blob-bench-shape.ts'
import { BATCH_OP_COUNT, fillOrder, fillValue, keyOf } from './fillrandom-shape.ts'

/** ~420 bytes of memtable per entry of this fill (worker-flush-warmth.ts). */
const MEMTABLE_BYTES_PER_KEY = 420
const storeCount = Number(process.env.STORE_COUNT ?? 4)
const memtableCount = Number(process.env.MEMTABLE_COUNT ?? 5)
const memtableSizeBytes = Number(process.env.MEMTABLE_MIB ?? 4) * 1024 * 1024
const roundCount = Number(process.env.ROUND_COUNT ?? 2)
const benchDirectory = process.env.BENCH_DIR ?? os.tmpdir()
const variantRoots: Record<string, string> = {
  before: process.env.BEFORE_ROOT ?? '/tmp/base-sw',
  after: process.env.AFTER_ROOT ?? fileURLToPath(new URL('../', import.meta.url)),
}

interface RunReport {
  cpuMs: number
  peakRssMiB: number
  wallMs: number
  workerFlushCount: number
  flushCount: number
  workerCompactionCount: number
}

/** One measurement, in this (child) process: the engine under `root`. */
async function measure(root: string): Promise<RunReport> {
  const { open } = (await import(pathToFileURL(path.join(root, 'index.ts')).href)) as typeof import('../index.ts')
  const directories = Array.from({ length: storeCount }, () => fs.mkdtempSync(path.join(benchDirectory, 'strata-shared-worker-cost-')))
  const startedMs = performance.now()
  const cpuBefore = process.cpuUsage()
  const stores = await Promise.all(directories.map((directory) => open(directory, { memtableSizeBytes })))
  const keyCount = Math.ceil((memtableCount * memtableSizeBytes) / MEMTABLE_BYTES_PER_KEY)
  const order = fillOrder(1, keyCount)
  const value = fillValue(2)
  for (let start = 0; start < keyCount; start += BATCH_OP_COUNT) {
    for (const store of stores) {
      const ops = []
      for (let i = start; i < Math.min(keyCount, start + BATCH_OP_COUNT); i++) ops.push({ type: 'put' as const, key: keyOf(order[i]), value })
      await store.batch(ops)
    }
  }
  const counts = { workerFlushCount: 0, flushCount: 0, workerCompactionCount: 0 }
  for (const store of stores) {
    await store.flush()
    const stats = store.stats()
    counts.workerFlushCount += stats.workerFlushCount
    counts.flushCount += stats.flushCount
    counts.workerCompactionCount += stats.workerCompactionCount
  }
  await Promise.all(stores.map((store) => store.close()))
  const cpu = process.cpuUsage(cpuBefore)
  const report = {
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    wallMs: Math.round(performance.now() - startedMs),
    ...counts,
  }
  for (const directory of directories) fs.rmSync(directory, { recursive: true, force: true })
  return report
}

function runChild(variant: string): RunReport {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', variantRoots[variant]], { encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`the ${variant} run failed: ${child.stderr}`)
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as RunReport
}

if (process.argv[2] === 'child') {
  console.log(JSON.stringify(await measure(process.argv[3])))
} else {
  console.log(JSON.stringify({ storeCount, memtableCount, memtableMiB: memtableSizeBytes / 1024 / 1024, roundCount, loadAverage: loadAverageText(), roots: variantRoots }))
  for (const variant of Object.keys(variantRoots)) runChild(variant)
  for (let round = 0; round < roundCount; round++) {
    const order = round % 2 === 0 ? ['before', 'after'] : ['after', 'before']
    const reports: Record<string, RunReport> = {}
    for (const variant of order) {
      reports[variant] = runChild(variant)
      console.log(JSON.stringify({ variant, round, ...reports[variant] }))
    }
    const ratio = (field: 'cpuMs' | 'peakRssMiB' | 'wallMs'): number => Number((reports.after[field] / reports.before[field]).toFixed(2))
    console.log(JSON.stringify({ round, afterOverBefore: { cpu: ratio('cpuMs'), peakRss: ratio('peakRssMiB'), wall: ratio('wallMs') }, loadAverage: loadAverageText() }))
  }
}
