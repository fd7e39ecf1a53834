/** The shape of a workload: an optional unmeasured load, then a measured run that checks itself. */
import type { EngineSession } from '../engines/adapter.ts'
import type { WorkloadContext, WorkloadOutcome } from './context.ts'

export interface Workload {
  readonly name: string
  readonly summary: string
  /** Load keyCount keys (unmeasured) before the run. */
  readonly needsLoad: boolean
  /** Run a warm-up of reads before measuring (when the cache is 'warm'). */
  readonly readsData: boolean
  /** Measured operations this workload will count, for progress. */
  plannedOperations(context: Pick<WorkloadContext, 'parameters'>): number
  /** Returns a reason when this engine cannot run the workload (e.g. no manual compaction). */
  unsupported?(session: EngineSession): string | undefined
  run(context: WorkloadContext): Promise<WorkloadOutcome>
}
