/**
 * Waits, unmeasured, until an engine's background work (flushes, compactions on its own threads)
 * has stopped before a measured phase starts, the same way for every engine: the process's CPU
 * time (process.cpuUsage covers every thread, native ones included) must stay under a small
 * share of one core for several polls in a row. No engine exposes "compaction idle" the same way
 * (rocksdb-native and the level bindings expose nothing), so this measures the effect instead.
 */
import { setTimeout as sleep } from 'node:timers/promises'

/** Poll period. */
export const SETTLE_POLL_MS = 100
/** CPU share of one core below which a poll counts as quiet: timers and GC stay well under it. */
export const SETTLE_QUIET_CPU_SHARE = 0.1
/** Quiet polls in a row that end the wait. */
export const SETTLE_QUIET_POLLS = 3
/** Longest wait; a cell that hits it says so (`settled: false`) instead of waiting forever. */
export const SETTLE_WAIT_MS_MAX = 30_000

export interface SettleOutcome {
  settleMs: number
  /** False when background work was still running when the wait gave up. */
  settled: boolean
}

export interface SettleClock {
  nowMs(): number
  /** CPU time of the process so far, microseconds (user + system). */
  cpuUs(): number
  sleep(ms: number): Promise<void>
}

const PROCESS_CLOCK: SettleClock = {
  nowMs: () => performance.now(),
  cpuUs: () => {
    const usage = process.cpuUsage()
    return usage.user + usage.system
  },
  sleep: (ms) => sleep(ms),
}

export async function settleBackgroundWork(clock: SettleClock = PROCESS_CLOCK): Promise<SettleOutcome> {
  const startMs = clock.nowMs()
  let quietPolls = 0
  let lastMs = startMs
  let lastCpuUs = clock.cpuUs()
  while (quietPolls < SETTLE_QUIET_POLLS) {
    if (lastMs - startMs >= SETTLE_WAIT_MS_MAX) return { settleMs: lastMs - startMs, settled: false }
    await clock.sleep(SETTLE_POLL_MS)
    const nowMs = clock.nowMs()
    const cpuUs = clock.cpuUs()
    const share = (cpuUs - lastCpuUs) / 1000 / Math.max(nowMs - lastMs, 1)
    quietPolls = share < SETTLE_QUIET_CPU_SHARE ? quietPolls + 1 : 0
    lastMs = nowMs
    lastCpuUs = cpuUs
  }
  return { settleMs: lastMs - startMs, settled: true }
}
