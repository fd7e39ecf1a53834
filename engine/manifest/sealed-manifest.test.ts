// Sealed manifests (docs/formats/manifest.md §7, docs/encryption.md §8) through the VersionSet,
// in both framings (format 2: the encrypted log framing; format 4: hardened and sealed): no user
// key in the file, round trip and reopen, key rotation, the three key errors, a record swapped
// in from another store, a torn tail at every byte of the last record, a damaged last record,
// and the stripping rules (a plaintext manifest in an encrypted store). MemVfs; seeded edits.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { MemVfs } from '../vfs/mod.ts'
import { StrataError } from '../errors.ts'
import { LogCipher } from '../wal/mod.ts'
import { KeyChain } from '../transform/mod.ts'
import { VersionSet, type VersionSetOptions } from './version-set.ts'
import { CURRENT_FILE_NAME, manifestFileName } from './file-names.ts'
import { createManifestWriter } from './manifest-writer.ts'
import { encodeVersionEdit } from './edit-codec.ts'
import { writeCurrentFile } from './current-file.ts'
import { HookedVfs } from '../wal/hooked-vfs.ts'
import { prng, randomEdit, readBytes, seedFromEnv, snapshotOf, storeWithEdits, table, writeBytes } from './test-support.ts'

const DIR = '/db'
const KEY_1 = Uint8Array.from({ length: 32 }, (_, i) => i)
const KEY_2 = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)
const SMALLEST = 'secret-first-user-key'
const LARGEST = 'secret-last-user-key'
/** Record header sizes: the log framing's (wal.md §3) and a hardened pair's (manifest.md §6.2). */
const LOG_RECORD_HEADER_SIZE_BYTES = 12
const PAIR_HEADER_SIZE_BYTES = 56

function cipherOf(keys: { epoch: number; key: Uint8Array }[], activeEpoch: number, retiredEpochs: number[] = []): LogCipher {
  return new LogCipher({ suite: 'aes-256-gcm', keyChain: new KeyChain({ keys, activeEpoch, retiredEpochs }), allowPlaintextLogs: true })
}

const CIPHER_1 = cipherOf([{ epoch: 1, key: KEY_1 }], 1)
const FORMATS = [
  { hardened: false, sealedVersion: 2, name: 'log framing (format 2)' },
  { hardened: true, sealedVersion: 4, name: 'hardened (format 4)' },
]

/** `null`: no cipher (a default parameter would turn undefined into CIPHER_1). */
function optionsOf(hardened: boolean, cipher: LogCipher | null = CIPHER_1): VersionSetOptions {
  return { manifestHardening: hardened, cipher: cipher ?? undefined }
}

function currentManifestPath(vfs: MemVfs): string {
  const name = Buffer.from(readBytes(vfs, `${DIR}/${CURRENT_FILE_NAME}`)).toString('latin1').trim()
  return `${DIR}/${name}`
}

/** A closed store whose manifest holds the snapshot and one flush edit with the secret keys. */
async function storeWithSecretKeys(options: VersionSetOptions): Promise<MemVfs> {
  const vfs = new MemVfs()
  const set = await VersionSet.create(vfs, DIR, options)
  await set.logAndApply({ addedTables: [table(0, set.nextFileNumber(), SMALLEST, LARGEST, 5)], lastSeqno: 100, logNumber: 1 })
  await set.close()
  return vfs
}

/** Start offsets of the records (log framing) or pairs (hardened) of an undamaged manifest. */
function recordOffsets(bytes: Uint8Array, hardened: boolean, sealed: boolean): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerSizeBytes = hardened ? (sealed ? 112 : 40) : (sealed ? 56 : 20)
  const offsets: number[] = []
  for (let offset = headerSizeBytes; offset < bytes.length;) {
    offsets.push(offset)
    const payloadSizeBytes = view.getUint32(offset, true)
    offset += hardened ? PAIR_HEADER_SIZE_BYTES + 2 * payloadSizeBytes : LOG_RECORD_HEADER_SIZE_BYTES + payloadSizeBytes
  }
  return offsets
}

function assertCode(code: string, what: string, check?: (error: StrataError) => void): (error: unknown) => true {
  return (error: unknown) => {
    assert.ok(error instanceof StrataError, `${what}: ${String(error)}`)
    assert.equal(error.code, code, `${what}: ${error.message}`)
    check?.(error)
    return true
  }
}

describe('sealed manifest', () => {
  for (const { hardened, sealedVersion, name } of FORMATS) {
    describe(name, () => {
      test('no user key bytes in the file (plaintext control shows them); the format byte says sealed', async () => {
        for (const cipher of [null, CIPHER_1]) {
          const vfs = await storeWithSecretKeys(optionsOf(hardened, cipher))
          const bytes = Buffer.from(readBytes(vfs, currentManifestPath(vfs)))
          const leaks = [SMALLEST, LARGEST].filter((key) => bytes.includes(Buffer.from(key, 'latin1')))
          if (cipher === null) assert.equal(leaks.length, 2, 'the control sees the keys in a plaintext manifest')
          else {
            assert.deepEqual(leaks, [], 'no user key in a sealed manifest')
            assert.equal(bytes[4], sealedVersion)
          }
        }
      })

      test('round trip and reopen: every state recovers, the reopened manifest is sealed again', async (t) => {
        const seed = seedFromEnv()
        t.diagnostic(`seed=${seed}`)
        const vfs = new MemVfs()
        const { states } = await storeWithEdits(vfs, DIR, seed, 40, optionsOf(hardened))
        const first = await VersionSet.recover(vfs, DIR, optionsOf(hardened))
        assert.deepEqual(snapshotOf(first), states.at(-1))
        assert.equal(first.recoveryReport?.encrypted, true)
        assert.equal(first.recoveryReport?.formatVersion, sealedVersion)
        assert.equal(first.encryptedFromFileNumber, 1, 'the store was sealed from its first manifest on')
        await first.logAndApply({ lastSeqno: 999_999 })
        await first.close()
        const second = await VersionSet.recover(vfs, DIR, optionsOf(hardened))
        assert.equal(second.lastSeqno, 999_999)
        assert.equal(second.encryptedFromFileNumber, 1)
        await second.close()
        // The other framing reads it too: the option only chooses what new manifests look like.
        const other = await VersionSet.recover(vfs, DIR, optionsOf(!hardened))
        assert.equal(other.recoveryReport?.formatVersion, sealedVersion)
        await other.close()
        assert.equal(readBytes(vfs, currentManifestPath(vfs))[4], hardened ? 2 : 4)
      })

      test('key rotation: a manifest sealed under epoch 1 reads with epoch 2 active, and the next is sealed under 2', async () => {
        const vfs = await storeWithSecretKeys(optionsOf(hardened))
        const rotated = cipherOf([{ epoch: 1, key: KEY_1 }, { epoch: 2, key: KEY_2 }], 2)
        const set = await VersionSet.recover(vfs, DIR, optionsOf(hardened, rotated))
        assert.equal(set.current.levels[0][0].smallestKey, SMALLEST)
        await set.close()
        const view = new DataView(readBytes(vfs, currentManifestPath(vfs)).buffer)
        assert.equal(view.getUint32(16, true), 2, 'the new manifest names epoch 2')
        // Epoch 1 may now go: only epoch 2 is needed.
        const onlyTwo = await VersionSet.recover(vfs, DIR, { ...optionsOf(hardened, cipherOf([{ epoch: 2, key: KEY_2 }], 2)), readOnly: true })
        assert.equal(onlyTwo.current.levels[0][0].largestKey, LARGEST)
      })

      test('key errors: none or unknown epoch UNKNOWN_KEY_EPOCH, retired MISSING_KEY, wrong key DECRYPT_FAILED; no key bytes in errors', async () => {
        const vfs = await storeWithSecretKeys(optionsOf(hardened))
        const cases: [string, LogCipher | null][] = [
          ['UNKNOWN_KEY_EPOCH', null],
          ['UNKNOWN_KEY_EPOCH', cipherOf([{ epoch: 2, key: KEY_2 }], 2)],
          ['MISSING_KEY', cipherOf([{ epoch: 2, key: KEY_2 }], 2, [1])],
          ['DECRYPT_FAILED', cipherOf([{ epoch: 1, key: KEY_2 }], 1)],
        ]
        for (const [code, cipher] of cases) {
          await assert.rejects(VersionSet.recover(vfs, DIR, { ...optionsOf(hardened, cipher), readOnly: true }), assertCode(code, code, (error) => {
            assert.equal(error.details.keyEpoch, 1)
            const text = `${error.message} ${JSON.stringify(error.details)}`
            for (const key of [KEY_1, KEY_2]) assert.ok(!text.includes(Buffer.from(key).toString('hex')), 'no key bytes')
          }))
        }
      })

      test('a record swapped in from another store with the same key fails authentication', async () => {
        // Same seed, so both stores write the same edits with the same sizes; salts differ.
        const a = new MemVfs()
        const b = new MemVfs()
        await storeWithEdits(a, DIR, 7, 5, optionsOf(hardened))
        await storeWithEdits(b, DIR, 7, 5, optionsOf(hardened))
        const pathA = currentManifestPath(a)
        assert.equal(pathA, currentManifestPath(b))
        const bytesA = readBytes(a, pathA)
        const bytesB = readBytes(b, pathA).slice()
        assert.equal(bytesA.length, bytesB.length)
        const offsets = recordOffsets(bytesA, hardened, true)
        const index = 3
        bytesB.set(bytesA.subarray(offsets[index], offsets[index + 1]), offsets[index])
        writeBytes(b, pathA, bytesB)
        await assert.rejects(VersionSet.recover(b, DIR, { ...optionsOf(hardened), readOnly: true }),
          assertCode('DECRYPT_FAILED', 'swapped record', (error) => assert.equal(error.details.recordIndex, index)))
      })

      test('a torn tail at every byte of the last record recovers the state before it', async () => {
        const vfs = new MemVfs()
        const { manifestPath, states } = await storeWithEdits(vfs, DIR, seedFromEnv(), 4, optionsOf(hardened))
        const bytes = readBytes(vfs, manifestPath)
        const last = recordOffsets(bytes, hardened, true).at(-1)!
        for (let end = last; end < bytes.length; end++) {
          const copy = vfs.crash()
          writeBytes(copy, manifestPath, bytes.subarray(0, end))
          const set = await VersionSet.recover(copy, DIR, { ...optionsOf(hardened), readOnly: true })
          assert.deepEqual(snapshotOf(set), states.at(-2), `torn at byte ${end}`)
          assert.equal(set.recoveryReport?.tailBytesDropped, end - last, `torn at byte ${end}`)
        }
      })

      test('a damaged complete last record is CORRUPTION (the rule runs on the sealed bytes), not a torn tail', async () => {
        const vfs = new MemVfs()
        const { manifestPath } = await storeWithEdits(vfs, DIR, seedFromEnv(), 4, optionsOf(hardened))
        const bytes = readBytes(vfs, manifestPath).slice()
        const last = recordOffsets(bytes, hardened, true).at(-1)!
        const view = new DataView(bytes.buffer)
        const payloadSizeBytes = view.getUint32(last, true)
        const headerSizeBytes = hardened ? PAIR_HEADER_SIZE_BYTES : LOG_RECORD_HEADER_SIZE_BYTES
        // Flip one ciphertext bit in every copy (one copy, for the hardened format, is repaired).
        bytes[last + headerSizeBytes + 1] ^= 0x04
        if (hardened) bytes[last + headerSizeBytes + payloadSizeBytes + 1] ^= 0x04
        writeBytes(vfs, manifestPath, bytes)
        await assert.rejects(VersionSet.recover(vfs, DIR, { ...optionsOf(hardened), readOnly: true }), assertCode('CORRUPTION', 'damaged last record'))
        if (hardened) {
          bytes[last + headerSizeBytes + payloadSizeBytes + 1] ^= 0x04
          writeBytes(vfs, manifestPath, bytes)
          const repaired = await VersionSet.recover(vfs, DIR, { ...optionsOf(hardened), readOnly: true })
          assert.equal(repaired.recoveryReport?.repairedCopyCount, 1)
        }
      })

      test('stripping: a plaintext manifest is refused when it says "encrypted", succeeds a sealed one, or encryption is required', async () => {
        const vfs = await storeWithSecretKeys(optionsOf(hardened))
        const sealedPath = currentManifestPath(vfs)
        const sealed = await VersionSet.recover(vfs, DIR, { ...optionsOf(hardened), readOnly: true })
        const snapshot = { ...sealed.current.toSnapshotEdit(), logNumber: sealed.logNumber, lastSeqno: sealed.lastSeqno, nextFileNumber: 50 }
        const plaintextManifest = async (fileNumber: number, claimEncrypted: boolean) => {
          const writer = createManifestWriter(vfs, `${DIR}/${manifestFileName(fileNumber)}`, fileNumber, { hardened })
          writer.add(encodeVersionEdit(claimEncrypted ? { ...snapshot, encryptedFromFileNumber: 1 } : snapshot))
          await writer.close()
          await writeCurrentFile(vfs, DIR, fileNumber)
        }
        const stripped = (what: string) => assertCode('DECRYPT_FAILED', what, (error) => assert.equal(error.details.reason, 'plaintext-manifest-in-encrypted-store'))
        // 1. In place of the sealed manifest, keeping the "encrypted" fact.
        const sealedBytes = readBytes(vfs, sealedPath)
        const sealedNumber = Number(sealedPath.slice(-6))
        await plaintextManifest(sealedNumber, true)
        await assert.rejects(VersionSet.recover(vfs, DIR, optionsOf(hardened)), stripped('plaintext, says encrypted'))
        writeBytes(vfs, sealedPath, sealedBytes)
        // 2. A successor without the fact, the sealed manifest left in the directory.
        await plaintextManifest(40, false)
        await assert.rejects(VersionSet.recover(vfs, DIR, optionsOf(hardened)), stripped('plaintext successor'))
        await assert.rejects(VersionSet.recover(vfs, DIR, { manifestHardening: hardened, readOnly: true }), stripped('plaintext successor, no keys'))
        // 3. The sealed manifest removed as well: indistinguishable from a store written before
        //    encryption, so it opens (the documented limit), unless the caller requires encryption.
        vfs.remove(sealedPath)
        await assert.rejects(VersionSet.recover(vfs, DIR, { ...optionsOf(hardened), requireEncryptedManifest: true }), stripped('required'))
        const legacy = await VersionSet.recover(vfs, DIR, optionsOf(hardened))
        assert.equal(legacy.recoveryReport?.encrypted, false)
        assert.equal(legacy.encryptedFromFileNumber, 50, 'converted: sealed from the manifest written at open')
        await legacy.close()
      })
    })
  }

  test('a store written before encryption converts at the first open with keys; plaintext logs below the mark stay readable', async () => {
    const vfs = new MemVfs()
    const { states } = await storeWithEdits(vfs, DIR, seedFromEnv(), 10, { manifestHardening: false })
    const before = await VersionSet.recover(vfs, DIR, { readOnly: true })
    assert.equal(before.encryptedFromFileNumber, undefined)
    const converted = await VersionSet.recover(vfs, DIR, optionsOf(false))
    assert.deepEqual(snapshotOf(converted), states.at(-1))
    const mark = converted.encryptedFromFileNumber!
    assert.equal(mark, converted.manifestFileNumber)
    assert.equal(converted.requiresEncryptedLog(mark - 1), false)
    assert.equal(converted.requiresEncryptedLog(mark), true)
    await converted.close()
    const again = await VersionSet.recover(vfs, DIR, optionsOf(true))
    assert.equal(again.recoveryReport?.encrypted, true)
    assert.equal(again.encryptedFromFileNumber, mark, 'the mark never moves')
    await again.close()
    await assert.rejects(VersionSet.recover(vfs, DIR, { readOnly: true }), assertCode('UNKNOWN_KEY_EPOCH', 'no keys after conversion'))
  })
})

describe('sealed manifest bit flips', () => {
  for (const { hardened, name } of FORMATS) {
    test(`${name}: every single flipped bit is repaired (format 4) or a typed error (format 2), never another state`, async () => {
      const vfs = new MemVfs()
      const set = await VersionSet.create(vfs, DIR, optionsOf(hardened))
      await set.logAndApply({ addedTables: [table(0, set.nextFileNumber(), 'a', 'k', 5)], lastSeqno: 100, logNumber: 1 })
      await set.close()
      const expected = snapshotOf(set)
      const manifestPath = currentManifestPath(vfs)
      const bytes = readBytes(vfs, manifestPath)
      const codes = new Map<string, number>()
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const copy = vfs.crash()
        const flipped = bytes.slice()
        flipped[bit >> 3] ^= 1 << (bit & 7)
        writeBytes(copy, manifestPath, flipped)
        try {
          const recovered = await VersionSet.recover(copy, DIR, { ...optionsOf(hardened), readOnly: true })
          assert.deepEqual(snapshotOf(recovered), expected, `bit ${bit}`)
          if (hardened) assert.equal(recovered.recoveryReport?.repairedCopyCount, 1, `bit ${bit}`)
          codes.set('repaired', (codes.get('repaired') ?? 0) + 1)
        } catch (error) {
          assert.ok(!hardened, `bit ${bit} of a format-4 manifest: ${String(error)}`)
          assert.ok(error instanceof StrataError && ['CORRUPTION', 'DECRYPT_FAILED', 'UNSUPPORTED_FORMAT_VERSION'].includes(error.code), `bit ${bit}: ${String(error)}`)
          codes.set(error.code, (codes.get(error.code) ?? 0) + 1)
        }
      }
      if (!hardened) assert.equal(codes.get('repaired'), undefined, 'format 2 has no mirror')
    })
  }
})

describe('sealed manifest crash consistency', () => {
  for (const { hardened, name } of FORMATS) {
    test(`${name}: a crash at every step of logAndApply (a new manifest per edit) leaves the old or the new version`, async (t) => {
      const seed = seedFromEnv() + 5
      t.diagnostic(`seed=${seed}`)
      const memory = new MemVfs()
      let crashPoints: MemVfs[] | null = null
      const vfs = new HookedVfs(memory, { afterOp: () => crashPoints?.push(memory.crash()) })
      const set = await VersionSet.create(vfs, DIR, { ...optionsOf(hardened), manifestRotateSizeBytes: 1 })
      const random = prng(seed)
      for (let step = 0; step < 6; step++) {
        const before = JSON.stringify(snapshotOf(set))
        crashPoints = [memory.crash()]
        await set.logAndApply(randomEdit(random, set.current, () => set.nextFileNumber(), step))
        const points = crashPoints
        crashPoints = null
        const after = JSON.stringify(snapshotOf(set))
        for (const [index, point] of points.entries()) {
          const recovered = JSON.stringify(snapshotOf(await VersionSet.recover(point, DIR, optionsOf(hardened))))
          assert.ok(recovered === before || recovered === after, `seed=${seed} step=${step} crashPoint=${index}`)
        }
      }
    })
  }

  test('a crash at every step of the converting open (plaintext store, first open with keys) keeps the state and converts on the next', async (t) => {
    const seed = seedFromEnv() + 6
    t.diagnostic(`seed=${seed}`)
    const memory = new MemVfs()
    const { states } = await storeWithEdits(memory, DIR, seed, 8, { manifestHardening: true })
    const points: MemVfs[] = []
    const base = memory.crash()
    await VersionSet.recover(new HookedVfs(base, { afterOp: () => points.push(base.crash()) }), DIR, optionsOf(true))
    assert.ok(points.length > 3)
    for (const [index, point] of points.entries()) {
      const recovered = await VersionSet.recover(point, DIR, optionsOf(true))
      assert.deepEqual(snapshotOf(recovered), states.at(-1), `crashPoint=${index}`)
      assert.ok(recovered.encryptedFromFileNumber !== undefined, `crashPoint=${index}: converted`)
      await recovered.close()
      assert.equal(readBytes(point, currentManifestPath(point))[4], 4, `crashPoint=${index}`)
    }
  })
})

describe('format 4 worked example (docs/formats/manifest.md §7.5)', () => {
  test('recomputed from the doc alone: HKDF file key, header tag, sealed record with AAD format version 4', async () => {
    const { createCipheriv, hkdfSync } = await import('node:crypto')
    const key = Uint8Array.from({ length: 32 }, (_, i) => i)
    const cipher = new LogCipher({
      suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 }, saltFill: (target) => { target.fill(0x5a) },
    })
    const vfs = new MemVfs()
    vfs.mkdirp(DIR)
    const writer = createManifestWriter(vfs, `${DIR}/${manifestFileName(7)}`, 7, { hardened: true, cipher })
    writer.add(Buffer.from('abc'))
    await writer.close()
    const bytes = Buffer.from(readBytes(vfs, `${DIR}/${manifestFileName(7)}`))
    assert.equal(bytes.length, 112 + 56 + 2 * 19)
    assert.deepEqual(bytes.subarray(0, 56), bytes.subarray(56, 112), 'header copies agree')
    const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeUInt32LE(n, 0); return b }
    const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n, 0); return b }
    const salt = Buffer.alloc(16, 0x5a)
    const info = Buffer.concat([Buffer.from('strata log file key v1', 'latin1'), Buffer.from([2, 1]), u32(1), u64(7)])
    const fileKey = Buffer.from(hkdfSync('sha256', key, salt, info, 32))
    const seal = (nonceIndex: number, aad: Uint8Array, plaintext: Uint8Array) => {
      const gcm = createCipheriv('aes-256-gcm', fileKey, Buffer.concat([u32(nonceIndex), Buffer.alloc(8)]))
      gcm.setAAD(aad)
      return Buffer.concat([gcm.update(plaintext), gcm.final(), gcm.getAuthTag()])
    }
    const authenticated = Buffer.concat([Buffer.from('SMAN'), Buffer.from([4, 1, 0, 0]), u64(7), u32(1), salt])
    assert.deepEqual(bytes.subarray(0, 36), authenticated)
    assert.deepEqual(bytes.subarray(36, 52), seal(0xffffffff, authenticated, new Uint8Array(0)), 'header tag')
    const aad = Buffer.concat([Buffer.from('SLAD'), Buffer.from([1, 4, 2, 1]), u64(7), u32(1), u32(0)])
    const sealed = seal(0, aad, Buffer.from('abc'))
    assert.deepEqual(bytes.subarray(112 + 56, 112 + 56 + 19), sealed, 'payload copy A')
    assert.deepEqual(bytes.subarray(112 + 56 + 19), sealed, 'payload copy B')
    assert.equal(bytes.readUInt32LE(112), 19)
    assert.equal(bytes.readUInt32LE(116), 0)
    // Pinned: the hex in docs/formats/manifest.md §7.5.
    assert.equal(bytes.toString('hex'), SEALED_EXAMPLE_HEX)
  })
})

const SEALED_EXAMPLE_HEX = '534d414e040100000700000000000000010000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a14ac5f7a3ca751ebfd4ddf052818148910204506534d414e040100000700000000000000010000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a14ac5f7a3ca751ebfd4ddf0528181489102045061300000000000000df4890912aa7d8f79e5c256a4cacdea315c65a7b1300000000000000df4890912aa7d8f79e5c256a4cacdea315c65a7b14dd49965b94b0078760cded32ca09a2a6ee5a14dd49965b94b0078760cded32ca09a2a6ee5a'
