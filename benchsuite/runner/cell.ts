/**
 * One measured cell: one engine × one workload × one repetition, in a fresh directory. The load
 * (when the workload needs one) is not measured; the run is, with the same instruments for every
 * engine: a latency histogram of every operation, /proc/self/io deltas, a directory walk, CPU time
 * (process.cpuUsage) and sampled peak RSS. The engine is closed before the cell returns.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { CallTiming, LatencyUs, PhaseFigures, WriterFigures } from '../result/schema.ts'
import type { EngineAdapter, EngineCounters, EngineRunOptions, EngineSession } from '../engines/adapter.ts'
import { directorySize } from '../measure/directory-size.ts'
import { dropPageCache } from '../measure/page-cache.ts'
import { syncDirectory } from '../measure/sync-directory.ts'
import { ioDelta, readIoCounters } from '../measure/io-counters.ts'
import { RssSampler } from '../measure/rss-sampler.ts'
import { Dataset, OperationMeter } from '../workloads/context.ts'
import type { WorkloadParameters } from '../workloads/parameters.ts'
import type { Workload } from '../workloads/workload.ts'
import { writeAllKeys } from '../workloads/writes.ts'
import type { SettleOutcome } from './settle.ts'
import { settleBackgroundWork } from './settle.ts'

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
      phase: PhaseFigures
      writer?: WriterFigures
      callTimings?: CallTiming[]
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
    const phase: PhaseFigures = { loadState: 'no-load', valueBytesMax: dataset.sizer('phase figures').maxBytes }
    // Counters of an engine session closed before the phase (cold reopen): added to the phase's.
    let closedCounters: EngineCounters | undefined
    if (spec.workload.needsLoad) {
      // Timed into a throwaway meter only so the terminal shows the load's progress.
      const loadMeter = new OperationMeter(spec.parameters.keyCount)
      const progress = startProgress(spec, 'loading', loadMeter)
      try {
        await writeAllKeys(session, dataset, { kind: 'permutation' }, loadMeter)
      } finally {
        clearInterval(progress)
      }
      Object.assign(phase, await flushAndSettle(session))
      phase.cacheState = spec.parameters.cache
      if (spec.parameters.cache === 'cold') {
        closedCounters = session.counters?.()
        await session.close()
        session = undefined
        phase.cacheState = dropCaches(directory)
        session = await spec.adapter.open(directory, spec.runOptions)
      } else if (spec.workload.readsData) {
        await warmUp(session, dataset, spec.parameters.cache === 'hot')
      }
      // Unmeasured: the load's dirty pages go to disk now, so the phase's page writes all count.
      syncDirectory(directory)
    }
    return await measure(spec, session, dataset, directory, phase, closedCounters)
  } catch (error) {
    return { status: 'failed', reason: error instanceof Error ? error.message : String(error) }
  } finally {
    await session?.close().catch(() => undefined)
    removeCellDirectory(directory)
  }
}

/**
 * After a load: flush what the engine still buffers and wait for its background work, so the
 * phase neither reads a load that happens to sit in a memtable nor pays for flushing and
 * compacting it (docs/reports/standard-2026-11-26.json: Strata's ycsb-b WA 42.94 against
 * rocksdb-native's 1.09; at 200k keys here WA 21.56 in one of two runs before, 1.12 in both
 * after). Engines with no flush call say so.
 */
export async function flushAndSettle(session: EngineSession, settle: () => Promise<SettleOutcome> = settleBackgroundWork): Promise<PhaseFigures> {
  if (session.flush === undefined) return { loadState: 'not-flushable', ...(await settle()) }
  await session.flush()
  return { loadState: 'flushed', ...(await settle()) }
}

/**
 * `--cache cold` with the engine closed: fsync its files (only clean pages can be dropped), then
 * drop them from the OS page cache. Returns the cache state the phase starts from.
 */
function dropCaches(directory: string): string {
  syncDirectory(directory)
  const drop = dropPageCache(directory)
  if (drop.failure === undefined) return 'cold (page cache dropped)'
  process.stderr.write(`  could not drop the page cache of ${drop.failure}: the phase starts from a warm OS page cache\n`)
  return 'reopen (OS page cache warm)'
}

/**
 * Removes a cell's directory. A failure never costs the measurement: SurrealKV's background
 * threads went on writing into its manifest/ after close() and a standard run lost a whole
 * repetition of SurrealKV to ENOTEMPTY. What is left goes with the run's data directory, which
 * the runner removes once the engine's process has exited (run.ts).
 */
export function removeCellDirectory(directory: string, remove: (target: string) => void = defaultRemove): boolean {
  try {
    remove(directory)
    return true
  } catch (error) {
    process.stderr.write(`  could not remove ${directory} yet (${(error as NodeJS.ErrnoException).code ?? String(error)}): removed at the end of the run\n`)
    return false
  }
}

function defaultRemove(target: string): void {
  fs.rmSync(target, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 })
}

/**
 * Reads before the clock starts (on the flushed tree flushAndSettle left): 1,000 random gets, or
 * (hot) every key once in order and one full scan, so block caches, the OS page cache and a JIT
 * engine's compiled code are warm.
 */
async function warmUp(session: EngineSession, dataset: Dataset, hot: boolean): Promise<void> {
  const keyCount = dataset.parameters.keyCount
  if (hot) {
    for (let i = 0; i < keyCount; i++) await session.get(dataset.key(i))
    await session.scan({}, Number.POSITIVE_INFINITY)
    return
  }
  const prng = dataset.prng('warmup')
  const count = Math.min(WARMUP_READ_COUNT_MAX, keyCount)
  for (let i = 0; i < count; i++) await session.get(dataset.key(prng.nextBelow(keyCount)))
}

async function measure(spec: CellSpec, session: EngineSession, dataset: Dataset, directory: string, phase: PhaseFigures, closedCounters: EngineCounters | undefined): Promise<CellMeasurement> {
  const meter = new OperationMeter(spec.workload.plannedOperations({ parameters: spec.parameters }), spec.parameters.durationSeconds, () => dataset.generationMs)
  // No forced GC before the phase (one ran here for a few hours of 2026-11-26): it keeps earlier
  // cells' garbage out of the phase's RSS, but it also resets V8's heap sizing right before the
  // clock starts, and Strata's random gets of 16 KiB values then ran at 84,000 and 80,083/s
  // against 91,711 and 97,854/s without it (lmdb 128,056 / 119,789 and 129,970 / 131,727; issue
  // #4's read, alternating, one run each). RSS is reported at the phase's start and as the peak
  // above it instead, so what earlier cells left is in the start figure, not in the rise.
  const countersBefore = session.counters?.()
  const progress = startProgress(spec, 'measuring', meter)
  const rss = new RssSampler()
  rss.start()
  phase.rssAtStartBytes = rss.startBytes
  const ioBefore = readIoCounters()
  const dataBytesBefore = directorySize(directory).dataBytes
  const cpuBefore = process.cpuUsage()
  let outcome
  try {
    outcome = await spec.workload.run({ session, dataset, meter, parameters: spec.parameters })
  } finally {
    clearInterval(progress)
  }
  // The span of the timed operations (not the workload's planning or its check afterwards), less
  // value generation within it: the harness's work, identical for every engine, is not the engine's time.
  const seconds = meter.spanMs / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const io = ioDelta(ioBefore, readIoCounters())
  const peakRssBytes = rss.stop()
  phase.peakRssAboveStartBytes = Math.max(0, peakRssBytes - rss.startBytes)
  const countersAfter = session.counters?.()
  if (countersBefore !== undefined && countersAfter !== undefined) Object.assign(phase, counterFigures(countersBefore, countersAfter, closedCounters, phase.loadState !== 'no-load'))
  const after = directorySize(directory)
  const directoryBytes = after.apparentBytes
  // Writes through a memory map (lmdb) dirty pages the kernel writes back later, unseen by
  // /proc/self/io: the growth of the data the directory holds is a lower bound on what any engine
  // wrote, so the larger of the two counts (lmdb showed write amplification 0.00 before). Data
  // bytes, not apparent sizes: a file extended by ftruncate (sparse) holds no written bytes.
  const diskBytesWritten = diskBytesWrittenEstimate(io.writeBytes, dataBytesBefore, after.dataBytes)
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
    phase,
    ...(outcome.writer === undefined ? {} : { writer: outcome.writer }),
    ...(meter.callTimings.size === 0 ? {} : { callTimings: [...meter.callTimings.values()] }),
  }
}

/**
 * The phase figures an engine's own counters give: flushes and compactions inside the phase,
 * whether load data was still in memtables and got flushed by the phase, and the values KV
 * separation moved out over the load and the phase (`closed`: a session closed before the phase).
 */
export function counterFigures(before: EngineCounters, after: EngineCounters, closed: EngineCounters | undefined, loaded: boolean): PhaseFigures {
  const flushesInPhase = after.flushCount - before.flushCount
  const figures: PhaseFigures = {
    memtableBytesAtStart: before.memtableBytes,
    flushesInPhase,
    compactionsInPhase: after.compactionCount - before.compactionCount,
    loadFlushedInPhase: loaded && (before.memtableBytes > 0 || before.immutableMemtableCount > 0) && flushesInPhase > 0,
  }
  if (after.separatedValueCount !== undefined) figures.separatedValueCount = after.separatedValueCount + (closed?.separatedValueCount ?? 0)
  if (after.blobBytesWritten !== undefined) figures.blobBytesWritten = after.blobBytesWritten + (closed?.blobBytesWritten ?? 0)
  return figures
}

/**
 * Bytes an engine wrote during a phase, measured the same way for every engine: the larger of
 * the /proc/self/io `write_bytes` delta and the growth of the data its directory holds.
 */
export function diskBytesWrittenEstimate(ioWriteBytes: number, dataBytesBefore: number, dataBytesAfter: number): number {
  return Math.max(ioWriteBytes, dataBytesAfter - dataBytesBefore, 0)
}

function startProgress(spec: CellSpec, phase: string, meter: OperationMeter): NodeJS.Timeout {
  const startMs = performance.now()
  const timer = setInterval(() => {
    const fraction = meter.fractionDone()
    const elapsedS = (performance.now() - startMs) / 1000
    const eta = fraction > 0 ? `${Math.round(elapsedS / fraction - elapsedS)} s` : '?'
    process.stderr.write(`  ${spec.workload.name} × ${spec.adapter.name} (${spec.label}), ${phase}: ${(fraction * 100).toFixed(0)}% done, ETA ${eta}\n`)
  }, PROGRESS_INTERVAL_MS)
  timer.unref()
  return timer
}
