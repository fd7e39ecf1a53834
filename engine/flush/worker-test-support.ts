/**
 * Helpers the background worker's tests share (flushes and compactions): temporary directories
 * removed after each test, and a table's content read back for comparing what the worker wrote
 * with what the main thread wrote. Test-only.
 */
import { afterEach } from 'node:test'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { EngineOptions } from '../options.ts'
import { resolveIntegrity } from '../integrity-options.ts'
import { TableReader } from '../table/mod.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'

const directories: string[] = []
afterEach(() => {
  for (const directory of directories.splice(0)) fs.rmSync(directory, { recursive: true, force: true })
})

/** A new empty directory, removed after the current test. */
export function freshDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worker-'))
  directories.push(directory)
  return directory
}

/**
 * A table's properties (but its creation time, and its file number unless `withFileNumber`),
 * range tombstones and every entry, read back.
 */
export function tableContent(file: string, options: EngineOptions, withFileNumber = true): unknown {
  const codec = options.integrity === undefined ? undefined : resolveIntegrity(options.integrity, () => undefined).codec
  const reader = TableReader.open(new NodeVfs(), file, Number(path.basename(file, '.sst')), { codec })
  try {
    const entries: unknown[] = []
    const iterator = reader.iterator()
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      entries.push([iterator.key(), iterator.seqno(), iterator.kind(), Buffer.from(iterator.value()).toString('hex')])
    }
    iterator.close()
    const properties = { ...reader.properties, creationTimeMs: 0, fileNumber: withFileNumber ? reader.properties.fileNumber : 0 }
    return { properties, rangeTombstones: reader.rangeTombstones, entries }
  } finally {
    reader.close()
  }
}
