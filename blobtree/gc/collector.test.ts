/**
 * BlobCollector against a real ValueLog on MemVfs, with the index and the manifest faked so a
 * test can set the stale figures directly (the engine path is covered by test/blob-gc*.test.ts).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { MemVfs } from '../../engine/vfs/mem-vfs.ts'
import { Version, type VersionEdit } from '../../engine/manifest/mod.ts'
import { OpKind, StrataError, type BatchOp } from '../../engine/mod.ts'
import { decodeBlobHandle, encodeBlobHandle } from '../handle.ts'
import { decodeChunkList, encodeChunkList, type ChunkList } from '../chunk-list.ts'
import { isSealed } from '../value-log.ts'
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
  const walks = { count: 0, whilePaused: 0, failure: undefined as Error | undefined }
  /** Open snapshots and iterators, and what happens while the collector syncs before deleting. */
  const readers = { count: 0, duringSync: (): void => undefined }
  const pause = { paused: false, count: 0 }
  collector.attach({
    currentVersion: () => version,
    readerCount: () => readers.count,
    lookupHandle: (key) => index.get(key),
    writeHandles: async (ops: BatchOp[]) => {
      for (const op of ops) if (op.kind === OpKind.BlobHandle) index.set(op.key, op.value)
    },
    withWritesPaused: async (work) => {
      pause.paused = true
      pause.count++
      try {
        return await work()
      } finally {
        pause.paused = false
      }
    },
    makeWritesDurable: async () => readers.duringSync(),
    walkValueHandles: async (visit: (key: string, handle: Uint8Array) => void) => {
      walks.count++
      if (pause.paused) walks.whilePaused++
      if (walks.failure !== undefined) throw walks.failure
      for (const [key, handle] of index) visit(key, handle)
    },
    repairCountOf: () => 0,
  })
  return { vfs, log, index, collector, manifest, walks, pause, readers }
}

/** The value footerlessFirstFile writes under `key`. */
function footerlessValue(key: string): Buffer {
  return Buffer.from(`${key}:`.padEnd(1000, 'v'))
}

/**
 * Twelve 1000-byte values in files of 4 KiB, then the first sealed file's footer cut off (its
 * frames intact), so only the index can say which of its frames are live. Returns that file,
 * the keys whose frames it holds, and a way to count a key's frame stale as a compaction would.
 */
async function footerlessFirstFile({ vfs, log, index, collector, manifest }: Pick<Awaited<ReturnType<typeof setUp>>, 'vfs' | 'log' | 'index' | 'collector' | 'manifest'>) {
  const keys = Array.from({ length: 12 }, (_, position) => `key${position}`)
  for (const key of keys) {
    const [handle] = log.append([{ key: Buffer.from(key, 'latin1'), value: footerlessValue(key) }])
    index.set(key, encodeBlobHandle(handle))
    await log.syncAll()
  }
  const first = [...manifest.currentVersion().blobFiles.values()].find((state) => state.meta.sizeBytes > 0)!.meta.fileNumber
  const file = vfs.openAppend(log.pathOf(first))
  file.truncate(file.sizeBytes() - 10)
  await file.sync()
  file.close()
  const firstKeys = keys.filter((key) => decodeBlobHandle(index.get(key)!).fileNumber === first)
  const countStale = async (key: string): Promise<void> => {
    collector.onDroppedValue(key, index.get(key)!)
    await manifest.logValueEdit(collector.takeCompactionEdit(manifest.currentVersion()))
  }
  return { first, firstKeys, countStale }
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

  test('a reader that arrives while retired files wait for the sync before their deletion keeps them', async () => {
    // A checkpoint pins its version synchronously and links every file it lists: one removed
    // under it failed with NOT_FOUND (review, 2026-11-26).
    const { vfs, log, index, collector, manifest, readers } = await setUp()
    const { first, firstKeys, countStale } = await footerlessFirstFile({ vfs, log, index, collector, manifest })
    for (const key of firstKeys) await countStale(key)
    for (const key of firstKeys) index.delete(key)
    const fileNames = (): string[] => vfs.list('/g')
    const name = log.pathOf(first).split('/').at(-1)!
    readers.duringSync = () => { readers.count = 1 } // a checkpoint pins the current version
    const report = await collector.collect()
    assert.deepEqual(report.deletedFileNumbers, [], 'nothing removed under the new reader')
    assert.ok(fileNames().includes(name), 'the dead file is still on disk')
    readers.duringSync = () => undefined
    readers.count = 0 // the checkpoint released its pin
    assert.deepEqual(await collector.deleteRetired(), [first], 'deleted once no reader is left')
    assert.ok(!fileNames().includes(name))
    await log.close()
  })

  test('a marked file counted dead that the index still references is walked for again only once more of it is counted stale', async () => {
    const marked = new Set<number>()
    const { vfs, log, index, collector, manifest, walks } = await setUp({ rewriteFailed: (fileNumber) => marked.has(fileNumber) })
    // No footer: only the index can answer for the file. Marked, as a failed relocation leaves it.
    const { first, firstKeys, countStale } = await footerlessFirstFile({ vfs, log, index, collector, manifest })
    marked.add(first)
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

  test('a dead-by-count file whose index walk meets damage of its own is walked for again only once more of it is counted stale', async () => {
    const { vfs, log, index, collector, manifest, walks } = await setUp()
    // No footer: only the index can prove the file dead, and the walk fails on a damaged table.
    const { firstKeys, countStale } = await footerlessFirstFile({ vfs, log, index, collector, manifest })
    walks.failure = new StrataError('CHECKSUM_MISMATCH', 'a table block does not verify')
    for (const key of firstKeys) await countStale(key) // dead by count, though the index keeps them
    await collector.collect()
    await collector.collect()
    assert.equal(walks.count, 1, 'the stale count did not change: no second walk')
    assert.equal(collector.stats().filesDeleted, 0, 'not proven dead')
    walks.failure = undefined
    await countStale(firstKeys[0]) // a compaction drops a handle again: the count changes
    for (const key of firstKeys) index.delete(key)
    await collector.collect()
    assert.equal(walks.count, 2, 'more of it counted stale: walked again')
    assert.equal(collector.stats().filesDeleted, 1, 'the walk now proves it dead')
    await log.close()
  })

  test('a relocation that needs the index walks it with user writes running, and moves what it names under the pause', async () => {
    // The walk waits for a running flush or compaction and reads every table: inside the pause
    // it held every user write that long (review, 2026-11-26).
    const { vfs, log, index, collector, manifest, walks } = await setUp()
    // No footer: only the index names its values. Half of them stale, past the threshold.
    const { first, firstKeys } = await footerlessFirstFile({ vfs, log, index, collector, manifest })
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
    for (const key of index.keys()) assert.deepEqual(Buffer.from(log.read(key, index.get(key)!)), footerlessValue(key), `${key} still reads`)
    for (const key of firstKeys.slice(Math.ceil(firstKeys.length / 2))) assert.notEqual(decodeBlobHandle(index.get(key)!).fileNumber, first, `${key} moved`)
    await log.close()
  })

  test('a streamed value is read and copied with writes running; only the list write is paused', async () => {
    // A 96 MiB value moved inside the pause held a concurrent put 139 ms (review, 2026-11-26).
    const { log, index, collector, manifest, pause } = await setUp()
    const { first, value, chunkReads } = await streamInSharedFile(log, index, collector, manifest, pause)
    const copiesPaused = { count: 0 }
    const copy = log.copy.bind(log)
    log.copy = (frames) => {
      if (pause.paused) copiesPaused.count++
      return copy(frames)
    }
    const oldList = index.get('s')!
    const report = await collector.collect()
    assert.deepEqual(report.failures, [])
    assert.ok(report.relocatedFileNumbers.includes(first), 'the file holding a chunk was relocated')
    assert.ok(chunkReads.total >= 2 * STREAM_CHUNK_COUNT, `every chunk verified and copied (${chunkReads.total} reads)`)
    assert.equal(chunkReads.paused, 0, 'no chunk read while writes were paused')
    assert.equal(copiesPaused.count, 0, 'no chunk copied while writes were paused')
    const moved = decodeChunkList(index.get('s')!)
    assert.notDeepEqual(index.get('s'), oldList, 'the key names the copies')
    assert.ok(moved.chunks.every((chunk) => chunk.fileNumber !== first))
    assert.deepEqual(Buffer.from(log.read('s', index.get('s')!)), value, 'the copies read')
    await log.close()
  })

  test('a streamed value overwritten while GC copies it keeps the new value; the copies are counted stale', async () => {
    const { log, index, collector, manifest, pause } = await setUp()
    const { first, chunkReads } = await streamInSharedFile(log, index, collector, manifest, pause)
    const [overwrite] = log.append([{ key: Buffer.from('s', 'latin1'), value: Buffer.alloc(900, 9) }])
    await log.syncAll()
    // The user's write lands between two chunk copies (the collector yields every few chunks).
    const copied: { fileNumber: number; frameSizeBytes: number }[] = []
    const copy = log.copy.bind(log)
    log.copy = (frames) => {
      const handles = copy(frames)
      copied.push(...handles)
      if (copied.length === 1) index.set('s', encodeBlobHandle(overwrite))
      return handles
    }
    const report = await collector.collect()
    assert.ok(copied.length >= 1, 'the copy had started')
    assert.ok(chunkReads.total > 0)
    assert.deepEqual(index.get('s'), encodeBlobHandle(overwrite), 'the overwrite stands')
    assert.deepEqual(Buffer.from(log.read('s', index.get('s')!)), Buffer.alloc(900, 9))
    assert.ok(report.relocatedFileNumbers.includes(first), 'the stream no longer holds the file')
    assert.equal(collector.stats().framesMoved, 0, 'no stream frame counted moved')
    // Each copy is stale once, in the next edit (no handle names it, so no compaction will).
    const staleByFile = new Map<number, number>()
    for (const { fileNumber, frameSizeBytes } of copied) staleByFile.set(fileNumber, (staleByFile.get(fileNumber) ?? 0) + frameSizeBytes)
    const edit = collector.takeCompactionEdit(manifest.currentVersion())
    assert.deepEqual(new Map(edit.blobStaleBytes.map((delta) => [delta.fileNumber, delta.staleBytesDelta])), staleByFile)
    await log.close()
  })

  test('a streamed value overwritten between its copy and the list write keeps the new value', async () => {
    const { log, index, collector, manifest, pause } = await setUp()
    await streamInSharedFile(log, index, collector, manifest, pause)
    // After the last chunk is copied: the key is checked again only under the list write's pause.
    const copied: { fileNumber: number; frameSizeBytes: number }[] = []
    const overwrite = { pauseCount: 0 }
    const copy = log.copy.bind(log)
    log.copy = (frames) => {
      const handles = copy(frames)
      copied.push(...handles)
      if (copied.length === STREAM_CHUNK_COUNT) {
        index.set('s', Buffer.from('inline'))
        overwrite.pauseCount = pause.count
      }
      return handles
    }
    await collector.collect()
    assert.equal(copied.length, STREAM_CHUNK_COUNT, 'every chunk was copied')
    assert.ok(pause.count > overwrite.pauseCount, 'the list write paused after the overwrite')
    assert.deepEqual(index.get('s'), Buffer.from('inline'), 'not overwritten by the relocated list')
    const staleBytes = collector.takeCompactionEdit(manifest.currentVersion()).blobStaleBytes.reduce((sum, delta) => sum + delta.staleBytesDelta, 0)
    assert.equal(staleBytes, copied.reduce((sum, handle) => sum + handle.frameSizeBytes, 0), 'every copy counted stale, once')
    assert.equal(collector.stats().framesMoved, 0)
    await log.close()
  })

  test('a round that moved its byte budget with a streamed value starts no further file', async () => {
    // #pick budgets a file's own live bytes, but a chunk there moves the whole value.
    const { log, index, collector, manifest, pause } = await setUp({ relocationBytesMax: 4000 })
    const { first } = await streamInSharedFile(log, index, collector, manifest, pause)
    const keys = ['r0', 'r1', 'r2', 'r3']
    for (const key of keys) {
      const [handle] = log.append([{ key: Buffer.from(key, 'latin1'), value: Buffer.alloc(1000, 3) }])
      index.set(key, encodeBlobHandle(handle))
      await log.syncAll()
    }
    // One more value rotates the r-values' file out: sealed, it may be picked.
    const [tail] = log.append([{ key: Buffer.from('r4', 'latin1'), value: Buffer.alloc(1000, 4) }])
    index.set('r4', encodeBlobHandle(tail))
    await log.syncAll()
    await log.settleRotation()
    const later = decodeBlobHandle(index.get('r0')!).fileNumber
    assert.ok(keys.every((key) => decodeBlobHandle(index.get(key)!).fileNumber === later) && later > first, 'the r-values share a later file')
    assert.ok(isSealed(manifest.currentVersion().blobFiles.get(later)!.meta.sizeBytes))
    for (const key of keys.slice(0, 3)) {
      collector.onDroppedValue(key, index.get(key)!)
      index.delete(key)
    }
    await manifest.logValueEdit(collector.takeCompactionEdit(manifest.currentVersion()))
    const round = await collector.collect()
    assert.ok(round.bytesMoved >= STREAM_CHUNK_COUNT * STREAM_CHUNK_SIZE_BYTES, `the stream moved whole (${round.bytesMoved} bytes)`)
    assert.deepEqual(round.relocatedFileNumbers, [first], 'the later file waits for the next round')
    const next = await collector.collect()
    assert.ok(next.relocatedFileNumbers.includes(later), 'and goes in the next one')
    assert.deepEqual(Buffer.from(log.read('r3', index.get('r3')!)), Buffer.alloc(1000, 3))
    await log.close()
  })
})

const STREAM_CHUNK_COUNT = 10
const STREAM_CHUNK_SIZE_BYTES = 1024

/**
 * A streamed value `s` of STREAM_CHUNK_COUNT chunks whose first chunk shares a sealed file with
 * ordinary values, which are then dropped (counted stale), so that file is picked. Counts the
 * reads of the stream's chunks, and those made while writes were paused.
 */
async function streamInSharedFile(
  log: ValueLog,
  index: Map<string, Uint8Array>,
  collector: BlobCollector,
  manifest: { logValueEdit: (edit: VersionEdit) => Promise<unknown>; currentVersion: () => Version },
  pause: { paused: boolean },
) {
  const keyBytes = Buffer.from('s', 'latin1')
  const value = Buffer.alloc(STREAM_CHUNK_COUNT * STREAM_CHUNK_SIZE_BYTES)
  for (let position = 0; position < value.length; position++) value[position] = (position * 31) & 0xff
  const others: string[] = []
  for (let position = 0; position < 2; position++) {
    const [handle] = log.append([{ key: Buffer.from(`o${position}`, 'latin1'), value: Buffer.alloc(1000, position) }])
    index.set(`o${position}`, encodeBlobHandle(handle))
    others.push(`o${position}`)
  }
  const list: ChunkList = { totalSizeBytes: value.length, chunkSizeBytes: STREAM_CHUNK_SIZE_BYTES, chunks: [] }
  for (let chunkIndex = 0; chunkIndex < STREAM_CHUNK_COUNT; chunkIndex++) {
    const chunk = value.subarray(chunkIndex * STREAM_CHUNK_SIZE_BYTES, (chunkIndex + 1) * STREAM_CHUNK_SIZE_BYTES)
    const [handle] = log.append([{ key: keyBytes, value: chunk }])
    list.chunks.push({ fileNumber: handle.fileNumber, offsetBytes: handle.offsetBytes, frameSizeBytes: handle.frameSizeBytes })
    await log.syncAll()
  }
  index.set('s', encodeChunkList(list))
  await log.settleRotation()
  const first = list.chunks[0].fileNumber
  assert.ok(isSealed(manifest.currentVersion().blobFiles.get(first)!.meta.sizeBytes), 'the first chunk is in a sealed file')
  assert.ok(list.chunks.some((chunk) => chunk.fileNumber !== first), 'the stream spans files')
  for (const key of others) {
    collector.onDroppedValue(key, index.get(key)!)
    index.delete(key)
  }
  await manifest.logValueEdit(collector.takeCompactionEdit(manifest.currentVersion()))
  const chunkReads = { total: 0, paused: 0 }
  const readerOf = log.readerOf.bind(log)
  log.readerOf = (fileNumber, keyForErrors) => {
    if (keyForErrors !== undefined && Buffer.from(keyForErrors).equals(keyBytes)) {
      chunkReads.total++
      if (pause.paused) chunkReads.paused++
    }
    return readerOf(fileNumber, keyForErrors)
  }
  return { first, value, chunkReads }
}

