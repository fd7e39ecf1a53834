// Goal: damage to any file of a store (a flipped bit, a truncation) is reported as a typed
// StrataError (CHECKSUM_MISMATCH or CORRUPTION) whose message or details name the damaged file,
// at open or at read time; a read never returns wrong data and nothing crashes. A torn WAL tail
// is the one damage recovery repairs: cut off and reported (walRecovery 'truncate', default),
// or refused ('fail').
// Method: a store in a temp directory on the real file system is filled and closed; one file is
// damaged with node:fs; the store is reopened and every known key is read (each get either
// returns the right value or rejects with a typed error). Offsets come from a seeded PRNG.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { open, isStrataError, type Db, type OpenOptions } from '../index.ts'
import { Rng, seedFromEnv } from './support/seed.ts'

const KEY_COUNT = 300
const OPTIONS: OpenOptions = { blockSizeBytes: 1024 }
const seed = seedFromEnv('corruption')
const rng = new Rng(seed)

function keyOf(i: number): string {
  return `key${String(i).padStart(5, '0')}`
}
function valueOf(i: number): string {
  return `value-${i}-`.padEnd(60 + (i % 50), 'v')
}

let directory = ''
beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-corrupt-'))
})
afterEach(() => {
  fs.rmSync(directory, { recursive: true, force: true })
})

function filesEndingWith(suffix: string): string[] {
  return fs.readdirSync(directory).filter((name) => name.endsWith(suffix)).sort()
}
function onlyFile(predicate: (name: string) => boolean, what: string): string {
  const names = fs.readdirSync(directory).filter(predicate)
  assert.equal(names.length, 1, `expected one ${what}, found ${names.join(', ')}`)
  return names[0]
}
/** Flips one bit of `name` at `offsetBytes` (negative: from the end). */
function flipBit(name: string, offsetBytes: number): void {
  const filePath = path.join(directory, name)
  const bytes = fs.readFileSync(filePath)
  const index = offsetBytes < 0 ? bytes.length + offsetBytes : offsetBytes
  bytes[index] ^= 1 << rng.below(8)
  fs.writeFileSync(filePath, bytes)
}
function truncateBy(name: string, cutBytes: number): void {
  const filePath = path.join(directory, name)
  fs.truncateSync(filePath, fs.statSync(filePath).size - cutBytes)
}

/** A store whose keys all sit in one flushed table (the WAL holds nothing). */
async function makeTableStore(): Promise<void> {
  const db = await open(directory, OPTIONS)
  for (let i = 0; i < KEY_COUNT; i++) await db.put(keyOf(i), valueOf(i))
  await db.flush()
  await db.close()
}

/** A store whose keys sit only in the WAL: one record per batch of 10 keys. */
async function makeWalStore(): Promise<string> {
  const db = await open(directory, OPTIONS)
  for (let i = 0; i < KEY_COUNT; i += 10) {
    await db.batch(Array.from({ length: 10 }, (_, j) => ({ type: 'put' as const, key: keyOf(i + j), value: valueOf(i + j) })))
  }
  await db.close()
  const wals = filesEndingWith('.wal').filter((name) => fs.statSync(path.join(directory, name)).size > 100)
  assert.equal(wals.length, 1, `one non-empty WAL expected, found ${wals.join(', ')}`)
  return wals[0]
}

function assertTypedNaming(error: unknown, codes: string[], fileName: string, where: string): void {
  assert.ok(isStrataError(error), `seed=${seed} ${where}: expected a StrataError, got ${String(error)}`)
  assert.ok(codes.includes(error.code), `seed=${seed} ${where}: code ${error.code}, expected ${codes.join(' or ')}: ${error.message}`)
  const named = error.message.includes(fileName) || Object.values(error.details).some((v) => String(v).includes(fileName))
  assert.ok(named, `seed=${seed} ${where}: error does not name ${fileName}: ${error.message} ${JSON.stringify(error.details)}`)
}

/**
 * Reads every key through get and a full scan: each answer is right or a typed error naming
 * `fileName`. Returns how many reads failed (the caller decides whether some must have).
 */
async function readAllOrTypedError(db: Db, fileName: string, codes: string[]): Promise<number> {
  let failures = 0
  for (let i = 0; i < KEY_COUNT; i++) {
    try {
      const value = await db.get(keyOf(i))
      assert.equal(value?.toString(), valueOf(i), `seed=${seed}: wrong data for ${keyOf(i)}`)
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error
      assertTypedNaming(error, codes, fileName, `get ${keyOf(i)}`)
      failures++
    }
  }
  try {
    let i = 0
    for await (const [key, value] of db.iterator()) {
      assert.equal(key.toString(), keyOf(i), `seed=${seed}: scan returned a wrong key`)
      assert.equal(value.toString(), valueOf(i), `seed=${seed}: scan returned wrong data for ${keyOf(i)}`)
      i++
    }
    assert.equal(i, KEY_COUNT, `seed=${seed}: scan ended early without an error`)
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error
    assertTypedNaming(error, codes, fileName, 'scan')
    failures++
  }
  return failures
}

/** Opens, and either the open rejects with a typed error naming the file, or every read is right or typed. Returns the read failures (-1: open failed). */
async function openAndReadAll(fileName: string, codes: string[], options: OpenOptions = OPTIONS): Promise<number> {
  let db: Db
  try {
    db = await open(directory, options)
  } catch (error) {
    assertTypedNaming(error, codes, fileName, 'open')
    return -1
  }
  try {
    return await readAllOrTypedError(db, fileName, codes)
  } finally {
    await db.close()
  }
}

describe(`corruption (seed=${seed})`, () => {
  test('a flipped bit in a table data block is CHECKSUM_MISMATCH naming the table, and verify() reports it', async () => {
    await makeTableStore()
    const table = onlyFile((n) => n.endsWith('.sst'), 'table')
    flipBit(table, 30 + rng.below(900)) // inside data block 0 (blocks start at offset 0, 1 KiB target)
    const failures = await openAndReadAll(table, ['CHECKSUM_MISMATCH'])
    assert.ok(failures > 0, 'some read must hit the damaged block')
    const db = await open(directory, OPTIONS)
    try {
      const report = await db.verify()
      assert.equal(report.ok, false)
      assert.ok(JSON.stringify(report).includes(String(Number(table.slice(0, 6)))), 'the report names the damaged table')
    } finally {
      await db.close()
    }
  })

  test('a flipped bit anywhere in a table never yields wrong data', async () => {
    await makeTableStore()
    const table = onlyFile((n) => n.endsWith('.sst'), 'table')
    const sizeBytes = fs.statSync(path.join(directory, table)).size
    const pristine = fs.readFileSync(path.join(directory, table))
    for (let round = 0; round < 12; round++) {
      fs.writeFileSync(path.join(directory, table), pristine)
      flipBit(table, rng.below(sizeBytes))
      await openAndReadAll(table, ['CHECKSUM_MISMATCH', 'CORRUPTION'])
    }
  })

  test('a truncated table is CORRUPTION naming the table', async () => {
    await makeTableStore()
    const table = onlyFile((n) => n.endsWith('.sst'), 'table')
    truncateBy(table, 1 + rng.below(200))
    const failures = await openAndReadAll(table, ['CORRUPTION', 'CHECKSUM_MISMATCH'])
    assert.ok(failures !== 0, 'the truncation must be noticed')
    fs.truncateSync(path.join(directory, table), 0)
    assert.ok((await openAndReadAll(table, ['CORRUPTION', 'CHECKSUM_MISMATCH'])) !== 0)
  })

  test('a flipped bit in a middle WAL record is CORRUPTION naming the log, in both recovery modes', async () => {
    const wal = await makeWalStore()
    const sizeBytes = fs.statSync(path.join(directory, wal)).size
    flipBit(wal, Math.floor(sizeBytes * (0.2 + rng.below(40) / 100)))
    for (const walRecovery of ['fail', 'truncate'] as const) {
      const error = await open(directory, { ...OPTIONS, walRecovery }).then((db) => db.close(), (e: unknown) => e)
      assertTypedNaming(error, ['CORRUPTION'], wal, `open (walRecovery ${walRecovery})`)
    }
  })

  for (const damage of ['flipped bit', 'truncation'] as const) {
    test(`a torn WAL tail (${damage}) fails with walRecovery 'fail' and is cut and reported by default`, async () => {
      const wal = await makeWalStore()
      if (damage === 'flipped bit') flipBit(wal, -1 - rng.below(50))
      else truncateBy(wal, 1 + rng.below(50))
      const error = await open(directory, { ...OPTIONS, walRecovery: 'fail' }).then((db) => db.close(), (e: unknown) => e)
      assertTypedNaming(error, ['CORRUPTION'], wal, "open (walRecovery 'fail')")
      const db = await open(directory, OPTIONS)
      try {
        const recovery = db.stats().recovery
        assert.ok(recovery.tailBytesDropped > 0, `tail reported: ${JSON.stringify(recovery)}`)
        assert.equal(recovery.tailFile, wal)
        // The last batch (keys KEY_COUNT-10..) is gone whole; every earlier one is intact.
        for (let i = 0; i < KEY_COUNT; i++) {
          const expected = i < KEY_COUNT - 10 ? valueOf(i) : undefined
          assert.equal((await db.get(keyOf(i)))?.toString(), expected, `${keyOf(i)}`)
        }
      } finally {
        await db.close()
      }
      // The cut is durable: a second open finds a clean store.
      const again = await open(directory, OPTIONS)
      try {
        assert.equal(again.stats().recovery.tailBytesDropped, 0)
        assert.equal((await again.get(keyOf(0)))?.toString(), valueOf(0))
      } finally {
        await again.close()
      }
    })
  }

  /** A store whose manifest holds a snapshot record, then the edit of a flush of key 'late'. */
  async function makeManifestStore(options: OpenOptions = OPTIONS): Promise<{ manifest: string; pristine: Buffer }> {
    await makeTableStore()
    const db = await open(directory, options)
    await db.put('late', 'yes')
    await db.flush()
    await db.close()
    const manifest = onlyFile((n) => n.startsWith('MANIFEST-'), 'manifest')
    return { manifest, pristine: fs.readFileSync(path.join(directory, manifest)) }
  }

  test('a flipped bit or a truncation inside the manifest snapshot record is CORRUPTION naming it', async () => {
    const { manifest, pristine } = await makeManifestStore()
    // The snapshot record starts after the 20-byte file header and its 12-byte record header.
    const damages: [string, () => void][] = [
      ['flipped header bit', () => flipBit(manifest, rng.below(20))],
      ['flipped snapshot bit', () => flipBit(manifest, 20 + 12 + rng.below(20))],
      ['truncated inside the snapshot', () => fs.truncateSync(path.join(directory, manifest), 20 + 12 + rng.below(20))],
      ['truncated inside the file header', () => fs.truncateSync(path.join(directory, manifest), 4 + rng.below(15))],
    ]
    for (const [what, damage] of damages) {
      fs.writeFileSync(path.join(directory, manifest), pristine)
      damage()
      const error = await open(directory, OPTIONS).then((db) => db.close(), (e: unknown) => e)
      assertTypedNaming(error, ['CORRUPTION'], manifest, what)
    }
    fs.writeFileSync(path.join(directory, manifest), pristine)
    const db = await open(directory, OPTIONS)
    assert.equal((await db.get('late'))?.toString(), 'yes', 'the undamaged manifest still opens')
    await db.close()
  })

  // A whole last manifest record whose checksum fails was once dropped as a torn tail; when it
  // is a flush's edit the flushed WAL is already deleted, so 'late' was lost silently. The rule
  // now (docs/formats/manifest.md §5): only a record the file ends inside is torn.
  test('a flipped bit in the last manifest record (a flush edit) is CORRUPTION, not a silently lost flush', async () => {
    const { manifest, pristine } = await makeManifestStore()
    for (let round = 0; round < 8; round++) {
      fs.writeFileSync(path.join(directory, manifest), pristine)
      flipBit(manifest, -1 - rng.below(20))
      const error = await open(directory, OPTIONS).then(async (db) => {
        const late = await db.get('late')
        await db.close()
        return new Error(`open succeeded (late=${String(late)}) with a damaged last manifest record`)
      }, (e: unknown) => e)
      assertTypedNaming(error, ['CORRUPTION'], manifest, `round ${round}: open with a damaged last record`)
    }
  })

  test('with integrity.manifestHardening a flipped bit anywhere in the manifest is repaired and the manifest rewritten', async () => {
    const hardened: OpenOptions = { ...OPTIONS, integrity: { manifestHardening: true } }
    const { manifest, pristine } = await makeManifestStore(hardened)
    assert.equal(pristine[4], 3, 'the manifest written under hardening says format 3 in its header')
    for (let round = 0; round < 8; round++) {
      for (const name of fs.readdirSync(directory).filter((n) => n.startsWith('MANIFEST-'))) fs.rmSync(path.join(directory, name))
      fs.writeFileSync(path.join(directory, manifest), pristine)
      fs.writeFileSync(path.join(directory, 'CURRENT'), `${manifest}\n`)
      flipBit(manifest, rng.below(pristine.length))
      const db = await open(directory, hardened)
      try {
        assert.equal((await db.get('late'))?.toString(), 'yes', `round ${round}`)
        assert.equal((await db.get(keyOf(7)))?.toString(), valueOf(7), `round ${round}`)
        assert.equal(db.stats().manifestRecovery?.repairedCopyCount, 1, `round ${round}: the repair is counted in stats()`)
      } finally {
        await db.close()
      }
      assert.ok(!fs.existsSync(path.join(directory, manifest)), `round ${round}: the damaged manifest was replaced`)
    }
    const db = await open(directory, OPTIONS) // hardening switched off: the hardened manifest still opens
    assert.equal((await db.get('late'))?.toString(), 'yes')
    await db.close()
  })

  test('a damaged CURRENT is CORRUPTION naming it', async () => {
    await makeTableStore()
    const currentPath = path.join(directory, 'CURRENT')
    const pristine = fs.readFileSync(currentPath)
    const damages: [string, () => void][] = [
      ['bit flip', () => flipBit('CURRENT', rng.below(pristine.length - 1))],
      ['truncation', () => truncateBy('CURRENT', 1 + rng.below(pristine.length))],
      ['names a missing manifest', () => fs.writeFileSync(currentPath, 'MANIFEST-999999\n')],
      ['garbage', () => fs.writeFileSync(currentPath, Buffer.alloc(5000, 0x41))],
    ]
    for (const [what, damage] of damages) {
      fs.writeFileSync(currentPath, pristine)
      damage()
      const error = await open(directory, OPTIONS).then((db) => db.close(), (e: unknown) => e)
      assert.ok(isStrataError(error) && ['CORRUPTION', 'NOT_FOUND'].includes(error.code), `${what}: ${String(error)}`)
      assertTypedNaming(error, ['CORRUPTION'], what === 'names a missing manifest' ? 'MANIFEST-999999' : 'CURRENT', what)
    }
  })

  test('a missing CURRENT beside data files is CORRUPTION, not a fresh empty store', async () => {
    await makeTableStore()
    const tables = filesEndingWith('.sst')
    fs.rmSync(path.join(directory, 'CURRENT'))
    const error = await open(directory, OPTIONS).then((db) => db.close(), (e: unknown) => e)
    assertTypedNaming(error, ['CORRUPTION'], 'CURRENT', 'open without CURRENT')
    assert.deepEqual(filesEndingWith('.sst'), tables, 'no data file was deleted')
  })
})
