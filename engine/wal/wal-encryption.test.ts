// Tests of encrypted log files (format version 2): round trip per suite, no plaintext on disk,
// swaps and moves caught, the three key errors, torn tails at every byte, distinct file keys
// across reopen, and the pinned test vectors of docs/formats/wal.md §6. Crash survival of
// encrypted logs runs in wal.test.ts beside the plaintext case.
// Everything random flows from a seed.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { inspect } from 'node:util'
import { createHmac } from 'node:crypto'
import { gcm } from '@noble/ciphers/aes.js'
import { MemVfs, type Vfs } from '../vfs/mod.ts'
import { randomPayloads, readFile, writeFile, writeWal as writeLog } from './test-support.ts'
import { KeyChain, type CipherSuiteName } from '../transform/mod.ts'
import {
  readWal, WalWriter, LogCipher, ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES, LOG_SEAL_OVERHEAD_BYTES, RECORD_HEADER_SIZE_BYTES,
  WAL_RECORD_PAYLOAD_BYTES_MAX,
} from './mod.ts'

const SEED = Number(process.env.STRATA_SEED ?? 20261125)
const SUITES: readonly CipherSuiteName[] = ['aes-256-gcm', 'chacha20-poly1305', 'xchacha20-poly1305', 'aes-256-gcm-siv']
const KEY_1 = Uint8Array.from({ length: 32 }, (_, i) => i)
const KEY_2 = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)

function cipherOf(suite: CipherSuiteName = 'aes-256-gcm', key = KEY_1, extra: { saltFill?: (target: Uint8Array) => void } = {}): LogCipher {
  return new LogCipher({ suite, keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 }, ...extra })
}

function writeWal(vfs: Vfs, filePath: string, payloads: Uint8Array[], logNumber: number, cipher: LogCipher | undefined): Promise<number[]> {
  return writeLog(vfs, filePath, payloads, logNumber, { cipher })
}

function textPayloads(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(`user-key-${i}=secret-value-${i}`))
}

/** Rewrites the record header at `offsetBytes` with `recordIndex` and a checksum valid for `logNumber`. */
function reframe(bytes: Uint8Array, offsetBytes: number, recordIndex: number, logNumber: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset)
  const sizeBytes = view.getUint32(offsetBytes, true)
  view.setUint32(offsetBytes + 4, recordIndex, true)
  const body = bytes.subarray(offsetBytes + RECORD_HEADER_SIZE_BYTES, offsetBytes + RECORD_HEADER_SIZE_BYTES + sizeBytes)
  view.setUint32(offsetBytes + 8, zlib.crc32(body, zlib.crc32(bytes.subarray(offsetBytes, offsetBytes + 8), logNumber % 2 ** 32)), true)
}

/** Rewrites the header's log number and checksum, as an attacker without the key can. */
function renumberHeader(bytes: Uint8Array, logNumber: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset)
  view.setUint32(8, logNumber, true)
  const checksumOffsetBytes = ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES - 4
  view.setUint32(checksumOffsetBytes, zlib.crc32(bytes.subarray(0, checksumOffsetBytes)), true)
}

function contains(haystack: Uint8Array, needle: string): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle))
}

describe('encrypted log files', () => {
  for (const suite of SUITES) {
    test(`${suite}: readWal returns what WalWriter.add sealed, in order`, async (t) => {
      t.diagnostic(`seed=${SEED}`)
      const vfs = new MemVfs()
      const cipher = cipherOf(suite)
      const payloads = [new Uint8Array(0), ...randomPayloads(SEED, 100, 2000)]
      await writeWal(vfs, '/000007.wal', payloads, 7, cipher)
      const bytes = readFile(vfs, '/000007.wal')
      assert.equal(bytes[4], 2, 'format version 2')
      const totalBytes = payloads.reduce((sum, p) => sum + p.length + RECORD_HEADER_SIZE_BYTES + LOG_SEAL_OVERHEAD_BYTES, ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES)
      assert.equal(bytes.length, totalBytes)
      const result = await readWal(vfs, '/000007.wal', { onTornTail: 'fail', expectedLogNumber: 7, cipher })
      assert.equal(result.payloads.length, payloads.length)
      for (const [i, payload] of payloads.entries()) assert.ok(Buffer.from(result.payloads[i]).equals(payload), `seed=${SEED} record ${i}`)
    })
  }

  test('no key or value reaches the file in the clear; the plaintext log shows them', async () => {
    for (const cipher of [undefined, cipherOf('aes-256-gcm'), cipherOf('xchacha20-poly1305')]) {
      const vfs = new MemVfs()
      await writeWal(vfs, '/000003.wal', textPayloads(50), 3, cipher)
      const bytes = readFile(vfs, '/000003.wal')
      const leaked = ['user-key-7', 'secret-value-42', 'user-key-', 'secret'].filter((text) => contains(bytes, text))
      if (cipher === undefined) assert.equal(leaked.length, 4, 'the check can see plaintext')
      else assert.deepEqual(leaked, [], `${cipher.toString()} leaked ${leaked.join(', ')}`)
    }
  })

  test('a plaintext writer still writes format version 1 byte for byte', async () => {
    const vfs = new MemVfs()
    const writer = WalWriter.create(vfs, '/000007.wal', 7)
    writer.add(Buffer.from('abc'))
    await writer.close()
    assert.equal(Buffer.from(readFile(vfs, '/000007.wal')).toString('hex'),
      '5357414c010000000700000000000000' + '4aa75372' + '0300000000000000be5a3b11616263')
  })

  test('swapped records: a raw swap is CORRUPTION, a swap with re-framed headers DECRYPT_FAILED', async () => {
    const vfs = new MemVfs()
    const cipher = cipherOf()
    const payloads = textPayloads(4)
    const offsets = await writeWal(vfs, '/000005.wal', payloads, 5, cipher)
    const original = readFile(vfs, '/000005.wal')
    // Records 1 and 2 have equal sizes: swap their bytes.
    const recordSizeBytes = offsets[2] - offsets[1]
    assert.equal(offsets[3] - offsets[2], recordSizeBytes)
    const swapped = Uint8Array.from(original)
    swapped.set(original.subarray(offsets[2], offsets[3]), offsets[1])
    swapped.set(original.subarray(offsets[1], offsets[2]), offsets[2])
    writeFile(vfs, '/000005.wal', swapped)
    await assert.rejects(readWal(vfs, '/000005.wal', { onTornTail: 'truncate', cipher }), { code: 'CORRUPTION' })
    // An attacker without the key can fix the indexes and checksums; the AAD still binds them.
    reframe(swapped, offsets[1], 1, 5)
    reframe(swapped, offsets[2], 2, 5)
    writeFile(vfs, '/000005.wal', swapped)
    await assert.rejects(readWal(vfs, '/000005.wal', { onTornTail: 'truncate', cipher }), (error: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(error.code, 'DECRYPT_FAILED')
      assert.equal(error.details?.recordIndex, 1)
      assert.equal(error.details?.offsetBytes, offsets[1])
      return true
    })
  })

  test('swapped log files: a renamed file is CORRUPTION, a renumbered header or a moved record DECRYPT_FAILED', async () => {
    const vfs = new MemVfs()
    const cipher = cipherOf()
    const offsets = await writeWal(vfs, '/000005.wal', textPayloads(3), 5, cipher)
    await writeWal(vfs, '/000006.wal', textPayloads(3).reverse(), 6, cipher)
    const five = readFile(vfs, '/000005.wal')
    const six = readFile(vfs, '/000006.wal')
    writeFile(vfs, '/000006.wal', five)
    await assert.rejects(readWal(vfs, '/000006.wal', { onTornTail: 'truncate', expectedLogNumber: 6, cipher }), { code: 'CORRUPTION' })
    // Renumbered header with a valid checksum: the header tag fails. Records of a log whose
    // header tag is removed from the picture would fail too (fileNumber is in every AAD).
    const renumbered = Uint8Array.from(five)
    renumberHeader(renumbered, 6)
    for (let i = 0; i < offsets.length; i++) reframe(renumbered, offsets[i], i, 6)
    writeFile(vfs, '/000006.wal', renumbered)
    await assert.rejects(readWal(vfs, '/000006.wal', { onTornTail: 'truncate', expectedLogNumber: 6, cipher }), { code: 'DECRYPT_FAILED' })
    // Record 0 of log 5 moved into log 6 at index 0 (same size), re-framed for log 6.
    const moved = Uint8Array.from(six)
    moved.set(five.subarray(offsets[0], offsets[1]), offsets[0])
    reframe(moved, offsets[0], 0, 6)
    writeFile(vfs, '/000006.wal', moved)
    await assert.rejects(readWal(vfs, '/000006.wal', { onTornTail: 'truncate', expectedLogNumber: 6, cipher }), (error: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(error.code, 'DECRYPT_FAILED')
      assert.equal(error.details?.recordIndex, 0)
      return true
    })
  })

  test('wrong key, unknown epoch, withheld key and no key chain are distinct typed errors, without key bytes', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/000009.wal', textPayloads(3), 9, cipherOf('chacha20-poly1305'))
    const read = (cipher: LogCipher | undefined) => readWal(vfs, '/000009.wal', { onTornTail: 'report', cipher })
    const wrongKey = new LogCipher({ suite: 'chacha20-poly1305', keyChain: { keys: [{ epoch: 1, key: KEY_2 }], activeEpoch: 1 } })
    const unknownEpoch = new LogCipher({ suite: 'chacha20-poly1305', keyChain: { keys: [{ epoch: 2, key: KEY_1 }], activeEpoch: 2 } })
    const withheld = new LogCipher({ suite: 'chacha20-poly1305', keyChain: new KeyChain({ keys: [{ epoch: 2, key: KEY_2 }], activeEpoch: 2, retiredEpochs: [1] }) })
    const outcomes: string[] = []
    for (const cipher of [wrongKey, unknownEpoch, withheld, undefined]) {
      await assert.rejects(read(cipher), (error: Error & { code?: string; details?: Record<string, unknown> }) => {
        outcomes.push(error.code ?? '')
        assert.equal(error.details?.keyEpoch, 1)
        assert.equal(error.details?.fileName, '/000009.wal')
        const text = `${error.message} ${JSON.stringify(error.details)} ${inspect(error)}`
        for (const key of [KEY_1, KEY_2]) {
          assert.ok(!text.includes(Buffer.from(key).toString('hex')) && !text.includes(Array.from(key).join(',')), 'no key bytes in the error')
        }
        return true
      })
    }
    assert.deepEqual(outcomes, ['DECRYPT_FAILED', 'UNKNOWN_KEY_EPOCH', 'MISSING_KEY', 'UNKNOWN_KEY_EPOCH'])
    assert.ok(!inspect(wrongKey).includes('255') && !String(wrongKey).includes('255'), 'the cipher prints no key')
  })

  test('rotation: a log written under epoch 1 replays with both keys; new logs use the active epoch', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/000004.wal', textPayloads(3), 4, cipherOf('aes-256-gcm-siv'))
    const both = new LogCipher({ suite: 'aes-256-gcm-siv', keyChain: { keys: [{ epoch: 1, key: KEY_1 }, { epoch: 2, key: KEY_2 }], activeEpoch: 2 } })
    assert.equal((await readWal(vfs, '/000004.wal', { onTornTail: 'fail', cipher: both })).payloads.length, 3)
    await writeWal(vfs, '/000005.wal', textPayloads(2), 5, both)
    assert.equal(new DataView(readFile(vfs, '/000005.wal').buffer).getUint32(16, true), 2, 'header records epoch 2')
    const onlyTwo = new LogCipher({ suite: 'aes-256-gcm-siv', keyChain: { keys: [{ epoch: 2, key: KEY_2 }], activeEpoch: 2 } })
    assert.equal((await readWal(vfs, '/000005.wal', { onTornTail: 'fail', cipher: onlyTwo })).payloads.length, 2)
  })

  test('plaintext logs: readable without a cipher and with allowPlaintextLogs, refused otherwise; an empty encrypted log needs no key', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/000002.wal', textPayloads(2), 2, undefined)
    const strict = cipherOf()
    const migrating = new LogCipher({ suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key: KEY_1 }], activeEpoch: 1 }, allowPlaintextLogs: true })
    assert.equal((await readWal(vfs, '/000002.wal', { onTornTail: 'fail' })).payloads.length, 2)
    assert.equal((await readWal(vfs, '/000002.wal', { onTornTail: 'fail', cipher: migrating })).payloads.length, 2)
    await assert.rejects(readWal(vfs, '/000002.wal', { onTornTail: 'fail', cipher: strict }), { code: 'DECRYPT_FAILED' })
    assert.equal(LogCipher.fromEncryptionOption({ suite: 'aes-256-gcm', keys: [{ epoch: 1, key: KEY_1 }], activeEpoch: 1 })?.allowPlaintextLogs, true)
    await writeWal(vfs, '/000003.wal', [], 3, strict)
    assert.equal((await readWal(vfs, '/000003.wal', { onTornTail: 'fail' })).payloads.length, 0)
  })

  test('the manifest can opt in with the same cipher; a WAL relabelled as a manifest fails authentication', async () => {
    const vfs = new MemVfs()
    const cipher = cipherOf()
    await writeLog(vfs, '/MANIFEST-000002', textPayloads(3), 2, { kind: 'manifest', cipher })
    const { payloads } = await readWal(vfs, '/MANIFEST-000002', { kind: 'manifest', onTornTail: 'fail', cipher })
    assert.deepEqual(payloads.map((p) => Buffer.from(p).toString()), textPayloads(3).map((p) => Buffer.from(p).toString()))
    await writeWal(vfs, '/000002.wal', textPayloads(3), 2, cipher)
    const relabelled = readFile(vfs, '/000002.wal')
    relabelled.set(Buffer.from('SMAN'), 0)
    renumberHeader(relabelled, 2) // recomputes the header checksum
    writeFile(vfs, '/MANIFEST-000002', relabelled)
    await assert.rejects(readWal(vfs, '/MANIFEST-000002', { kind: 'manifest', onTornTail: 'fail', cipher }), { code: 'DECRYPT_FAILED' })
  })

  test('a sealed payload must fit the record bound', () => {
    const vfs = new MemVfs()
    const writer = WalWriter.create(vfs, '/000001.wal', 1, { cipher: cipherOf() })
    assert.throws(() => writer.add(new Uint8Array(WAL_RECORD_PAYLOAD_BYTES_MAX - LOG_SEAL_OVERHEAD_BYTES + 1)), { code: 'INVALID_ARGUMENT' })
    assert.equal(writer.recordCount, 0)
  })
})

describe('encrypted log recovery', () => {
  test('a torn tail at every byte offset of the last record keeps every earlier record', async () => {
    const vfs = new MemVfs()
    const cipher = cipherOf('xchacha20-poly1305')
    const payloads = textPayloads(5)
    const offsets = await writeWal(vfs, '/000008.wal', payloads, 8, cipher)
    const whole = readFile(vfs, '/000008.wal')
    for (let cutBytes = offsets[4] + 1; cutBytes < whole.length; cutBytes++) {
      writeFile(vfs, '/000008.wal', whole.subarray(0, cutBytes))
      await assert.rejects(readWal(vfs, '/000008.wal', { onTornTail: 'fail', cipher }), { code: 'CORRUPTION' })
      const { payloads: read, report } = await readWal(vfs, '/000008.wal', { onTornTail: 'truncate', cipher })
      assert.equal(read.length, 4, `cut at ${cutBytes}`)
      for (let i = 0; i < 4; i++) assert.ok(Buffer.from(read[i]).equals(payloads[i]))
      assert.equal(report.tailBytesDropped, cutBytes - offsets[4])
      assert.equal(vfs.sizeBytes('/000008.wal'), offsets[4], 'truncated to the last whole record')
    }
  })

  test('a header torn at every byte offset holds no records', async () => {
    const vfs = new MemVfs()
    const cipher = cipherOf()
    await writeWal(vfs, '/000008.wal', [], 8, cipher)
    const whole = readFile(vfs, '/000008.wal')
    assert.equal(whole.length, ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES)
    for (let cutBytes = 1; cutBytes < whole.length; cutBytes++) {
      writeFile(vfs, '/000008.wal', whole.subarray(0, cutBytes))
      const { payloads, report } = await readWal(vfs, '/000008.wal', { onTornTail: 'report', cipher })
      assert.equal(payloads.length, 0)
      assert.equal(report.tailReason, 'incomplete-file-header', `cut at ${cutBytes}`)
    }
  })

  test('a complete last record that fails authentication is DECRYPT_FAILED in every mode, not a torn tail', async () => {
    const vfs = new MemVfs()
    const cipher = cipherOf()
    const offsets = await writeWal(vfs, '/000008.wal', textPayloads(3), 8, cipher)
    const bytes = readFile(vfs, '/000008.wal')
    bytes[offsets[2] + RECORD_HEADER_SIZE_BYTES + 3] ^= 0x10
    reframe(bytes, offsets[2], 2, 8)
    for (const onTornTail of ['fail', 'report', 'truncate'] as const) {
      writeFile(vfs, '/000008.wal', bytes)
      await assert.rejects(readWal(vfs, '/000008.wal', { onTornTail, cipher }), { code: 'DECRYPT_FAILED' })
      assert.equal(vfs.sizeBytes('/000008.wal'), bytes.length, 'nothing truncated')
    }
  })

  test('file keys never repeat across reopen, even when a log number is handed out again', async () => {
    // A crash can lose the manifest edit that consumed a log number, so the next process may
    // create a log with the same number: its fresh salt gives it a different key.
    const payload = Buffer.from('same payload, same index, same log number')
    const seen = new Set<string>()
    for (let restart = 0; restart < 20; restart++) {
      const vfs = new MemVfs()
      const cipher = cipherOf('aes-256-gcm') // a new cipher per "process"
      await writeWal(vfs, '/000005.wal', [payload], 5, cipher)
      const bytes = readFile(vfs, '/000005.wal')
      const salt = Buffer.from(bytes.subarray(20, 36)).toString('hex')
      const sealed = Buffer.from(bytes.subarray(ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES + RECORD_HEADER_SIZE_BYTES)).toString('hex')
      assert.ok(!seen.has(salt) && !seen.has(sealed), `restart ${restart} repeated a salt or a ciphertext`)
      seen.add(salt)
      seen.add(sealed)
      assert.deepEqual((await readWal(vfs, '/000005.wal', { onTornTail: 'fail', cipher: cipherOf('aes-256-gcm') })).payloads.map((p) => Buffer.from(p).toString()), [payload.toString()])
    }
  })
})

describe('encrypted log test vectors (docs/formats/wal.md §6)', () => {
  // Salt 5a × 16 through the test-only saltFill; key 00…1f, epoch 1, log 7, one record "abc".
  const VECTORS: Record<CipherSuiteName, string> = {
    'aes-256-gcm':
      '5357414c020100000700000000000000010000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5ab350a12140b6988c380708cc76ac360edbb833f213000000000000001c8515a1f1a97e03cbeba9da1ccc5323676d2cb88e8a48',
    'chacha20-poly1305':
      '5357414c020200000700000000000000010000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a290e681d7b85a1e42e553ad4957f6f5e2adea16e1300000000000000f79687e19949877c2de3e914ba69b3991beaa02f655a0b',
    'xchacha20-poly1305':
      '5357414c020300000700000000000000010000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a1a352f591375880809abed44be9b28b30a9458fd13000000000000001df31824b454285ad6b3a52f587c056304dbfa2e902e5b',
    'aes-256-gcm-siv':
      '5357414c020400000700000000000000010000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5ab1ef3fbfc5e89df1ca65abc8ebca910e260836681300000000000000281f679a0a024c8a33e167be5e4b1953411c16de2f9fc5',
  }
  for (const suite of SUITES) {
    test(`${suite}: the file bytes are pinned`, async () => {
      const cipher = cipherOf(suite, KEY_1, { saltFill: (target) => target.fill(0x5a) })
      const vfs = new MemVfs()
      await writeWal(vfs, '/000007.wal', [Buffer.from('abc')], 7, cipher)
      const hex = Buffer.from(readFile(vfs, '/000007.wal')).toString('hex')
      assert.equal(hex, VECTORS[suite])
      const { payloads } = await readWal(vfs, '/000007.wal', { onTornTail: 'fail', cipher: cipherOf(suite) })
      assert.equal(Buffer.from(payloads[0]).toString(), 'abc')
    })
  }

  test('aes-256-gcm: the vector recomputed from the spec alone (RFC 5869 HKDF by hand, noble AES-GCM)', () => {
    const hmac = (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac('sha256', key).update(data).digest())
    const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'))
    const file = hex(VECTORS['aes-256-gcm'])
    const salt = new Uint8Array(16).fill(0x5a)
    // info = "strata log file key v1" ‖ logKind 1 ‖ suite 1 ‖ epoch u32 LE ‖ fileNumber u64 LE
    const info = Buffer.concat([Buffer.from('strata log file key v1'), hex('0101' + '01000000' + '0700000000000000')])
    const fileKey = hmac(hmac(salt, KEY_1), Buffer.concat([info, hex('01')]))
    // Header tag: nonce index 0xffffffff, AAD header bytes 0–35, empty plaintext.
    const headerTag = gcm(fileKey, hex('ffffffff' + '00'.repeat(8)), file.subarray(0, 36)).encrypt(new Uint8Array(0))
    assert.deepEqual(headerTag, file.subarray(36, 52))
    // Record 0: nonce index 0, AAD "SLAD" ‖ 1 ‖ 2 ‖ wal 1 ‖ suite 1 ‖ log 7 ‖ epoch 1 ‖ index 0.
    const aad = hex('534c4144' + '01020101' + '0700000000000000' + '01000000' + '00000000')
    const sealed = gcm(fileKey, new Uint8Array(12), aad).encrypt(Buffer.from('abc'))
    assert.deepEqual(sealed, file.subarray(56 + 12))
  })
})
