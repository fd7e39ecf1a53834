/**
 * One measured cell: one engine × one workload × one repetition, in a fresh directory. The load
 * (when the workload needs one) is not measured; the run is, with the same instruments for every
 * engine: a latency histogram of every operation, /proc/self/io deltas, a directory walk, CPU time
 * (process.cpuUsage) and sampled peak RSS. The engine is closed before the cell returns.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { LatencyUs } from '../result/schema.ts'
import type { EngineAdapter, EngineRunOptions, EngineSession } from '../engines/adapter.ts'
import { directorySize } from '../measure/directory-size.ts'
import { ioDelta, readIoCounters } from '../measure/io-counters.ts'
import { RssSampler } from '../measure/rss-sampler.ts'
import { Dataset, OperationMeter } from '../workloads/context.ts'
import type { WorkloadParameters } from '../workloads/parameters.ts'
import type { Workload } from '../workloads/workload.ts'
import { writeAllKeys } from '../workloads/writes.ts'

/** Reads before the clock starts on a warm-cache read workload. */
const WARMUP_READ_COUNT_MAX = 1000
const PROGRESS_INTERVAL_MS = 2000

export type CellMeasurement =
  | {
      status: 'ok'
      opsPerSecond: number
      seconds: number
      latencyUs: LatencyUs
      userBytesWritten: number
      userBytesRead: number
      liveUserBytes: number
      diskBytesWritten: number
      diskBytesRead: number
      directoryBytes: number
      peakRssBytes: number
      cpuUserMs: number
      cpuSystemMs: number
      check: string
    }
  | { status: 'skipped' | 'failed'; reason: string }

export interface CellSpec {
  adapter: EngineAdapter
  workload: Workload
  parameters: WorkloadParameters
  runOptions: EngineRunOptions
  /** A fresh directory is made under here and removed afterwards. */
  dataRoot: string
  /** For progress lines, e.g. "rep 1/2". */
  label: string
}

export async function runCell(spec: CellSpec): Promise<CellMeasurement> {
  const directory = fs.mkdtempSync(path.join(spec.dataRoot, `${spec.adapter.name}-${spec.workload.name}-`))
  let session: EngineSession | undefined
  try {
    session = await spec.adapter.open(directory, spec.runOptions)
    const unsupported = spec.workload.unsupported?.(session)
    if (unsupported !== undefined) return { status: 'skipped', reason: unsupported }
    const dataset = new Dataset(spec.parameters, spec.workload.name)
    if (spec.workload.needsLoad) {
      await writeAllKeys(session, dataset, { kind: 'permutation' }, undefined)
      if (spec.parameters.cache === 'cold') {
        await session.close()
        session = await spec.adapter.open(directory, spec.runOptions)
      } else if (spec.workload.readsData) {
        await warmUp(session, dataset)
      }
    }
    return await measure(spec, session, dataset, directory)
  } catch (error) {
    return { status: 'failed', reason: error instanceof Error ? error.message : String(error) }
  } finally {
    await session?.close().catch(() => undefined)
    fs.rmSync(directory, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 })
  }
}

async function warmUp(session: EngineSession, dataset: Dataset): Promise<void> {
  const prng = dataset.prng('warmup')
  const count = Math.min(WARMUP_READ_COUNT_MAX, dataset.parameters.keyCount)
  for (let i = 0; i < count; i++) await session.get(dataset.key(prng.nextBelow(dataset.parameters.keyCount)))
}

async function measure(spec: CellSpec, session: EngineSession, dataset: Dataset, directory: string): Promise<CellMeasurement> {
  const meter = new OperationMeter(spec.workload.plannedOperations({ parameters: spec.parameters }))
  const progress = startProgress(spec, meter)
  const rss = new RssSampler()
  rss.start()
  const ioBefore = readIoCounters()
  const directoryBytesBefore = directorySize(directory).apparentBytes
  const cpuBefore = process.cpuUsage()
  const startMs = performance.now()
  const generationMsBefore = dataset.generationMs
  let outcome
  try {
    outcome = await spec.workload.run({ session, dataset, meter, parameters: spec.parameters })
  } finally {
    clearInterval(progress)
  }
  // Value generation is the harness's work, identical for every engine: not the engine's time.
  const seconds = (performance.now() - startMs - (dataset.generationMs - generationMsBefore)) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const io = ioDelta(ioBefore, readIoCounters())
  const peakRssBytes = rss.stop()
  const directoryBytes = directorySize(directory).apparentBytes
  // Writes through a memory map (lmdb) dirty pages the kernel writes back later, unseen by
  // /proc/self/io: the directory's growth is a lower bound on what any engine wrote, so the
  // larger of the two counts (lmdb showed write amplification 0.00 before).
  const diskBytesWritten = Math.max(io.writeBytes, directoryBytes - directoryBytesBefore)
  if (!outcome.check.ok) return { status: 'failed', reason: `result check failed: ${outcome.check.message}` }
  return {
    status: 'ok',
    opsPerSecond: seconds > 0 ? outcome.operationCount / seconds : 0,
    seconds,
    latencyUs: meter.histogram.summaryUs(),
    userBytesWritten: outcome.userBytesWritten,
    userBytesRead: outcome.userBytesRead,
    liveUserBytes: outcome.liveUserBytes,
    diskBytesWritten,
    diskBytesRead: io.readBytes,
    directoryBytes,
    peakRssBytes,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    check: outcome.check.message,
  }
}

function startProgress(spec: CellSpec, meter: OperationMeter): NodeJS.Timeout {
  const startMs = performance.now()
  const timer = setInterval(() => {
    const fraction = meter.total > 0 ? Math.min(1, meter.done / meter.total) : 0
    const elapsedS = (performance.now() - startMs) / 1000
    const eta = fraction > 0 ? `${Math.round(elapsedS / fraction - elapsedS)} s` : '?'
    process.stderr.write(`  ${spec.workload.name} × ${spec.adapter.name} (${spec.label}): ${(fraction * 100).toFixed(0)}% done, ETA ${eta}\n`)
  }, PROGRESS_INTERVAL_MS)
  timer.unref()
  return timer
}
