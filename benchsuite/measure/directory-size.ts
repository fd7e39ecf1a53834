/**
 * The size of an engine's directory, walked the same way for every engine: apparent bytes (Σ
 * st_size), allocated bytes (Σ st_blocks·512, what `du` shows; preallocated WAL space counts
 * here) and data bytes (Σ min(st_size, st_blocks·512): neither the holes of a sparse file nor
 * space preallocated past its end). Files that vanish during the walk (a compaction deleting its
 * inputs) are skipped.
 */
import fs from 'node:fs'
import { walkFiles } from './walk-files.ts'

export interface DirectorySize {
  apparentBytes: number
  allocatedBytes: number
  dataBytes: number
  fileCount: number
}

export function directorySize(directory: string): DirectorySize {
  const total: DirectorySize = { apparentBytes: 0, allocatedBytes: 0, dataBytes: 0, fileCount: 0 }
  walkFiles(directory, (filePath) => {
    try {
      const stats = fs.statSync(filePath)
      total.apparentBytes += stats.size
      total.allocatedBytes += stats.blocks * 512
      total.dataBytes += Math.min(stats.size, stats.blocks * 512)
      total.fileCount++
    } catch {
      // Deleted between readdir and stat: it no longer takes space.
    }
  })
  return total
}
