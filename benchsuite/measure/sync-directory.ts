/**
 * Writes back every dirty page of an engine's files before a measured phase, the same way for
 * every engine. /proc/self/io counts a written page when it becomes dirty; a page still dirty
 * from the unmeasured load is not counted again when the phase rewrites it, so an engine that
 * updates pages in place (lmdb) showed write amplification 0.00 on update workloads. After this,
 * every page the phase writes is counted (once until the kernel writes it back).
 */
import fs from 'node:fs'
import path from 'node:path'

/** fsyncs every regular file under `directory`, then the directory itself. Vanished files are skipped. */
export function syncDirectory(directory: string): void {
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(directory, { withFileTypes: true })
  } catch {
    return
  }
  for (const entry of entries) {
    const entryPath = path.join(directory, entry.name)
    if (entry.isDirectory()) syncDirectory(entryPath)
    else if (entry.isFile()) syncPath(entryPath)
  }
  syncPath(directory)
}

function syncPath(target: string): void {
  let fd: number
  try {
    fd = fs.openSync(target, 'r')
  } catch {
    return // deleted by the engine's background work meanwhile
  }
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}
