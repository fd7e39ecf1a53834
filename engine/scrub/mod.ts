/**
 * Scrub and self-healing: verifying tables file by file (on demand and as a throttled background
 * patrol), the integrity counters behind `stats().integrity`, and the table copy that auto-heal
 * and key rotation rewrite through. The Db wires these together; the forensics CLI reuses
 * `verifyTable` read-only.
 */
export { IntegrityMonitor, type IntegrityStats } from './integrity-monitor.ts'
export { verifyTable, summarize, statusCounts, failureOf, fileStatusOf, isDamageCode, type FileCheck, type FileStatus, type VerifyReport, type VerifyTableSettings } from './verify-table.ts'
export { runScrubPass, type ScrubPassSettings } from './scrub-pass.ts'
export { PatrolScrub, checkScrubInterval } from './patrol.ts'
export { copyTable } from './copy-table.ts'
export { tableKeyEpoch } from './table-key-epoch.ts'
export { SCRUB_BYTES_PER_SECOND_MAX, HEAL_QUEUE_LENGTH_MAX } from './limits.ts'
