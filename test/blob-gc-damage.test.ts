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
 * damaged, checks a failed move copies no chunk (nothing left to count in memory only). A sealed
 * file whose footer is damaged, zeroed or cut off is relocated and deleted through the index
 * (kept only for a live frame that does not read), and a frame ECC repaired on the way is
 * re-encoded, not copied with its flipped bits.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs, StrataError, type EngineOptions } from '../index.ts'
import { VersionSet } from '../engine/manifest/mod.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES, FRAME_HEADER_SIZE_BYTES } from '../blobtree/mod.ts'

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

  test('a damaged live frame key stops the scan: the index finds the frames after it, they move, the file stays for the damaged one', async () => {
    const vfs = new MemVfs()
    const files = await threeFiles(vfs, {})
    const target = locate(vfs, valueOf('a', 3))
    // The key ("a3") ends where the body's block envelope starts; the frame checksum covers it.
    await damage(vfs, target.name, target.valueStartBytes - BLOCK_HEADER_SIZE_BYTES - 1, 0x04)
    const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    const before = db.stats().blob
    const report = await db.gc()
    // Reported by the read of a3 by its handle, as a get reports it.
    assert.deepEqual(report.failures.map(({ fileNumber, code }) => [fileNumber, code]), [[files.a, 'CHECKSUM_MISMATCH']])
    assert.deepEqual(report.relocatedFileNumbers, [files.b])
    assert.equal(holders(vfs, valueOf('a', 1)).length, 2, 'a1, before the damage, was copied out')
    assert.equal(holders(vfs, valueOf('a', 4)).length, 2, 'a4, after it, was found through the index and copied out')
    for (const index of [0, 1, 2, 4]) assert.equal(copiesOf(vfs, valueOf('a', index)), 2, `a${index}: the original and one copy`)
    assert.deepEqual(await db.get('a4'), valueOf('a', 4), 'and reads')
    assert.ok(blobFileNames(vfs).includes(target.name), 'the file stays for a3')
    await assert.rejects(db.get('a3'), (error) => assertDamaged(error, ['CHECKSUM_MISMATCH'], target.name, 'a3'))
    await assertReadable(db, 'a3', 'after the round')
    await db.compact()
    assert.equal(db.stats().blob.liveBytes, before.liveBytes)
    assert.deepEqual((await db.gc()).failures, [])
    await db.close()
  })

  test('a streamed value with a damaged chunk keeps its chunk list, the failed move copies none of its chunks, and the failure names the damaged file', async () => {
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
    // The damage is the file holding the damaged chunk, not the file being relocated (until
    // 2026-11-26 that one was marked and listed, and each verify() of it cleared the mark).
    assert.deepEqual(report.failures.map(({ fileNumber, code }) => [fileNumber, code]), [[damaged.fileNumber, 'CHECKSUM_MISMATCH']])
    assert.ok(report.failures[0].message.includes(damaged.name) && report.failures[0].message.includes('"s"'), report.failures[0].message)
    assert.deepEqual(report.relocatedFileNumbers, [])
    assert.equal(report.bytesMoved, 0)
    assert.equal(db.stats().blob.relocationFailedCount, 1)
    assert.equal(copiesOf(vfs, chunks[0]), 1, 'the chunks before the damaged one were verified, not copied')
    await assert.rejects(db.get('s'), (error) => assertDamaged(error, ['CHECKSUM_MISMATCH'], damaged.name, 's'))
    assert.deepEqual((await db.gc()).failures, [], 'not tried again')
    const verified = await db.verify()
    assert.deepEqual(verified.blobFiles.filter((file) => !file.ok).map((file) => file.fileNumber), [damaged.fileNumber])
    assert.deepEqual((await db.gc()).failures, [], 'a verify() that finds the damage keeps it marked')
    assert.equal(db.stats().blob.relocationFailedCount, 1)
    // No flush or compaction before the close: nothing the round did lives only in memory.
    await db.close()
    for (let cycle = 0; cycle < 2; cycle++) {
      db = await BlobDb.open(DIRECTORY, { vfs }, kv)
      assert.equal(db.stats().blob.liveBytes, before.liveBytes, `live bytes after reopen ${cycle}`)
      assert.equal((await db.gc()).failures.length, 1, 'tried again after a reopen')
      await db.compact()
      assert.equal(copiesOf(vfs, chunks[0]), 1, `still one copy after reopen ${cycle}`)
      assert.equal(db.stats().blob.liveBytes, before.liveBytes)
      await db.close()
    }
  })
})

// A stale frame whose header or key does not verify ends GC's scan of its file; the index says
// which keys still point into the file, so its live frames move by handle and the file goes.
describe('blob GC of a file with a damaged stale frame', () => {
  /** One file of a0…a9 (and a second one after it), then `deleted` deleted and compacted. */
  async function oneFile(vfs: MemVfs, deleted: readonly number[]): Promise<number> {
    let db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    for (let index = 0; index < 10; index++) await db.put(`a${index}`, valueOf('a', index))
    await db.close()
    db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    for (const index of deleted) await db.delete(`a${index}`)
    await db.compact()
    await db.close()
    return locate(vfs, valueOf('a', 0)).fileNumber
  }

  async function assertHolds(db: BlobDb, deleted: readonly number[], note: string): Promise<void> {
    for (let index = 0; index < 10; index++) {
      assert.deepEqual(await db.get(`a${index}`), deleted.includes(index) ? undefined : valueOf('a', index), `${note}: a${index}`)
    }
  }

  test('a stale frame with a damaged key before live ones: the live values move by handle and the file is deleted', async () => {
    const vfs = new MemVfs()
    const deleted = [0, 1, 2, 3, 4]
    const fileNumber = await oneFile(vfs, deleted)
    const target = locate(vfs, valueOf('a', 1))
    await damage(vfs, target.name, target.valueStartBytes - BLOCK_HEADER_SIZE_BYTES - 1, 0x04) // a1's key
    const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    const before = db.stats().blob
    const report = await db.gc()
    assert.deepEqual(report.failures, [])
    assert.deepEqual(report.relocatedFileNumbers, [fileNumber])
    assert.ok(report.deletedFileNumbers.includes(fileNumber), `deleted: ${report.deletedFileNumbers.join(', ')}`)
    assert.ok(!blobFileNames(vfs).includes(target.name), 'the file is gone')
    for (let index = 5; index < 10; index++) assert.equal(copiesOf(vfs, valueOf('a', index)), 1, `a${index} moved once`)
    await assertHolds(db, deleted, 'after the round')
    await db.compact()
    assert.equal(db.stats().blob.liveBytes, before.liveBytes, 'the moved values count live once')
    assert.equal(db.stats().blob.relocationFailedCount, 0)
    await db.close()
    const reopened = await BlobDb.open(DIRECTORY, { vfs }, KV)
    await assertHolds(reopened, deleted, 'after reopen')
    assert.equal(reopened.stats().blob.liveBytes, before.liveBytes)
    await reopened.close()
  })

  test('a wholly dead file with a damaged frame header is proven unreferenced by the index and deleted', async () => {
    const vfs = new MemVfs()
    const deleted = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    const fileNumber = await oneFile(vfs, deleted)
    const target = locate(vfs, valueOf('a', 4))
    // The frame header's first byte (its kind), before the key ("a4") and the body's envelope.
    await damage(vfs, target.name, target.valueStartBytes - BLOCK_HEADER_SIZE_BYTES - 2 - FRAME_HEADER_SIZE_BYTES, 0x40)
    const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    assert.equal(db.stats().blob.liveBytes, 0, 'counted dead')
    const report = await db.gc()
    assert.deepEqual(report.failures, [])
    assert.ok(report.deletedFileNumbers.includes(fileNumber), `deleted: ${report.deletedFileNumbers.join(', ')}`)
    assert.ok(!blobFileNames(vfs).includes(target.name), 'the file is gone')
    assert.equal(db.stats().blob.deadFilesFoundLive, 0)
    await assertHolds(db, deleted, 'after the round')
    await db.close()
  })
})

/** Rewrites blob file `name` as `bytes`. */
async function rewrite(vfs: MemVfs, name: string, bytes: Uint8Array): Promise<void> {
  const out = vfs.create(`${DIRECTORY}/${name}`)
  out.append([bytes])
  await out.sync()
  out.close()
}

/** Raises the stale count of blob file `fileNumber` to every frame byte, as an over-count would. */
async function countAllStale(vfs: MemVfs, fileNumber: number): Promise<void> {
  const versions = await VersionSet.recover(vfs, DIRECTORY)
  const state = versions.current.blobFiles.get(fileNumber)!
  const frameBytes = state.meta.sizeBytes - FILE_HEADER_SIZE_BYTES - FOOTER_SIZE_BYTES
  await versions.logAndApply({ blobStaleBytes: [{ fileNumber, staleBytesDelta: frameBytes - state.staleBytes }] })
  await versions.close()
}

/** The two ways a sealed file loses its footer here: one flipped byte in it, or the file cut inside it. */
const FOOTER_BREAKS = ['footer flipped', 'cut inside the footer'] as const

/** Leaves blob file `name` without a valid footer, its frames intact. */
async function breakFooter(vfs: MemVfs, name: string, how: (typeof FOOTER_BREAKS)[number]): Promise<void> {
  const bytes = readFile(vfs, name)
  if (how === 'footer flipped') bytes[bytes.length - 20] ^= 0x01 // inside the footer's checked bytes
  await rewrite(vfs, name, how === 'footer flipped' ? bytes : bytes.subarray(0, bytes.length - 10))
}

/** Asserts that verify() reports blob file `fileNumber` unrecoverable for its missing footer. */
async function assertFooterReported(db: BlobDb, fileNumber: number): Promise<void> {
  const file = (await db.verify()).blobFiles.find((check) => check.fileNumber === fileNumber)
  assert.equal(file?.status, 'unrecoverable')
  assert.equal(file?.code, 'CORRUPTION')
  assert.match(file?.error ?? '', /lists it as sealed, but it has no footer/)
}

// A sealed file read without its footer would be scanned as an unfinished one, which stops
// silently at its first bad frame: GC does not scan it, the index names its live values, which
// move by handle, and the file goes once they all have.
describe('blob GC of a sealed file whose footer is lost or damaged', () => {
  for (const how of FOOTER_BREAKS) {
    test(`live and stale frames (${how}): every live value moves, the file is deleted and its stale bytes reclaimed`, async () => {
      const vfs = new MemVfs()
      const files = await threeFiles(vfs, {})
      const target = locate(vfs, valueOf('a', 0))
      await breakFooter(vfs, target.name, how)
      let db = await BlobDb.open(DIRECTORY, { vfs }, KV)
      await assertReadable(db, '', 'read by handle before the round')
      await assertFooterReported(db, files.a)
      const before = db.stats().blob
      assert.ok(before.staleBytes > 0)
      const report = await db.gc()
      assert.deepEqual(report.failures, [])
      assert.deepEqual(report.relocatedFileNumbers, [files.a, files.b])
      assert.ok(report.deletedFileNumbers.includes(files.a), `deleted: ${report.deletedFileNumbers.join(', ')}`)
      assert.ok(!blobFileNames(vfs).includes(target.name), 'the file is gone')
      for (let index = 0; index < 5; index++) assert.equal(copiesOf(vfs, valueOf('a', index)), 1, `a${index} moved once`)
      await assertReadable(db, '', 'after the round')
      await db.compact()
      const after = db.stats().blob
      assert.equal(after.fileCount, blobFileNames(vfs).length, 'the manifest lists the files on disk')
      assert.equal(after.staleBytes, 0, 'every stale byte reclaimed')
      assert.equal(after.liveBytes, before.liveBytes, 'the moved values count live once')
      assert.equal(after.relocationFailedCount, 0)
      assert.ok((await db.verify()).blobFiles.every((file) => file.fileNumber !== files.a && file.ok))
      await db.close()
      db = await BlobDb.open(DIRECTORY, { vfs }, KV)
      await assertReadable(db, '', 'after reopen')
      assert.equal(db.stats().blob.liveBytes, before.liveBytes)
      await db.close()
    })

    test(`a wholly dead file (${how}) is proven unreferenced by the index and deleted`, async () => {
      const vfs = new MemVfs()
      const files = await threeFiles(vfs, {})
      const target = locate(vfs, valueOf('c', 0))
      await breakFooter(vfs, target.name, how)
      const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
      const report = await db.gc()
      assert.deepEqual(report.failures, [])
      assert.ok(report.deletedFileNumbers.includes(files.c), `deleted: ${report.deletedFileNumbers.join(', ')}`)
      assert.ok(!blobFileNames(vfs).includes(target.name), 'the file is gone')
      assert.equal(db.stats().blob.deadFilesFoundLive, 0)
      await assertReadable(db, '', 'after the round')
      await db.close()
    })
  }

  for (const part of ['body', 'key'] as const) {
    test(`a live frame whose ${part} is damaged too: the rest moves, the file stays reported for that key until it is overwritten`, async () => {
      const vfs = new MemVfs()
      const files = await threeFiles(vfs, {})
      const target = locate(vfs, valueOf('a', 2))
      // The key ("a2") ends where the body's block envelope starts; the frame checksum covers both.
      await damage(vfs, target.name, part === 'body' ? target.valueStartBytes + 100 : target.valueStartBytes - BLOCK_HEADER_SIZE_BYTES - 1, 0x04)
      await breakFooter(vfs, target.name, 'footer flipped')
      const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
      const report = await db.gc()
      // Reported by the read of a2 by its handle, as a get reports it.
      assert.deepEqual(report.failures.map(({ fileNumber, code }) => [fileNumber, code]), [[files.a, 'CHECKSUM_MISMATCH']])
      assert.ok(report.failures[0].message.includes(target.name) && report.failures[0].message.includes('"a2"'), report.failures[0].message)
      assert.deepEqual(report.relocatedFileNumbers, [files.b])
      assert.ok(!report.deletedFileNumbers.includes(files.a) && blobFileNames(vfs).includes(target.name), 'the file stays')
      for (const index of [0, 1, 3, 4]) assert.equal(copiesOf(vfs, valueOf('a', index)), 2, `a${index}: the original and one copy`)
      await assert.rejects(db.get('a2'), (error) => assertDamaged(error, ['CHECKSUM_MISMATCH'], target.name, 'a2'))
      await assertReadable(db, 'a2', 'after the round')
      assert.deepEqual((await db.gc()).failures, [], 'not tried again')
      await assertFooterReported(db, files.a)

      // The overwrite makes every frame of the file stale once compaction drops the old handles:
      // it is dead, and the index proves it, in the same open as the failed relocation.
      await db.put('a2', valueOf('b', 9))
      await db.compact()
      const last = await db.gc()
      assert.deepEqual(last.failures, [])
      assert.ok(last.deletedFileNumbers.includes(files.a), `deleted: ${last.deletedFileNumbers.join(', ')}`)
      assert.ok(!blobFileNames(vfs).includes(target.name), 'the file is gone')
      assert.deepEqual(await db.get('a2'), valueOf('b', 9))
      await assertReadable(db, 'a2', 'after the file went')
      await db.close()
    })
  }

  test('a snapshot taken before the relocation reads its values after it, and the file goes once it is released', async () => {
    const vfs = new MemVfs()
    const files = await threeFiles(vfs, {})
    const target = locate(vfs, valueOf('a', 0))
    await breakFooter(vfs, target.name, 'footer flipped')
    const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    const snapshot = db.snapshot()
    const report = await db.gc()
    assert.deepEqual(report.failures, [])
    assert.ok(report.relocatedFileNumbers.includes(files.a))
    assert.ok(!report.deletedFileNumbers.includes(files.a) && blobFileNames(vfs).includes(target.name), 'kept for the snapshot')
    await db.delete('a1')
    for (let index = 0; index < 5; index++) assert.deepEqual(await snapshot.get(`a${index}`), valueOf('a', index), `a${index} through the snapshot`)
    assert.equal(await db.get('a1'), undefined)
    snapshot.release()
    assert.ok((await db.gc()).deletedFileNumbers.includes(files.a))
    assert.ok(!blobFileNames(vfs).includes(target.name), 'the file is gone')
    for (const index of [0, 2, 3, 4]) assert.deepEqual(await db.get(`a${index}`), valueOf('a', index), `a${index}`)
    await db.close()
  })

  for (const tail of ['zeroed', 'cut'] as const) {
    test(`a tail ${tail} from inside a live frame: the values before it move, the key keeps failing typed where it is`, async () => {
      const vfs = new MemVfs()
      const files = await threeFiles(vfs, {})
      const target = locate(vfs, valueOf('a', 4))
      const bytes = readFile(vfs, target.name)
      // From inside a4's body to the end, footer included: a lost last extent, or a short file.
      await rewrite(vfs, target.name, tail === 'zeroed' ? bytes.fill(0, target.valueStartBytes - 10) : bytes.subarray(0, target.valueStartBytes + 100))
      const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
      const report = await db.gc()
      assert.deepEqual(report.failures.map(({ fileNumber }) => fileNumber), [files.a])
      assert.ok(report.failures[0].message.includes('"a4"'), report.failures[0].message)
      assert.ok(blobFileNames(vfs).includes(target.name), 'the file stays')
      for (let index = 0; index < 4; index++) assert.equal(copiesOf(vfs, valueOf('a', index)), 2, `a${index}: the original and one copy`)
      await assert.rejects(db.get('a4'), (error) => assertDamaged(error, ['CHECKSUM_MISMATCH', 'CORRUPTION'], target.name, 'a4'))
      await assertReadable(db, 'a4', 'after the round')
      await db.close()
    })
  }

  // The read path at open: WAL replay asks whether each logged handle's frame reached the disk.
  for (const tail of ['footer flipped', 'zeroed'] as const) {
    test(`WAL replay over it (${tail}) keeps every record: the damaged key fails typed, the rest read`, async () => {
      const vfs = new MemVfs()
      // Small files, so several are sealed while every handle is still only in the WAL.
      const kv = { minBlobSize: 100, gcOnCompact: false, blobFileSizeBytesTarget: 4096 }
      let db = await BlobDb.open(DIRECTORY, { vfs }, kv)
      for (let index = 0; index < 20; index++) await db.put(`k${index}`, Buffer.alloc(500, 60 + index), { sync: true })
      await db.close()
      const target = locate(vfs, Buffer.alloc(500, 62))
      const bytes = readFile(vfs, target.name)
      if (tail === 'zeroed') bytes.fill(0, target.valueStartBytes + 100)
      else {
        bytes[bytes.length - 20] ^= 0x01
        bytes[target.valueStartBytes + 100] ^= 0x04
      }
      await rewrite(vfs, target.name, bytes)
      db = await BlobDb.open(DIRECTORY, { vfs }, kv)
      await assert.rejects(db.get('k2'), (error) => assertDamaged(error, ['CHECKSUM_MISMATCH', 'CORRUPTION'], target.name, 'k2'))
      // Each key reads or fails typed (those in the zeroed range do); none is gone.
      const lost: string[] = []
      for (let index = 0; index < 20; index++) {
        const value = await db.get(`k${index}`).catch((error: unknown) => {
          assert.ok(error instanceof StrataError && error.message.includes(target.name), String(error))
          return error
        })
        if (value === undefined) lost.push(`k${index}`)
        else if (!(value instanceof StrataError)) assert.deepEqual(value, Buffer.alloc(500, 60 + index))
      }
      assert.deepEqual(lost, [], 'no acknowledged write after the damaged frame is dropped')
      assert.deepEqual(await db.get('k19'), Buffer.alloc(500, 79), 'a key in a later file reads')
      await db.close()
    })
  }

  test('a file counted dead whose index still names a value in it is relocated, not deleted', async () => {
    const vfs = new MemVfs()
    const files = await threeFiles(vfs, {})
    const target = locate(vfs, valueOf('a', 0))
    await breakFooter(vfs, target.name, 'footer flipped')
    await damage(vfs, target.name, target.valueStartBytes - BLOCK_HEADER_SIZE_BYTES - 1, 0x04) // a0's key: the first frame
    await countAllStale(vfs, files.a)
    const db = await BlobDb.open(DIRECTORY, { vfs }, KV)
    const report = await db.gc()
    assert.equal(db.stats().blob.deadFilesFoundLive, 1)
    assert.deepEqual(report.failures.map(({ fileNumber }) => fileNumber), [files.a], 'a0 does not read')
    assert.ok(!report.deletedFileNumbers.includes(files.a) && blobFileNames(vfs).includes(target.name), 'a0 keeps it')
    for (let index = 1; index < 5; index++) assert.equal(copiesOf(vfs, valueOf('a', index)), 2, `a${index}: the original and one copy`)
    await assertReadable(db, 'a0', 'after the round')
    await db.close()
  })
})

describe('blob GC of a frame ECC repaired', () => {
  for (const autoHeal of [false, true]) {
    test(`a staleness relocation re-encodes it instead of copying the flipped bit (autoHeal ${autoHeal})`, async () => {
      const vfs = new MemVfs()
      const options: EngineOptions = { integrity: { ecc: 'sec-ded', autoHeal }, blockCacheSizeBytes: 0 }
      const files = await threeFiles(vfs, options)
      const target = locate(vfs, valueOf('a', 2))
      await damage(vfs, target.name, target.valueStartBytes + 100, 0x04) // one bit: SEC-DED repairs it
      let db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
      const report = await db.gc()
      assert.deepEqual(report.failures, [])
      assert.ok(report.relocatedFileNumbers.includes(files.a), 'file a relocated for its staleness')
      await db.close() // seals the active file holding the copies, so verify() checks it
      db = await BlobDb.open(DIRECTORY, { ...options, vfs }, KV)
      const verification = await db.verify()
      for (const file of verification.blobFiles) assert.equal(file.status, 'clean', `blob file ${file.fileNumber}: ${JSON.stringify(file.damagedFrames)}`)
      assert.deepEqual(await db.get('a2'), valueOf('a', 2))
      await assertReadable(db, '', 'after the relocation')
      await db.close()
    })
  }
})
