/**
 * Goal: GC keeps streamed values readable. Dropping a chunk list counts every chunk stale (an
 * overwritten stream's files are deleted whole); relocating a file that holds chunks of a live
 * streamed value moves the value and rewrites its chunk list, and a snapshot taken before the
 * relocation still reads the old chunks until it is released.
 * Method: MemVfs, 4 KiB chunks, 16 KiB blob files. A stream file is never partly stale in normal
 * operation (one stream per file), so the test first logs an over-count of stale bytes for one
 * straight into the manifest (what a counting bug would leave), which makes GC relocate it; the
 * relocated chunks then share the active file with ordinary values, and overwriting those makes
 * GC relocate that shared file the ordinary way.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs } from '../index.ts'
import { VersionSet } from '../engine/manifest/mod.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES } from '../blobtree/mod.ts'
import { readStream } from '../blobtree/testing/read-stream.ts'
import { Rng, seedFromEnv } from './support/seed.ts'

const kv = { minBlobSize: 512, streamChunkSizeBytes: 4096, blobFileSizeBytesTarget: 16 * 1024, gcOnCompact: false, stalenessThreshold: 0.25 }


function blobFiles(vfs: MemVfs, directory: string): string[] {
  return vfs.list(directory).filter((name) => name.endsWith('.blob')).sort()
}

describe('blob GC with streamed values', () => {
  test('an overwritten streamed value is counted stale whole and its files are deleted', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/gc-drop', { vfs }, kv)
    await db.putStream('s', [Buffer.alloc(50_000, 1)])
    const withStream = db.stats().blob.fileCount
    await db.putStream('s', [Buffer.alloc(9_000, 2)])
    await db.compact()
    const report = await db.gc()
    assert.ok(report.deletedFileNumbers.length >= 3, `the first stream's files went (${report.deletedFileNumbers.length})`)
    assert.ok(db.stats().blob.fileCount < withStream + 1)
    assert.equal(db.stats().blob.deadFilesFoundLive, 0, 'no file counted dead held a live chunk')
    assert.deepEqual(await db.get('s'), Buffer.alloc(9_000, 2))
    await db.close()
  })

  test('relocation rewrites the chunk list; a snapshot from before still reads the old chunks', async (t) => {
    const seed = seedFromEnv('blob-stream gc relocation')
    t.diagnostic(`seed=${seed}`)
    const rng = new Rng(seed)
    const vfs = new MemVfs()
    const streamed = Buffer.alloc(60_000)
    for (let index = 0; index < streamed.length; index++) streamed[index] = rng.below(256)
    let db = await BlobDb.open('/gc-move', { vfs }, kv)
    for (let index = 0; index < 20; index++) await db.put(`o${index}`, Buffer.alloc(1500, index))
    const before = new Set(blobFiles(vfs, '/gc-move'))
    await db.putStream('s', [streamed], { sync: true })
    const streamFiles = blobFiles(vfs, '/gc-move').filter((name) => !before.has(name))
    assert.ok(streamFiles.length >= 2, `the stream spans ${streamFiles.length} files`)
    await db.close()

    // An over-count of stale bytes for the stream's first file, as a counting bug would leave.
    const versions = await VersionSet.recover(vfs, '/gc-move')
    const fileNumber = Number.parseInt(streamFiles[0], 10)
    const meta = versions.current.blobFiles.get(fileNumber)!.meta
    const frameBytes = meta.sizeBytes - FILE_HEADER_SIZE_BYTES - FOOTER_SIZE_BYTES
    await versions.logAndApply({ blobStaleBytes: [{ fileNumber, staleBytesDelta: Math.ceil(frameBytes / 2) }] })
    await versions.close()

    db = await BlobDb.open('/gc-move', { vfs }, kv)
    const snapshot = db.snapshot()
    const first = await db.gc()
    assert.deepEqual(first.relocatedFileNumbers, [fileNumber], 'GC relocated the over-counted stream file')
    assert.deepEqual(first.deletedFileNumbers, [], 'the snapshot keeps the old file')
    assert.deepEqual(await readStream(db, 's'), streamed, 'the rewritten chunk list reads')
    assert.deepEqual(await readStream(db, 's', { snapshot }), streamed, 'the snapshot reads the old chunks')
    assert.deepEqual(await db.get('s', { snapshot }), streamed)
    snapshot.release()
    const second = await db.gc()
    assert.ok(second.deletedFileNumbers.includes(fileNumber), 'released: the old file goes')
    assert.deepEqual(await readStream(db, 's'), streamed)

    // The moved chunks now share files with ordinary values: overwrite those, and GC relocates
    // the shared files the ordinary way, moving the stream again.
    for (let index = 0; index < 40; index++) await db.put(`p${index}`, Buffer.alloc(1500, index))
    for (let index = 0; index < 40; index++) await db.put(`p${index}`, Buffer.alloc(600, index))
    await db.compact()
    const movedBefore = db.stats().blob.framesMoved
    const third = await db.gc()
    const streamChunkCount = Math.ceil(streamed.length / kv.streamChunkSizeBytes)
    t.diagnostic(`third round: ${JSON.stringify(third)}, frames moved ${db.stats().blob.framesMoved - movedBefore}`)
    assert.ok(third.bytesMoved >= streamed.length, `the stream moved whole with a shared file (${third.bytesMoved} bytes moved)`)
    assert.ok(db.stats().blob.framesMoved - movedBefore >= streamChunkCount)
    assert.equal(db.stats().blob.deadFilesFoundLive, 0)
    assert.deepEqual(await readStream(db, 's'), streamed, 'after the shared files were relocated')
    await db.close()
    db = await BlobDb.open('/gc-move', { vfs }, kv)
    assert.deepEqual(await readStream(db, 's'), streamed, 'after reopen')
    for (let index = 0; index < 20; index++) assert.deepEqual(await db.get(`o${index}`), Buffer.alloc(1500, index))
    const blob = db.stats().blob
    assert.equal(blobFiles(vfs, '/gc-move').length, blob.fileCount, 'no file left unlisted')
    await db.close()
  })
  test('a crash while GC copies a streamed value (user writes running) leaves the copies as garbage the next open reclaims', async (t) => {
    // The copies are made outside the write pause and named by the index only once the paused
    // list write lands: a crash before it leaves frames no entry names (blob-stream.md §7).
    const seed = seedFromEnv('blob-stream gc crash')
    t.diagnostic(`seed=${seed}`)
    const rng = new Rng(seed)
    const vfs = new MemVfs()
    const streamed = Buffer.alloc(24 * kv.streamChunkSizeBytes + 100)
    for (let index = 0; index < streamed.length; index++) streamed[index] = rng.below(256)
    const { fileNumber, liveBytes } = await overCountedStream(vfs, '/gc-crash', streamed)

    // Machine images every turn of the move, with every byte written reaching the disk (the
    // copies too, synced or not), while a writer puts other keys.
    const db = await BlobDb.open('/gc-crash', { vfs }, kv)
    let done = false
    const gc = db.gc().finally(() => (done = true))
    const images: MemVfs[] = []
    for (let index = 0; !done; index++) {
      images.push(vfs.crash({ writtenBackBytes: (_path, unsyncedBytes) => unsyncedBytes }))
      await db.put(`w${index}`, Buffer.alloc(10, 1))
      await new Promise((resolve) => setImmediate(resolve))
    }
    assert.deepEqual((await gc).relocatedFileNumbers, [fileNumber])
    await db.close()
    t.diagnostic(`${images.length} crash images taken during the round`)
    let recounted = 0
    for (const [position, image] of images.entries()) {
      const reopened = await BlobDb.open('/gc-crash', { vfs: image }, kv)
      recounted += reopened.stats().blob.staleBytesRecounted
      assert.deepEqual(await readStream(reopened, 's'), streamed, `image ${position}: the value reads`)
      for (let round = 0; round < 2; round++) {
        await reopened.compact()
        await reopened.gc()
      }
      // The stream and the o-values, once each (the w-values are inline): no copy counted live,
      // nothing counted twice.
      const blob = reopened.stats().blob
      assert.equal(blob.liveBytes, liveBytes, `image ${position}: live bytes are the values' own`)
      assert.equal(blob.deadFilesFoundLive, 0, `image ${position}`)
      assert.deepEqual(await readStream(reopened, 's'), streamed, `image ${position}: after GC`)
      await reopened.close()
    }
    assert.ok(recounted > 0, 'some image held copies no entry named, and the recount counted them')
  })
  test('a streamed value overwritten while GC moves it: the new value stands, and copies no entry names are reclaimed', async (t) => {
    // GC reads, verifies and copies a streamed value with user writes running, and writes the
    // new chunk list only if the key still names the old one (blob-stream.md §7). The overwrite
    // lands after a growing number of event-loop turns: during the verify, during the copy, or
    // after the move (MemVfs: the same turns every run).
    const streamed = Buffer.alloc(24 * kv.streamChunkSizeBytes + 100, 5)
    const overwrite = Buffer.alloc(2000, 6)
    const reference = await BlobDb.open('/ref', { vfs: new MemVfs() }, kv)
    for (let index = 0; index < 4; index++) await reference.put(`o${index}`, Buffer.alloc(1500, index))
    await reference.put('s', overwrite)
    const liveBytes = reference.stats().blob.liveBytes
    await reference.close()
    let copiesAbandoned = 0
    for (const delayTurns of [0, 2, 4, 6, 8, 12, 16, 24, 32, 48]) {
      const label = `overwrite after ${delayTurns} turns`
      const vfs = new MemVfs()
      const { fileNumber } = await overCountedStream(vfs, '/gc-race', streamed)
      const db = await BlobDb.open('/gc-race', { vfs }, kv)
      const writtenBefore = db.stats().blob.bytesWritten
      const gc = db.gc()
      for (let turn = 0; turn < delayTurns; turn++) await new Promise((resolve) => setImmediate(resolve))
      await db.put('s', overwrite)
      const report = await gc
      assert.deepEqual(report.relocatedFileNumbers, [fileNumber], label)
      if (report.bytesMoved === 0 && db.stats().blob.bytesWritten - writtenBefore > 2 * kv.streamChunkSizeBytes) copiesAbandoned++
      assert.deepEqual(await db.get('s'), overwrite, `${label}: the overwrite stands`)
      for (let round = 0; round < 2; round++) {
        await db.compact()
        await db.gc()
      }
      assert.equal(db.stats().blob.liveBytes, liveBytes, `${label}: live bytes are the values' own`)
      assert.equal(db.stats().blob.deadFilesFoundLive, 0, label)
      await db.close()
      const reopened = await BlobDb.open('/gc-race', { vfs }, kv)
      assert.deepEqual(await reopened.get('s'), overwrite, `${label}: after reopen`)
      assert.equal(reopened.stats().blob.liveBytes, liveBytes, `${label}: after reopen, the stale count of the copies was logged`)
      await reopened.close()
    }
    t.diagnostic(`overwrites that landed during the copy: ${copiesAbandoned}`)
    assert.ok(copiesAbandoned > 0, 'some overwrite landed during the copy, whose copies were then dropped')
  })
})


/**
 * A store in `directory` holding o0..o3 and the streamed value `s`, whose first stream file is
 * over-counted stale in the manifest (as a counting bug would leave), so the next GC relocates
 * it; returns that file's number and the store's live bytes (before the over-count).
 */
async function overCountedStream(vfs: MemVfs, directory: string, streamed: Buffer): Promise<{ fileNumber: number; liveBytes: number }> {
  const db = await BlobDb.open(directory, { vfs }, kv)
  for (let index = 0; index < 4; index++) await db.put(`o${index}`, Buffer.alloc(1500, index))
  const before = new Set(blobFiles(vfs, directory))
  await db.putStream('s', [streamed], { sync: true })
  const fileNumber = Number.parseInt(blobFiles(vfs, directory).filter((name) => !before.has(name))[0], 10)
  const liveBytes = db.stats().blob.liveBytes
  await db.close()
  const versions = await VersionSet.recover(vfs, directory)
  const meta = versions.current.blobFiles.get(fileNumber)!.meta
  await versions.logAndApply({ blobStaleBytes: [{ fileNumber, staleBytesDelta: Math.ceil((meta.sizeBytes - FILE_HEADER_SIZE_BYTES - FOOTER_SIZE_BYTES) / 2) }] })
  await versions.close()
  return { fileNumber, liveBytes }
}
