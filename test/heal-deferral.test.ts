// Goal: auto-heal rewrites a file only when the rewrite can succeed. A verify or patrol pass
// decides a file's outcome first and queues one heal for a repaired or ecc-damaged file, none for
// an unrecoverable one, however many of its blocks ECC repaired on the way; a read that repairs a
// block of an unrecoverable file queues at most one heal, whose failure stops further ones. Blob
// files follow the same rule through BlobDb.verify() and the GC's healing relocation.
// Method: real files in temp directories; SEC-DED stores where one flipped payload bit is a
// repairable block and two flips in one 8-byte word an unrecoverable one (detected, never
// corrected); heal counters read from stats() across passes. STRATA_SEED=<n> replays a run.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { BlobDb, open, type Db } from '../index.ts'
import type { IntegrityOptions } from '../engine/integrity-options.ts'
import { blobStore, bodyStartOf, eccRegionOf, flipBit, SMALL, storeWithOneTable, tableFiles } from './support/ecc-damage.ts'
import { seedFromEnv } from './support/seed.ts'

const INTEGRITY: IntegrityOptions = { ecc: 'sec-ded', autoHeal: true }
/** Byte 40 of a block lies in its payload (24-byte header): a flip there fails the checksum. */
const PAYLOAD_OFFSET_BYTES = 40

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-heal-deferral-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

function temporaryDirectory(): string {
  return fs.mkdtempSync(path.join(root, 'store-'))
}

/** Where block 1 of `file` starts: right after block 0's ECC region. */
function secondBlockStartBytes(file: string): number {
  return eccRegionOf(file, 0, 'sec-ded').endBytes
}

/** One flipped payload bit of the block at `blockStartBytes`: SEC-DED repairs it. */
function damageRepairably(file: string, blockStartBytes: number): void {
  flipBit(file, (blockStartBytes + PAYLOAD_OFFSET_BYTES) * 8 + 2)
}

/** Two flips in one 8-byte word of the block's payload: SEC-DED detects them and cannot repair. */
function damageUnrecoverably(file: string, blockStartBytes: number): void {
  flipBit(file, (blockStartBytes + PAYLOAD_OFFSET_BYTES) * 8 + 2)
  flipBit(file, (blockStartBytes + PAYLOAD_OFFSET_BYTES) * 8 + 3)
}

/** The heal counters of stats().integrity, in one comparable line. */
function healCounters(db: Db): { queued: number; completed: number; failed: number; pending: number } {
  const stats = db.stats().integrity
  return { queued: stats.healQueuedCount, completed: stats.healCompletedCount, failed: stats.healFailedCount, pending: stats.healPendingCount }
}

describe('auto-heal of tables waits for the file outcome', () => {
  test('a table with a repairable and an unrecoverable block is reported unrecoverable and never queued, over two passes', async (t) => {
    const seed = seedFromEnv('heal deferral unrecoverable table')
    t.diagnostic(`seed=${seed}`)
    const directory = temporaryDirectory()
    await storeWithOneTable(directory, INTEGRITY, seed)
    const file = tableFiles(directory)[0]
    damageRepairably(file, 0) // block 0, read first: the repair happens before the bad block
    damageUnrecoverably(file, secondBlockStartBytes(file))
    const db = await open(directory, { ...SMALL, integrity: INTEGRITY })
    for (const pass of [1, 2]) {
      const report = await db.verify()
      assert.deepEqual(report.files.map((f) => [f.status, f.repairCount, f.code]), [['unrecoverable', 1, 'UNRECOVERABLE']], `pass ${pass} seed=${seed}`)
      await db.flush() // a heal, had one been queued, runs before this resolves
      assert.deepEqual(healCounters(db), { queued: 0, completed: 0, failed: 0, pending: 0 }, `pass ${pass} seed=${seed}`)
    }
    assert.equal(db.stats().integrity.repairCount, 2, 'each pass repaired block 0 (and counted it)')
    assert.equal(tableFiles(directory).includes(file), true, 'the damaged table stays live')
    await db.close()
  })

  test('a table with only repairable damage is queued once and rewritten clean; an unrecoverable one beside it is not', async (t) => {
    const seed = seedFromEnv('heal deferral two tables')
    t.diagnostic(`seed=${seed}`)
    const directory = temporaryDirectory()
    await storeWithOneTable(directory, INTEGRITY, seed)
    let db = await open(directory, { ...SMALL, integrity: INTEGRITY })
    for (let index = 150; index < 200; index++) await db.put(`key${index}`, `value ${index} `.repeat(4))
    await db.flush()
    await db.close()
    const [unrecoverable, repairable] = tableFiles(directory)
    assert.equal(tableFiles(directory).length, 2)
    damageRepairably(unrecoverable, 0)
    damageUnrecoverably(unrecoverable, secondBlockStartBytes(unrecoverable))
    damageRepairably(repairable, 0)
    damageRepairably(repairable, secondBlockStartBytes(repairable))
    db = await open(directory, { ...SMALL, integrity: INTEGRITY })
    const first = await db.verify()
    const statusOf = (report: typeof first, file: string) => report.files.find((f) => f.fileNumber === Number.parseInt(path.basename(file), 10))?.status
    assert.deepEqual([statusOf(first, unrecoverable), statusOf(first, repairable)], ['unrecoverable', 'repaired'], `seed=${seed}`)
    assert.equal(first.files.find((f) => f.status === 'repaired')?.repairCount, 2, 'two blocks repaired, one heal')
    await db.flush() // waits for the heal queued behind the pass
    assert.deepEqual(healCounters(db), { queued: 1, completed: 1, failed: 0, pending: 0 }, `seed=${seed}`)
    assert.equal(tableFiles(directory).includes(repairable), false, 'the healed table is replaced')
    const second = await db.verify()
    assert.deepEqual(second.files.map((f) => f.status).sort(), ['clean', 'unrecoverable'], `seed=${seed}`)
    await db.flush()
    assert.deepEqual(healCounters(db), { queued: 1, completed: 1, failed: 0, pending: 0 }, 'the second pass queues nothing')
    for (let index = 150; index < 200; index++) assert.equal((await db.get(`key${index}`))?.toString(), `value ${index} `.repeat(4), `key${index}`)
    await db.close()
  })

  test('reads that repair a block of an unrecoverable table queue one heal; its failure stops the next ones', async (t) => {
    const seed = seedFromEnv('heal deferral reads')
    t.diagnostic(`seed=${seed}`)
    const directory = temporaryDirectory()
    const model = await storeWithOneTable(directory, INTEGRITY, seed)
    const file = tableFiles(directory)[0]
    damageRepairably(file, 0)
    damageUnrecoverably(file, secondBlockStartBytes(file))
    // No block cache: every get of key000 reads (and repairs) block 0 again.
    const db = await open(directory, { ...SMALL, integrity: INTEGRITY, blockCacheSizeBytes: 0 })
    for (const read of [1, 2, 3]) {
      assert.equal((await db.get('key000'))?.toString(), model.get('key000'), `read ${read} seed=${seed}`)
      await db.flush() // the queued heal (if any) runs and fails at block 1
      assert.deepEqual(healCounters(db), { queued: 1, completed: 0, failed: 1, pending: 0 }, `read ${read} seed=${seed}`)
    }
    assert.equal(db.stats().integrity.repairCount, 4, 'three reads and the failed heal repaired block 0')
    assert.match(db.stats().integrity.lastHealError ?? '', /beyond what its sec-ded ECC can repair/)
    assert.equal((await db.verify()).files[0].status, 'unrecoverable')
    await db.flush()
    assert.equal(healCounters(db).queued, 1, 'the verify pass queues nothing either')
    await db.close()
  })
})

/** The value blobStore() wrote for `key<index>`. */
function blobValue(index: number): Buffer {
  return Buffer.alloc(500, 65 + index)
}

/** The heal counters of stats().blob, in one comparable line. */
function blobHealCounters(db: BlobDb): { queued: number; healed: number; failed: number } {
  const stats = db.stats().blob
  return { queued: stats.healQueuedCount, healed: stats.filesHealed, failed: stats.healFailedCount }
}

describe('auto-heal of blob files waits for the file outcome', () => {
  test('a blob file with a repairable and an unrecoverable frame is reported unrecoverable and never queued, over two passes', async () => {
    const directory = temporaryDirectory()
    const { file, bodyStartBytes } = await blobStore(directory, INTEGRITY)
    damageRepairably(file, bodyStartBytes) // key3, checked before key5
    damageUnrecoverably(file, bodyStartOf(file, 5))
    const db = await BlobDb.open(directory, { integrity: INTEGRITY }, { minBlobSize: 100 })
    const fileNumber = Number.parseInt(path.basename(file), 10)
    for (const pass of [1, 2]) {
      const report = await db.verify()
      const checked = report.blobFiles.find((f) => f.fileNumber === fileNumber)!
      assert.equal(checked.status, 'unrecoverable', `pass ${pass}`)
      assert.deepEqual(checked.damagedFrames.map((frame) => [frame.key, frame.status]), [['"key3"', 'repaired'], ['"key5"', 'unrecoverable']], `pass ${pass}`)
      assert.deepEqual(blobHealCounters(db), { queued: 0, healed: 0, failed: 0 }, `pass ${pass}`)
    }
    assert.equal(db.stats().blob.repairCount, 2, 'each pass repaired key3 (and counted it)')
    const collection = await db.gc()
    assert.deepEqual(collection.relocatedFileNumbers, [], 'nothing queued, nothing stale: nothing relocated')
    await db.close()
  })

  test('a read that repairs a frame of an unrecoverable blob file queues one heal; gc() counts its failure, goes on, and it is not queued again', async () => {
    const directory = temporaryDirectory()
    const { file, bodyStartBytes } = await blobStore(directory, INTEGRITY)
    damageRepairably(file, bodyStartBytes)
    damageUnrecoverably(file, bodyStartOf(file, 5))
    // No block cache, so no value cache: every get of key3 reads (and repairs) its frame again.
    const db = await BlobDb.open(directory, { integrity: INTEGRITY, blockCacheSizeBytes: 0 }, { minBlobSize: 100 })
    const fileNumber = Number.parseInt(path.basename(file), 10)
    for (const round of [1, 2]) {
      assert.deepEqual(await db.get('key3'), blobValue(3), `round ${round}`)
      const collection = await db.gc()
      assert.equal(collection.relocatedFileNumbers.includes(fileNumber), false, `round ${round}`)
      assert.deepEqual(blobHealCounters(db), { queued: 1, healed: 0, failed: 1 }, `round ${round}`)
    }
    await assert.rejects(db.get('key5'), { code: 'UNRECOVERABLE' })
    for (const index of [0, 3, 9]) assert.deepEqual(await db.get(`key${index}`), blobValue(index), `key${index} after the failed heal`)
    assert.equal((await db.verify()).blobFiles.find((f) => f.fileNumber === fileNumber)?.status, 'unrecoverable')
    await db.close()
  })

  test('a verify that finds a blob file unrecoverable does not bar the heal a read of a live frame asks for', async () => {
    // The unrecoverable frame is stale: the heal, which decodes live frames only, succeeds. A
    // scrub cannot tell live from stale, so its verdict must not stop the heal (docs/ecc.md §7).
    const directory = temporaryDirectory()
    const { file, bodyStartBytes } = await blobStore(directory, INTEGRITY)
    let db = await BlobDb.open(directory, { integrity: INTEGRITY }, { minBlobSize: 100 })
    await db.put('key5', Buffer.alloc(500, 0x7a))
    await db.compact()
    await db.close()
    damageRepairably(file, bodyStartBytes)
    damageUnrecoverably(file, bodyStartOf(file, 5))
    db = await BlobDb.open(directory, { integrity: INTEGRITY, blockCacheSizeBytes: 0 }, { minBlobSize: 100 })
    const fileNumber = Number.parseInt(path.basename(file), 10)
    assert.equal((await db.verify()).blobFiles.find((f) => f.fileNumber === fileNumber)?.status, 'unrecoverable')
    assert.deepEqual(await db.get('key3'), blobValue(3))
    const collection = await db.gc()
    assert.ok(collection.relocatedFileNumbers.includes(fileNumber), `healed: relocated ${collection.relocatedFileNumbers.join(',')}`)
    assert.deepEqual(blobHealCounters(db), { queued: 1, healed: 1, failed: 0 })
    assert.equal((await db.verify()).ok, true)
    await db.close()
  })

  test('a heal drops a damaged stale frame with the old file: only live frames are decoded', async () => {
    const directory = temporaryDirectory()
    const { file, bodyStartBytes } = await blobStore(directory, INTEGRITY)
    let db = await BlobDb.open(directory, { integrity: INTEGRITY }, { minBlobSize: 100 })
    await db.put('key5', Buffer.alloc(500, 0x7a)) // key5's frame in `file` is stale from here on
    await db.compact()
    await db.close()
    damageRepairably(file, bodyStartBytes)
    damageUnrecoverably(file, bodyStartOf(file, 5))
    db = await BlobDb.open(directory, { integrity: INTEGRITY }, { minBlobSize: 100 })
    const fileNumber = Number.parseInt(path.basename(file), 10)
    assert.deepEqual(await db.get('key3'), blobValue(3))
    const collection = await db.gc()
    assert.ok(collection.relocatedFileNumbers.includes(fileNumber), `gc healed ${fileNumber}: relocated ${collection.relocatedFileNumbers.join(',')}`)
    assert.deepEqual(blobHealCounters(db), { queued: 1, healed: 1, failed: 0 })
    assert.ok(collection.deletedFileNumbers.includes(fileNumber), 'no reader was open: the damaged file is gone')
    for (let index = 0; index < 10; index++) assert.deepEqual(await db.get(`key${index}`), index === 5 ? Buffer.alloc(500, 0x7a) : blobValue(index), `key${index}`)
    assert.equal((await db.verify()).ok, true)
    await db.close()
  })
})
