// Tests of manifest hardening (format version 3, docs/formats/manifest.md §6) through the
// VersionSet: every single flipped bit is repaired from the mirror, a torn tail at any byte
// still recovers, both copies damaged is CORRUPTION naming the file, and switching the option
// on and off across reopens keeps the state. Format 1 stays byte-identical (pinned hex).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { MemVfs } from '../vfs/mod.ts'
import { StrataError } from '../errors.ts'
import { VersionSet, type VersionSetOptions } from './version-set.ts'
import { manifestFileName } from './file-names.ts'
import { encodeHardenedFileHeader, encodeHardenedRecordHeader, HARDENED_FILE_HEADER_SIZE_BYTES } from './hardened-framing.ts'
import { prng, randomEdit, readBytes, seedFromEnv, snapshotOf, storeWithEdits as storeWithEditsIn, table, writeBytes, type VersionSnapshot as Snapshot } from './test-support.ts'

const DIR = '/db'
const HARDENED: VersionSetOptions = { manifestHardening: true }
const PAIR_HEADER_SIZE_BYTES = 56



/** Start offsets of the record pairs of an undamaged hardened manifest. */
function pairOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let offset = HARDENED_FILE_HEADER_SIZE_BYTES; offset < bytes.length; offset += PAIR_HEADER_SIZE_BYTES + 2 * view.getUint32(offset, true)) {
    offsets.push(offset)
  }
  return offsets
}

function manifestPathOf(set: VersionSet): string {
  return `${DIR}/${manifestFileName(set.manifestFileNumber)}`
}

/** A closed store with `count` random edits in a manifest written with `options`. */
function storeWithEdits(vfs: MemVfs, seed: number, count: number, options: VersionSetOptions): Promise<{ manifestPath: string; states: Snapshot[] }> {
  return storeWithEditsIn(vfs, DIR, seed, count, options)
}

/** A small fixed store: the snapshot and one flush edit, as the format doc's worked example. */
async function fixedStore(options: VersionSetOptions): Promise<{ vfs: MemVfs; bytes: Uint8Array; expected: Snapshot }> {
  const vfs = new MemVfs()
  const set = await VersionSet.create(vfs, DIR, options)
  await set.logAndApply({ addedTables: [table(0, set.nextFileNumber(), 'a', 'k', 5)], lastSeqno: 100, logNumber: 1 })
  await set.close()
  return { vfs, bytes: readBytes(vfs, `${DIR}/${manifestFileName(1)}`), expected: snapshotOf(set) }
}

function assertCorruptionNaming(error: unknown, fileName: string, what: string): true {
  assert.ok(error instanceof StrataError, `${what}: ${String(error)}`)
  assert.equal(error.code, 'CORRUPTION', what)
  assert.equal(error.details.fileName, fileName, what)
  return true
}

describe('hardened manifest framing', () => {
  test('encodeHardenedFileHeader() writes the 20-byte header of version 3 twice (pinned hex)', () => {
    const hex = Buffer.from(encodeHardenedFileHeader(5)).toString('hex')
    assert.equal(hex.slice(0, 40), hex.slice(40))
    assert.equal(hex.slice(0, 40), '534d414e030000000500000000000000' + hex.slice(32, 40))
    assert.equal(hex, '534d414e030000000500000000000000ba697c9f534d414e030000000500000000000000ba697c9f')
  })

  test('encodeHardenedRecordHeader() puts size, index, the log CRC-32 and an XXH3-128 (pinned hex)', () => {
    const hex = Buffer.from(encodeHardenedRecordHeader(Buffer.from('abc'), 0, 7)).toString('hex')
    // Size 3, index 0, then the CRC-32 the log framing gives "abc" in log 7 (wal.md §6).
    assert.equal(hex.slice(0, 24), '0300000000000000be5a3b11')
    // The XXH3-128 of bytes 0–11, the file number 7 as u64 LE, then "abc" (manifest.md §6.5).
    assert.equal(hex.slice(24), 'cffcbfe7916369cd77505700fc1121a2')
  })
})

describe('VersionSet with manifestHardening', () => {
  test('hardening off writes format 1 byte for byte as before hardening existed (pinned hex)', async () => {
    const { bytes } = await fixedStore({})
    assert.equal(Buffer.from(bytes).toString('hex'),
      '534d414e010000000100000000000000dff90df72700000000000000eaf65e9401080000000000000000000000020800000002000000' +
      '00000000030800000000000000000000006f00000001000000d504f050010800000001000000000000000208000000030000000000000003' +
      '0800000064000000000000000443000000000200000000000000ea0300000000000005000000000000000f00000000000000640000000000' +
      '0000030000000000000001000000000000000100000061010000006b')
  })

  test('create() writes the worked example of manifest.md §6.5 byte for byte, and recover() reads it', async () => {
    const vfs = new MemVfs()
    await (await VersionSet.create(vfs, DIR, HARDENED)).close()
    const manifestPath = `${DIR}/${manifestFileName(1)}`
    const snapshot = '01080000000000000000000000' + '02080000000200000000000000' + '03080000000000000000000000'
    const recordHeader = '2700000000000000eaf65e94db3766e9649a74d32dd0cd8ac4ef5748'
    const expected = '534d414e0300000001000000000000004067361b'.repeat(2) + recordHeader.repeat(2) + snapshot.repeat(2)
    assert.equal(Buffer.from(readBytes(vfs, manifestPath)).toString('hex'), expected)
    const copy = vfs.crash()
    writeBytes(copy, manifestPath, Buffer.from(expected, 'hex'))
    const recovered = await VersionSet.recover(copy, DIR, { readOnly: true })
    assert.equal(recovered.recoveryReport?.formatVersion, 3)
    assert.equal(recovered.current.tableCount(), 0)
    assert.ok(recovered.nextFileNumber() >= 2)
  })

  test('recover() after many hardened edits equals the in-memory version and reports format 3', async (t) => {
    const seed = seedFromEnv() + 20
    t.diagnostic(`seed=${seed}`)
    const vfs = new MemVfs()
    const { states } = await storeWithEdits(vfs, seed, 200, HARDENED)
    const recovered = await VersionSet.recover(vfs, DIR, HARDENED)
    assert.deepEqual(snapshotOf(recovered), states.at(-1), `seed=${seed}`)
    assert.equal(recovered.recoveryReport?.formatVersion, 3)
    assert.equal(recovered.recoveryReport?.editCount, 201)
    assert.equal(recovered.recoveryReport?.repairedCopyCount, 0)
  })

  test('every single flipped bit of a small hardened manifest is repaired from its mirror and counted', async () => {
    const { vfs, bytes, expected } = await fixedStore(HARDENED)
    const manifestPath = `${DIR}/${manifestFileName(1)}`
    let repaired = 0
    for (let at = 0; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = bytes.slice()
        damaged[at] ^= 1 << bit
        const copy = vfs.crash()
        writeBytes(copy, manifestPath, damaged)
        const recovered = await VersionSet.recover(copy, DIR, { ...HARDENED, readOnly: true })
        assert.deepEqual(snapshotOf(recovered), expected, `at=${at} bit=${bit}`)
        assert.equal(recovered.recoveryReport?.repairedCopyCount, 1, `at=${at} bit=${bit}`)
        assert.equal(recovered.recoveryReport?.tailBytesDropped, 0, `at=${at} bit=${bit}`)
        repaired++
      }
    }
    assert.equal(repaired, 8 * bytes.length)
  })

  test('a repaired manifest is rewritten clean: the next recover() repairs nothing', async (t) => {
    const seed = seedFromEnv() + 21
    const random = prng(seed)
    t.diagnostic(`seed=${seed}`)
    const { vfs, bytes, expected } = await fixedStore(HARDENED)
    const manifestPath = `${DIR}/${manifestFileName(1)}`
    for (let round = 0; round < 20; round++) {
      const at = Math.floor(random() * bytes.length)
      const damaged = bytes.slice()
      damaged[at] ^= 1 << Math.floor(random() * 8)
      const copy = vfs.crash()
      writeBytes(copy, manifestPath, damaged)
      const first = await VersionSet.recover(copy, DIR, HARDENED)
      assert.equal(first.recoveryReport?.repairedCopyCount, 1, `seed=${seed} at=${at}`)
      await first.close()
      assert.ok(!copy.exists(manifestPath), 'the damaged manifest is removed')
      const second = await VersionSet.recover(copy, DIR, HARDENED)
      assert.equal(second.recoveryReport?.repairedCopyCount, 0, `seed=${seed} at=${at}`)
      assert.deepEqual(snapshotOf(second), expected)
    }
  })

  test('a torn last pair (the file ends at any byte inside it) is ignored and reported', async () => {
    const vfs = new MemVfs()
    const { manifestPath, states } = await storeWithEdits(vfs, seedFromEnv() + 22, 4, HARDENED)
    const bytes = readBytes(vfs, manifestPath)
    const lastStart = pairOffsets(bytes).at(-1)!
    for (let cut = lastStart + 1; cut < bytes.length; cut++) {
      const copy = vfs.crash()
      writeBytes(copy, manifestPath, bytes.subarray(0, cut))
      const recovered = await VersionSet.recover(copy, DIR, HARDENED)
      assert.deepEqual(snapshotOf(recovered), states[3], `cut=${cut}`)
      assert.equal(recovered.recoveryReport?.tailBytesDropped, cut - lastStart, `cut=${cut}`)
      assert.equal(recovered.recoveryReport?.repairedCopyCount, 0, `cut=${cut}`)
    }
  })

  test('a zero-filled tail after the last pair is dropped as torn', async () => {
    const vfs = new MemVfs()
    const { manifestPath, states } = await storeWithEdits(vfs, seedFromEnv() + 23, 3, HARDENED)
    const bytes = readBytes(vfs, manifestPath)
    for (const zeroBytes of [1, 55, 56, 57, 300]) {
      const copy = vfs.crash()
      writeBytes(copy, manifestPath, Buffer.concat([bytes, new Uint8Array(zeroBytes)]))
      const recovered = await VersionSet.recover(copy, DIR, HARDENED)
      assert.deepEqual(snapshotOf(recovered), states.at(-1), `zeros=${zeroBytes}`)
      assert.equal(recovered.recoveryReport?.tailReason, zeroBytes < PAIR_HEADER_SIZE_BYTES ? 'incomplete-record-header' : 'zero-filled')
    }
  })

  test('both copies of a record damaged (middle or last) is CORRUPTION naming the manifest and record', async () => {
    const vfs = new MemVfs()
    const { manifestPath } = await storeWithEdits(vfs, seedFromEnv() + 24, 4, HARDENED)
    const bytes = readBytes(vfs, manifestPath)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (const [recordIndex, start] of pairOffsets(bytes).entries()) {
      const payloadSizeBytes = view.getUint32(start, true)
      const targets: Array<[string, number, number]> = [
        ['both payloads', start + PAIR_HEADER_SIZE_BYTES, start + PAIR_HEADER_SIZE_BYTES + payloadSizeBytes],
        ['both crc32 fields', start + 8, start + 28 + 8],
        ['payload A and header B', start + PAIR_HEADER_SIZE_BYTES + payloadSizeBytes - 1, start + 28 + 20],
      ]
      for (const [what, first, second] of targets) {
        const damaged = bytes.slice()
        damaged[first] ^= 0x10
        damaged[second] ^= 0x01
        const copy = vfs.crash()
        writeBytes(copy, manifestPath, damaged)
        await assert.rejects(VersionSet.recover(copy, DIR, HARDENED), (error: unknown) => {
          assertCorruptionNaming(error, manifestPath, `${what} of record ${recordIndex}`)
          assert.equal((error as StrataError).details.recordIndex, recordIndex, what)
          return true
        })
      }
    }
  })

  test('an intact header of an unknown version is UNSUPPORTED_FORMAT_VERSION naming the version found', async () => {
    const { vfs, bytes } = await fixedStore(HARDENED)
    const manifestPath = `${DIR}/${manifestFileName(1)}`
    const future = bytes.slice()
    for (const offset of [0, 20]) {
      future[offset + 4] = 9
      new DataView(future.buffer).setUint32(offset + 16, zlib.crc32(future.subarray(offset, offset + 16)), true)
    }
    const copy = vfs.crash()
    writeBytes(copy, manifestPath, future)
    await assert.rejects(VersionSet.recover(copy, DIR), (error: unknown) => {
      assert.ok(error instanceof StrataError)
      assert.equal(error.code, 'UNSUPPORTED_FORMAT_VERSION')
      assert.equal(error.details.formatVersion, 9)
      assert.equal(error.details.fileName, manifestPath)
      return true
    })
  })

  test('both copies of the file header damaged is CORRUPTION naming the manifest', async () => {
    const { vfs, bytes } = await fixedStore(HARDENED)
    const manifestPath = `${DIR}/${manifestFileName(1)}`
    for (const [first, second] of [[0, 20], [9, 29], [4, 36], [17, 24]]) {
      const damaged = bytes.slice()
      damaged[first] ^= 0x02
      damaged[second] ^= 0x40
      const copy = vfs.crash()
      writeBytes(copy, manifestPath, damaged)
      await assert.rejects(VersionSet.recover(copy, DIR, HARDENED), (error: unknown) => assertCorruptionNaming(error, manifestPath, `bytes ${first}, ${second}`))
    }
  })

  test('random multi-byte damage gives the full state, a reported prefix, or a typed error: never another state', async (t) => {
    const seed = seedFromEnv() + 27
    t.diagnostic(`seed=${seed}`)
    const random = prng(seed)
    const vfs = new MemVfs()
    const { manifestPath, states } = await storeWithEdits(vfs, seed, 5, HARDENED)
    const bytes = readBytes(vfs, manifestPath)
    const outcomes = { full: 0, prefix: 0, prefixWithoutCut: 0, error: 0 }
    for (let round = 0; round < 300; round++) {
      const damaged = bytes.slice()
      const damageCount = 1 + Math.floor(random() * 6)
      for (let i = 0; i < damageCount; i++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256)
      const cut = random() < 0.3 ? Math.floor(random() * damaged.length) : damaged.length
      const copy = vfs.crash()
      writeBytes(copy, manifestPath, damaged.subarray(0, cut))
      const where = `seed=${seed} round=${round}`
      try {
        const recovered = await VersionSet.recover(copy, DIR, { ...HARDENED, readOnly: true })
        const state = JSON.stringify(snapshotOf(recovered))
        const index = states.findIndex((candidate) => JSON.stringify(candidate) === state)
        assert.ok(index >= 0, `${where}: recovered a state that never existed`)
        if (index === states.length - 1) {
          outcomes.full++
        } else {
          // A cut at a pair boundary leaves a shorter clean manifest (manifest.md §5, limits).
          const truncated = cut < damaged.length
          assert.ok(truncated || (recovered.recoveryReport?.tailBytesDropped ?? 0) > 0, `${where}: a prefix without a cut or a reported tail`)
          if (truncated) outcomes.prefix++
          else outcomes.prefixWithoutCut++
        }
      } catch (error) {
        assert.ok(error instanceof StrataError, `${where}: ${String(error)}`)
        assert.ok(['CORRUPTION', 'UNSUPPORTED_FORMAT_VERSION'].includes(error.code), `${where}: ${error.code}`)
        outcomes.error++
      }
    }
    t.diagnostic(JSON.stringify(outcomes))
    assert.ok(outcomes.full > 0 && outcomes.error > 0)
  })

  test('reopening with the option switched on and off converts the manifest and keeps the state', async (t) => {
    const seed = seedFromEnv() + 25
    t.diagnostic(`seed=${seed}`)
    const vfs = new MemVfs()
    const { states } = await storeWithEdits(vfs, seed, 30, {})
    let expected = states.at(-1)
    const random = prng(seed + 1)
    for (const [round, hardened] of [true, false, true, true, false].entries()) {
      const set = await VersionSet.recover(vfs, DIR, { manifestHardening: hardened })
      assert.deepEqual(snapshotOf(set), expected, `round=${round}`)
      const manifestBytes = readBytes(vfs, manifestPathOf(set))
      assert.equal(manifestBytes[4], hardened ? 3 : 1, `round=${round}: the new manifest takes the option's format`)
      await set.logAndApply(randomEdit(random, set.current, () => set.nextFileNumber(), 100 + round))
      expected = snapshotOf(set)
      await set.close()
    }
    const last = await VersionSet.recover(vfs, DIR)
    assert.deepEqual(snapshotOf(last), expected)
    assert.equal(last.recoveryReport?.formatVersion, 1)
  })
})
