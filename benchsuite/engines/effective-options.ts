/**
 * Parity: two engines are compared "at parity" only when every setting that moves the numbers is
 * known and equal. The canonical fields every adapter reports are PARITY_FIELDS; a field that is
 * missing or 'unknown' on either side is a difference, never a silent match.
 */
import type { EffectiveOptions } from './adapter.ts'

/**
 * codec, its level, bloom bits per key, block cache bytes, WAL (incl. its compression), sync, and
 * KV separation as the smallest value moved out of the tree (0: off), since a blob store against a
 * plain LSM tree is not a like-for-like pair whatever else matches; and the write buffer (size of
 * one memtable, memtables held at most, the active one included), which decides how much of a
 * load is still served from memory when a phase starts and when the phase pays for flushing it.
 */
export const PARITY_FIELDS = ['codec', 'codecLevel', 'bloomBitsPerKey', 'blockCacheBytes', 'wal', 'sync', 'kvSeparationMinBytes', 'memtableBytes', 'memtableCountMax'] as const

/** Human-readable differences between `engine` and `baseline`; empty means parity. */
export function parityDifferences(engine: EffectiveOptions, baseline: EffectiveOptions): string[] {
  const differences: string[] = []
  for (const field of PARITY_FIELDS) {
    const mine = engine[field]
    const theirs = baseline[field]
    if (mine === undefined || theirs === undefined || mine === 'unknown' || theirs === 'unknown' || mine === 'default' || theirs === 'default') {
      differences.push(`${field}: ${String(mine ?? 'unknown')} vs ${String(theirs ?? 'unknown')} (not known on both sides)`)
    } else if (mine !== theirs) {
      differences.push(`${field}: ${String(mine)} vs ${String(theirs)}`)
    }
  }
  return differences
}
