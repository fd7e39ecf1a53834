/**
 * Writes back every dirty page of an engine's files before a measured phase, the same way for
 * every engine. /proc/self/io counts a written page when it becomes dirty; a page still dirty
 * from the unmeasured load is not counted again when the phase rewrites it, so an engine that
 * updates pages in place (lmdb) showed write amplification 0.00 on update workloads. After this,
 * every page the phase writes is counted (once until the kernel writes it back).
 */
import fs from 'node:fs'
import { walkFiles } from './walk-files.ts'

/** fsyncs every file under `directory`, then each directory. Vanished files are skipped. */
export function syncDirectory(directory: string): void {
  walkFiles(directory, syncPath, syncPath)
}

function syncPath(target: string): void {
  let fd: number
  try {
    // Non-blocking so a FIFO (no engine makes one, but a walk must not hang on it) opens at once.
    fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch {
    return // deleted by the engine's background work meanwhile
  }
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}
