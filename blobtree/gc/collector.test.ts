/**
 * BlobCollector against a real ValueLog on MemVfs, with the index and the manifest faked so a
 * test can set the stale figures directly (the engine path is covered by test/blob-gc*.test.ts).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { MemVfs } from '../../engine/vfs/mem-vfs.ts'
import { Version, type VersionEdit } from '../../engine/manifest/mod.ts'
import { OpKind, type BatchOp } from '../../engine/mod.ts'
import { decodeBlobHandle, encodeBlobHandle } from '../handle.ts'
import { ValueLog } from '../value-log.ts'
import { BlobCollector, type CollectorOptions } from './collector.ts'

async function setUp(options: Partial<CollectorOptions> = {}) {
  const vfs = new MemVfs()
  vfs.mkdirp('/g')
  let version = Version.empty()
  let nextFileNumber = 1
  const manifest = {
    logValueEdit: async (edit: VersionEdit) => (version = version.apply(edit)),
    currentVersion: () => version,
    allocateFileNumber: () => nextFileNumber++,
  }
  const log = new ValueLog({ vfs, directory: '/g', fileSizeBytesTarget: 4096, readerCountMax: 4 })
  log.attach(manifest)
  await log.ensureActive()
  const index = new Map<string, Uint8Array>()
  const collector = new BlobCollector(log, { stalenessThreshold: 0.25, relocationBytesMax: 1 << 20, ...options })
  const walks = { count: 0, whilePaused: 0 }
  let paused = false
  collector.attach({
    currentVersion: () => version,
    readerCount: () => 0,
    lookupHandle: (key) => index.get(key),
    writeHandles: async (ops: BatchOp[]) => {
      for (const op of ops) if (op.kind === OpKind.BlobHandle) index.set(op.key, op.value)
    },
    withWritesPaused: async (work) => {
      paused = true
      try {
        return await work()
      } finally {
        paused = false
      }
    },
    makeWritesDurable: async () => undefined,
    walkValueHandles: async (visit: (key: string, handle: Uint8Array) => void) => {
      walks.count++
      if (paused) walks.whilePaused++
      for (const [key, handle] of index) visit(key, handle)
    },
    repairCountOf: () => 0,
  })
  return { vfs, log, index, collector, manifest, walks }
}

describe('BlobCollector.collect()', () => {
  test('a file counted dead that the index still references is relocated, not deleted', async () => {
    const { log, index, collector, manifest } = await setUp()
    const keys = Array.from({ length: 12 }, (_, position) => `key${position}`)
    const value = (key: string): Buffer => Buffer.from(`${key}:`.padEnd(1000, 'v'))
    for (const key of keys) {
      const [handle] = log.append([{ key: Buffer.from(key, 'latin1'), value: value(key) }])
      index.set(key, encodeBlobHandle(handle))
      await log.syncAll() // also waits for any seal the rotation started
    }
    const sealed = [...manifest.currentVersion().blobFiles.values()].filter((state) => state.meta.sizeBytes > 0)
    assert.ok(sealed.length >= 1, 'a file was sealed')
    const first = sealed[0].meta
    // Over-count: report every frame of the first file dropped although the index keeps them.
    for (const key of keys) {
      const handle = index.get(key)!
      collector.onDroppedValue(key, handle)
    }
    await manifest.logValueEdit(collector.takeCompactionEdit(manifest.currentVersion()))
    const state = manifest.currentVersion().blobFiles.get(first.fileNumber)!
    assert.ok(state.staleBytes >= first.sizeBytes - 40 - 56, 'the first file now looks dead')
    const report = await collector.collect()
    assert.deepEqual(report.relocatedFileNumbers.includes(first.fileNumber), true, 'relocated instead')
    assert.ok(collector.stats().deadFilesFoundLive >= 1)
    for (const key of keys) assert.deepEqual(Buffer.from(log.read(key, index.get(key)!)), value(key), `${key} still reads`)
    await log.close()
  })

  test('a marked file counted dead that the index still references is walked for again only once more of it is counted stale', async () => {
    const marked = new Set<number>()
    const { vfs, log, index, collector, manifest, walks } = await setUp({ rewriteFailed: (fileNumber) => marked.has(fileNumber) })
    const keys = Array.from({ length: 12 }, (_, position) => `key${position}`)
    for (const key of keys) {
      const [handle] = log.append([{ key: Buffer.from(key, 'latin1'), value: Buffer.from(`${key}:`.padEnd(1000, 'v')) }])
      index.set(key, encodeBlobHandle(handle))
      await log.syncAll()
    }
    const first = [...manifest.currentVersion().blobFiles.values()].find((state) => state.meta.sizeBytes > 0)!.meta.fileNumber
    // No footer: only the index can answer for the file. Marked, as a failed relocation leaves it.
    const file = vfs.openAppend(log.pathOf(first))
    file.truncate(file.sizeBytes() - 10)
    await file.sync()
    file.close()
    marked.add(first)
    const firstKeys = keys.filter((key) => decodeBlobHandle(index.get(key)!).fileNumber === first)
    const countStale = async (key: string): Promise<void> => {
      collector.onDroppedValue(key, index.get(key)!)
      await manifest.logValueEdit(collector.takeCompactionEdit(manifest.currentVersion()))
    }
    for (const key of firstKeys) await countStale(key) // over-counted: the index keeps them
    await collector.collect()
    await collector.collect()
    assert.equal(walks.count, 1, 'the stale count did not change: no second walk')
    await countStale(firstKeys[0])
    await collector.collect()
    assert.equal(walks.count, 2, 'more of it counted stale: walked again')
    assert.equal(collector.stats().filesDeleted, 0, 'still referenced, so never deleted')
    await log.close()
  })

  test('a relocation that needs the index walks it with user writes running, and moves what it names under the pause', async () => {
    // The walk waits for a running flush or compaction and reads every table: inside the pause
    // it held every user write that long (review, 2026-11-26).
    const { vfs, log, index, collector, manifest, walks } = await setUp()
    const keys = Array.from({ length: 12 }, (_, position) => `key${position}`)
    const value = (key: string): Buffer => Buffer.from(`${key}:`.padEnd(1000, 'v'))
    for (const key of keys) {
      const [handle] = log.append([{ key: Buffer.from(key, 'latin1'), value: value(key) }])
      index.set(key, encodeBlobHandle(handle))
      await log.syncAll()
    }
    const first = [...manifest.currentVersion().blobFiles.values()].find((state) => state.meta.sizeBytes > 0)!.meta.fileNumber
    const firstKeys = keys.filter((key) => decodeBlobHandle(index.get(key)!).fileNumber === first)
    // No footer: only the index names its values. Half of them stale, past the threshold.
    const file = vfs.openAppend(log.pathOf(first))
    file.truncate(file.sizeBytes() - 10)
    await file.sync()
    file.close()
    for (const key of firstKeys.slice(0, Math.ceil(firstKeys.length / 2))) {
      collector.onDroppedValue(key, index.get(key)!)
      index.delete(key)
    }
    await manifest.logValueEdit(collector.takeCompactionEdit(manifest.currentVersion()))
    const report = await collector.collect()
    assert.deepEqual(report.failures, [])
    assert.ok(report.relocatedFileNumbers.includes(first), 'relocated through the index')
    assert.equal(walks.count, 1)
    assert.equal(walks.whilePaused, 0, 'the index walk ran outside the write pause')
    for (const key of index.keys()) assert.deepEqual(Buffer.from(log.read(key, index.get(key)!)), value(key), `${key} still reads`)
    for (const key of firstKeys.slice(Math.ceil(firstKeys.length / 2))) assert.notEqual(decodeBlobHandle(index.get(key)!).fileNumber, first, `${key} moved`)
    await log.close()
  })
})
