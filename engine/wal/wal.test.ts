// Tests of the WAL: framing round trip, group commit, torn tails, corruption in the middle,
// crash survival of synced records and fsync failure. Everything random flows from a seed.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { MemVfs } from '../vfs/mod.ts'
import type { Vfs } from '../vfs/mod.ts'
import { StrataError } from '../errors.ts'
import { mulberry32Float } from '../mulberry32.ts'
import { randomPayloads, readFile, writeFile, writeWal } from './test-support.ts'
import { HookedVfs } from './hooked-vfs.ts'
import { FaultVfs } from '../vfs/fault-vfs.ts'
import { countRecordsAfterDamage, readWal, WalWriter, LogCipher, LOG_FILE_HEADER_SIZE_BYTES, RECORD_HEADER_SIZE_BYTES, WAL_RECORD_PAYLOAD_BYTES_MAX } from './mod.ts'

const SEED = Number(process.env.STRATA_SEED ?? 20240611)

function plainPayloads(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(`record-${i}-${'x'.repeat(i * 3)}`))
}

function deferredSyncVfs(inner: Vfs) {
  const pending: Array<() => void> = []
  let fileSyncCount = 0
  const vfs = new HookedVfs(inner, {
    beforeSync: (op) => {
      if (op !== 'sync') return
      fileSyncCount++
      return new Promise<void>((resolve) => pending.push(resolve))
    },
  })
  return { vfs, pending, fileSyncCount: () => fileSyncCount }
}

/** Lets pending promise callbacks run (no timers: deterministic). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

describe('WalWriter and readWal', () => {
  test('readWal returns the payloads WalWriter.add wrote, in order', async (t) => {
    t.diagnostic(`seed=${SEED}`)
    const vfs = new MemVfs()
    const payloads = [new Uint8Array(0), ...randomPayloads(SEED, 200, 3000)]
    await writeWal(vfs, '/000007.wal', payloads)
    const result = await readWal(vfs, '/000007.wal', { onTornTail: 'fail', expectedLogNumber: 7 })
    assert.equal(result.logNumber, 7)
    assert.deepEqual(result.report, { recordsRead: payloads.length, tailBytesDropped: 0 })
    assert.deepEqual(result.payloads.map((p) => Buffer.from(p)), payloads.map((p) => Buffer.from(p)), `seed=${SEED}`)
  })

  test('readWal reads records larger than the read window', async () => {
    const vfs = new MemVfs()
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251)
    await writeWal(vfs, '/1.wal', [Buffer.from('a'), big, Buffer.from('b')])
    const { payloads } = await readWal(vfs, '/1.wal', { onTornTail: 'fail' })
    assert.deepEqual(payloads.map((p) => p.length), [1, big.length, 1])
    assert.ok(Buffer.from(payloads[1]).equals(big))
  })

  test('the encoding matches the byte table (golden hex)', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/g.wal', [Buffer.from('abc')], 7)
    const hex = Buffer.from(readFile(vfs, '/g.wal')).toString('hex')
    const header = '5357414c' + '01' + '000000' + '0700000000000000'
    assert.equal(hex.slice(0, 32), header)
    assert.equal(hex.length, 2 * (LOG_FILE_HEADER_SIZE_BYTES + RECORD_HEADER_SIZE_BYTES + 3))
    assert.equal(hex.slice(40, 56), '03000000' + '00000000') // size 3, record index 0
    assert.equal(hex.slice(64), '616263')
    assert.equal(hex, GOLDEN_WAL_HEX)
  })

  test('add rejects a payload over the limit with INVALID_ARGUMENT', () => {
    const writer = WalWriter.create(new MemVfs(), '/x.wal', 1)
    assert.throws(() => writer.add(new Uint8Array(WAL_RECORD_PAYLOAD_BYTES_MAX + 1)), { code: 'INVALID_ARGUMENT' })
  })

  test('add after close throws CLOSED', async () => {
    const writer = WalWriter.create(new MemVfs(), '/x.wal', 1)
    await writer.close()
    assert.throws(() => writer.add(Buffer.from('a')), { code: 'CLOSED' })
    await assert.rejects(writer.sync(), { code: 'CLOSED' })
  })
})

// Pinned bytes of a WAL with log number 7 and one record "abc" (docs/formats/wal.md §5).
// Checksums cross-checked with Python's zlib.crc32 (an independent implementation).
const GOLDEN_WAL_HEX = '5357414c0100000007000000000000004aa753720300000000000000be5a3b11616263'

describe('WalWriter.sync() group commit', () => {
  test('folds concurrent syncs into at most two fsyncs', async () => {
    const { vfs, pending, fileSyncCount } = deferredSyncVfs(new MemVfs())
    const writer = WalWriter.create(vfs, '/g.wal', 1)
    writer.add(Buffer.from('first'))
    const waiters = [writer.sync()]
    await settle()
    assert.equal(fileSyncCount(), 1)
    for (let i = 0; i < 50; i++) {
      writer.add(Buffer.from(`w${i}`))
      waiters.push(writer.sync())
    }
    await settle()
    assert.equal(fileSyncCount(), 1, 'at most one fsync in flight')
    pending.shift()!()
    await settle()
    assert.equal(fileSyncCount(), 2, 'the second round starts when the first ends')
    pending.shift()!()
    await Promise.all(waiters)
    assert.equal(fileSyncCount(), 2)
    assert.equal(writer.syncRoundCount, 2)
  })

  test('a caller with nothing new joins the in-flight fsync', async () => {
    const { vfs, pending, fileSyncCount } = deferredSyncVfs(new MemVfs())
    const writer = WalWriter.create(vfs, '/g.wal', 1)
    writer.add(Buffer.from('a'))
    const first = writer.sync()
    const second = writer.sync()
    await settle()
    pending.shift()!()
    await Promise.all([first, second])
    assert.equal(fileSyncCount(), 1)
    await writer.sync() // nothing appended since: no fsync at all
    assert.equal(fileSyncCount(), 1)
  })

  test('a waiter of the next round is not resolved by the round in flight', async () => {
    const { vfs, pending } = deferredSyncVfs(new MemVfs())
    const writer = WalWriter.create(vfs, '/g.wal', 1)
    writer.add(Buffer.from('a'))
    let firstDone = false
    let secondDone = false
    void writer.sync().then(() => { firstDone = true })
    await settle()
    writer.add(Buffer.from('b'))
    void writer.sync().then(() => { secondDone = true })
    pending.shift()!()
    await settle()
    assert.equal(firstDone, true)
    assert.equal(secondDone, false, 'record b was appended after the first fsync started')
    pending.shift()!()
    await settle()
    assert.equal(secondDone, true)
  })

  test('a failed fsync rejects every waiter with IO_ERROR and the writer refuses writes', async () => {
    const pending: Array<(error?: Error) => void> = []
    const vfs = new HookedVfs(new MemVfs(), {
      beforeSync: (op) => {
        if (op !== 'sync') return
        return new Promise<void>((resolve, reject) => pending.push((error) => (error ? reject(error) : resolve())))
      },
    })
    const writer = WalWriter.create(vfs, '/f.wal', 1)
    writer.add(Buffer.from('a'))
    const covered = [writer.sync(), writer.sync()]
    await settle()
    writer.add(Buffer.from('b'))
    const next = writer.sync()
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
    pending.shift()!(eio)
    for (const waiter of [...covered, next]) await assert.rejects(waiter, { code: 'IO_ERROR' })
    assert.equal(pending.length, 0, 'no fsync is started after a failure')
    assert.throws(() => writer.add(Buffer.from('c')), { code: 'IO_ERROR' })
    await assert.rejects(writer.sync(), (error: unknown) => {
      assert.ok(error instanceof StrataError)
      assert.equal(error.code, 'IO_ERROR')
      assert.equal(error.details.errno, 'EIO')
      return true
    })
    await assert.doesNotReject(writer.close())
  })
})

describe('readWal() torn tails', () => {
  test('a tail cut at every byte offset of the last record is truncated and reported', async () => {
    const source = new MemVfs()
    const payloads = plainPayloads(5)
    const offsets = await writeWal(source, '/t.wal', payloads)
    const whole = readFile(source, '/t.wal')
    const lastStart = offsets[4]
    for (let cut = lastStart + 1; cut < whole.length; cut++) {
      const vfs = new MemVfs()
      writeFile(vfs, '/t.wal', whole.subarray(0, cut))
      await assert.rejects(readWal(vfs, '/t.wal', { onTornTail: 'fail' }), { code: 'CORRUPTION' }, `cut=${cut}`)
      const { payloads: read, report } = await readWal(vfs, '/t.wal', { onTornTail: 'truncate' })
      assert.equal(read.length, 4, `cut=${cut}`)
      assert.equal(report.recordsRead, 4)
      assert.equal(report.tailBytesDropped, cut - lastStart, `cut=${cut}`)
      assert.equal(report.tailOffsetBytes, lastStart)
      assert.equal(report.tailReason, cut - lastStart < RECORD_HEADER_SIZE_BYTES ? 'incomplete-record-header' : 'incomplete-payload')
      assert.equal(vfs.sizeBytes('/t.wal'), lastStart, 'the tail is cut from the file')
      const again = await readWal(vfs, '/t.wal', { onTornTail: 'fail' })
      assert.equal(again.report.recordsRead, 4)
    }
  })

  test('a flipped bit anywhere in the last record is a torn tail, dropped', async () => {
    const source = new MemVfs()
    const offsets = await writeWal(source, '/t.wal', plainPayloads(5))
    const whole = readFile(source, '/t.wal')
    for (let at = offsets[4]; at < whole.length; at++) {
      const vfs = new MemVfs()
      const bytes = whole.slice()
      bytes[at] ^= 0x10
      writeFile(vfs, '/t.wal', bytes)
      const { report } = await readWal(vfs, '/t.wal', { onTornTail: 'report' })
      assert.equal(report.recordsRead, 4, `at=${at}`)
      assert.equal(report.tailBytesDropped, whole.length - offsets[4])
      assert.equal(vfs.sizeBytes('/t.wal'), whole.length, "'report' leaves the file alone")
    }
  })

  test('a forged length in the last record is reported, not allocated', async () => {
    const vfs = new MemVfs()
    const offsets = await writeWal(vfs, '/t.wal', plainPayloads(3))
    const bytes = readFile(vfs, '/t.wal')
    bytes.fill(0xff, offsets[2], offsets[2] + 4)
    writeFile(vfs, '/t.wal', bytes)
    const { report } = await readWal(vfs, '/t.wal', { onTornTail: 'report' })
    assert.equal(report.tailReason, 'payload-size-over-limit')
    assert.equal(report.recordsRead, 2)
  })

  test('a long garbage tail is scanned and dropped as a torn tail', async (t) => {
    t.diagnostic(`seed=${SEED}`)
    const vfs = new MemVfs()
    await writeWal(vfs, '/t.wal', plainPayloads(3))
    const bytes = readFile(vfs, '/t.wal')
    const random = mulberry32Float(SEED + 3)
    const garbage = new Uint8Array(3 * 1024 * 1024).map(() => Math.floor(random() * 256))
    writeFile(vfs, '/t.wal', Buffer.concat([bytes, garbage]))
    const { report } = await readWal(vfs, '/t.wal', { onTornTail: 'report' })
    assert.equal(report.recordsRead, 3, `seed=${SEED}`)
    assert.equal(report.tailBytesDropped, garbage.length)
  })

  test('a zero-filled tail (preallocated or lost pages) is a torn tail', async () => {
    const vfs = new MemVfs()
    await writeWal(vfs, '/t.wal', plainPayloads(3))
    const bytes = readFile(vfs, '/t.wal')
    const padded = new Uint8Array(bytes.length + 4096)
    padded.set(bytes)
    writeFile(vfs, '/t.wal', padded)
    const { report } = await readWal(vfs, '/t.wal', { onTornTail: 'truncate' })
    assert.equal(report.recordsRead, 3)
    assert.equal(report.tailBytesDropped, 4096)
  })
})

describe('readWal() corruption', () => {
  test('a flipped bit anywhere in a middle record throws CORRUPTION naming file and offset', async () => {
    const source = new MemVfs()
    const offsets = await writeWal(source, '/c.wal', plainPayloads(5))
    const whole = readFile(source, '/c.wal')
    for (let at = offsets[2]; at < offsets[3]; at++) {
      for (const mode of ['truncate', 'fail'] as const) {
        const vfs = new MemVfs()
        const bytes = whole.slice()
        bytes[at] ^= 0x01
        writeFile(vfs, '/c.wal', bytes)
        await assert.rejects(readWal(vfs, '/c.wal', { onTornTail: mode }), (error: unknown) => {
          assert.ok(error instanceof StrataError, String(error))
          assert.equal(error.code, 'CORRUPTION', `at=${at}`)
          assert.equal(error.details.fileName, '/c.wal')
          assert.equal(error.details.offsetBytes, offsets[2], `at=${at}`)
          assert.equal(error.details.recordIndex, 2)
          return true
        })
        assert.equal(vfs.sizeBytes('/c.wal'), whole.length, 'nothing is truncated on corruption')
      }
    }
  })

  test('a bad file header throws CORRUPTION, an unknown version UNSUPPORTED_FORMAT_VERSION', async () => {
    const source = new MemVfs()
    await writeWal(source, '/h.wal', plainPayloads(2))
    const whole = readFile(source, '/h.wal')
    const cases: Array<[number, string]> = [[0, 'CORRUPTION'], [4, 'UNSUPPORTED_FORMAT_VERSION'], [6, 'CORRUPTION'], [9, 'CORRUPTION'], [17, 'CORRUPTION']]
    for (const [at, code] of cases) {
      const vfs = new MemVfs()
      const bytes = whole.slice()
      bytes[at] ^= 0x02
      writeFile(vfs, '/h.wal', bytes)
      await assert.rejects(readWal(vfs, '/h.wal', { onTornTail: 'truncate' }), { code }, `at=${at}`)
    }
  })

  test('a manifest file is not accepted as a WAL, nor a log of another number', async () => {
    const vfs = new MemVfs()
    const writer = WalWriter.create(vfs, '/m', 3, { kind: 'manifest' })
    await writer.close()
    await assert.rejects(readWal(vfs, '/m', { onTornTail: 'fail' }), { code: 'CORRUPTION' })
    await assert.rejects(readWal(vfs, '/m', { onTornTail: 'fail', kind: 'manifest', expectedLogNumber: 4 }), { code: 'CORRUPTION' })
    const ok = await readWal(vfs, '/m', { onTornTail: 'fail', kind: 'manifest', expectedLogNumber: 3 })
    assert.equal(ok.report.recordsRead, 0)
  })

  test('a record copied in from another log fails its checksum (seeded by the log number)', async () => {
    const vfs = new MemVfs()
    const offsetsA = await writeWal(vfs, '/a.wal', plainPayloads(3), 1)
    const offsetsB = await writeWal(vfs, '/b.wal', plainPayloads(3), 2)
    const a = readFile(vfs, '/a.wal')
    const b = readFile(vfs, '/b.wal')
    const mixed = new Uint8Array(a.length)
    mixed.set(a)
    mixed.set(b.subarray(offsetsB[1], offsetsB[2]), offsetsA[1]) // same payloads, other file
    writeFile(vfs, '/a.wal', mixed)
    await assert.rejects(readWal(vfs, '/a.wal', { onTornTail: 'truncate' }), { code: 'CORRUPTION' })
  })

  test('a file shorter than its header is a torn header when it matches the magic', async () => {
    const vfs = new MemVfs()
    writeFile(vfs, '/e.wal', new Uint8Array(0))
    assert.deepEqual((await readWal(vfs, '/e.wal', { onTornTail: 'fail' })).report, { recordsRead: 0, tailBytesDropped: 0 })
    writeFile(vfs, '/p.wal', Buffer.from('SWAL\x01'))
    const torn = await readWal(vfs, '/p.wal', { onTornTail: 'truncate' })
    assert.equal(torn.report.tailReason, 'incomplete-file-header')
    assert.equal(vfs.sizeBytes('/p.wal'), 0)
    writeFile(vfs, '/q.wal', Buffer.from('XWAL'))
    await assert.rejects(readWal(vfs, '/q.wal', { onTornTail: 'truncate' }), { code: 'CORRUPTION' })
  })
})

describe('WalWriter crash safety', () => {
  const ciphers: [string, LogCipher | undefined][] = [
    ['plaintext', undefined],
    ['aes-256-gcm', new LogCipher({ suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key: new Uint8Array(32).fill(9) }], activeEpoch: 1 } })],
  ]
  for (const [name, cipher] of ciphers) test(`${name}: MemVfs.crash() after a sync keeps every synced record`, async (t) => {
    t.diagnostic(`seed=${SEED}`)
    const vfs = new MemVfs()
    vfs.mkdirp('/db')
    const payloads = randomPayloads(SEED + 1, 60, 500)
    const writer = WalWriter.create(vfs, '/db/000003.wal', 3, { cipher })
    const random = mulberry32Float(SEED + 2)
    let syncedCount = 0
    for (let i = 0; i < payloads.length; i++) {
      writer.add(payloads[i])
      if (random() < 0.2) {
        await Promise.all([writer.sync(), writer.sync()])
        syncedCount = i + 1
      }
      const crashed = vfs.crash()
      if (syncedCount === 0) {
        assert.equal(crashed.exists('/db/000003.wal'), false, 'never synced: the directory entry is not durable')
        continue
      }
      const { payloads: read } = await readWal(crashed, '/db/000003.wal', { onTornTail: 'truncate', cipher })
      assert.equal(read.length, syncedCount, `seed=${SEED} step=${i}`)
      for (let j = 0; j < syncedCount; j++) assert.ok(Buffer.from(read[j]).equals(payloads[j]), `seed=${SEED} step=${i} record ${j}`)
    }
    await writer.close()
  })
})

describe('WalWriter.create() failing', () => {
  test('a header write cut short (ENOSPC) throws IO_ERROR and leaves no partial log behind', () => {
    const mem = new MemVfs()
    mem.mkdirp('/db')
    const vfs = new FaultVfs(mem)
    vfs.addRule({ op: 'append', path: /\.wal$/, mode: 'short-write', errno: 'ENOSPC' })
    assert.throws(() => WalWriter.create(vfs, '/db/000003.wal', 3), (error) => error instanceof StrataError && error.code === 'IO_ERROR')
    assert.equal(mem.exists('/db/000003.wal'), false)
    vfs.clearRules()
    const writer = WalWriter.create(vfs, '/db/000003.wal', 3)
    assert.equal(mem.sizeBytes('/db/000003.wal'), LOG_FILE_HEADER_SIZE_BYTES)
    writer.add(Buffer.from('after the fault'))
  })
})

describe('WalWriter after a failed append', () => {
  test('intactSizeBytes ends at the last whole record; syncIntact makes the records up to it durable', async () => {
    const mem = new MemVfs()
    mem.mkdirp('/db')
    const vfs = new FaultVfs(mem, { seed: SEED })
    const writer = WalWriter.create(vfs, '/db/000003.wal', 3)
    const payloads = randomPayloads(SEED + 3, 5, 300)
    for (const payload of payloads) writer.add(payload)
    const wholeBytes = writer.sizeBytes()
    assert.equal(writer.intactSizeBytes, wholeBytes, 'healthy: the whole file')
    vfs.addRule({ op: 'append', path: /\.wal$/, mode: 'short-write', errno: 'ENOSPC' })
    assert.throws(() => writer.add(Buffer.alloc(400, 7)), { code: 'IO_ERROR' })
    assert.equal(writer.intactSizeBytes, wholeBytes, `seed=${SEED}: the failed record's ${writer.sizeBytes() - wholeBytes} partial bytes are not counted`)
    await assert.rejects(writer.sync(), { code: 'IO_ERROR' }, 'sync() still refuses')
    await writer.syncIntact()
    const crashed = mem.crash()
    const { payloads: read } = await readWal(crashed, '/db/000003.wal', { onTornTail: 'truncate' })
    assert.deepEqual(read.map((payload) => Buffer.from(payload).toString('hex')), payloads.map((payload) => Buffer.from(payload).toString('hex')), `seed=${SEED}`)
    crashed.mkdirp('/copy')
    writeFile(crashed, '/copy/000003.wal', readFile(crashed, '/db/000003.wal').subarray(0, wholeBytes))
    const copied = await readWal(crashed, '/copy/000003.wal', { onTornTail: 'fail' })
    assert.equal(copied.payloads.length, payloads.length, 'the prefix holds every record and no torn tail')
  })

  test('syncIntact refuses after a failed fsync', async () => {
    const mem = new MemVfs()
    mem.mkdirp('/db')
    const vfs = new FaultVfs(mem)
    const writer = WalWriter.create(vfs, '/db/000003.wal', 3)
    writer.add(Buffer.from('a'))
    vfs.addRule({ op: 'sync', path: /\.wal$/, nth: 1, errno: 'EIO' })
    await assert.rejects(writer.sync(), { code: 'IO_ERROR' })
    await assert.rejects(writer.syncIntact(), { code: 'IO_ERROR' }, 'which bytes the file holds is unknown')
  })
})

describe('WalWriter on NodeVfs', () => {
  test('writes, syncs, reads back and truncates a torn tail on the real file system', async () => {
    const { NodeVfs } = await import('../vfs/mod.ts')
    const os = await import('node:os')
    const fs = await import('node:fs')
    const path = await import('node:path')
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-wal-'))
    try {
      const vfs = new NodeVfs()
      const filePath = path.join(directory, '000009.wal')
      const payloads = plainPayloads(20)
      const offsets = await writeWal(vfs, filePath, payloads, 9)
      fs.truncateSync(filePath, offsets[19] + 5)
      const { payloads: read, report } = await readWal(vfs, filePath, { onTornTail: 'truncate', expectedLogNumber: 9 })
      assert.equal(read.length, 19)
      assert.equal(report.tailBytesDropped, 5)
      assert.equal(fs.statSync(filePath).size, offsets[19])
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe('countRecordsAfterDamage()', () => {
  test('counts the records after a damaged one, past a second damaged one', async () => {
    const vfs = new MemVfs()
    const offsets = await writeWal(vfs, '/000007.wal', plainPayloads(8))
    const bytes = readFile(vfs, '/000007.wal')
    bytes[offsets[2] + RECORD_HEADER_SIZE_BYTES] ^= 0x01 // record 2's payload
    bytes[offsets[5] + 8] ^= 0x01 // record 5's checksum
    writeFile(vfs, '/000007.wal', bytes)
    assert.equal(countRecordsAfterDamage(vfs, '/000007.wal', offsets[2], 2), 4, 'records 3, 4, 6 and 7')
    assert.equal(countRecordsAfterDamage(vfs, '/000007.wal', offsets[6], 6), 2, 'from a valid record on, it counts too')
  })

  test('counts nothing after a torn tail', async () => {
    const vfs = new MemVfs()
    const offsets = await writeWal(vfs, '/000007.wal', plainPayloads(4))
    writeFile(vfs, '/000007.wal', readFile(vfs, '/000007.wal').subarray(0, offsets[3] + 5))
    assert.equal(countRecordsAfterDamage(vfs, '/000007.wal', offsets[3], 3), 0)
  })
})
