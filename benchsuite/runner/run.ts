/**
 * The runner: every workload × engine × repetition, engines interleaved within each repetition so
 * machine drift hits all engines alike, and the order of engines and of workloads rotated by one
 * per repetition from an offset the run's seed picks (rep 1: B C A, rep 2: C A B …), so no
 * engine always runs first (on a fresh machine) and no workload is always a process's first cell.
 * With isolation 'process' each engine's repetition runs in its own child process (worker.ts),
 * with 'none' in this process (tests); each starts with an unmeasured JIT warm-up
 * (jit-warmup.ts). Warm-up repetitions run first and are discarded.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CompressionSetting } from '../engines/adapter.ts'
import { findEngine } from '../engines/registry.ts'
import { PRESETS } from '../presets.ts'
import type { PresetName } from '../presets.ts'
import type { WorkloadParameters } from '../workloads/parameters.ts'
import { findWorkload } from '../workloads/registry.ts'
import type { CellMeasurement } from './cell.ts'
import { runCell } from './cell.ts'
import { JIT_WARMUP_MS, jitWarmup } from './jit-warmup.ts'

export interface WorkerSpec {
  engine: string
  workloads: string[]
  parameters: WorkloadParameters
  preset: PresetName
  dataRoot: string
  label: string
  /** Budget of the unmeasured warm-up before the first cell (0: none). */
  jitWarmupMs: number
}

/**
 * Runs one engine's cells for one repetition, in workload order. `onCell` sees the measurements
 * so far after each cell (the worker writes them out, so a crash later keeps what was measured).
 */
export async function runEngineCells(spec: WorkerSpec, onCell?: (so: Record<string, CellMeasurement>) => void): Promise<Record<string, CellMeasurement>> {
  const adapter = findEngine(spec.engine)
  if (adapter === undefined) throw new Error(`unknown engine ${spec.engine}`)
  const runOptions = {
    preset: PRESETS[spec.preset],
    compression: spec.parameters.compression as CompressionSetting,
    sync: spec.parameters.sync,
    minBlobSizeBytes: spec.parameters.minBlobSizeBytes,
    blockCacheBytes: spec.parameters.blockCacheBytes,
  }
  if (spec.jitWarmupMs > 0) await jitWarmup(adapter, runOptions, spec.parameters, spec.dataRoot, spec.jitWarmupMs)
  const measurements: Record<string, CellMeasurement> = {}
  for (const name of spec.workloads) {
    const workload = findWorkload(name)
    if (workload === undefined) throw new Error(`unknown workload ${name}`)
    measurements[name] = await runCell({ adapter, workload, parameters: spec.parameters, runOptions, dataRoot: spec.dataRoot, label: spec.label })
    onCell?.(measurements)
  }
  return measurements
}

export interface RunPlan {
  engines: string[]
  workloads: string[]
  parameters: WorkloadParameters
  preset: PresetName
  repetitions: number
  warmupRepetitions: number
  isolation: 'process' | 'none'
  dataRoot: string
  log: (line: string) => void
  /** Each engine process's warm-up budget; default JIT_WARMUP_MS (tests pass 0 or a few ms). */
  jitWarmupMs?: number
}

/** measurements[workload][engine] = one CellMeasurement per measured repetition, in run order. */
export type RunMeasurements = Record<string, Record<string, CellMeasurement[]>>

export async function runPlan(plan: RunPlan): Promise<RunMeasurements> {
  const measurements: RunMeasurements = {}
  for (const workload of plan.workloads) {
    measurements[workload] = {}
    for (const engine of plan.engines) measurements[workload][engine] = []
  }
  fs.mkdirSync(plan.dataRoot, { recursive: true })
  // This run's cells live in their own folder, removed at the end when every engine process is
  // gone (a cell that could not remove its directory leaves it here).
  const dataRoot = fs.mkdtempSync(path.join(plan.dataRoot, 'run-'))
  try {
    await runRepetitions(plan, dataRoot, measurements)
  } finally {
    fs.rmSync(dataRoot, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 })
  }
  return measurements
}

async function runRepetitions(plan: RunPlan, dataRoot: string, measurements: RunMeasurements): Promise<void> {
  const totalRepetitions = plan.warmupRepetitions + plan.repetitions
  const startMs = performance.now()
  const runsTotal = totalRepetitions * plan.engines.length
  let runsDone = 0
  for (let repetition = 0; repetition < totalRepetitions; repetition++) {
    const warmup = repetition < plan.warmupRepetitions
    const label = warmup ? `warm-up ${repetition + 1}/${plan.warmupRepetitions}` : `rep ${repetition - plan.warmupRepetitions + 1}/${plan.repetitions}`
    const offset = plan.parameters.seed + repetition
    const workloads = rotated(plan.workloads, offset)
    for (const engine of rotated(plan.engines, offset)) {
      plan.log(`[${label}] ${engine}: ${workloads.join(', ')} ${overallProgress(runsDone, runsTotal, performance.now() - startMs)}`)
      runsDone++
      const spec: WorkerSpec = { engine, workloads, parameters: plan.parameters, preset: plan.preset, dataRoot, label, jitWarmupMs: plan.jitWarmupMs ?? JIT_WARMUP_MS }
      const cells = plan.isolation === 'process' ? runInChild(spec) : await runEngineCells(spec)
      if (warmup) continue
      for (const workload of plan.workloads) {
        const cell = cells[workload] ?? { status: 'failed', reason: 'the worker returned no measurement' }
        if (cell.status !== 'ok') plan.log(`  ${workload} × ${engine}: ${cell.status}: ${cell.reason}`)
        measurements[workload][engine].push(cell)
      }
    }
  }
}

/** `items` rotated left by `offset` (any integer ≥ 0): offset 1 turns A B C into B C A. */
export function rotated<T>(items: readonly T[], offset: number): T[] {
  if (items.length === 0) return []
  const start = offset % items.length
  return [...items.slice(start), ...items.slice(0, start)]
}

/**
 * "(engine run 3 of 32, 2 min elapsed, ETA 19 min)": the run as a whole. The ETA assumes the
 * remaining engine runs take as long as the average so far (engines differ, so it is rough early).
 */
export function overallProgress(runsDone: number, runsTotal: number, elapsedMs: number): string {
  const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`
  const eta = runsDone === 0 ? '?' : minutes((elapsedMs / runsDone) * (runsTotal - runsDone))
  return `(engine run ${runsDone + 1} of ${runsTotal}, ${minutes(elapsedMs)} elapsed, ETA ${eta})`
}

const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url))

function runInChild(spec: WorkerSpec): Record<string, CellMeasurement> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-worker-'))
  try {
    const specPath = path.join(scratch, 'spec.json')
    const outPath = path.join(scratch, 'out.json')
    fs.writeFileSync(specPath, JSON.stringify(spec))
    const child = spawnSync(process.execPath, ['--import', 'tsx', WORKER_PATH, specPath, outPath], { stdio: ['ignore', 'inherit', 'inherit'] })
    // The worker writes its measurements after every cell: a crash loses only the cells after it.
    const measured = fs.existsSync(outPath) ? JSON.parse(fs.readFileSync(outPath, 'utf8')) as Record<string, CellMeasurement> : {}
    if (child.status === 0) return measured
    const reason = `worker process for ${spec.engine} exited with ${child.status ?? child.signal}`
    return Object.fromEntries(spec.workloads.map((w) => [w, measured[w] ?? ({ status: 'failed', reason } as CellMeasurement)]))
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 })
  }
}
