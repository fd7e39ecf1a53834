// Tests of VersionSet: durable edits, recovery, rotation, crash consistency at every step of
// logAndApply, corruption handling. Random edit sequences flow from a printed seed.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { MemVfs } from '../vfs/mod.ts'
import { StrataError } from '../errors.ts'
import { HookedVfs } from '../wal/hooked-vfs.ts'
import { VersionSet } from './version-set.ts'
import { manifestFileName, tableFileName, CURRENT_FILE_NAME } from './file-names.ts'
import { prng, randomEdit, readBytes, seedFromEnv, snapshotOf, storeWithEdits, table, writeBytes, type VersionSnapshot as Snapshot } from './test-support.ts'

const DIR = '/db'


async function applyRandomEdits(set: VersionSet, seed: number, count: number, firstStep = 0): Promise<void> {
  const random = prng(seed)
  for (let step = firstStep; step < firstStep + count; step++) {
    await set.logAndApply(randomEdit(random, set.current, () => set.nextFileNumber(), step))
  }
}


/** Start offsets of the records of a log file (20-byte header, 12-byte record headers). */
function recordOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let offset = 20; offset < bytes.length; offset += 12 + view.getUint32(offset, true)) offsets.push(offset)
  return offsets
}

/** A closed database with a manifest of several edit records; returns its manifest path. */
function databaseWithEdits(vfs: MemVfs, seed: number, count: number): Promise<{ manifestPath: string; states: Snapshot[] }> {
  return storeWithEdits(vfs, DIR, seed, count)
}

describe('VersionSet', () => {
  test('create() then recover() gives an empty version and fresh file numbers', async () => {
    const vfs = new MemVfs()
    const created = await VersionSet.create(vfs, DIR)
    assert.equal(created.manifestFileNumber, 1)
    assert.equal(created.nextFileNumber(), 2)
    await created.close()
    const recovered = await VersionSet.recover(vfs, DIR)
    assert.equal(recovered.current.tableCount(), 0)
    assert.ok(recovered.nextFileNumber() > recovered.manifestFileNumber)
    assert.deepEqual(vfs.list(DIR).filter((name) => name.startsWith('MANIFEST')), [manifestFileName(recovered.manifestFileNumber)])
    await assert.rejects(VersionSet.create(vfs, DIR), { code: 'INVALID_ARGUMENT' })
  })

  test('recover() after many edits equals the in-memory version', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const vfs = new MemVfs()
    const set = await VersionSet.create(vfs, DIR)
    await applyRandomEdits(set, seed, 300)
    const expected = snapshotOf(set)
    const allocatedBefore = set.nextFileNumber()
    await set.close()
    const recovered = await VersionSet.recover(vfs, DIR)
    assert.deepEqual(snapshotOf(recovered), expected, `seed=${seed}`)
    assert.ok(recovered.nextFileNumber() > allocatedBefore - 1, 'no file number is handed out twice')
    assert.equal(recovered.recoveryReport?.editCount, 301)
    assert.equal(recovered.recoveryReport?.tailBytesDropped, 0)
  })

  test('rotation to a new manifest keeps the state and removes the old manifest', async (t) => {
    const seed = seedFromEnv() + 1
    t.diagnostic(`seed=${seed}`)
    const vfs = new MemVfs()
    const set = await VersionSet.create(vfs, DIR, { manifestRotateSizeBytes: 1024 })
    const firstManifest = set.manifestFileNumber
    await applyRandomEdits(set, seed, 100)
    assert.notEqual(set.manifestFileNumber, firstManifest)
    assert.deepEqual(vfs.list(DIR).filter((name) => name.startsWith('MANIFEST')), [manifestFileName(set.manifestFileNumber)])
    const expected = snapshotOf(set)
    const crashed = vfs.crash() // every logAndApply was durable
    const recovered = await VersionSet.recover(crashed, DIR)
    assert.deepEqual(snapshotOf(recovered), expected, `seed=${seed}`)
    assert.ok(set.liveFileNumbers().has(set.manifestFileNumber))
  })

  test('concurrent logAndApply() calls are serialised and all applied', async () => {
    const vfs = new MemVfs()
    const set = await VersionSet.create(vfs, DIR)
    const calls = Array.from({ length: 20 }, (_, i) =>
      set.logAndApply({ addedTables: [table(0, set.nextFileNumber(), `a${i}`, `b${i}`, i * 10)], lastSeqno: i }))
    const versions = await Promise.all(calls)
    assert.deepEqual(versions.map((v) => v.tableCount()), Array.from({ length: 20 }, (_, i) => i + 1))
    assert.equal(set.lastSeqno, 19)
    await set.close()
    assert.equal((await VersionSet.recover(vfs, DIR)).current.tableCount(), 20)
  })

  test('an edit that cannot apply is INVALID_ARGUMENT, writes nothing, and the set stays usable', async () => {
    const vfs = new MemVfs()
    const set = await VersionSet.create(vfs, DIR)
    const manifestPath = `${DIR}/${manifestFileName(set.manifestFileNumber)}`
    const sizeBefore = vfs.sizeBytes(manifestPath)
    await assert.rejects(set.logAndApply({ removedTables: [{ level: 1, fileNumber: 99 }] }), { code: 'INVALID_ARGUMENT' })
    await assert.rejects(set.logAndApply({ addedTables: [table(1, 10_000, 'a', 'b')] }), { code: 'INVALID_ARGUMENT' }, 'never allocated')
    await assert.rejects(set.logAndApply({ lastSeqno: 5 }).then(() => set.logAndApply({ lastSeqno: 4 })), { code: 'INVALID_ARGUMENT' })
    assert.equal(set.lastSeqno, 5)
    assert.ok(vfs.sizeBytes(manifestPath) > sizeBefore)
    await set.logAndApply({ addedTables: [table(1, set.nextFileNumber(), 'a', 'b')] })
    assert.equal(set.current.tableCount(), 1)
  })

  test('recover() bumps the file-number allocator past files found on disk', async () => {
    const vfs = new MemVfs()
    await (await VersionSet.create(vfs, DIR)).close()
    writeBytes(vfs, `${DIR}/${tableFileName(500)}`, new Uint8Array(1)) // an orphan from a crashed flush
    const recovered = await VersionSet.recover(vfs, DIR)
    assert.ok(recovered.nextFileNumber() > 500)
  })

  test('a read-only recover() writes nothing and refuses edits with READ_ONLY', async () => {
    const vfs = new MemVfs()
    await (await VersionSet.create(vfs, DIR)).close()
    const namesBefore = vfs.list(DIR)
    const set = await VersionSet.recover(vfs, DIR, { readOnly: true })
    assert.deepEqual(vfs.list(DIR), namesBefore)
    await assert.rejects(set.logAndApply({ lastSeqno: 1 }), { code: 'READ_ONLY' })
  })
})

describe('VersionSet crash consistency', () => {
  for (const [rotateSizeBytes, manifestHardening] of [[4 * 1024 * 1024, false], [1, false], [4 * 1024 * 1024, true], [1, true]] as const) {
    test(`a crash at every step of logAndApply leaves the old or the new version (rotate at ${rotateSizeBytes} B, hardening ${manifestHardening})`, async (t) => {
      const seed = seedFromEnv() + 2
      t.diagnostic(`seed=${seed}`)
      const memory = new MemVfs()
      let crashPoints: MemVfs[] | null = null
      const vfs = new HookedVfs(memory, { afterOp: () => crashPoints?.push(memory.crash()) })
      const set = await VersionSet.create(vfs, DIR, { manifestRotateSizeBytes: rotateSizeBytes, manifestHardening })
      const random = prng(seed)
      let checked = 0
      for (let step = 0; step < 12; step++) {
        const before = snapshotOf(set)
        crashPoints = [memory.crash()]
        await set.logAndApply(randomEdit(random, set.current, () => set.nextFileNumber(), step))
        const points = crashPoints
        crashPoints = null
        const after = snapshotOf(set)
        for (const [index, point] of points.entries()) {
          const recovered = snapshotOf(await VersionSet.recover(point, DIR))
          const isBefore = JSON.stringify(recovered) === JSON.stringify(before)
          const isAfter = JSON.stringify(recovered) === JSON.stringify(after)
          assert.ok(isBefore || isAfter, `seed=${seed} step=${step} crashPoint=${index}: neither old nor new`)
          checked++
        }
        const last = await VersionSet.recover(points.at(-1)!, DIR)
        assert.deepEqual(snapshotOf(last), after, `seed=${seed} step=${step}: the last point has the edit`)
      }
      t.diagnostic(`crash points checked=${checked}`)
      assert.ok(checked > 12 * 2)
    })
  }

  test('a crash at every step of recover() (which starts a new manifest) keeps the state', async (t) => {
    const seed = seedFromEnv() + 3
    t.diagnostic(`seed=${seed}`)
    const memory = new MemVfs()
    const { states } = await databaseWithEdits(memory, seed, 20)
    const expected = states.at(-1)
    const points: MemVfs[] = []
    const base = memory.crash()
    await VersionSet.recover(new HookedVfs(base, { afterOp: () => points.push(base.crash()) }), DIR)
    assert.ok(points.length > 3)
    for (const [index, point] of points.entries()) {
      assert.deepEqual(snapshotOf(await VersionSet.recover(point, DIR)), expected, `seed=${seed} crashPoint=${index}`)
    }
  })

  test('a failed manifest sync rejects with IO_ERROR, refuses later edits, and recovery is old or new', async () => {
    const memory = new MemVfs()
    let failSyncs = false
    const vfs = new HookedVfs(memory, {
      beforeSync: () => {
        if (failSyncs) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
      },
    })
    const set = await VersionSet.create(vfs, DIR)
    await set.logAndApply({ addedTables: [table(0, set.nextFileNumber(), 'a', 'b')] })
    const before = snapshotOf(set)
    failSyncs = true
    await assert.rejects(set.logAndApply({ addedTables: [table(0, set.nextFileNumber(), 'c', 'd')] }), { code: 'IO_ERROR' })
    assert.deepEqual(snapshotOf(set), before, 'the failed edit is not installed')
    failSyncs = false
    await assert.rejects(set.logAndApply({ lastSeqno: 9 }), { code: 'IO_ERROR' })
    const recovered = snapshotOf(await VersionSet.recover(memory.crash(), DIR))
    assert.deepEqual(recovered, before)
  })
})

describe('VersionSet.recover() corruption', () => {
  test('a flipped bit in a middle manifest record is CORRUPTION naming the manifest', async () => {
    const vfs = new MemVfs()
    const { manifestPath } = await databaseWithEdits(vfs, seedFromEnv() + 4, 6)
    const bytes = readBytes(vfs, manifestPath)
    const offsets = recordOffsets(bytes)
    assert.equal(offsets.length, 7)
    for (const recordIndex of [0, 3, 5]) {
      for (const delta of [0, 5, 13, 20]) {
        const damaged = bytes.slice()
        const at = Math.min(offsets[recordIndex] + delta, offsets[recordIndex + 1] - 1)
        damaged[at] ^= 0x04
        const copy = vfs.crash()
        writeBytes(copy, manifestPath, damaged)
        await assert.rejects(VersionSet.recover(copy, DIR), (error: unknown) => {
          assert.ok(error instanceof StrataError)
          assert.equal(error.code, 'CORRUPTION', `record=${recordIndex} at=${at}`)
          assert.equal(error.details.fileName, manifestPath)
          return true
        })
      }
    }
  })

  test('a torn last record (the file ends inside it, at any byte) is ignored and reported: the prefix is recovered', async () => {
    const vfs = new MemVfs()
    const { manifestPath, states } = await databaseWithEdits(vfs, seedFromEnv() + 5, 6)
    const bytes = readBytes(vfs, manifestPath)
    const lastStart = recordOffsets(bytes).at(-1)!
    for (let cut = lastStart + 1; cut < bytes.length; cut++) {
      const copy = vfs.crash()
      writeBytes(copy, manifestPath, bytes.subarray(0, cut))
      const recovered = await VersionSet.recover(copy, DIR)
      assert.deepEqual(snapshotOf(recovered), states[5], `cut=${cut}`)
      assert.equal(recovered.recoveryReport?.tailBytesDropped, cut - lastStart)
      assert.equal(recovered.recoveryReport?.editCount, 6)
    }
  })

  // The fix of the damaged-last-record defect (manifest.md §5): the record was synced before
  // any WAL it made obsolete was deleted, so dropping it could lose a flush silently.
  test('every flipped bit of a complete last record is CORRUPTION naming the manifest and record, never a silent drop', async () => {
    const vfs = new MemVfs()
    const { manifestPath } = await databaseWithEdits(vfs, seedFromEnv() + 5, 6)
    const bytes = readBytes(vfs, manifestPath)
    const lastStart = recordOffsets(bytes).at(-1)!
    let checked = 0
    for (let at = lastStart; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = bytes.slice()
        damaged[at] ^= 1 << bit
        const copy = vfs.crash()
        writeBytes(copy, manifestPath, damaged)
        await assert.rejects(VersionSet.recover(copy, DIR), (error: unknown) => {
          assert.ok(error instanceof StrataError, `at=${at} bit=${bit}: ${String(error)}`)
          assert.equal(error.code, 'CORRUPTION', `at=${at} bit=${bit}`)
          assert.equal(error.details.fileName, manifestPath)
          assert.equal(error.details.recordIndex, 6, `at=${at} bit=${bit}`)
          return true
        })
        checked++
      }
    }
    assert.equal(checked, 8 * (bytes.length - lastStart))
  })

  test('a zero-filled tail (the file grew but the append never reached the disk) is dropped as torn', async () => {
    const vfs = new MemVfs()
    const { manifestPath, states } = await databaseWithEdits(vfs, seedFromEnv() + 5, 6)
    const bytes = readBytes(vfs, manifestPath)
    for (const zeroBytes of [1, 11, 12, 13, 100, 5000]) {
      const copy = vfs.crash()
      writeBytes(copy, manifestPath, Buffer.concat([bytes, new Uint8Array(zeroBytes)]))
      const recovered = await VersionSet.recover(copy, DIR)
      assert.deepEqual(snapshotOf(recovered), states.at(-1), `zeros=${zeroBytes}`)
      assert.equal(recovered.recoveryReport?.tailBytesDropped, zeroBytes)
      assert.equal(recovered.recoveryReport?.tailReason, zeroBytes < 12 ? 'incomplete-record-header' : 'zero-filled')
    }
  })

  test('random damage and cuts give the full state, a prefix after a cut or a reported tail, or a typed error', async (t) => {
    const seed = seedFromEnv() + 7
    t.diagnostic(`seed=${seed}`)
    const random = prng(seed)
    const vfs = new MemVfs()
    const { manifestPath, states } = await databaseWithEdits(vfs, seed, 5)
    const bytes = readBytes(vfs, manifestPath)
    const outcomes = { full: 0, prefix: 0, error: 0 }
    for (let round = 0; round < 300; round++) {
      const damaged = bytes.slice()
      const damageCount = Math.floor(random() * 4)
      for (let i = 0; i < damageCount; i++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256)
      const cut = random() < 0.5 ? Math.floor(random() * damaged.length) : damaged.length
      const copy = vfs.crash()
      writeBytes(copy, manifestPath, damaged.subarray(0, cut))
      const where = `seed=${seed} round=${round}`
      try {
        const recovered = await VersionSet.recover(copy, DIR, { readOnly: true })
        const state = JSON.stringify(snapshotOf(recovered))
        const index = states.findIndex((candidate) => JSON.stringify(candidate) === state)
        assert.ok(index >= 0, `${where}: recovered a state that never existed`)
        if (index < states.length - 1) {
          assert.ok(cut < damaged.length || (recovered.recoveryReport?.tailBytesDropped ?? 0) > 0, `${where}: a prefix without a cut or a reported tail`)
          outcomes.prefix++
        } else {
          outcomes.full++
        }
      } catch (error) {
        assert.ok(error instanceof StrataError, `${where}: ${String(error)}`)
        assert.ok(['CORRUPTION', 'UNSUPPORTED_FORMAT_VERSION'].includes(error.code), `${where}: ${error.code}`)
        outcomes.error++
      }
    }
    t.diagnostic(JSON.stringify(outcomes))
    assert.ok(outcomes.full > 0 && outcomes.prefix > 0 && outcomes.error > 0)
  })

  test('a missing CURRENT is NOT_FOUND in a fresh directory and CORRUPTION when data files exist', async () => {
    const vfs = new MemVfs()
    await assert.rejects(VersionSet.recover(vfs, DIR), { code: 'NOT_FOUND' })
    vfs.mkdirp(DIR)
    writeBytes(vfs, `${DIR}/${manifestFileName(1)}`, new Uint8Array(3)) // create() crashed before CURRENT
    await assert.rejects(VersionSet.recover(vfs, DIR), { code: 'NOT_FOUND' })
    writeBytes(vfs, `${DIR}/${tableFileName(4)}`, new Uint8Array(3))
    await assert.rejects(VersionSet.recover(vfs, DIR), (error: any) => error.code === 'CORRUPTION' && error.details.dataFile === '000004.sst')
  })

  test('CURRENT naming a missing manifest, or holding garbage, is CORRUPTION naming the file', async () => {
    const vfs = new MemVfs()
    await (await VersionSet.create(vfs, DIR)).close()
    const currentPath = `${DIR}/${CURRENT_FILE_NAME}`
    const cases: Array<[string, string]> = [
      [`${manifestFileName(77)}\n`, `${DIR}/${manifestFileName(77)}`],
      ['MANIFEST-000001', currentPath],
      ['hello\n', currentPath],
      ['', currentPath],
    ]
    for (const [content, fileName] of cases) {
      const copy = vfs.crash()
      writeBytes(copy, currentPath, Buffer.from(content, 'latin1'))
      await assert.rejects(VersionSet.recover(copy, DIR), (error: any) => {
        assert.equal(error.code, 'CORRUPTION', JSON.stringify(content))
        assert.equal(error.details.fileName, fileName)
        return true
      })
    }
  })

  test('a manifest whose records do not apply is CORRUPTION naming the record', async () => {
    const vfs = new MemVfs()
    const { manifestPath } = await databaseWithEdits(vfs, seedFromEnv() + 6, 1)
    // Append a well-framed edit that removes a table that does not exist.
    const { WalWriter } = await import('../wal/mod.ts')
    const { encodeVersionEdit } = await import('./edit-codec.ts')
    const bytes = readBytes(vfs, manifestPath)
    const manifestNumber = Number(manifestPath.slice(-6))
    const rebuilt = new MemVfs()
    rebuilt.mkdirp(DIR)
    const writer = WalWriter.create(rebuilt, manifestPath, manifestNumber, { kind: 'manifest' })
    const view = new DataView(bytes.buffer)
    for (const offset of recordOffsets(bytes)) writer.add(bytes.subarray(offset + 12, offset + 12 + view.getUint32(offset, true)))
    writer.add(encodeVersionEdit({ removedTables: [{ level: 3, fileNumber: 999 }] }))
    await writer.close()
    const copy = vfs.crash()
    writeBytes(copy, manifestPath, readBytes(rebuilt, manifestPath))
    await assert.rejects(VersionSet.recover(copy, DIR), (error: any) => {
      assert.equal(error.code, 'CORRUPTION')
      assert.equal(error.details.fileName, manifestPath)
      assert.equal(error.details.recordIndex, 2)
      return true
    })
  })
})
