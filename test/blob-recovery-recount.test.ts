// Goal: blob frames whose WAL records a crash or recovery dropped are counted stale at open, so a
// file holding only such frames is collected, and no frame is ever counted stale twice.
// Method: synced puts, then unsynced puts that fill blob files the rotation seals (synced) while
// their WAL records stay unsynced; a MemVfs crash keeps the frames and loses the records. Reopen
// and compare stats().blob with the frame sizes of the surviving values; overwrite those and
// compact, and check live plus stale bytes still equal the frame bytes on disk. A crash after the
// recovery edit and before the recount must recount at the next open; point-in-time recovery
// that drops records after a clean close recounts too.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, type BlobDbStats } from '../index.ts'
import { Db } from '../engine/mod.ts'
import { readFile } from '../engine/vfs/test-support.ts'
import { HookedVfs } from '../engine/wal/hooked-vfs.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES } from '../blobtree/mod.ts'

const kv = { minBlobSize: 512, blobFileSizeBytesTarget: 4096, gcOnCompact: false }
const KEPT_COUNT = 6
const LOST_COUNT = 24

const keyOf = (index: number): string => `key${String(index).padStart(2, '0')}`
const valueOf = (round: number, index: number): Buffer => Buffer.from(`r${round}k${index}-`.padEnd(900, 'v'), 'latin1')

/** Frame bytes of one value of keyOf's length, from a store holding only that value. */
async function frameSizeBytes(): Promise<number> {
  const db = await BlobDb.open('/frame', { vfs: new MemVfs() }, kv)
  await db.put(keyOf(0), valueOf(0, 0))
  const sizeBytes = db.stats().blob.fileBytesTotal - FILE_HEADER_SIZE_BYTES
  await db.close()
  return sizeBytes
}

/** Frame bytes of every listed file (the active one has no footer yet). */
function frameBytesOnDisk(stats: BlobDbStats): number {
  return stats.blob.fileBytesTotal - stats.blob.fileCount * FILE_HEADER_SIZE_BYTES - (stats.blob.fileCount - 1) * FOOTER_SIZE_BYTES
}

describe('stale recount after recovery', () => {
  test('frames of records a crash dropped count stale at open, and their files are collected', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/recount', { vfs }, kv)
    for (let index = 0; index < KEPT_COUNT; index++) await db.put(keyOf(index), valueOf(0, index), { sync: true })
    // Unsynced: the rotation seals (and syncs) the files these frames fill, not the WAL records.
    for (let index = KEPT_COUNT; index < KEPT_COUNT + LOST_COUNT; index++) await db.put(keyOf(index), valueOf(0, index))
    await db.gc() // waits for the rotation in flight, so the seals have been logged
    const before = db.stats().blob
    assert.ok(before.fileCount >= 4, `the lost values fill sealed files: ${before.fileCount} files`)
    const crashed = vfs.crash()
    await db.close().catch(() => undefined)

    const frameBytes = await frameSizeBytes()
    const reopened = await BlobDb.open('/recount', { vfs: crashed }, kv)
    for (let index = 0; index < KEPT_COUNT; index++) assert.deepEqual(await reopened.get(keyOf(index)), valueOf(0, index))
    assert.equal(await reopened.get(keyOf(KEPT_COUNT)), undefined, 'the unsynced puts are gone')
    const after = reopened.stats()
    assert.equal(after.blob.liveBytes, KEPT_COUNT * frameBytes, 'only the synced values count live')
    assert.equal(after.blob.staleBytes + after.blob.liveBytes, frameBytesOnDisk(after), 'every frame counted once')
    assert.ok(after.blob.staleBytesRecounted > 0, 'the recount is reported')
    assert.equal(after.blob.staleBytesRecounted, after.blob.staleBytes, 'nothing else was stale')
    const report = await reopened.gc()
    assert.ok(report.deletedFileNumbers.length >= 2, `files holding only lost frames are deleted: ${JSON.stringify(report)}`)
    assert.equal(reopened.stats().blob.deadFilesFoundLive, 0)

    // A later drop of a recounted file's live frames adds exactly those frames.
    for (let index = 0; index < KEPT_COUNT; index++) await reopened.put(keyOf(index), valueOf(1, index))
    await reopened.compact()
    const compacted = reopened.stats()
    assert.equal(compacted.blob.liveBytes, KEPT_COUNT * frameBytes, 'the overwrites are live, their old frames stale')
    assert.equal(compacted.blob.staleBytes + compacted.blob.liveBytes, frameBytesOnDisk(compacted), 'no frame counted twice')
    await reopened.close()

    const clean: BlobDb = await BlobDb.open('/recount', { vfs: crashed }, kv)
    assert.equal(clean.stats().blob.staleBytesRecounted, 0, 'a clean open recounts nothing')
    for (let index = 0; index < KEPT_COUNT; index++) assert.deepEqual(await clean.get(keyOf(index)), valueOf(1, index))
    await clean.close()
  })

  /** Synced puts of KEPT_COUNT keys, unsynced ones of LOST_COUNT more, then a power loss. */
  async function crashedStore(): Promise<MemVfs> {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/recount', { vfs }, kv)
    for (let index = 0; index < KEPT_COUNT; index++) await db.put(keyOf(index), valueOf(0, index), { sync: true })
    for (let index = KEPT_COUNT; index < KEPT_COUNT + LOST_COUNT; index++) await db.put(keyOf(index), valueOf(0, index))
    await db.gc()
    const crashed = vfs.crash()
    await db.close().catch(() => undefined)
    return crashed
  }

  test('a crash after the recovery edit and before the recount recounts at the next open', async () => {
    const vfs = await crashedStore()
    // The engine alone recovers the WAL and logs its recovery edit, and seals no blob file: the
    // state a crash leaves between that edit and the one that seals and recounts.
    const engine = await Db.open('/recount', { vfs })
    await engine.close()
    const db = await BlobDb.open('/recount', { vfs }, kv)
    assert.equal(db.stats().recovery.walFilesReplayed, 1)
    assert.equal(db.stats().blob.liveBytes, KEPT_COUNT * (await frameSizeBytes()), 'the file left unsealed triggers the recount')
    assert.equal(db.stats().blob.staleBytes + db.stats().blob.liveBytes, frameBytesOnDisk(db.stats()))
    await db.close()
  })

  test('point-in-time recovery that drops records after a clean close recounts their frames', async () => {
    const vfs = new MemVfs()
    const options = { vfs, walRecovery: 'point-in-time' as const }
    let db = await BlobDb.open('/recount', options, kv)
    for (let index = 0; index < KEPT_COUNT * 2; index++) await db.put(keyOf(index), valueOf(0, index), { sync: true })
    await db.close() // seals the blob files; the records stay in the WAL (no flush at close)
    const walName = vfs.list('/recount').find((name) => name.endsWith('.wal'))!
    const wal = Buffer.from(readFile(vfs, `/recount/${walName}`))
    const at = wal.indexOf(Buffer.from(keyOf(KEPT_COUNT), 'latin1'))
    assert.ok(at > 0, 'the WAL holds the key')
    wal[at] ^= 0x01
    const out = vfs.create(`/recount/${walName}`)
    out.append([wal])
    await out.sync()
    out.close()
    db = await BlobDb.open('/recount', options, kv)
    assert.ok(db.stats().recovery.walDamage !== undefined, 'replay stopped at the damage')
    assert.equal(await db.get(keyOf(KEPT_COUNT)), undefined)
    assert.deepEqual(await db.get(keyOf(KEPT_COUNT - 1)), valueOf(0, KEPT_COUNT - 1))
    const frameBytes = await frameSizeBytes()
    assert.equal(db.stats().blob.liveBytes, KEPT_COUNT * frameBytes, 'the dropped records\' frames count stale')
    assert.equal(db.stats().blob.staleBytesRecounted, KEPT_COUNT * frameBytes)
    assert.equal(db.stats().blob.staleBytes + db.stats().blob.liveBytes, frameBytesOnDisk(db.stats()))
    await db.close()
    db = await BlobDb.open('/recount', options, kv)
    assert.equal(db.stats().blob.liveBytes, KEPT_COUNT * frameBytes, 'durable')
    await db.close()
  })
})

describe('stale bytes held back during a seal edit', () => {
  test("a drop reported while the recovered file's seal edit runs survives a clean close", async () => {
    // At open after a crash, the recovered file's seal edit (with the recount) waits for the
    // compaction that recovery's level-0 table triggers; that compaction drops v1's handle into
    // the file while the edit is in flight, so the drop is held back for a later edit. Before
    // the fix nothing logged it before a clean close, and a clean reopen recounts nothing.
    const options = { minBlobSize: 64, gcOnCompact: false }
    const value = (version: number): Buffer => Buffer.from(`v${version}`.padEnd(300, 'x'), 'latin1')
    const image = new MemVfs()
    let db = await BlobDb.open('/db', { vfs: image, l0CompactionTrigger: 2 }, options)
    await db.put('k', value(1), { sync: true })
    await db.flush() // level-0 table 1 names v1's frame in the active file
    await db.put('k', value(2), { sync: true }) // in the WAL only
    const crashed = image.crash()
    await db.close().catch(() => undefined)
    // Slow table syncs keep the compaction of the two level-0 tables running into the seal edit.
    const slow = new HookedVfs(crashed, { beforeSync: (_op, filePath) => (filePath.endsWith('.sst') ? new Promise<void>((resolve) => setTimeout(resolve, 30)) : undefined) })
    db = await BlobDb.open('/db', { vfs: slow, l0CompactionTrigger: 2 }, options)
    assert.deepEqual(await db.get('k'), value(2))
    await db.close() // waits for the compaction
    db = await BlobDb.open('/db', { vfs: crashed, l0CompactionTrigger: 2 }, options)
    await db.compact()
    const { blob } = db.stats()
    await db.close()
    // Two frames of one size, v1's and v2's; only v2's is named.
    assert.equal(blob.staleBytes, blob.liveBytes, `v1's frame stale after a clean close and reopen: ${JSON.stringify({ stale: blob.staleBytes, live: blob.liveBytes })}`)
  })
})
