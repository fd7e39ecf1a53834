/**
 * One scrub pass over a list of tables: verify each in turn, yielding to the event loop between
 * files so foreground work goes on, and, when throttled, pausing so the pass reads at most
 * `bytesPerSecondMax`. The caller pins the version the list came from, so no table is deleted
 * under the pass.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { TableMeta } from '../manifest/mod.ts'
import { SCRUB_PAUSE_MS_MAX } from './limits.ts'
import { summarize, type FileCheck, type VerifyReport } from './verify-table.ts'

/** How a pass runs. */
export interface ScrubPassSettings {
  /** Read rate bound, bytes per second; 0 for as fast as possible (on-demand verify). */
  bytesPerSecondMax: number
  /** Checked between files: true stops the pass early (database closing). */
  stopped: () => boolean
}

/** Verifies `tables` one by one with `check`; returns the per-file report. */
export async function runScrubPass(tables: readonly TableMeta[], check: (table: TableMeta) => FileCheck, settings: ScrubPassSettings): Promise<VerifyReport> {
  const files: FileCheck[] = []
  for (const table of tables) {
    if (settings.stopped()) break
    const startedMs = performance.now()
    files.push(check(table))
    if (settings.bytesPerSecondMax > 0) {
      const budgetMs = (table.sizeBytes / settings.bytesPerSecondMax) * 1000
      const pauseMs = Math.min(SCRUB_PAUSE_MS_MAX, budgetMs - (performance.now() - startedMs))
      if (pauseMs > 0) await sleep(pauseMs)
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  return summarize(files)
}
