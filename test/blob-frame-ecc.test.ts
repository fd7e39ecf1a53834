/**
 * Goal: with ECC on, one flipped bit anywhere in a blob frame's body is repaired, including the
 * body's first 32 bytes (the block envelope header and the start of the payload), which the
 * frame checksum covers as well: get returns the exact value, verify() reports the file
 * 'repaired', GC relocation (and an autoHeal rewrite) moves a clean re-encoded copy, and WAL
 * replay after a crash keeps the records past such a frame in the unsealed file.
 * Method: MemVfs; 256 separated values in one blob file, value i's body with bit i of its first
 * 32 bytes flipped (so every bit position is hit once), plus 256 undamaged values; reopen and take
 * each path first, on a fresh copy of the damaged store, under SEC-DED and Reed-Solomon. Replay:
 * synced puts, MemVfs.crash(), one flip in the unsealed file's third frame, reopen.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, type EngineOptions } from '../index.ts'

const DIRECTORY = '/frame-ecc'
const KV = { minBlobSize: 100, gcOnCompact: false }
const DAMAGED_COUNT = 256
/** The block envelope header before the value: no compression or encryption here, so the value follows it. */
const ENVELOPE_HEADER_SIZE_BYTES = 24

const damagedKey = (index: number): string => `d${String(index).padStart(3, '0')}`
const fillerKey = (index: number): string => `f${String(index).padStart(3, '0')}`
const valueOf = (key: string): Buffer => Buffer.alloc(200, `value of ${key};`)

function blobFileName(vfs: MemVfs): string {
  const names = vfs.list(DIRECTORY).filter((name) => name.endsWith('.blob'))
  assert.equal(names.length, 1, `one blob file: ${names.join(', ')}`)
  return names[0]
}

/** A store whose damaged keys' bodies each have one bit of their first 32 bytes flipped. */
async function damagedStore(options: EngineOptions): Promise<{ vfs: MemVfs; fileNumber: number }> {
  const vfs = new MemVfs()
  const db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
  for (let index = 0; index < DAMAGED_COUNT; index++) {
    await db.put(damagedKey(index), valueOf(damagedKey(index)))
    await db.put(fillerKey(index), valueOf(fillerKey(index)))
  }
  await db.close()
  const name = blobFileName(vfs)
  const path = `${DIRECTORY}/${name}`
  const source = vfs.openRead(path)
  const bytes = Buffer.alloc(source.sizeBytes())
  source.read(bytes, 0)
  source.close()
  for (let index = 0; index < DAMAGED_COUNT; index++) {
    const valueStart = bytes.indexOf(valueOf(damagedKey(index)))
    assert.ok(valueStart > 0, damagedKey(index))
    bytes[valueStart - ENVELOPE_HEADER_SIZE_BYTES + (index >> 3)] ^= 1 << (index & 7)
  }
  const target = vfs.create(path)
  target.append([bytes])
  await target.sync()
  target.close()
  return { vfs, fileNumber: Number.parseInt(name, 10) }
}

async function assertAllValues(db: BlobDb, note: string): Promise<void> {
  for (let index = 0; index < DAMAGED_COUNT; index++) {
    for (const key of [damagedKey(index), fillerKey(index)]) assert.deepEqual(await db.get(key), valueOf(key), `${note}: ${key}`)
  }
}

for (const ecc of ['sec-ded', 'reed-solomon'] as const) {
  describe(`blob frames under ${ecc}: a flip in every bit of the body's first 32 bytes`, () => {
    const options: EngineOptions = { integrity: { ecc } }

    test('get returns every value exact and counts one repair per damaged frame', async () => {
      const { vfs } = await damagedStore(options)
      const db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
      await assertAllValues(db, 'get')
      assert.equal(db.stats().blob.repairCount, DAMAGED_COUNT)
      assert.equal(db.stats().blob.repairsByKind[ecc], DAMAGED_COUNT)
      await db.close()
    })

    test("verify() reports each damaged frame 'repaired' and the file 'repaired', ok", async () => {
      const { vfs, fileNumber } = await damagedStore(options)
      const db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
      const report = await db.verify()
      const file = report.blobFiles.find((check) => check.fileNumber === fileNumber)
      assert.ok(file !== undefined, `file ${fileNumber} checked`)
      assert.equal(file.status, 'repaired', file.error)
      assert.equal(file.ok, true)
      assert.equal(file.frames, 2 * DAMAGED_COUNT)
      assert.equal(file.repairCount, DAMAGED_COUNT)
      assert.deepEqual(file.damagedFrames.map((frame) => frame.key), Array.from({ length: DAMAGED_COUNT }, (_, index) => `"${damagedKey(index)}"`))
      assert.ok(file.damagedFrames.every((frame) => frame.status === 'repaired'))
      assert.equal(report.ok, true)
      await db.close()
    })

    test('with autoHeal the repairs queue the file, and the next gc() rewrites it clean', async () => {
      const healing: EngineOptions = { integrity: { ecc, autoHeal: true } }
      const { vfs, fileNumber } = await damagedStore(healing)
      const db = await BlobDb.open(DIRECTORY, { ...healing, vfs }, KV)
      assert.deepEqual(await db.get(damagedKey(0)), valueOf(damagedKey(0)))
      assert.equal(db.stats().blob.healQueuedCount, 1)
      const report = await db.gc()
      assert.ok(report.relocatedFileNumbers.includes(fileNumber), `relocated ${report.relocatedFileNumbers.join(', ')}`)
      assert.equal(db.stats().blob.filesHealed, 1)
      const repairsAfterHeal = db.stats().blob.repairCount
      assert.equal(repairsAfterHeal, 1 + DAMAGED_COUNT, 'the get repaired one frame, the heal every damaged frame')
      await assertAllValues(db, 'after the heal')
      assert.equal(db.stats().blob.repairCount, repairsAfterHeal, 'the rewritten frames read without repair')
      await db.close()
    })

    test('after a crash, WAL replay keeps the records past a repaired frame of the unsealed file', async () => {
      // Replay asks whether each logged handle's frame is durable; in the unsealed file a frame
      // that does not verify reads as a torn write, and replay stops there, losing every later
      // acknowledged write, and open cuts the file at that frame.
      const vfs = new MemVfs()
      const db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
      const keys = Array.from({ length: 20 }, (_, index) => damagedKey(index))
      for (const key of keys) await db.put(key, valueOf(key), { sync: true })
      const crashed = vfs.crash()
      await db.close()
      const path = `${DIRECTORY}/${blobFileName(crashed)}`
      const source = crashed.openRead(path)
      const bytes = Buffer.alloc(source.sizeBytes())
      source.read(bytes, 0)
      source.close()
      // The third frame's envelope checksum (body bytes 8-23), one bit.
      bytes[bytes.indexOf(valueOf(keys[2])) - ENVELOPE_HEADER_SIZE_BYTES + 13] ^= 0x20
      const target = crashed.create(path)
      target.append([bytes])
      await target.sync()
      target.close()
      const reopened = await BlobDb.open(DIRECTORY, { ...options, vfs: crashed }, KV)
      for (const key of keys) assert.deepEqual(await reopened.get(key), valueOf(key), key)
      assert.ok(reopened.stats().blob.repairCount >= 1)
      await reopened.close()
    })

    test('GC relocation repairs each damaged frame and moves a clean re-encoded copy', async () => {
      const { vfs, fileNumber } = await damagedStore(options)
      const db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
      for (let index = 0; index < DAMAGED_COUNT; index++) await db.delete(fillerKey(index))
      await db.compact()
      const report = await db.gc()
      assert.deepEqual(report.failures, [])
      assert.ok(report.relocatedFileNumbers.includes(fileNumber), `relocated ${report.relocatedFileNumbers.join(', ')}`)
      assert.ok(report.deletedFileNumbers.includes(fileNumber), `deleted ${report.deletedFileNumbers.join(', ')}`)
      assert.equal(db.stats().blob.repairCount, DAMAGED_COUNT, 'the relocation met and repaired every damaged frame')
      for (let index = 0; index < DAMAGED_COUNT; index++) {
        assert.deepEqual(await db.get(damagedKey(index)), valueOf(damagedKey(index)), damagedKey(index))
        assert.equal(await db.get(fillerKey(index)), undefined, fillerKey(index))
      }
      assert.equal(db.stats().blob.repairCount, DAMAGED_COUNT, 'the copies read without repair: no flipped bit was carried over')
      const verification = await db.verify()
      assert.equal(verification.ok, true)
      assert.ok(verification.blobFiles.every((check) => check.status === 'clean'), verification.blobFiles.map((check) => check.status).join(', '))
      await db.close()
    })
  })
}
