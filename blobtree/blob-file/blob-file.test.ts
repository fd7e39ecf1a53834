import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { StrataError } from '../../engine/errors.ts'
import { xxh3128 } from '../../engine/checksum/xxh3.ts'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MemVfs } from '../../engine/vfs/mem-vfs.ts'
import { NodeVfs } from '../../engine/vfs/node-vfs.ts'
import { FaultVfs } from '../../engine/vfs/fault-vfs.ts'
import { PlainCodec } from '../../engine/transform/plain-codec.ts'
import type { BlockCodec, BlockContext } from '../../engine/transform/block-codec.ts'
import { encodeBlobHandle, type BlobHandle } from '../handle.ts'
import { SeededRandom, seedFromEnv } from '../testing/seeded-random.ts'
import { BlobFileWriter, type BlobEntry } from './writer.ts'
import { BlobFileReader } from './reader.ts'
import { scanBlobFile, type ScannedFrame } from './scan.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES, FRAME_HEADER_SIZE_BYTES, describeKey } from './format.ts'

const DIRECTORY = '/db'
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

function freshVfs(): MemVfs {
  const vfs = new MemVfs()
  vfs.mkdirp(DIRECTORY)
  return vfs
}

function readAllBytes(vfs: MemVfs, path: string): Uint8Array {
  const file = vfs.openRead(path)
  const bytes = new Uint8Array(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  return bytes
}

function writeBytes(vfs: MemVfs, path: string, bytes: Uint8Array): void {
  const file = vfs.create(path)
  file.append([bytes])
  file.close()
}

/** Random entries: key 1..64 bytes, value sizes log-uniform over 0 B .. 1 MiB, plus the edges. */
function randomEntries(random: SeededRandom, count: number): BlobEntry[] {
  const sizes = [0, 1, 1024 * 1024]
  while (sizes.length < count) sizes.push(random.below(2 ** random.below(21) + 1))
  return sizes.map((sizeBytes, index) => ({ key: utf8(`key-${index}-${random.below(1e9)}`), value: random.bytes(sizeBytes) }))
}

function writeFile(vfs: MemVfs, path: string, entries: readonly BlobEntry[], options: { fileNumber?: number; codec?: BlockCodec; batchSize?: number } = {}): { writer: BlobFileWriter; handles: BlobHandle[] } {
  const writer = BlobFileWriter.create(vfs.create(path), { fileNumber: options.fileNumber ?? 1, codec: options.codec })
  const handles: BlobHandle[] = []
  const batchSize = options.batchSize ?? 7
  for (let start = 0; start < entries.length; start += batchSize) handles.push(...writer.addMany(entries.slice(start, start + batchSize)))
  return { writer, handles }
}

/** Asserts that `fn` throws a StrataError whose message names the file and the key. */
function assertNamedError(fn: () => unknown, codes: readonly string[], path: string, key: Uint8Array, note: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof StrataError, `${note}: not a StrataError: ${String(error)}`)
    assert.ok(codes.includes(error.code), `${note}: code ${error.code}`)
    assert.ok(error.message.includes(path), `${note}: message does not name the file: ${error.message}`)
    assert.ok(error.message.includes(describeKey(key)), `${note}: message does not name the key: ${error.message}`)
    assert.equal(error.details.fileName, path, note)
    return true
  }, note)
}

describe('BlobFileWriter and BlobFileReader', () => {
  test('read() returns every value add()/addMany() wrote, sizes 0 B .. 1 MiB', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const vfs = freshVfs()
    const entries = randomEntries(new SeededRandom(seed), 120)
    const { writer, handles } = writeFile(vfs, '/db/1.blob', entries)
    handles.push(writer.add(utf8('single'), utf8('one value')))
    entries.push({ key: utf8('single'), value: utf8('one value') })
    const liveReader = BlobFileReader.open(writer.file)
    for (let index = 0; index < entries.length; index++) {
      assert.deepEqual(liveReader.read(handles[index], entries[index].key), entries[index].value, `seed=${seed} live index=${index}`)
    }
    const summary = await writer.finish()
    assert.equal(summary.valueCount, entries.length)
    assert.equal(summary.totalValueBytes, entries.reduce((sum, entry) => sum + entry.value.length, 0))
    assert.equal(summary.sizeBytes, vfs.sizeBytes('/db/1.blob'))
    const reader = BlobFileReader.open(vfs.openRead('/db/1.blob'), { expectedFileNumber: 1 })
    assert.deepEqual(reader.footer, { frameCount: entries.length, rawValueBytesTotal: summary.totalValueBytes, framesSizeBytes: summary.sizeBytes - FILE_HEADER_SIZE_BYTES - FOOTER_SIZE_BYTES })
    for (let index = 0; index < entries.length; index++) {
      assert.deepEqual(reader.read(handles[index], entries[index].key), entries[index].value, `seed=${seed} index=${index}`)
      assert.equal(reader.frameStatus(handles[index], entries[index].key), 'durable')
    }
  })

  test('handles are contiguous and sizeBytes() counts every frame', () => {
    const vfs = freshVfs()
    const { writer, handles } = writeFile(vfs, '/db/1.blob', [{ key: utf8('a'), value: utf8('xyz') }, { key: utf8('bb'), value: new Uint8Array(100) }])
    assert.equal(handles[0].offsetBytes, FILE_HEADER_SIZE_BYTES)
    assert.equal(handles[1].offsetBytes, handles[0].offsetBytes + handles[0].frameSizeBytes)
    assert.equal(writer.sizeBytes(), handles[1].offsetBytes + handles[1].frameSizeBytes)
    assert.equal(handles[0].frameSizeBytes, FRAME_HEADER_SIZE_BYTES + 1 + 24 + 3) // PlainCodec adds 24 bytes
    assert.deepEqual(writer.addMany([]), [])
    assert.deepEqual(writer.copyFrames([]), [])
    assert.equal(writer.sizeBytes(), handles[1].offsetBytes + handles[1].frameSizeBytes)
  })

  test('addMany() rejects a batch with one oversized key and appends nothing', () => {
    const vfs = freshVfs()
    const writer = BlobFileWriter.create(vfs.create('/db/1.blob'), { fileNumber: 1 })
    const before = writer.sizeBytes()
    assert.throws(() => writer.addMany([{ key: utf8('ok'), value: utf8('v') }, { key: new Uint8Array(64 * 1024 + 1), value: utf8('v') }]), { code: 'INVALID_ARGUMENT' })
    assert.equal(writer.sizeBytes(), before)
    assert.equal(vfs.sizeBytes('/db/1.blob'), before)
  })

  test('add() after finish() throws CLOSED; create() refuses a non-empty file', async () => {
    const vfs = freshVfs()
    const writer = BlobFileWriter.create(vfs.create('/db/1.blob'), { fileNumber: 1 })
    await writer.finish()
    assert.throws(() => writer.add(utf8('k'), utf8('v')), { code: 'CLOSED' })
    assert.throws(() => BlobFileWriter.create(vfs.openAppend('/db/1.blob'), { fileNumber: 1 }), { code: 'INVALID_ARGUMENT' })
  })

  test('read() with another key throws CORRUPTION naming the file and both keys', () => {
    const vfs = freshVfs()
    const { writer, handles } = writeFile(vfs, '/db/1.blob', [{ key: utf8('alice'), value: utf8('a'.repeat(50)) }, { key: utf8('bob'), value: utf8('b'.repeat(50)) }])
    const reader = BlobFileReader.open(writer.file)
    assertNamedError(() => reader.read(handles[0], utf8('bob')), ['CORRUPTION'], '/db/1.blob', utf8('bob'), 'swapped key')
    assert.throws(() => reader.read(handles[0], utf8('bob')), /frame holds key "alice"/)
    assert.deepEqual(reader.read(handles[1], utf8('bob')), utf8('b'.repeat(50)))
  })

  test('read() of a handle that does not match the file throws a typed error', () => {
    const vfs = freshVfs()
    const { writer, handles } = writeFile(vfs, '/db/1.blob', [{ key: utf8('k1'), value: utf8('v'.repeat(100)) }, { key: utf8('k2'), value: utf8('w'.repeat(100)) }])
    const reader = BlobFileReader.open(writer.file)
    const [first] = handles
    const cases: [BlobHandle, string][] = [
      [{ ...first, fileNumber: 2 }, 'INVALID_ARGUMENT'],
      [{ ...first, offsetBytes: first.offsetBytes + 1 }, 'CORRUPTION'],
      [{ ...first, offsetBytes: 0 }, 'CORRUPTION'],
      [{ ...first, frameSizeBytes: first.frameSizeBytes - 1 }, 'CORRUPTION'],
      [{ ...first, frameSizeBytes: first.frameSizeBytes + handles[1].frameSizeBytes }, 'CORRUPTION'],
      [{ ...first, rawValueSizeBytes: 99 }, 'CORRUPTION'],
      [{ ...first, offsetBytes: writer.sizeBytes() }, 'CORRUPTION'],
    ]
    for (const [handle, code] of cases) assert.throws(() => reader.read(handle, utf8('k1')), { code }, JSON.stringify(handle))
  })

  test('every single-bit flip in a frame gives a typed error naming file and key, never data', () => {
    const vfs = freshVfs()
    const key = utf8('victim')
    const entries = [{ key: utf8('before'), value: utf8('x'.repeat(40)) }, { key, value: utf8('secret value '.repeat(6)) }, { key: utf8('after'), value: utf8('y'.repeat(40)) }]
    const { writer, handles } = writeFile(vfs, '/db/1.blob', entries)
    writer.close()
    const original = readAllBytes(vfs, '/db/1.blob')
    const target = handles[1]
    let flipCount = 0
    for (let bit = 0; bit < target.frameSizeBytes * 8; bit++) {
      const damaged = original.slice()
      damaged[target.offsetBytes + (bit >> 3)] ^= 1 << (bit & 7)
      writeBytes(vfs, '/db/flipped.blob', damaged)
      const reader = BlobFileReader.open(vfs.openRead('/db/flipped.blob'))
      const note = `bit ${bit} (byte ${bit >> 3} of the frame)`
      assertNamedError(() => reader.read(target, key), ['CORRUPTION', 'CHECKSUM_MISMATCH'], '/db/flipped.blob', key, note)
      assert.equal(reader.frameStatus(target, key), 'corrupt', note)
      assert.deepEqual(reader.read(handles[0], entries[0].key), entries[0].value, note)
      assert.deepEqual(reader.read(handles[2], entries[2].key), entries[2].value, note)
      flipCount++
    }
    assert.equal(flipCount, target.frameSizeBytes * 8)
  })

  test('a flipped bit in a body names the key even when the caller gives none', () => {
    const vfs = freshVfs()
    const { writer, handles } = writeFile(vfs, '/db/1.blob', [{ key: utf8('k'), value: new Uint8Array(1000).fill(7) }])
    writer.close()
    const damaged = readAllBytes(vfs, '/db/1.blob')
    damaged[handles[0].offsetBytes + handles[0].frameSizeBytes - 10] ^= 0x20
    writeBytes(vfs, '/db/2.blob', damaged)
    const reader = BlobFileReader.open(vfs.openRead('/db/2.blob'))
    assertNamedError(() => reader.read(handles[0]), ['CHECKSUM_MISMATCH'], '/db/2.blob', utf8('k'), 'body flip')
  })

  test('codec errors come back with their code and the key', () => {
    const failing: BlockCodec = {
      encode: (raw, context) => new PlainCodec().encode(raw, context),
      decode: () => {
        throw new StrataError('DECRYPT_FAILED', 'Cannot decrypt block: authentication failed')
      },
    }
    const vfs = freshVfs()
    const { writer, handles } = writeFile(vfs, '/db/1.blob', [{ key: utf8('k'), value: utf8('value') }])
    const reader = BlobFileReader.open(writer.file, { codec: failing })
    assertNamedError(() => reader.read(handles[0], utf8('k')), ['DECRYPT_FAILED'], '/db/1.blob', utf8('k'), 'codec failure')
  })

  test('open() rejects a bad magic, a header checksum mismatch, an unknown version and another file number', () => {
    const vfs = freshVfs()
    const { writer } = writeFile(vfs, '/db/1.blob', [{ key: utf8('k'), value: utf8('v') }])
    writer.close()
    const original = readAllBytes(vfs, '/db/1.blob')
    const withByte = (index: number, value: number): Uint8Array => {
      const copy = original.slice()
      copy[index] = value
      return copy
    }
    // Version 2 with a valid checksum, so that only the version is wrong.
    const versionTwo = original.slice()
    versionTwo[4] = 2
    versionTwo.set(xxh3128(versionTwo.subarray(0, 24)), 24)
    const cases: [Uint8Array, string][] = [[withByte(0, 0x58), 'CORRUPTION'], [withByte(9, 1), 'CHECKSUM_MISMATCH'], [original.subarray(0, 39), 'CORRUPTION'], [versionTwo, 'UNSUPPORTED_FORMAT_VERSION']]
    for (const [bytes, code] of cases) {
      writeBytes(vfs, '/db/bad.blob', bytes)
      assert.throws(() => BlobFileReader.open(vfs.openRead('/db/bad.blob')), { code })
    }
    assert.throws(() => BlobFileReader.open(vfs.openRead('/db/1.blob'), { expectedFileNumber: 2 }), { code: 'CORRUPTION' })
  })
})

describe('BlobFileWriter.syncIntact()', () => {
  test('after a failed append it makes the frames before it durable (they survive a crash and read back), while sync() and appends refuse', async () => {
    const memory = freshVfs()
    const vfs = new FaultVfs(memory, { seed: 3 })
    const writer = BlobFileWriter.create(vfs.create('/db/1.blob'), { fileNumber: 1 })
    await vfs.syncDirectory(DIRECTORY)
    const before = [{ key: utf8('a'), value: new Uint8Array(300).fill(1) }, { key: utf8('b'), value: new Uint8Array(500).fill(2) }]
    const handles = writer.addMany(before)
    vfs.addRule({ op: 'append', path: /\.blob$/, nth: 1, mode: 'short-write', errno: 'ENOSPC' })
    assert.throws(() => writer.add(utf8('failed'), new Uint8Array(400)), { code: 'IO_ERROR' })
    assert.equal(writer.sizeBytes(), handles[1].offsetBytes + handles[1].frameSizeBytes, 'the failed frame is not counted')
    await assert.rejects(writer.sync(), { code: 'IO_ERROR' })
    assert.throws(() => writer.add(utf8('c'), new Uint8Array(10)), { code: 'IO_ERROR' })
    await writer.syncIntact()
    assert.equal(writer.durableSizeBytes(), writer.sizeBytes())
    const reader = BlobFileReader.open(memory.crash().openRead('/db/1.blob'))
    for (let index = 0; index < before.length; index++) assert.deepEqual(reader.read(handles[index], before[index].key), before[index].value)
  })

  test('after a failed fsync it refuses: the kernel may have dropped the pages', async () => {
    const vfs = new FaultVfs(freshVfs())
    const writer = BlobFileWriter.create(vfs.create('/db/1.blob'), { fileNumber: 1 })
    writer.add(utf8('a'), new Uint8Array(300))
    vfs.addRule({ op: 'sync', path: /\.blob$/, nth: 1, errno: 'EIO' })
    await assert.rejects(writer.sync(), { code: 'IO_ERROR' })
    vfs.clearRules()
    await assert.rejects(writer.syncIntact(), { code: 'IO_ERROR' })
  })
})

describe('blob files on NodeVfs', () => {
  test('a finished file on disk reads and scans back after reopening', async (t) => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-blob-test-'))
    t.after(() => fs.rmSync(directory, { recursive: true, force: true }))
    const vfs = new NodeVfs()
    const filePath = path.join(directory, '000003.blob')
    const entries = randomEntries(new SeededRandom(seedFromEnv()), 20)
    const writer = BlobFileWriter.create(vfs.create(filePath), { fileNumber: 3 })
    const handles = writer.addMany(entries)
    await writer.finish()
    const reader = BlobFileReader.open(vfs.openRead(filePath), { expectedFileNumber: 3 })
    t.after(() => reader.close())
    entries.forEach((entry, index) => assert.deepEqual(reader.read(handles[index], entry.key), entry.value))
    const scan = scanBlobFile(reader)
    assert.equal([...scan].length, entries.length)
    assert.equal(scan.end?.kind, 'footer')
  })
})

describe('scanBlobFile()', () => {
  function expectFrames(frames: ScannedFrame[], entries: readonly BlobEntry[], handles: readonly BlobHandle[], note: string): void {
    assert.equal(frames.length, handles.length, note)
    for (let index = 0; index < frames.length; index++) {
      assert.deepEqual(frames[index].handle, handles[index], `${note} index=${index}`)
      assert.deepEqual(frames[index].key, entries[index].key, `${note} index=${index}`)
      assert.deepEqual(frames[index].value, entries[index].value, `${note} index=${index}`)
    }
  }

  test('yields every frame of a finished file in order and ends at the footer', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const vfs = freshVfs()
    const entries = randomEntries(new SeededRandom(seed), 40)
    const { writer, handles } = writeFile(vfs, '/db/1.blob', entries)
    await writer.finish()
    const scan = scanBlobFile(BlobFileReader.open(vfs.openRead('/db/1.blob')))
    expectFrames([...scan], entries, handles, `seed=${seed}`)
    assert.equal(scan.end?.kind, 'footer')
    assert.equal(scan.end?.frameCount, entries.length)
  })

  test('a truncated file keeps its earlier frames readable and reports the torn frame', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const random = new SeededRandom(seed)
    const vfs = freshVfs()
    const entries = randomEntries(random, 12).map((entry) => ({ key: entry.key, value: entry.value.subarray(0, 5000) }))
    const { writer, handles } = writeFile(vfs, '/db/1.blob', entries)
    await writer.finish()
    const original = readAllBytes(vfs, '/db/1.blob')
    const cuts = [FILE_HEADER_SIZE_BYTES, original.length - 1, original.length - FOOTER_SIZE_BYTES, ...handles.map((handle) => handle.offsetBytes + 1 + random.below(handle.frameSizeBytes - 1))]
    for (const cut of cuts) {
      const note = `seed=${seed} cut=${cut}`
      writeBytes(vfs, '/db/cut.blob', original.subarray(0, cut))
      const reader = BlobFileReader.open(vfs.openRead('/db/cut.blob'))
      assert.equal(reader.footer, undefined, note)
      const whole = handles.filter((handle) => handle.offsetBytes + handle.frameSizeBytes <= cut)
      for (let index = 0; index < handles.length; index++) {
        const inside = index < whole.length
        assert.equal(reader.frameStatus(handles[index], entries[index].key), inside ? 'durable' : 'missing', `${note} index=${index}`)
        if (inside) assert.deepEqual(reader.read(handles[index], entries[index].key), entries[index].value, note)
        else assert.throws(() => reader.read(handles[index], entries[index].key), { code: 'CORRUPTION' }, note)
      }
      const scan = scanBlobFile(reader)
      expectFrames([...scan], entries, whole, note)
      const framesEnd = whole.length === 0 ? FILE_HEADER_SIZE_BYTES : whole[whole.length - 1].offsetBytes + whole[whole.length - 1].frameSizeBytes
      assert.equal(scan.end?.offsetBytes, framesEnd, note)
      assert.equal(scan.end?.kind, cut === framesEnd ? 'end-of-file' : 'torn', note)
    }
  })

  test('in a finished file a damaged frame throws; in an unfinished one the scan stops there', async () => {
    const vfs = freshVfs()
    const entries = [0, 1, 2, 3].map((index) => ({ key: utf8(`k${index}`), value: new Uint8Array(300).fill(index) }))
    const { writer, handles } = writeFile(vfs, '/db/1.blob', entries)
    await writer.finish()
    const damaged = readAllBytes(vfs, '/db/1.blob')
    damaged[handles[2].offsetBytes + handles[2].frameSizeBytes - 5] ^= 0x01
    writeBytes(vfs, '/db/sealed.blob', damaged)
    const sealedScan = scanBlobFile(BlobFileReader.open(vfs.openRead('/db/sealed.blob')))
    assert.throws(() => [...sealedScan], (error: unknown) => error instanceof StrataError && error.code === 'CHECKSUM_MISMATCH' && error.message.includes('"k2"'))
    writeBytes(vfs, '/db/open.blob', damaged.subarray(0, damaged.length - FOOTER_SIZE_BYTES))
    const openScan = scanBlobFile(BlobFileReader.open(vfs.openRead('/db/open.blob')))
    assert.equal([...openScan].length, 2)
    assert.equal(openScan.end?.kind, 'torn')
    assert.equal(openScan.end?.offsetBytes, handles[2].offsetBytes)
  })

  test('a flipped key bit stops the scan of an unfinished file and fails a finished one', async () => {
    const vfs = freshVfs()
    const entries = [0, 1, 2].map((index) => ({ key: utf8(`key${index}`), value: new Uint8Array(100).fill(index) }))
    const { writer, handles } = writeFile(vfs, '/db/1.blob', entries)
    await writer.finish()
    const damaged = readAllBytes(vfs, '/db/1.blob')
    damaged[handles[1].offsetBytes + FRAME_HEADER_SIZE_BYTES + 2] ^= 0x04
    writeBytes(vfs, '/db/sealed.blob', damaged)
    assert.throws(() => [...scanBlobFile(BlobFileReader.open(vfs.openRead('/db/sealed.blob')), { decodeValues: false })], { code: 'CORRUPTION' })
    writeBytes(vfs, '/db/open.blob', damaged.subarray(0, damaged.length - FOOTER_SIZE_BYTES))
    const scan = scanBlobFile(BlobFileReader.open(vfs.openRead('/db/open.blob')))
    assert.deepEqual([...scan].map((frame) => frame.key), [entries[0].key])
    assert.deepEqual(scan.end, { kind: 'torn', offsetBytes: handles[1].offsetBytes, frameCount: 1, reason: 'frame checksum mismatch' })
  })

  test('after MemVfs.crash() only synced frames survive, and the file reads cleanly up to them', async () => {
    const vfs = freshVfs()
    const writer = BlobFileWriter.create(vfs.create('/db/1.blob'), { fileNumber: 1 })
    await vfs.syncDirectory(DIRECTORY)
    const synced = [0, 1, 2].map((index) => ({ key: utf8(`s${index}`), value: new Uint8Array(2000).fill(index) }))
    const syncedHandles = writer.addMany(synced)
    await writer.sync()
    assert.equal(writer.durableSizeBytes(), writer.sizeBytes())
    const lost = [0, 1].map((index) => ({ key: utf8(`u${index}`), value: new Uint8Array(2000).fill(9) }))
    const lostHandles = writer.addMany(lost)
    const after = vfs.crash()
    const reader = BlobFileReader.open(after.openRead('/db/1.blob'))
    for (let index = 0; index < synced.length; index++) assert.deepEqual(reader.read(syncedHandles[index], synced[index].key), synced[index].value)
    for (let index = 0; index < lost.length; index++) assert.equal(reader.frameStatus(lostHandles[index], lost[index].key), 'missing')
    const scan = scanBlobFile(reader)
    assert.equal([...scan].length, synced.length)
    assert.deepEqual(scan.end, { kind: 'end-of-file', offsetBytes: writer.sizeBytes() - lostHandles[0].frameSizeBytes - lostHandles[1].frameSizeBytes, frameCount: 3 })
  })

  test('after MemVfs.crash() without any sync the file is empty and open() throws CORRUPTION', async () => {
    const vfs = freshVfs()
    const writer = BlobFileWriter.create(vfs.create('/db/1.blob'), { fileNumber: 1 })
    await vfs.syncDirectory(DIRECTORY)
    writer.add(utf8('k'), utf8('never synced'))
    const after = vfs.crash()
    assert.equal(after.sizeBytes('/db/1.blob'), 0)
    assert.throws(() => BlobFileReader.open(after.openRead('/db/1.blob')), { code: 'CORRUPTION' })
  })

  test('copyFrames() relocates frames byte for byte; a codec bound to the origin file still decodes them', async () => {
    // A stand-in for AEAD: the body carries the file number it was encoded for, and decode
    // fails unless the context names the same file, as an AAD check would.
    const plain = new PlainCodec()
    const bound: BlockCodec = {
      encode(raw: Uint8Array, context: BlockContext) {
        const tagged = new Uint8Array(raw.length + 4)
        new DataView(tagged.buffer).setUint32(0, context.fileNumber, true)
        tagged.set(raw, 4)
        return plain.encode(tagged, context)
      },
      decode(onDisk: Uint8Array, context: BlockContext) {
        const tagged = plain.decode(onDisk, context)
        const fileNumber = new DataView(tagged.buffer, tagged.byteOffset).getUint32(0, true)
        if (fileNumber !== context.fileNumber) throw new StrataError('DECRYPT_FAILED', `Cannot decrypt: bound to file ${fileNumber}`)
        return tagged.subarray(4)
      },
    }
    const vfs = freshVfs()
    const entries = [0, 1, 2, 3, 4].map((index) => ({ key: utf8(`k${index}`), value: new Uint8Array(700).fill(index + 1) }))
    const { writer: source } = writeFile(vfs, '/db/1.blob', entries, { fileNumber: 1, codec: bound })
    await source.finish()
    const live = [...scanBlobFile(BlobFileReader.open(vfs.openRead('/db/1.blob'), { codec: bound }))].filter((_, index) => index % 2 === 0)
    const target = BlobFileWriter.create(vfs.create('/db/2.blob'), { fileNumber: 2, codec: bound })
    const moved = target.copyFrames(live)
    await target.finish()
    const reader = BlobFileReader.open(vfs.openRead('/db/2.blob'), { codec: bound })
    moved.forEach((handle, index) => {
      assert.equal(handle.fileNumber, 2)
      assert.deepEqual(reader.read(handle, live[index].key), entries[index * 2].value)
    })
    const rescanned = [...scanBlobFile(reader)]
    assert.deepEqual(rescanned.map((frame) => frame.originFileNumber), [1, 1, 1])
  })
})

describe('blob file format v1', () => {
  test('a known file encodes to the golden bytes (the tables in writer.ts and the docs)', async () => {
    const vfs = freshVfs()
    const writer = BlobFileWriter.create(vfs.create('/db/7.blob'), { fileNumber: 7, codecId: 0 })
    const handle = writer.add(utf8('k1'), utf8('hello'))
    await writer.finish()
    const bytes = Buffer.from(readAllBytes(vfs, '/db/7.blob')).toString('hex')
    assert.deepEqual(handle, { fileNumber: 7, offsetBytes: 40, frameSizeBytes: 71, rawValueSizeBytes: 5 })
    assert.equal(bytes, GOLDEN_FILE_HEX)
    assert.equal(Buffer.from(encodeBlobHandle(handle)).toString('hex'), '0107284705')
  })
})

/** docs/formats/blob-file.md §7: file 7, one frame ("k1" → "hello"), PlainCodec, finished. */
const GOLDEN_FILE_HEX =
  // file header (40 B)
  '53424c4601000000070000000000000000000000000000000c97f3ac071765095e00395afd12d22d' +
  // frame: header (40 B), key "k1", PlainCodec envelope (24 B) + "hello"
  '0100000002000000050000001d0000000700000000000000dbde0f412d281a861986da16560fa7c86b310107000005000000f4ae169cde9925d58587c8fa13bbd08b68656c6c6f' +
  // footer (56 B)
  '020000000000000001000000000000000500000000000000470000000000000053424c4601000000648feb74b3083448f13a8370589f34ce'
