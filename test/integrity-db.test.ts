// Goal: the integrity stack works through the public Db, not just the codec: every combination
// of compression x encryption x ECC round-trips through flush, compact and reopen; a flipped bit
// is repaired (ECC on, counted in stats().integrity, healed with autoHeal) or reported as a typed
// error (ECC off), never returned as wrong data; keys are checked and rotate.
// Method: seeded writes against a Map model on MemVfs for the matrix; real files in a temp
// directory where a test flips bits on disk. STRATA_SEED=<n> replays a run.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { open, MemVfs, type Db, type OpenOptions } from '../index.ts'
import type { IntegrityOptions } from '../engine/integrity-options.ts'
import { Rng, seedFromEnv } from './support/seed.ts'

const KEY_1 = new Uint8Array(32).fill(0x11)
const KEY_2 = new Uint8Array(32).fill(0x22)
const SUITES = ['aes-256-gcm', 'chacha20-poly1305', 'xchacha20-poly1305', 'aes-256-gcm-siv'] as const
const ECCS = [undefined, 'xor', 'reed-solomon', 'sec-ded'] as const
const SMALL: OpenOptions = { memtableSizeBytes: 16 * 1024, blockSizeBytes: 1024, backgroundWork: false }

const temporaryDirectories: string[] = []
after(() => {
  for (const directory of temporaryDirectories) fs.rmSync(directory, { recursive: true, force: true })
})

function temporaryDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-integrity-'))
  temporaryDirectories.push(directory)
  return directory
}

function encryption(suite: (typeof SUITES)[number], keys: { epoch: number; key: Uint8Array }[], activeEpoch: number): IntegrityOptions['encryption'] {
  return { suite, keys, activeEpoch }
}

/** Seeded puts, overwrites and deletes; returns the model of what must be there. */
async function writeWorkload(db: Db, rng: Rng, operationCount: number): Promise<Map<string, string>> {
  const model = new Map<string, string>()
  for (let step = 0; step < operationCount; step++) {
    const key = `key${String(rng.below(300)).padStart(4, '0')}`
    if (rng.chance(0.15)) {
      await db.delete(key)
      model.delete(key)
    } else {
      // Repetitive values so zstd has something to do; some long ones span blocks.
      const value = `value-${step}-`.repeat(1 + rng.below(rng.chance(0.1) ? 80 : 6))
      await db.put(key, value)
      model.set(key, value)
    }
    if (step === Math.floor(operationCount / 2)) await db.flush()
  }
  return model
}

async function assertMatches(db: Db, model: Map<string, string>, message: string): Promise<void> {
  const actual: [string, string][] = []
  for await (const [key, value] of db.iterator()) actual.push([key.toString(), value.toString()])
  const expected = [...model].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  assert.deepEqual(actual, expected, message)
  for (const [key, value] of expected.slice(0, 40)) assert.equal((await db.get(key))?.toString(), value, `${message} get ${key}`)
}

/** Flips bit `bit` of the byte at `offsetBytes` of `file`. */
function flipBit(file: string, offsetBytes: number, bit = 3): void {
  const bytes = fs.readFileSync(file)
  bytes[offsetBytes] ^= 1 << bit
  fs.writeFileSync(file, bytes)
}

function tableFiles(directory: string): string[] {
  return fs.readdirSync(directory).filter((name) => name.endsWith('.sst')).sort().map((name) => path.join(directory, name))
}

/** A store on disk with one compacted table holding `key000`…`key199`. */
async function storeWithOneTable(integrity: IntegrityOptions | undefined): Promise<{ directory: string; model: Map<string, string> }> {
  const directory = temporaryDirectory()
  const db = await open(directory, { ...SMALL, integrity })
  const model = new Map<string, string>()
  for (let index = 0; index < 200; index++) {
    const key = `key${String(index).padStart(3, '0')}`
    model.set(key, `value ${index} `.repeat(4))
    await db.put(key, model.get(key)!)
  }
  await db.compact()
  await db.close()
  assert.equal(tableFiles(directory).length, 1)
  return { directory, model }
}

describe('integrity through the Db', () => {
  const encryptions = [undefined, ...SUITES] as const
  for (const compression of ['none', 'zstd'] as const) {
    for (const suite of encryptions) {
      for (const ecc of ECCS) {
        const name = `compression ${compression}, encryption ${suite ?? 'none'}, ecc ${ecc ?? 'none'}`
        test(`open, write, flush, compact, reopen and read back (${name})`, async (t) => {
          const seed = seedFromEnv(`integrity matrix ${name}`)
          t.diagnostic(`seed=${seed}`)
          const integrity: IntegrityOptions = {
            compression: compression === 'zstd' ? { kind: 'zstd', level: 3 } : { kind: 'none' },
            ...(suite === undefined ? {} : { encryption: encryption(suite, [{ epoch: 7, key: KEY_1 }], 7) }),
            ...(ecc === undefined ? {} : { ecc }),
          }
          const vfs = new MemVfs()
          const options: OpenOptions = { ...SMALL, vfs, integrity }
          let db = await open('/db', options)
          const model = await writeWorkload(db, new Rng(seed), 600)
          await db.compact()
          await assertMatches(db, model, `seed=${seed} before reopen`)
          const stats = db.stats()
          assert.equal(stats.integrity.repairCount, 0)
          assert.equal(stats.integrity.encryption?.activeEpoch, suite === undefined ? undefined : 7)
          await db.close()
          db = await open('/db', options)
          await assertMatches(db, model, `seed=${seed} after reopen`)
          const report = await db.verify()
          assert.equal(report.ok, true, `seed=${seed} ${JSON.stringify(report)}`)
          assert.ok(report.files.every((file) => file.status === 'clean'))
          await db.close()
        })
      }
    }
  }

  for (const ecc of ['sec-ded', 'xor', 'reed-solomon'] as const) {
    test(`a flipped bit in a table is repaired and counted (ecc ${ecc})`, async () => {
      const integrity: IntegrityOptions = { ecc, compression: { kind: 'zstd' }, encryption: encryption('aes-256-gcm', [{ epoch: 1, key: KEY_1 }], 1) }
      const { directory, model } = await storeWithOneTable(integrity)
      flipBit(tableFiles(directory)[0], 100)
      const db = await open(directory, { ...SMALL, integrity })
      await assertMatches(db, model, `ecc ${ecc}`)
      const stats = db.stats().integrity
      assert.ok(stats.repairCount >= 1, JSON.stringify(stats))
      assert.ok(stats.repairsByKind[ecc] >= 1, JSON.stringify(stats))
      assert.equal(stats.filesRepairedCount, 1)
      const report = await db.verify()
      assert.equal(report.files[0].status, 'repaired')
      assert.equal(report.repairedCount, 1)
      assert.equal(report.ok, true)
      await db.close()
    })
  }

  test('without ECC a flipped bit fails the read with CHECKSUM_MISMATCH and verify reports it', async () => {
    const integrity: IntegrityOptions = { compression: { kind: 'zstd' } }
    const { directory } = await storeWithOneTable(integrity)
    flipBit(tableFiles(directory)[0], 100)
    const db = await open(directory, { ...SMALL, integrity })
    await assert.rejects(db.get('key000'), { code: 'CHECKSUM_MISMATCH' })
    const report = await db.verify()
    assert.equal(report.ok, false)
    assert.equal(report.files[0].status, 'unrecoverable')
    assert.equal(report.files[0].code, 'CHECKSUM_MISMATCH')
    await db.close()
  })

  test('autoHeal rewrites the repaired table: afterwards it is clean without ECC help', async () => {
    const integrity: IntegrityOptions = { ecc: 'reed-solomon', autoHeal: true }
    const { directory, model } = await storeWithOneTable(integrity)
    const damaged = tableFiles(directory)[0]
    flipBit(damaged, 100)
    const db = await open(directory, { ...SMALL, integrity })
    assert.equal((await db.verify()).files[0].status, 'repaired')
    await db.flush() // waits for the heal job queued behind it
    const stats = db.stats().integrity
    assert.equal(stats.healCompletedCount, 1, JSON.stringify(stats))
    assert.equal(stats.healFailedCount, 0)
    assert.equal(stats.healPendingCount, 0)
    assert.deepEqual(tableFiles(directory).includes(damaged), false, 'the damaged file is deleted')
    const second = await db.verify()
    assert.deepEqual(second.files.map((file) => file.status), ['clean'])
    await assertMatches(db, model, 'after heal')
    assert.equal(db.stats().integrity.repairCount, stats.repairCount, 'no repair after the heal')
    await db.close()
    const reopened = await open(directory, { ...SMALL, integrity })
    await assertMatches(reopened, model, 'after heal and reopen')
    assert.equal(reopened.stats().integrity.repairCount, 0)
    await reopened.close()
  })

  test('the patrol scrub finds a latent error in the background', async () => {
    const integrity: IntegrityOptions = { ecc: 'sec-ded' }
    const { directory } = await storeWithOneTable(integrity)
    flipBit(tableFiles(directory)[0], 100)
    const db = await open(directory, { ...SMALL, integrity, scrubIntervalMs: 10 })
    // Bounded wait for the first pass; the outcome is decided by the pass, not by the clock.
    for (let attempt = 0; attempt < 500 && db.stats().integrity.scrub.passCount === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 10))
    const scrub = db.stats().integrity.scrub
    assert.ok(scrub.passCount >= 1, 'a patrol pass ran')
    assert.deepEqual(scrub.lastPass, { clean: 0, 'ecc-damaged': 0, repaired: 1, unrecoverable: 0 })
    await db.close()
  })

  test('a wrong key fails with DECRYPT_FAILED, a missing epoch with UNKNOWN_KEY_EPOCH', async () => {
    // The manifest is sealed too, so the store does not open at all without the right key.
    const { directory } = await storeWithOneTable({ encryption: encryption('chacha20-poly1305', [{ epoch: 1, key: KEY_1 }], 1) })
    await assert.rejects(open(directory, { ...SMALL, integrity: { encryption: encryption('chacha20-poly1305', [{ epoch: 1, key: KEY_2 }], 1) } }), { code: 'DECRYPT_FAILED' })
    await assert.rejects(open(directory, { ...SMALL, integrity: { encryption: encryption('chacha20-poly1305', [{ epoch: 2, key: KEY_2 }], 2) } }), { code: 'UNKNOWN_KEY_EPOCH' })
    await assert.rejects(open(directory, SMALL), { code: 'UNKNOWN_KEY_EPOCH' })
    const right = await open(directory, { ...SMALL, integrity: { encryption: encryption('chacha20-poly1305', [{ epoch: 1, key: KEY_1 }], 1) } })
    assert.equal((await right.verify()).files.every((file) => file.status === 'clean'), true)
    await right.close()
  })

  test('encryption.requireEncryptedManifest refuses a store whose manifest is plaintext; without it the store converts', async () => {
    const directory = temporaryDirectory()
    let db = await open(directory, SMALL)
    await db.put('before', 'encryption') // WAL only: the table codec would refuse plaintext tables
    await db.close()
    const sealed = { suite: 'aes-256-gcm' as const, keys: [{ epoch: 1, key: KEY_1 }], activeEpoch: 1, requireEncryptedManifest: true }
    await assert.rejects(open(directory, { ...SMALL, integrity: { encryption: sealed } }), { code: 'DECRYPT_FAILED' })
    db = await open(directory, { ...SMALL, integrity: { encryption: encryption('aes-256-gcm', [{ epoch: 1, key: KEY_1 }], 1) } })
    assert.equal(db.stats().manifestRecovery?.encrypted, false, 'the manifest read at this open was plaintext')
    await db.close()
    db = await open(directory, { ...SMALL, integrity: { encryption: sealed } })
    assert.equal((await db.get('before'))?.toString(), 'encryption')
    assert.equal(db.stats().manifestRecovery?.encrypted, true)
    await db.close()
    await assert.rejects(open(directory, { ...SMALL, integrity: { encryption: { ...sealed, requireEncryptedManifest: 'yes' as unknown as boolean } } }), {
      code: 'INVALID_ARGUMENT',
      message: /integrity\.encryption\.requireEncryptedManifest/,
    })
  })

  test('key rotation: new blocks use the new epoch; after compact() the old key can go', async () => {
    const oldChain = encryption('aes-256-gcm', [{ epoch: 1, key: KEY_1 }], 1)
    const { directory, model } = await storeWithOneTable({ encryption: oldChain })
    const both = encryption('aes-256-gcm', [{ epoch: 1, key: KEY_1 }, { epoch: 2, key: KEY_2 }], 2)
    let db = await open(directory, { ...SMALL, integrity: { encryption: both } })
    await db.put('new-key', 'written under epoch 2')
    model.set('new-key', 'written under epoch 2')
    await db.flush()
    await db.close()
    // Before compaction the old table still needs epoch 1.
    db = await open(directory, { ...SMALL, integrity: { encryption: encryption('aes-256-gcm', [{ epoch: 2, key: KEY_2 }], 2) } })
    assert.equal((await db.get('new-key'))?.toString(), 'written under epoch 2', 'the new table reads with epoch 2 alone')
    await assert.rejects(db.get('key000'), { code: 'UNKNOWN_KEY_EPOCH' })
    await db.close()
    db = await open(directory, { ...SMALL, integrity: { encryption: both } })
    await db.compact()
    await db.close()
    db = await open(directory, { ...SMALL, integrity: { encryption: encryption('aes-256-gcm', [{ epoch: 2, key: KEY_2 }], 2) } })
    await assertMatches(db, model, 'after rotation')
    await db.close()
  })

  test('key rotation: compact() rewrites tables of a tree with a single level and no new writes', async () => {
    const { directory, model } = await storeWithOneTable({ encryption: encryption('xchacha20-poly1305', [{ epoch: 1, key: KEY_1 }], 1) })
    let db = await open(directory, { ...SMALL, integrity: { encryption: encryption('xchacha20-poly1305', [{ epoch: 1, key: KEY_1 }, { epoch: 2, key: KEY_2 }], 2) } })
    await db.compact()
    assert.equal(db.stats().integrity.rekeyedTableCount, 1)
    await db.compact()
    assert.equal(db.stats().integrity.rekeyedTableCount, 1, 'a table already under the active epoch is left alone')
    await db.close()
    db = await open(directory, { ...SMALL, integrity: { encryption: encryption('xchacha20-poly1305', [{ epoch: 2, key: KEY_2 }], 2) } })
    await assertMatches(db, model, 'after rekey')
    await db.close()
  })
  for (const thread of ['worker', 'main'] as const) {
    test(`the caller may zero its key buffer after open(): flushes and compactions on the ${thread} thread use open()'s copy`, async (t) => {
      const seed = seedFromEnv(`zeroed key ${thread}`)
      t.diagnostic(`seed=${seed}`)
      const directory = temporaryDirectory()
      const options: OpenOptions = { ...SMALL, flushThread: thread, compactionThread: thread }
      const callerKey = Uint8Array.from(KEY_1)
      const db = await open(directory, { ...options, integrity: { encryption: encryption('aes-256-gcm', [{ epoch: 1, key: callerKey }], 1) } })
      callerKey.fill(0) // key hygiene once the store is open
      const model = await writeWorkload(db, new Rng(seed), 600)
      await db.compact()
      const { workerFlushCount, workerCompactionCount } = db.stats()
      assert.deepEqual([workerFlushCount > 0, workerCompactionCount > 0], [thread === 'worker', thread === 'worker'], `seed=${seed}`)
      await db.close()
      const reopened = await open(directory, { ...options, integrity: { encryption: encryption('aes-256-gcm', [{ epoch: 1, key: KEY_1 }], 1) } })
      await assertMatches(reopened, model, `seed=${seed} after reopen with the real key`)
      await reopened.close()
    })
  }
})

describe('the integrity option', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown compression', { compression: { kind: 'lz4' } }, /integrity\.compression\.kind/],
    ['zstd level 0', { compression: { kind: 'zstd', level: 0 } }, /integrity\.compression\.level/],
    ['unknown suite', { encryption: { suite: 'rot13', keys: [{ epoch: 1, key: KEY_1 }], activeEpoch: 1 } }, /integrity\.encryption\.suite/],
    ['short key', { encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: new Uint8Array(16) }], activeEpoch: 1 } }, /integrity\.encryption\.keys\[0\]\.key/],
    ['active epoch without key', { encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: KEY_1 }], activeEpoch: 2 } }, /integrity\.encryption\.activeEpoch/],
    ['duplicate epoch', { encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: KEY_1 }, { epoch: 1, key: KEY_2 }], activeEpoch: 1 } }, /integrity\.encryption\.keys/],
    ['unknown ecc', { ecc: 'hamming' }, /integrity\.ecc/],
    ['ecc shards out of range', { ecc: { kind: 'reed-solomon', dataShards: 8, parityShards: 9 } }, /integrity\.ecc/],
    ['autoHeal not boolean', { autoHeal: 'yes' }, /integrity\.autoHeal/],
    ['perKeyChecksums not a boolean', { perKeyChecksums: 'yes' }, /integrity\.perKeyChecksums/],
    ['unknown field', { checksum: 'md5' }, /integrity\.checksum/],
  ]
  for (const [name, integrity, field] of cases) {
    test(`open() rejects ${name} with INVALID_ARGUMENT naming the field`, async () => {
      await assert.rejects(open('/db', { vfs: new MemVfs(), integrity: integrity as IntegrityOptions }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'INVALID_ARGUMENT')
        assert.match(error.message, field)
        return true
      })
    })
  }

  test('open() rejects integrity together with blockCodec, and a bad scrubIntervalMs', async () => {
    const codec = { encode: (raw: Uint8Array) => raw, decode: (bytes: Uint8Array) => bytes }
    await assert.rejects(open('/db', { vfs: new MemVfs(), integrity: {}, blockCodec: codec }), { code: 'INVALID_ARGUMENT' })
    await assert.rejects(open('/db', { vfs: new MemVfs(), scrubIntervalMs: -5 }), { code: 'INVALID_ARGUMENT' })
  })

  test('keys reach neither errors nor stats', async () => {
    const secret = new Uint8Array(32).fill(0xab)
    const hex = Buffer.from(secret).toString('hex').slice(0, 16)
    const db = await open('/db', { vfs: new MemVfs(), integrity: { encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 3, key: secret }], activeEpoch: 3 } } })
    const text = JSON.stringify(db.stats())
    assert.ok(!text.includes(hex) && !text.includes('171,171,171'), 'no key bytes in stats')
    assert.match(text, /"activeEpoch":3/)
    await db.close()
    await assert.rejects(open('/db2', { vfs: new MemVfs(), integrity: { encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 3, key: secret.subarray(0, 31) }], activeEpoch: 3 } } }), (error: Error) => {
      assert.ok(!error.message.includes('171') && !error.message.toLowerCase().includes('abab'))
      return true
    })
  })
})
