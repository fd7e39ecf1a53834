/**
 * Bytes the process made the kernel read and write, from /proc/self/io: `read_bytes` and
 * `write_bytes` count storage I/O (page-cache dirtying for writes) by every thread of the process,
 * so engines with native background threads are measured the same way as pure-JS ones. Each
 * measured cell runs with one engine open at a time, so the deltas belong to that engine.
 * Returns null where /proc is absent (not Linux); callers then fall back to directory sizes.
 */
import fs from 'node:fs'

export interface IoCounters {
  readBytes: number
  writeBytes: number
  cancelledWriteBytes: number
}

export function readIoCounters(): IoCounters | null {
  let text: string
  try {
    text = fs.readFileSync('/proc/self/io', 'utf8')
  } catch {
    return null
  }
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
  return { readBytes: field('read_bytes'), writeBytes: field('write_bytes'), cancelledWriteBytes: field('cancelled_write_bytes') }
}

/** after − before, field by field (zeros when either is null). */
export function ioDelta(before: IoCounters | null, after: IoCounters | null): IoCounters {
  if (before === null || after === null) return { readBytes: 0, writeBytes: 0, cancelledWriteBytes: 0 }
  return {
    readBytes: after.readBytes - before.readBytes,
    writeBytes: after.writeBytes - before.writeBytes,
    cancelledWriteBytes: after.cancelledWriteBytes - before.cancelledWriteBytes,
  }
}
