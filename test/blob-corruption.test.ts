/**
 * Goal: a damaged blob file never yields wrong data: a get fails with a typed error naming the
 * blob file and the key, and verify() reports the file.
 * Method: MemVfs; write separated values, close, flip one byte inside a value's frame body (and
 * in another run, inside its key), reopen, get every key.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, StrataError, type EngineOptions } from '../index.ts'

async function damagedDb(flip: (bytes: Uint8Array, target: number) => number, options: EngineOptions = {}): Promise<{ db: BlobDb; fileName: string; key: string }> {
  const vfs = new MemVfs()
  const db = await BlobDb.open('/bad', { ...options, vfs }, { minBlobSize: 100 })
  for (let index = 0; index < 10; index++) await db.put(`key${index}`, Buffer.alloc(500, 65 + index))
  await db.close()
  const fileName = vfs.list('/bad').find((name) => name.endsWith('.blob') && vfs.sizeBytes(`/bad/${name}`) > 1000)!
  const path = `/bad/${fileName}`
  const file = vfs.openRead(path)
  const bytes = new Uint8Array(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  // Frames of key0..key9 in order after the 40-byte file header: find key3's value bytes.
  const target = Buffer.from(bytes).indexOf(Buffer.alloc(500, 65 + 3))
  assert.ok(target > 0)
  flip(bytes, target)
  const out = vfs.create(path)
  out.append([bytes])
  await out.sync()
  out.close()
  return { db: await BlobDb.open('/bad', { ...options, vfs }, { minBlobSize: 100 }), fileName, key: 'key3' }
}

function assertNamesFileAndKey(error: unknown, fileName: string, key: string): true {
  assert.ok(error instanceof StrataError, String(error))
  assert.ok(['CHECKSUM_MISMATCH', 'CORRUPTION'].includes(error.code), error.code)
  assert.ok(error.message.includes(fileName), error.message)
  assert.ok(error.message.includes(`"${key}"`), error.message)
  return true
}

describe('blob file corruption', () => {
  test('a flipped body byte: get throws naming file and key; other keys read; verify reports it', async () => {
    const { db, fileName, key } = await damagedDb((bytes, target) => (bytes[target + 100] ^= 0x04))
    await assert.rejects(db.get(key), (error) => assertNamesFileAndKey(error, fileName, key))
    assert.deepEqual(await db.get('key4'), Buffer.alloc(500, 65 + 4))
    const verification = await db.verify()
    assert.equal(verification.ok, false)
    assert.ok(verification.blobFiles.some((file) => !file.ok && file.error!.includes(fileName)))
    await db.close()
  })

  test('with ECC a flipped body byte is repaired, the value read back exact, and the repair counted in stats().blob', async () => {
    const { db, fileName } = await damagedDb((bytes, target) => (bytes[target + 100] ^= 0x04), { integrity: { ecc: 'reed-solomon' } })
    assert.equal(db.stats().blob.repairCount, 0)
    assert.deepEqual(await db.get('key3'), Buffer.alloc(500, 65 + 3))
    const blob = db.stats().blob
    assert.equal(blob.repairCount, 1, `one repair in ${fileName}`)
    assert.equal(blob.repairsByKind['reed-solomon'], 1)
    assert.equal(blob.filesRepairedCount, 1)
    assert.equal(db.stats().integrity.repairCount, 0, 'table repairs are counted apart')
    await db.close()
  })

  test('with ECC and autoHeal the repaired blob file is queued, rewritten by the next gc() with fresh parity, then deleted', async () => {
    const { db, fileName } = await damagedDb((bytes, target) => (bytes[target + 100] ^= 0x04), { integrity: { ecc: 'reed-solomon', autoHeal: true } })
    const damagedFileNumber = Number.parseInt(fileName, 10)
    assert.deepEqual(await db.get('key3'), Buffer.alloc(500, 65 + 3))
    assert.equal(db.stats().blob.healQueuedCount, 1)
    const report = await db.gc()
    assert.ok(report.relocatedFileNumbers.includes(damagedFileNumber), `gc relocated ${report.relocatedFileNumbers.join(',')}`)
    assert.equal(db.stats().blob.filesHealed, 1)
    assert.ok(report.deletedFileNumbers.includes(damagedFileNumber), 'no reader was open: the damaged file is gone')
    for (let index = 0; index < 10; index++) assert.deepEqual(await db.get(`key${index}`), Buffer.alloc(500, 65 + index), `key${index}`)
    const repairsBefore = db.stats().blob.repairCount
    const verification = await db.verify()
    assert.equal(verification.ok, true)
    assert.equal(db.stats().blob.repairCount, repairsBefore, 'the rewritten frames read without repair')
    await db.close()
  })

  test('with ECC and autoHeal a repaired frame that GC relocated queues the file that holds it, not its origin', async () => {
    const vfs = new MemVfs()
    const options = { integrity: { ecc: 'reed-solomon' as const, autoHeal: true }, vfs }
    const kv = { minBlobSize: 100, blobFileSizeBytesTarget: 4096 }
    let db = await BlobDb.open('/rel', options, kv)
    for (let index = 0; index < 10; index++) await db.put(`key${index}`, Buffer.alloc(500, 65 + index))
    const blobFiles = (): string[] => vfs.list('/rel').filter((name) => name.endsWith('.blob'))
    const holderOf = (fill: number): string => blobFiles().find((name) => {
      const file = vfs.openRead(`/rel/${name}`)
      const bytes = new Uint8Array(file.sizeBytes())
      file.read(bytes, 0)
      file.close()
      return Buffer.from(bytes).includes(Buffer.alloc(500, fill))
    })!
    const originOfKey3 = holderOf(65 + 3)
    // Stale every other value of key3's file: GC copies key3's frame verbatim (its origin stays).
    for (let index = 0; index < 10; index++) if (index !== 3 && holderOf(65 + index) === originOfKey3) await db.put(`key${index}`, Buffer.alloc(500, 97 + index))
    await db.compact()
    assert.ok(!blobFiles().includes(originOfKey3), `GC relocated and deleted ${originOfKey3}`)
    await db.close()
    const holder = holderOf(65 + 3)
    const path = `/rel/${holder}`
    const file = vfs.openRead(path)
    const bytes = new Uint8Array(file.sizeBytes())
    file.read(bytes, 0)
    file.close()
    bytes[Buffer.from(bytes).indexOf(Buffer.alloc(500, 65 + 3)) + 100] ^= 0x04
    const out = vfs.create(path)
    out.append([bytes])
    await out.sync()
    out.close()
    db = await BlobDb.open('/rel', options, kv)
    try {
      assert.deepEqual(await db.get('key3'), Buffer.alloc(500, 65 + 3))
      assert.equal(db.stats().blob.repairCount, 1)
      const report = await db.gc()
      assert.ok(report.relocatedFileNumbers.includes(Number.parseInt(holder, 10)), `gc healed ${holder}: relocated ${report.relocatedFileNumbers.join(',')}`)
      assert.equal(db.stats().blob.filesHealed, 1)
      assert.deepEqual(await db.get('key3'), Buffer.alloc(500, 65 + 3))
      assert.equal((await db.verify()).ok, true)
    } finally {
      await db.close()
    }
  })

  test('a damaged stale frame does not stop GC: the file is relocated and the damage goes with it', async () => {
    const { db, fileName } = await damagedDb((bytes, target) => (bytes[target + 100] ^= 0x04))
    const damagedFileNumber = Number.parseInt(fileName, 10)
    // key3 (the damaged frame) and two more overwritten: 3 of 10 frames stale, past the 0.25 threshold.
    for (const index of [3, 4, 5]) await db.put(`key${index}`, Buffer.alloc(500, 97 + index))
    await db.compact() // drops the old handles, counting their frames stale, then runs a GC round
    assert.ok(db.stats().blob.filesRelocated >= 1, 'the GC round relocated the file')
    const verification = await db.verify()
    assert.equal(verification.ok, true)
    assert.equal(verification.blobFiles.some((file) => file.fileNumber === damagedFileNumber), false, 'the damaged file is gone')
    for (let index = 0; index < 10; index++) assert.deepEqual(await db.get(`key${index}`), Buffer.alloc(500, ([3, 4, 5].includes(index) ? 97 : 65) + index), `key${index}`)
    await db.close()
  })

  test('a flipped key byte in the frame: get throws naming file and key, never another key\'s value', async () => {
    const { db, fileName, key } = await damagedDb((bytes, target) => (bytes[target - 1] ^= 0x01))
    await assert.rejects(db.get(key), (error) => assertNamesFileAndKey(error, fileName, key))
    await db.close()
  })
})
