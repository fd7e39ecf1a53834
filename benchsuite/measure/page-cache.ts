/**
 * Drops an engine's files from the OS page cache, so `--cache cold` reads come from the disk.
 * Node has no posix_fadvise; GNU dd's `iflag=nocache count=0` calls
 * posix_fadvise(POSIX_FADV_DONTNEED) on the whole file without reading it, and needs no root
 * (checked here with fincore: a 48 MiB file went from 47.7M resident to 0B). Only clean pages can
 * be dropped: the caller fsyncs the files first (syncDirectory).
 */
import { spawnSync } from 'node:child_process'
import { walkFiles } from './walk-files.ts'

export interface PageCacheDrop {
  /** Files whose cached pages were dropped. */
  droppedFileCount: number
  /** Why a file could not be dropped (the first failure), or undefined when every one was. */
  failure: string | undefined
}

/** Runs `dd` once per file under `directory`; `runDd` is injectable for tests. */
export function dropPageCache(directory: string, runDd: (filePath: string) => string | undefined = ddNocache): PageCacheDrop {
  let droppedFileCount = 0
  let failure: string | undefined
  walkFiles(directory, (filePath) => {
    const problem = runDd(filePath)
    if (problem === undefined) droppedFileCount++
    else failure ??= `${filePath}: ${problem}`
  })
  return { droppedFileCount, failure }
}

/** undefined on success, else why dd failed. A file the engine deleted meanwhile counts as dropped. */
function ddNocache(filePath: string): string | undefined {
  const result = spawnSync('dd', [`if=${filePath}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' })
  if (result.error !== undefined) return result.error.message
  if (result.status === 0) return undefined
  return /No such file/.test(result.stderr) ? undefined : `dd exited with ${result.status}: ${result.stderr.trim()}`
}
