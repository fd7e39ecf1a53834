/**
 * What moving compactions to the background worker (`compactionThread`) changes, measured side
 * by side in one process: per round, a fresh store per placement ('worker', 'main'; their order
 * alternates between rounds) takes a random-order fill of KEY_COUNT 16-byte keys with 256-byte
 * values in unsynced batches of 1000 (the issue #2 fill shape), then awaited random gets right
 * away, at least READ_COUNT_MIN and on until no flush or compaction is due (the drain: the
 * fill outruns the background work, which then runs under the reads). Prints per store: fill
 * ops/s, the main thread's CPU time during the fill (from /proc, Linux), the event loop's delay
 * p99/max in the fill and in the drain (how long the main thread was busy between turns: the
 * stalls a reader or writer sees), the drain's length and CPU time (main thread, whole process), keys per second of fill plus drain, the
 * drain's gets/s with their p99/max latency, and the compaction counts.
 * Env: KEY_COUNT (800000), READ_COUNT_MIN (20000), GETS_PER_TURN (10), ROUND_COUNT (2),
 * BENCH_DIR (os.tmpdir()).
 * Benchmark, not test.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Buffer } from 'node:buffer'
import { open } from '../index.ts'
import { mulberry32 } from '../engine/mulberry32.ts'
import type { EngineStats } from '../engine/stats.ts'
import { loadAverageText } from './blob-bench-shape.ts'
import { BATCH_OP_COUNT, fillOrder, fillValue, keyOf } from './fillrandom-shape.ts'

const keyCount = Number(process.env.KEY_COUNT ?? 800_000)
const readCountMin = Number(process.env.READ_COUNT_MIN ?? 20_000)
const roundCount = Number(process.env.ROUND_COUNT ?? 2)
const benchDirectory = process.env.BENCH_DIR ?? os.tmpdir()
/**
 * Gets between two turns of the event loop in the drain: few, so the loop's delay shows the
 * longest stretch the background work holds the main thread, not the gets' own run. 0: no gets,
 * the drain only waits (10 ms a turn), to time the background work on an idle main thread.
 */
const getsPerTurn = Number(process.env.GETS_PER_TURN ?? 10)

type Placement = 'worker' | 'main'

/** CPU time of the main thread (its task id is the process id) in ms, from /proc; NaN elsewhere. */
function mainThreadCpuMs(): number {
  try {
    const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1').split(') ')[1].split(' ')
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]
}

/**
 * True while flushes or compactions are due: a frozen memtable, or a level at or past its
 * trigger (the default options' picker rule, engine/compaction/picker.ts: L0 by 4 tables,
 * L1 by 64 MiB, each deeper level 10 times more).
 */
function backgroundWorkDue(stats: EngineStats): boolean {
  if (stats.immutableMemtableCount > 0) return true
  return stats.levels.slice(0, -1).some((level) => (level.level === 0 ? level.tableCount >= 4 : level.sizeBytes >= 64 * 1024 * 1024 * 10 ** (level.level - 1)))
}

async function runOnce(placement: Placement, order: Uint32Array, value: Buffer): Promise<Record<string, string | number>> {
  const directory = fs.mkdtempSync(path.join(benchDirectory, `strata-compaction-thread-${placement}-`))
  try {
    const db = await open(directory, { compactionThread: placement })
    const loopDelay = monitorEventLoopDelay({ resolution: 1 })
    loopDelay.enable()
    const cpuStartMs = mainThreadCpuMs()
    const fillStartMs = performance.now()
    for (let start = 0; start < keyCount; start += BATCH_OP_COUNT) {
      const ops = []
      for (let i = start; i < Math.min(keyCount, start + BATCH_OP_COUNT); i++) ops.push({ type: 'put' as const, key: keyOf(order[i]), value })
      await db.batch(ops)
    }
    const fillMs = performance.now() - fillStartMs
    const fillCpuMs = mainThreadCpuMs() - cpuStartMs
    const fillStats = db.stats()
    const fillLoopDelay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 }
    loopDelay.reset()
    // Random gets while the flushes and compactions the fill left run, until none is due.
    const latenciesMs: number[] = []
    const next = mulberry32(7)
    const drainStartMs = performance.now()
    const drainCpuStartMs = mainThreadCpuMs()
    const drainProcessCpuStart = process.cpuUsage()
    while ((getsPerTurn > 0 && latenciesMs.length < readCountMin) || backgroundWorkDue(db.stats())) {
      if (getsPerTurn === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      for (let i = 0; i < getsPerTurn; i++) {
        const startMs = performance.now()
        if ((await db.get(keyOf(next() % keyCount))) === undefined) throw new Error('a filled key is missing')
        latenciesMs.push(performance.now() - startMs)
      }
      // Gets of cached blocks resolve in microtasks: without a turn of the event loop here the
      // background work (its slices, the worker's messages) would never run.
      await new Promise((resolve) => setImmediate(resolve))
    }
    const drainMs = performance.now() - drainStartMs
    const drainCpuMs = mainThreadCpuMs() - drainCpuStartMs
    const drainProcessCpu = process.cpuUsage(drainProcessCpuStart)
    loopDelay.disable()
    const sorted = Float64Array.from(latenciesMs.length > 0 ? latenciesMs : [Number.NaN]).sort()
    const stats = db.stats()
    await db.close()
    return {
      placement,
      fillOpsPerSecond: Math.round(keyCount / (fillMs / 1000)),
      fillMainCpuMs: Math.round(fillCpuMs),
      fillLoopDelayP99Ms: +fillLoopDelay.p99.toFixed(1),
      fillLoopDelayMaxMs: +fillLoopDelay.max.toFixed(1),
      compactionsInFill: fillStats.compactionCount,
      drainMs: Math.round(drainMs),
      drainMainCpuMs: Math.round(drainCpuMs),
      drainProcessCpuMs: Math.round((drainProcessCpu.user + drainProcessCpu.system) / 1000),
      fillAndDrainOpsPerSecond: Math.round(keyCount / ((fillMs + drainMs) / 1000)),
      drainGetsPerSecond: Math.round(sorted.length / (drainMs / 1000)),
      drainGetP99Ms: +percentile(sorted, 0.99).toFixed(2),
      drainGetMaxMs: +sorted[sorted.length - 1].toFixed(1),
      drainLoopDelayP99Ms: +(loopDelay.percentile(99) / 1e6).toFixed(1),
      drainLoopDelayMaxMs: +(loopDelay.max / 1e6).toFixed(1),
      compactions: `${stats.workerCompactionCount}/${stats.compactionCount} in worker`,
      tablesPerLevel: stats.levels.map((level) => level.tableCount).join(' '),
      writeStalls: stats.writeStallCount,
    }
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
}

const order = fillOrder(42, keyCount)
const value = fillValue(3)
console.log(`keys ${keyCount}, reads at least ${readCountMin}, rounds ${roundCount}, load average ${loadAverageText()}`)
for (let round = 0; round < roundCount; round++) {
  const placements: Placement[] = round % 2 === 0 ? ['worker', 'main'] : ['main', 'worker']
  for (const placement of placements) console.log(JSON.stringify({ round, ...(await runOnce(placement, order, value)) }))
}
console.log(`load average ${loadAverageText()}`)
