/**
 * A correct in-memory engine behind EngineSession, for the workload tests: latin1 strings of the
 * key bytes as Map keys, sorted on scan. How its calls resolve is chosen per test, since what a
 * workload does with the event loop depends on it: a turn of the event loop (setImmediate, the
 * default), a timer (`delayMs`, for duration limits), or microtasks only (`microtaskOnly`, like
 * Strata's cached gets and lmdb-js's synchronous ones behind a promise).
 */
import type { EngineSession, ScanRange, WriteEntry } from '../engines/adapter.ts'
import { ScanTally } from '../engines/adapter.ts'

export interface MemorySessionOptions {
  /** Every call waits this long on a timer. */
  delayMs?: number
  /** Calls resolve through microtasks only (delayMs is then ignored). */
  microtaskOnly?: boolean
  /** putBatch alone waits this long on a timer (a slow writer). */
  putDelayMs?: number
}

export interface MemorySession extends EngineSession {
  size(): number
  /** How many flush() and compact() calls were made. */
  calls: { flush: number; compact: number }
}

export function memorySession(options: MemorySessionOptions = {}): MemorySession {
  const map = new Map<string, Uint8Array>()
  const calls = { flush: 0, compact: 0 }
  const id = (key: Uint8Array): string => Buffer.from(key).toString('latin1')
  const pause = (): Promise<void> =>
    options.microtaskOnly ? Promise.resolve() : new Promise((resolve) => (options.delayMs ? setTimeout(resolve, options.delayMs) : setImmediate(resolve)))
  return {
    size: () => map.size,
    calls,
    async putBatch(entries: readonly WriteEntry[]) {
      await (options.putDelayMs === undefined ? pause() : new Promise((resolve) => setTimeout(resolve, options.putDelayMs)))
      for (const e of entries) map.set(id(e.key), e.value)
    },
    async deleteBatch(keys: readonly Uint8Array[]) { await pause(); for (const k of keys) map.delete(id(k)) },
    async get(key: Uint8Array) { await pause(); return map.get(id(key)) },
    async getMany(keys: readonly Uint8Array[]) { await pause(); return keys.map((k) => map.get(id(k))) },
    async scan(range: ScanRange, limit: number) {
      await pause()
      const tally = new ScanTally()
      const low = range.gte === undefined ? undefined : id(range.gte)
      const high = range.lt === undefined ? undefined : id(range.lt)
      for (const key of [...map.keys()].sort()) {
        if (tally.count >= limit) break
        if ((low !== undefined && key < low) || (high !== undefined && key >= high)) continue
        tally.add(Buffer.from(key, 'latin1'), map.get(key))
      }
      return tally.outcome()
    },
    async flush() { calls.flush++ },
    async compact() { calls.compact++ },
    async close() {},
  }
}
