// Tests of the link a WAL made at a memtable switch records to its predecessor (format versions
// 5 and 6, docs/formats/wal.md §2.3 and §4.1): the bytes match the byte table (pinned, and
// recomputed from the page), the link is covered by the checksum and, encrypted, by the header
// tag, and readWal holds a log to the final size its successor recorded.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { createHmac } from 'node:crypto'
import { gcm } from '@noble/ciphers/aes.js'
import { MemVfs } from '../vfs/mod.ts'
import { readFile, writeFile, writeWal } from './test-support.ts'
import {
  readLogFileHeader, readWal, LogCipher, WalWriter, LINKED_ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES, LINKED_LOG_FILE_HEADER_SIZE_BYTES,
  RECORD_HEADER_SIZE_BYTES,
} from './mod.ts'

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const KEY_1 = Uint8Array.from({ length: 32 }, (_, i) => i)
/** Log 7 succeeding log 5 of 1,234 bytes. */
const PREDECESSOR = { fileNumber: 5, sizeBytes: 1234 }

/** Log 7, one record "abc", succeeding log 5 of 1,234 bytes (plaintext, version 5). */
const GOLDEN_LINKED_HEX = '5357414c0500000007000000000000000500000000000000d204000000000000259d0e260300000000000000be5a3b11616263'
/** The same, encrypted with AES-256-GCM (version 6): key 00…1f, epoch 1, salt 5a × 16. */
const GOLDEN_LINKED_AES_GCM_HEX =
  '5357414c060100000700000000000000010000005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a0500000000000000d204000000000000' +
  'f36981f4a868e2fa047e23f1b5730a82b9aa0ae91300000000000000ad891d82f1a97ee381bc9cd5d52389b634a7888ac5b10d'

function aesCipher(extra: { saltFill?: (target: Uint8Array) => void } = {}): LogCipher {
  return new LogCipher({ suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key: KEY_1 }], activeEpoch: 1 }, ...extra })
}

describe('the predecessor link in a WAL header', () => {
  test('version 5: the bytes match the byte table', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/000007.wal', [Buffer.from('abc')], 7, { predecessor: PREDECESSOR })
    const bytes = readFile(vfs, '/000007.wal')
    // magic, version 5, reserved, log 7, predecessor 5, its size 1234, crc of bytes 0–31.
    const fields = '5357414c' + '05' + '000000' + '0700000000000000' + '0500000000000000' + 'd204000000000000'
    const crc = Buffer.alloc(4)
    crc.writeUInt32LE(zlib.crc32(hex(fields)))
    assert.equal(toHex(bytes.subarray(0, LINKED_LOG_FILE_HEADER_SIZE_BYTES)), fields + crc.toString('hex'))
    // The record framing is version 1's: size 3, index 0, crc seeded by the log number, "abc".
    assert.equal(toHex(bytes.subarray(LINKED_LOG_FILE_HEADER_SIZE_BYTES)), '0300000000000000be5a3b11616263')
    assert.equal(toHex(bytes), GOLDEN_LINKED_HEX)
    assert.deepEqual(readLogFileHeader(vfs, '/000007.wal'), { kind: 'wal', formatVersion: 5, fileNumber: 7, predecessor: PREDECESSOR })
    const { payloads } = await readWal(vfs, '/000007.wal', { onTornTail: 'fail' })
    assert.deepEqual(payloads.map((p) => Buffer.from(p).toString()), ['abc'])
  })

  test('version 6 (AES-256-GCM): the bytes recomputed from the spec alone; the tag covers the link', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/000007.wal', [Buffer.from('abc')], 7, { predecessor: PREDECESSOR, cipher: aesCipher({ saltFill: (t) => t.fill(0x5a) }) })
    const file = readFile(vfs, '/000007.wal')
    assert.equal(toHex(file), GOLDEN_LINKED_AES_GCM_HEX)
    // magic, version 6, suite 1, reserved, log 7, epoch 1, salt, predecessor 5, its size 1234.
    assert.equal(toHex(file.subarray(0, 52)), '5357414c' + '06' + '01' + '0000' + '0700000000000000' + '01000000' + '5a'.repeat(16) +
      '0500000000000000' + 'd204000000000000')
    const hmac = (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac('sha256', key).update(data).digest())
    const info = Buffer.concat([Buffer.from('strata log file key v1'), hex('0101' + '01000000' + '0700000000000000')])
    const fileKey = hmac(hmac(new Uint8Array(16).fill(0x5a), KEY_1), Buffer.concat([info, hex('01')]))
    // Header tag: nonce index 0xffffffff, AAD = header bytes 0–51 (the link included).
    const headerTag = gcm(fileKey, hex('ffffffff' + '00'.repeat(8)), file.subarray(0, 52)).encrypt(new Uint8Array(0))
    assert.deepEqual(file.subarray(52, 68), headerTag)
    assert.equal(new DataView(file.buffer, file.byteOffset).getUint32(68, true), zlib.crc32(file.subarray(0, 68)))
    // Record 0: AAD "SLAD" ‖ aadVersion 1 ‖ formatVersion 6 ‖ wal 1 ‖ suite 1 ‖ log 7 ‖ epoch 1 ‖ index 0.
    const aad = hex('534c4144' + '01060101' + '0700000000000000' + '01000000' + '00000000')
    const sealed = gcm(fileKey, new Uint8Array(12), aad).encrypt(Buffer.from('abc'))
    assert.deepEqual(file.subarray(LINKED_ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES + RECORD_HEADER_SIZE_BYTES), sealed)
    const { payloads } = await readWal(vfs, '/000007.wal', { onTornTail: 'fail', cipher: aesCipher() })
    assert.deepEqual(payloads.map((p) => Buffer.from(p).toString()), ['abc'])
  })

  test('a changed link fails the checksum; re-checksummed, it fails the header tag of an encrypted log', async () => {
    for (const cipher of [undefined, aesCipher()]) {
      const vfs = new MemVfs()
      await writeWal(vfs, '/000007.wal', [Buffer.from('abc')], 7, { predecessor: PREDECESSOR, cipher })
      const whole = readFile(vfs, '/000007.wal')
      const linkOffsetBytes = cipher === undefined ? 16 : 36
      const headerSizeBytes = cipher === undefined ? LINKED_LOG_FILE_HEADER_SIZE_BYTES : LINKED_ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES
      const bytes = whole.slice()
      bytes[linkOffsetBytes + 8] ^= 0x01 // the predecessor's size
      writeFile(vfs, '/000007.wal', bytes)
      await assert.rejects(readWal(vfs, '/000007.wal', { onTornTail: 'report', cipher }), { code: 'CORRUPTION' })
      new DataView(bytes.buffer).setUint32(headerSizeBytes - 4, zlib.crc32(bytes.subarray(0, headerSizeBytes - 4)), true)
      writeFile(vfs, '/000007.wal', bytes)
      if (cipher === undefined) {
        assert.equal(readLogFileHeader(vfs, '/000007.wal')?.predecessor?.sizeBytes, PREDECESSOR.sizeBytes ^ 0x01)
      } else {
        await assert.rejects(readWal(vfs, '/000007.wal', { onTornTail: 'report', cipher }), { code: 'DECRYPT_FAILED' })
      }
    }
  })

  test('a link to a log that is not older is CORRUPTION; a writer refuses to make one', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/000007.wal', [], 7, { predecessor: PREDECESSOR })
    const bytes = readFile(vfs, '/000007.wal')
    bytes[16] = 9 // predecessor 9 of log 7
    new DataView(bytes.buffer).setUint32(32, zlib.crc32(bytes.subarray(0, 32)), true)
    writeFile(vfs, '/000007.wal', bytes)
    await assert.rejects(readWal(vfs, '/000007.wal', { onTornTail: 'report' }), { code: 'CORRUPTION', message: /predecessor link/ })
    for (const predecessor of [{ fileNumber: 7, sizeBytes: 10 }, { fileNumber: 0, sizeBytes: 10 }, { fileNumber: 3, sizeBytes: 0 }]) {
      assert.throws(() => WalWriter.create(new MemVfs(), '/000007.wal', 7, { predecessor }), { code: 'INVALID_ARGUMENT' }, JSON.stringify(predecessor))
    }
  })

  test('a manifest refuses the linked versions', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/MANIFEST-000007', [], 7, { predecessor: PREDECESSOR })
    const bytes = readFile(vfs, '/MANIFEST-000007')
    bytes.set(Buffer.from('SMAN'), 0)
    writeFile(vfs, '/MANIFEST-000007', bytes)
    await assert.rejects(readWal(vfs, '/MANIFEST-000007', { onTornTail: 'report', kind: 'manifest' }), { code: 'UNSUPPORTED_FORMAT_VERSION' })
  })

  test('createSuccessor links to the log as it is, and the log then takes no records', async () => {
    const vfs = new MemVfs()
    const older = WalWriter.create(vfs, '/000003.wal', 3)
    older.add(Buffer.from('first'))
    const newer = older.createSuccessor('/000004.wal', 4)
    assert.deepEqual(readLogFileHeader(vfs, '/000004.wal')?.predecessor, { fileNumber: 3, sizeBytes: vfs.sizeBytes('/000003.wal') })
    assert.equal(readLogFileHeader(vfs, '/000003.wal')?.predecessor, undefined, 'the first log has no link (version 1)')
    assert.throws(() => older.add(Buffer.from('late')), /takes no records once its successor exists/)
    await older.close()
    await newer.close()
  })
})

describe('readWal() with the final size from the successor', () => {
  async function logOf(payloads: string[]): Promise<{ vfs: MemVfs, offsets: number[], sizeBytes: number }> {
    const vfs = new MemVfs()
    const offsets = await writeWal(vfs, '/000005.wal', payloads.map((p) => Buffer.from(p)), 5)
    return { vfs, offsets, sizeBytes: vfs.sizeBytes('/000005.wal') }
  }

  test('a whole log reads as without it', async () => {
    const { vfs, sizeBytes } = await logOf(['a', 'b'])
    const { report } = await readWal(vfs, '/000005.wal', { onTornTail: 'fail', finalSizeBytes: sizeBytes })
    assert.deepEqual(report, { recordsRead: 2, tailBytesDropped: 0 })
  })

  test('a log cut at a record boundary is short: reported, and CORRUPTION in fail mode', async () => {
    const { vfs, offsets, sizeBytes } = await logOf(['a', 'b', 'c'])
    writeFile(vfs, '/000005.wal', readFile(vfs, '/000005.wal').subarray(0, offsets[2]))
    const { report } = await readWal(vfs, '/000005.wal', { onTornTail: 'truncate', finalSizeBytes: sizeBytes })
    assert.deepEqual(report, { recordsRead: 2, tailBytesDropped: 0, lostTailBytes: sizeBytes - offsets[2] })
    await assert.rejects(readWal(vfs, '/000005.wal', { onTornTail: 'fail', finalSizeBytes: sizeBytes }), { code: 'CORRUPTION', message: /bytes of its final size lost/ })
    // Without the final size nothing tells this log from a whole one.
    assert.equal((await readWal(vfs, '/000005.wal', { onTornTail: 'fail' })).report.tailBytesDropped, 0)
  })

  test('a log cut inside a record is a torn tail and short', async () => {
    const { vfs, offsets, sizeBytes } = await logOf(['a', 'b', 'c'])
    writeFile(vfs, '/000005.wal', readFile(vfs, '/000005.wal').subarray(0, offsets[2] + 5))
    const { report } = await readWal(vfs, '/000005.wal', { onTornTail: 'truncate', finalSizeBytes: sizeBytes })
    assert.equal(report.recordsRead, 2)
    assert.equal(report.tailReason, 'incomplete-record-header')
    assert.equal(report.lostTailBytes, sizeBytes - offsets[2] - 5)
    assert.equal(vfs.sizeBytes('/000005.wal'), offsets[2], 'the torn record is cut')
  })

  test('a whole log with a bad last record is CORRUPTION in every mode, and nothing is cut', async () => {
    const { vfs, sizeBytes } = await logOf(['a', 'b', 'c'])
    const bytes = readFile(vfs, '/000005.wal')
    bytes[bytes.length - 1] ^= 0x40
    for (const onTornTail of ['fail', 'report', 'truncate'] as const) {
      writeFile(vfs, '/000005.wal', bytes)
      await assert.rejects(readWal(vfs, '/000005.wal', { onTornTail, finalSizeBytes: sizeBytes }),
        { code: 'CORRUPTION', message: /is complete but its record at offset \d+ is damaged \(checksum-mismatch\)/ })
      assert.equal(vfs.sizeBytes('/000005.wal'), sizeBytes, `${onTornTail}: nothing truncated`)
    }
    // Without the final size the same bytes read as a torn tail.
    assert.equal((await readWal(vfs, '/000005.wal', { onTornTail: 'report' })).report.tailReason, 'checksum-mismatch')
  })

  test('a whole log whose last record is zero from its first byte lost its tail; zeros from inside it are damage', async () => {
    // Records of 2,500 bytes (offsets 20, 2532, 5044, 7556; 10,068 in all): the last spans 8192.
    const payloads = Array.from({ length: 4 }, (_, i) => Buffer.alloc(2500, 0x61 + i))
    const vfs = new MemVfs()
    const offsets = await writeWal(vfs, '/000005.wal', payloads, 5)
    const whole = readFile(vfs, '/000005.wal')
    const sizeBytes = whole.length
    const zeroFrom = (fromBytes: number) => {
      const bytes = whole.slice()
      bytes.fill(0, fromBytes)
      writeFile(vfs, '/000005.wal', bytes)
    }
    zeroFrom(offsets[3])
    const { payloads: read, report } = await readWal(vfs, '/000005.wal', { onTornTail: 'report', finalSizeBytes: sizeBytes })
    assert.equal(read.length, 3)
    assert.equal(report.lostTailBytes, sizeBytes - offsets[3])
    await assert.rejects(readWal(vfs, '/000005.wal', { onTornTail: 'fail', finalSizeBytes: sizeBytes }), { code: 'CORRUPTION', message: /lost/ })
    // From a page boundary inside the record, or a byte past its header: not told from damage.
    for (const fromBytes of [8192, offsets[3] + 12]) {
      zeroFrom(fromBytes)
      await assert.rejects(readWal(vfs, '/000005.wal', { onTornTail: 'truncate', finalSizeBytes: sizeBytes }), { code: 'CORRUPTION', message: /is complete but/ })
      assert.equal(vfs.sizeBytes('/000005.wal'), sizeBytes, `zeros from ${fromBytes}: nothing truncated`)
    }
  })

  test('a whole log whose last record ends in zeros and took a bit flip is CORRUPTION, not a lost tail', async () => {
    // The record's own data ends in 9,000 zero bytes, across two page boundaries; a flip in it
    // must not read as pages the file system never wrote (a review lost acknowledged writes so).
    const vfs = new MemVfs()
    const offsets = await writeWal(vfs, '/000005.wal', [Buffer.from('first'), Buffer.concat([Buffer.from('head'), Buffer.alloc(9000)])], 5)
    const bytes = readFile(vfs, '/000005.wal')
    bytes[offsets[1] + 12 + 2] ^= 0x01
    writeFile(vfs, '/000005.wal', bytes)
    await assert.rejects(readWal(vfs, '/000005.wal', { onTornTail: 'truncate', finalSizeBytes: bytes.length }), { code: 'CORRUPTION', message: /is complete but/ })
    assert.equal(vfs.sizeBytes('/000005.wal'), bytes.length, 'nothing truncated')
  })

  test('a log longer than its final size is CORRUPTION', async () => {
    const { vfs, offsets } = await logOf(['a', 'b', 'c'])
    await assert.rejects(readWal(vfs, '/000005.wal', { onTornTail: 'truncate', finalSizeBytes: offsets[2] }), { code: 'CORRUPTION', message: /bytes long/ })
  })
})
