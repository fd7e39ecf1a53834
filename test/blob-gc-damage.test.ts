/**
 * Goal: one blob frame that does not read (no ECC, or damage beyond what SEC-DED repairs) does not
 * stop blob GC: a round relocates and deletes every other file it picked, moves the damaged
 * file's readable live values, leaves the file in place for the damaged key, lists it in the
 * report and does not pick it again until a reopen; the damaged key keeps failing with its typed
 * error and the space figures stay right.
 * Method: MemVfs; three sessions write three blob files (`a0`…`a9`, `b0`…`b9`, `c0`…`c3`, 500-byte
 * values of distinct fills); a fourth deletes half of a and b (past the 0.25 threshold) and all
 * of c (dead), then compacts. A body byte of a live frame of file a is flipped (or, for the
 * stopped-scan case, a byte of a frame's key); gc() then runs twice, the store is verified and
 * reopened, and gc() runs again. A streamed value spanning several files, with one chunk
 * damaged, checks the chunks a failed move copied are counted stale.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, StrataError, type EngineOptions } from '../index.ts'
import { VersionSet } from '../engine/manifest/mod.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES } from '../blobtree/mod.ts'

const DIRECTORY = '/gc-damage'
const KV = { minBlobSize: 100, gcOnCompact: false }
/** Block envelope header before a frame body's payload (docs/formats/block.md). */
const BLOCK_HEADER_SIZE_BYTES = 24
const FILLS = { a: 65, b: 75, c: 85 } as const
const COUNTS = { a: 10, b: 10, c: 4 } as const
type Group = keyof typeof FILLS

function valueOf(group: Group, index: number): Buffer {
  return Buffer.alloc(500, FILLS[group] + index)
}

/** Every key the store holds after the fourth session, with its value. */
function liveEntries(): [string, Buffer][] {
  const entries: [string, Buffer][] = []
  for (const group of ['a', 'b'] as const) for (let index = 0; index < 5; index++) entries.push([`${group}${index}`, valueOf(group, index)])
  return entries
}

function blobFileNames(vfs: MemVfs): string[] {
  return vfs.list(DIRECTORY).filter((name) => name.endsWith('.blob'))
}

function readFile(vfs: MemVfs, name: string): Buffer {
  const file = vfs.openRead(`${DIRECTORY}/${name}`)
  const bytes = Buffer.alloc(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  return bytes
}

/** Numbers of the blob files holding a copy of `value`. */
function holders(vfs: MemVfs, value: Buffer): number[] {
  return blobFileNames(vfs).filter((name) => readFile(vfs, name).includes(value)).map((name) => Number.parseInt(name, 10))
}

/** Copies of `value` in all blob files. */
function copiesOf(vfs: MemVfs, value: Buffer): number {
  let count = 0
  for (const name of blobFileNames(vfs)) {
    const bytes = readFile(vfs, name)
    for (let at = bytes.indexOf(value); at >= 0; at = bytes.indexOf(value, at + value.length)) count++
  }
  return count
}

/** The first blob file holding `value`, and where the value's bytes start in it. */
function locate(vfs: MemVfs, value: Buffer): { name: string; fileNumber: number; valueStartBytes: number } {
  for (const name of blobFileNames(vfs)) {
    const valueStartBytes = readFile(vfs, name).indexOf(value)
    if (valueStartBytes >= 0) return { name, fileNumber: Number.parseInt(name, 10), valueStartBytes }
  }
  assert.fail('no blob file holds the value')
}

/** XORs `mask` into the byte at `offsetBytes` of blob file `name`. */
async function damage(vfs: MemVfs, name: string, offsetBytes: number, mask: number): Promise<void> {
  const bytes = readFile(vfs, name)
  bytes[offsetBytes] ^= mask
  const out = vfs.create(`${DIRECTORY}/${name}`)
  out.append([bytes])
  await out.sync()
  out.close()
}

/** Files a (half stale), b (half stale) and c (dead), in that order of file number. */
async function threeFiles(vfs: MemVfs, options: EngineOptions): Promise<{ a: number; b: number; c: number }> {
  for (const group of ['a', 'b', 'c'] as const) {
    const db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
    for (let index = 0; index < COUNTS[group]; index++) await db.put(`${group}${index}`, valueOf(group, index))
    await db.close()
  }
  const db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
  for (let index = 5; index < 10; index++) await db.delete(`a${index}`)
  for (let index = 5; index < 10; index++) await db.delete(`b${index}`)
  for (let index = 0; index < COUNTS.c; index++) await db.delete(`c${index}`)
  await db.compact()
  await db.close()
  const files = { a: locate(vfs, valueOf('a', 0)).fileNumber, b: locate(vfs, valueOf('b', 0)).fileNumber, c: locate(vfs, valueOf('c', 0)).fileNumber }
  assert.ok(files.a < files.b && files.b < files.c, `one file per session, a first: ${JSON.stringify(files)}`)
  return files
}

/** Asserts `error` is the typed failure of a read of `key` in blob file `name`. */
function assertDamaged(error: unknown, codes: readonly string[], name: string, key: string): true {
  assert.ok(error instanceof StrataError, String(error))
  assert.ok(codes.includes(error.code), error.code)
  assert.ok(error.message.includes(name), error.message)
  assert.ok(error.message.includes(`"${key}"`), error.message)
  return true
}

async function assertReadable(db: BlobDb, except: string, note: string): Promise<void> {
  for (const [key, value] of liveEntries()) if (key !== except) assert.deepEqual(await db.get(key), value, `${note}: ${key}`)
  for (let index = 5; index < 10; index++) assert.equal(await db.get(`a${index}`), undefined, `${note}: a${index} deleted`)
  for (let index = 0; index < COUNTS.c; index++) assert.equal(await db.get(`c${index}`), undefined, `${note}: c${index} deleted`)
}

const CASES: { name: string; options: EngineOptions; mask: number; codes: readonly string[] }[] = [
  { name: 'no ECC, one flipped bit', options: {}, mask: 0x04, codes: ['CHECKSUM_MISMATCH'] },
  // Two flips in one 8-byte word: SEC-DED detects them and cannot correct them.
  { name: 'SEC-DED, two flipped bits in one word', options: { integrity: { ecc: 'sec-ded' } }, mask: 0x0c, codes: ['UNRECOVERABLE'] },
]

describe('blob GC with a damaged live frame', () => {
  for (const { name: caseName, options, mask, codes } of CASES) {
    test(`${caseName}: gc() relocates and deletes the rest, reports the damaged file and leaves it, once per open`, async () => {
      const vfs = new MemVfs()
      const files = await threeFiles(vfs, options)
      const target = locate(vfs, valueOf('a', 2))
      await damage(vfs, target.name, target.valueStartBytes + 100, mask)
      let db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
      const before = db.stats().blob

      const first = await db.gc()
      assert.equal(first.failures.length, 1, JSON.stringify(first.failures))
      assert.equal(first.failures[0].fileNumber, files.a)
      assert.ok(codes.includes(first.failures[0].code), first.failures[0].code)
      assert.ok(first.failures[0].message.includes(target.name) && first.failures[0].message.includes('"a2"'), first.failures[0].message)
      assert.deepEqual(first.relocatedFileNumbers, [files.b], 'b relocated; a left in place')
      // The fourth session's active file held no frame, so it is dead too and may be deleted as well.
      assert.ok(first.deletedFileNumbers.includes(files.b) && first.deletedFileNumbers.includes(files.c), `the relocated and the dead file deleted: ${first.deletedFileNumbers.join(',')}`)
      assert.ok(!first.deletedFileNumbers.includes(files.a))
      assert.ok(blobFileNames(vfs).includes(target.name), 'the damaged file stays')
      assert.equal(db.stats().blob.relocationFailedCount, 1)
      await assert.rejects(db.get('a2'), (error) => assertDamaged(error, codes, target.name, 'a2'))
      await assertReadable(db, 'a2', 'after the first round')
      assert.equal(holders(vfs, valueOf('a', 0)).length, 2, 'a readable live value of the damaged file was copied out')

      const second = await db.gc()
      assert.deepEqual(second, { relocatedFileNumbers: [], deletedFileNumbers: [], bytesMoved: 0, failures: [] }, 'the damaged file is not picked again')
      assert.equal(db.stats().blob.relocationFailedCount, 1)

      // The moved values' old copies are stale once compaction drops their handles; the new ones
      // are live, and a2 is live where it was: the live bytes are those before the round.
      await db.compact()
      assert.equal(db.stats().blob.liveBytes, before.liveBytes, 'live bytes after the round and a compaction')
      const verification = await db.verify()
      assert.equal(verification.blobFiles.find((file) => file.fileNumber === files.a)?.status, 'unrecoverable')
      assert.deepEqual((await db.gc()).failures, [], 'an unrecoverable verify keeps the file out of GC')
      await db.close()

      db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
      assert.equal(db.stats().blob.liveBytes, before.liveBytes, 'live bytes after reopen')
      const reopened = await db.gc()
      assert.deepEqual(reopened.failures.map((failure) => failure.fileNumber), [files.a], 'the mark is gone: the file is tried again and reported')
      assert.deepEqual(reopened.relocatedFileNumbers, [])
      assert.equal(reopened.bytesMoved, 0, 'its readable values were moved in the first open')
      assert.ok(blobFileNames(vfs).includes(target.name))
      await assert.rejects(db.get('a2'), (error) => assertDamaged(error, codes, target.name, 'a2'))
      await assertReadable(db, 'a2', 'after reopen')
      assert.deepEqual((await db.gc()).failures, [])
      await db.close()
    })
  }

  test('a damaged frame key stops the scan: the frames before it move, the file keeps the rest, and the figures stay right', async () => {
    const vfs = new MemVfs()
    const files = await threeFiles(vfs, {})
    const target = locate(vfs, valueOf('a', 3))
    // The key ("a3") ends where the body's block envelope starts; the frame checksum covers it.
    await damage(vfs, target.name, target.valueStartBytes - BLOCK_HEADER_SIZE_BYTES - 1, 0x04)
    const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    const before = db.stats().blob
    const report = await db.gc()
    assert.deepEqual(report.failures.map(({ fileNumber, code }) => [fileNumber, code]), [[files.a, 'CORRUPTION']])
    assert.deepEqual(report.relocatedFileNumbers, [files.b])
    assert.equal(holders(vfs, valueOf('a', 1)).length, 2, 'a1, before the damage, was copied out')
    assert.deepEqual(holders(vfs, valueOf('a', 4)), [files.a], 'a4, after it, was not looked at')
    assert.deepEqual(await db.get('a4'), valueOf('a', 4), 'and reads where it is')
    await assert.rejects(db.get('a3'), (error) => assertDamaged(error, ['CHECKSUM_MISMATCH'], target.name, 'a3'))
    await assertReadable(db, 'a3', 'after the round')
    await db.compact()
    assert.equal(db.stats().blob.liveBytes, before.liveBytes)
    assert.deepEqual((await db.gc()).failures, [])
    await db.close()
  })

  test('a streamed value with a damaged chunk keeps its chunk list; the chunks a move copied before it are counted stale', async () => {
    const vfs = new MemVfs()
    const kv = { minBlobSize: 512, streamChunkSizeBytes: 4096, blobFileSizeBytesTarget: 16 * 1024, gcOnCompact: false }
    const chunks = Array.from({ length: 12 }, (_, index) => Buffer.alloc(4096, 1 + index))
    let db = await BlobDb.open(DIRECTORY, { vfs }, kv)
    await db.putStream('s', chunks, { sync: true })
    await db.close()
    const first = locate(vfs, chunks[0])
    const damaged = locate(vfs, chunks[8])
    assert.notEqual(first.fileNumber, damaged.fileNumber, 'the damaged chunk lies in a later file')
    await damage(vfs, damaged.name, damaged.valueStartBytes + 100, 0x04)
    // An over-count of stale bytes for the stream's first file (what a counting bug would leave;
    // a stream file is never partly stale otherwise) makes GC relocate it, which moves the value.
    const versions = await VersionSet.recover(vfs, DIRECTORY)
    const meta = versions.current.blobFiles.get(first.fileNumber)!.meta
    await versions.logAndApply({ blobStaleBytes: [{ fileNumber: first.fileNumber, staleBytesDelta: Math.ceil((meta.sizeBytes - FILE_HEADER_SIZE_BYTES - FOOTER_SIZE_BYTES) / 2) }] })
    await versions.close()

    db = await BlobDb.open(DIRECTORY, { vfs }, kv)
    const before = db.stats().blob
    const report = await db.gc()
    assert.deepEqual(report.failures.map(({ fileNumber, code }) => [fileNumber, code]), [[first.fileNumber, 'CHECKSUM_MISMATCH']])
    assert.ok(report.failures[0].message.includes(damaged.name) && report.failures[0].message.includes('"s"'), report.failures[0].message)
    assert.deepEqual(report.relocatedFileNumbers, [])
    assert.equal(copiesOf(vfs, chunks[0]), 2, 'the chunks before the damaged one were copied, once: its other chunks in the file did not start the move again')
    assert.equal(copiesOf(vfs, chunks[9]), 1, 'the move stopped at the damaged chunk')
    await assert.rejects(db.get('s'), (error) => assertDamaged(error, ['CHECKSUM_MISMATCH'], damaged.name, 's'))
    // No handle names the copies: a flush's edit carries them stale, so the live bytes are as before.
    await db.put('x', 'y')
    await db.flush()
    assert.equal(db.stats().blob.liveBytes, before.liveBytes)
    assert.deepEqual((await db.gc()).failures, [], 'not picked again')
    await db.close()
  })
})
