// Goal: damage inside a block's ECC region (check bytes or trailer) leaves the block's checksum
// intact, so reads never notice it, yet it silently takes away the power to repair that block.
// Db.verify(), the patrol scrub and BlobDb.verify() must find it for every ECC scheme and every
// bit of the region, report nothing on a sound store, and with autoHeal rewrite the file so that
// the next verify is clean.
// Method: seeded stores in temp directories; one bit of the first block's region (table) or of
// one frame body's region (blob file) flipped in place on disk, verify, flipped back; the sweep
// covers the whole region. STRATA_SEED=<n> replays a run.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { BlobDb, open, type Db } from '../index.ts'
import type { IntegrityOptions } from '../engine/integrity-options.ts'
import { blobStore, eccRegionOf, flipBit, SMALL, storeWithOneTable, tableFiles, valueOf } from './support/ecc-damage.ts'
import { Rng, seedFromEnv } from './support/seed.ts'

const KINDS = ['xor', 'reed-solomon', 'sec-ded'] as const
const KEY = new Uint8Array(32).fill(0x3c)

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ecc-region-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

function temporaryDirectory(): string {
  return fs.mkdtempSync(path.join(root, 'store-'))
}

async function assertMatches(db: Db, model: Map<string, string>, message: string): Promise<void> {
  const actual: [string, string][] = []
  for await (const [key, value] of db.iterator()) actual.push([key.toString(), value.toString()])
  assert.deepEqual(actual, [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1)), message)
}

describe('ECC region scrub through the Db', () => {
  for (const ecc of KINDS) {
    test(`Db.verify() reports every single-bit flip of one block's ECC region as ecc-damaged (ecc ${ecc})`, async (t) => {
      const seed = seedFromEnv(`ecc region sweep ${ecc}`)
      t.diagnostic(`seed=${seed}`)
      const directory = temporaryDirectory()
      const integrity: IntegrityOptions = { ecc, compression: { kind: 'zstd' }, encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: KEY }], activeEpoch: 1 } }
      const model = await storeWithOneTable(directory, integrity, seed)
      const file = tableFiles(directory)[0]
      const region = eccRegionOf(file, 0, ecc)
      t.diagnostic(`region of block 0: bytes ${region.startBytes}..${region.endBytes}`)
      const db = await open(directory, { ...SMALL, integrity })
      const sound = await db.verify()
      assert.deepEqual(sound.files.map((f) => [f.status, f.eccRegionsDamaged]), [['clean', 0]], `seed=${seed}`)
      for (let bit = region.startBytes * 8; bit < region.endBytes * 8; bit++) {
        flipBit(file, bit)
        const report = await db.verify()
        const where = `bit ${bit} (region ${region.startBytes}..${region.endBytes}) seed=${seed}`
        assert.equal(report.ok, true, where)
        assert.equal(report.files[0].status, 'ecc-damaged', where)
        assert.equal(report.files[0].eccRegionsDamaged, 1, where)
        assert.equal(report.files[0].entries, 150, where)
        assert.deepEqual([report.cleanCount, report.eccDamagedCount, report.repairedCount, report.unrecoverableCount], [0, 1, 0, 0], where)
        flipBit(file, bit)
      }
      const stats = db.stats().integrity
      assert.equal(stats.eccRegionsDamagedCount, (region.endBytes - region.startBytes) * 8, `seed=${seed}`)
      assert.equal(stats.repairCount, 0, 'no flip in a region needs a repair')
      assert.equal(stats.healQueuedCount, 0, 'autoHeal is off')
      assert.deepEqual(stats.scrub.lastPass, { clean: 0, 'ecc-damaged': 1, repaired: 0, unrecoverable: 0 })
      assert.equal((await db.verify()).files[0].status, 'clean', 'every bit was flipped back')
      await assertMatches(db, model, `seed=${seed}`)
      await db.close()
    })
  }

  test('a sound store reports no damaged region: several tables, each scheme, and blocks written before ECC was on', async (t) => {
    const seed = seedFromEnv('ecc region no false positives')
    t.diagnostic(`seed=${seed}`)
    for (const ecc of KINDS) {
      const directory = temporaryDirectory()
      const rng = new Rng(seed)
      // Without ECC first: those tables have no region, and must not be reported once ECC is on.
      let db = await open(directory, { ...SMALL, integrity: { compression: { kind: 'zstd' } } })
      for (let index = 0; index < 200; index++) await db.put(`key${String(rng.below(400)).padStart(3, '0')}`, valueOf(rng, index))
      await db.flush()
      await db.close()
      db = await open(directory, { ...SMALL, integrity: { ecc, compression: { kind: 'zstd' } } })
      for (let index = 0; index < 600; index++) await db.put(`key${String(rng.below(400)).padStart(3, '0')}`, valueOf(rng, index))
      await db.flush()
      const report = await db.verify()
      assert.ok(report.files.length >= 2, `${report.files.length} tables`)
      assert.deepEqual(report.files.filter((f) => f.status !== 'clean' || f.eccRegionsDamaged !== 0), [], `ecc ${ecc} seed=${seed}`)
      assert.equal(report.eccDamagedCount, 0)
      assert.equal(db.stats().integrity.eccRegionsDamagedCount, 0)
      await db.close()
    }
  })

  test('a file with a repaired block and a damaged region elsewhere is repaired, with the region counted', async (t) => {
    const seed = seedFromEnv('ecc region with a repair')
    t.diagnostic(`seed=${seed}`)
    const directory = temporaryDirectory()
    const integrity: IntegrityOptions = { ecc: 'sec-ded' }
    await storeWithOneTable(directory, integrity, seed)
    const file = tableFiles(directory)[0]
    const first = eccRegionOf(file, 0, 'sec-ded')
    flipBit(file, 8 * 40 + 2) // block 0's payload: repaired by SEC-DED
    flipBit(file, eccRegionOf(file, first.endBytes, 'sec-ded').startBytes * 8 + 3) // block 1's region
    const db = await open(directory, { ...SMALL, integrity })
    const report = await db.verify()
    assert.deepEqual(report.files.map((f) => [f.status, f.repairCount, f.eccRegionsDamaged, f.ok]), [['repaired', 1, 1, true]], `seed=${seed}`)
    assert.deepEqual([report.eccDamagedCount, report.repairedCount], [0, 1])
    await db.close()
  })

  test('an unrecoverable file is not queued for a heal by a damaged region found before its bad block', async (t) => {
    const seed = seedFromEnv('ecc region then unrecoverable')
    t.diagnostic(`seed=${seed}`)
    const directory = temporaryDirectory()
    const integrity: IntegrityOptions = { ecc: 'sec-ded', autoHeal: true }
    await storeWithOneTable(directory, integrity, seed)
    const file = tableFiles(directory)[0]
    const first = eccRegionOf(file, 0, 'sec-ded')
    flipBit(file, first.startBytes * 8 + 3) // block 0's region, read first
    // Two flips in one 8-byte word of block 1's payload: SEC-DED detects them and cannot repair.
    flipBit(file, (first.endBytes + 40) * 8 + 2)
    flipBit(file, (first.endBytes + 40) * 8 + 3)
    const db = await open(directory, { ...SMALL, integrity })
    const report = await db.verify()
    assert.deepEqual(report.files.map((f) => [f.status, f.eccRegionsDamaged, f.ok]), [['unrecoverable', 1, false]], `seed=${seed}`)
    const stats = db.stats().integrity
    assert.equal(stats.healQueuedCount, 0, 'its parity cannot rebuild it: no heal is queued')
    assert.equal(stats.eccRegionsDamagedCount, 0, 'the monitor hears of regions only in files that verify')
    await db.close()
  })

  test('autoHeal rewrites a table with a damaged ECC region: the next verify is clean', async (t) => {
    const seed = seedFromEnv('ecc region auto-heal table')
    t.diagnostic(`seed=${seed}`)
    const directory = temporaryDirectory()
    const integrity: IntegrityOptions = { ecc: 'reed-solomon', autoHeal: true }
    const model = await storeWithOneTable(directory, integrity, seed)
    const damaged = tableFiles(directory)[0]
    const region = eccRegionOf(damaged, 0, 'reed-solomon')
    flipBit(damaged, region.startBytes * 8 + 5) // a parity byte
    flipBit(damaged, region.endBytes * 8 - 1) // and the trailer's CRC: still one block
    const db = await open(directory, { ...SMALL, integrity })
    const first = await db.verify()
    assert.deepEqual(first.files.map((f) => [f.status, f.eccRegionsDamaged]), [['ecc-damaged', 1]], `seed=${seed}`)
    assert.equal(db.stats().integrity.healQueuedCount, 1)
    await db.flush() // waits for the heal job queued behind it
    const stats = db.stats().integrity
    assert.equal(stats.healCompletedCount, 1, JSON.stringify(stats))
    assert.equal(stats.healFailedCount, 0)
    assert.equal(tableFiles(directory).includes(damaged), false, 'the damaged file is deleted')
    const second = await db.verify()
    assert.deepEqual(second.files.map((f) => [f.status, f.eccRegionsDamaged]), [['clean', 0]], `seed=${seed}`)
    assert.equal(db.stats().integrity.eccRegionsDamagedCount, 1, 'only the first pass found damage')
    await assertMatches(db, model, `after heal, seed=${seed}`)
    await db.close()
  })

  test('the patrol scrub finds a damaged ECC region in the background', async () => {
    const directory = temporaryDirectory()
    const integrity: IntegrityOptions = { ecc: 'sec-ded' }
    await storeWithOneTable(directory, integrity, seedFromEnv('ecc region patrol'))
    const file = tableFiles(directory)[0]
    flipBit(file, eccRegionOf(file, 0, 'sec-ded').startBytes * 8)
    const db = await open(directory, { ...SMALL, integrity, scrubIntervalMs: 10 })
    // Bounded wait for the first pass; the outcome is decided by the pass, not by the clock.
    for (let attempt = 0; attempt < 500 && db.stats().integrity.scrub.passCount === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 10))
    const stats = db.stats().integrity
    assert.ok(stats.scrub.passCount >= 1, 'a patrol pass ran')
    assert.deepEqual(stats.scrub.lastPass, { clean: 0, 'ecc-damaged': 1, repaired: 0, unrecoverable: 0 })
    assert.ok(stats.eccRegionsDamagedCount >= 1)
    await db.close()
  })
})

describe('ECC region scrub of blob files', () => {
  for (const ecc of KINDS) {
    test(`BlobDb.verify() reports every single-bit flip of one frame body's ECC region (ecc ${ecc})`, async () => {
      const directory = temporaryDirectory()
      const integrity: IntegrityOptions = { ecc }
      const { file, bodyStartBytes } = await blobStore(directory, integrity)
      const region = eccRegionOf(file, bodyStartBytes, ecc)
      const db = await BlobDb.open(directory, { integrity }, { minBlobSize: 100 })
      const fileNumber = Number.parseInt(path.basename(file), 10)
      const sound = await db.verify()
      assert.deepEqual(sound.blobFiles.map((f) => f.eccRegionsDamaged), sound.blobFiles.map(() => 0))
      for (let bit = region.startBytes * 8; bit < region.endBytes * 8; bit++) {
        flipBit(file, bit)
        const report = await db.verify()
        const checked = report.blobFiles.find((f) => f.fileNumber === fileNumber)
        const { damagedFrames, ...summary } = checked!
        assert.deepEqual(summary, { fileNumber, sealed: true, status: 'ecc-damaged', ok: true, frames: 10, repairCount: 0, eccRegionsDamaged: 1 }, `bit ${bit}`)
        assert.deepEqual(damagedFrames.map((frame) => [frame.key, frame.status]), [['"key3"', 'ecc-damaged']], `bit ${bit}`)
        assert.equal(report.ok, true, `bit ${bit}`)
        flipBit(file, bit)
      }
      const stats = db.stats().blob
      assert.equal(stats.eccRegionsDamagedCount, (region.endBytes - region.startBytes) * 8)
      assert.equal(stats.repairCount, 0)
      assert.equal(stats.healQueuedCount, 0, 'autoHeal is off')
      assert.deepEqual(await db.get('key3'), Buffer.alloc(500, 65 + 3))
      await db.close()
    })
  }

  test('with autoHeal a blob file with a damaged ECC region is rewritten by the next gc(); the next verify is clean', async () => {
    const directory = temporaryDirectory()
    const integrity: IntegrityOptions = { ecc: 'reed-solomon', autoHeal: true }
    const { file, bodyStartBytes } = await blobStore(directory, integrity)
    flipBit(file, eccRegionOf(file, bodyStartBytes, 'reed-solomon').startBytes * 8 + 11)
    const db = await BlobDb.open(directory, { integrity }, { minBlobSize: 100 })
    const fileNumber = Number.parseInt(path.basename(file), 10)
    const first = await db.verify()
    assert.equal(first.blobFiles.find((f) => f.fileNumber === fileNumber)?.eccRegionsDamaged, 1)
    assert.equal(db.stats().blob.healQueuedCount, 1)
    const collection = await db.gc()
    assert.ok(collection.relocatedFileNumbers.includes(fileNumber), `gc relocated ${collection.relocatedFileNumbers.join(',')}`)
    assert.equal(db.stats().blob.filesHealed, 1)
    const second = await db.verify()
    assert.equal(second.ok, true)
    assert.deepEqual(second.blobFiles.filter((f) => f.eccRegionsDamaged !== 0), [])
    assert.equal(db.stats().blob.eccRegionsDamagedCount, 1, 'only the first pass found damage')
    for (let index = 0; index < 10; index++) assert.deepEqual(await db.get(`key${index}`), Buffer.alloc(500, 65 + index), `key${index}`)
    await db.close()
  })
})
