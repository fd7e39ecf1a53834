/**
 * The frame checksum covers the body's first 32 bytes (the block envelope header and the start
 * of the payload), which the body's ECC covers too. These tests prove that with ECC a flip there
 * is repaired on every path that checks frames (read, frameStatus, scan), and vouched for only
 * by a repair that makes the frame checksum match; that without ECC, and for the header and the
 * key (which no ECC covers), it stays a typed error; and that the repair path never lets a body
 * past the codec's own checks (AEAD included).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { StrataError } from '../../engine/errors.ts'
import { MemVfs } from '../../engine/vfs/mem-vfs.ts'
import { PlainCodec } from '../../engine/transform/plain-codec.ts'
import type { BlockCodec } from '../../engine/transform/block-codec.ts'
import type { EccConfig } from '../../engine/transform/ecc.ts'
import { IntegrityCodec, type IntegrityCodecOptions, type RepairEvent } from '../../engine/transform/pipeline.ts'
import type { BlobHandle } from '../handle.ts'
import { BlobFileWriter } from './writer.ts'
import { BlobFileReader } from './reader.ts'
import { scanBlobFile } from './scan.ts'
import { FRAME_CHECKSUM_BODY_PREFIX_BYTES, FRAME_HEADER_SIZE_BYTES } from './format.ts'

const PATH = '/db/1.blob'
const KEYS = ['k0', 'k1', 'k2'].map((text) => new TextEncoder().encode(text))
const VALUES = [0, 1, 2].map((index) => new Uint8Array(300).fill(0x41 + index))
/** The frame every test damages: the middle one, so a scan must find the frame after it. */
const TARGET = 1
const SCHEMES: EccConfig[] = [{ kind: 'sec-ded' }, { kind: 'xor', dataShards: 4 }, { kind: 'reed-solomon', dataShards: 4, parityShards: 2 }]
const ENCRYPTION = { suite: 'aes-256-gcm' as const, keyChain: { keys: [{ epoch: 1, key: new Uint8Array(32).fill(0x11) }], activeEpoch: 1 } }

interface Written {
  bytes: Uint8Array
  handles: BlobHandle[]
}

/** The three frames written through `codec`, finished or not, as bytes. */
async function written(codec: BlockCodec, finished: boolean): Promise<Written> {
  const vfs = new MemVfs()
  vfs.mkdirp('/db')
  const writer = BlobFileWriter.create(vfs.create(PATH), { fileNumber: 1, codec })
  const handles = writer.addMany(KEYS.map((key, index) => ({ key, value: VALUES[index] })))
  if (finished) await writer.finish()
  else writer.close()
  const file = vfs.openRead(PATH)
  const bytes = new Uint8Array(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  return { bytes, handles }
}

/** A reader over `bytes` with each `[offsetBytes, mask]` flip applied. */
function damagedReader(bytes: Uint8Array, flips: readonly (readonly [number, number])[], codec: BlockCodec): BlobFileReader {
  const copy = bytes.slice()
  for (const [offsetBytes, mask] of flips) copy[offsetBytes] ^= mask
  const vfs = new MemVfs()
  vfs.mkdirp('/db')
  const file = vfs.create(PATH)
  file.append([copy])
  file.close()
  return BlobFileReader.open(vfs.openRead(PATH), { codec, expectedFileNumber: 1 })
}

function bodyStartOf(handle: BlobHandle, key: Uint8Array): number {
  return handle.offsetBytes + FRAME_HEADER_SIZE_BYTES + key.length
}

function keyStartOf(handle: BlobHandle): number {
  return handle.offsetBytes + FRAME_HEADER_SIZE_BYTES
}

/** A codec under `options` that records its repairs into `repairs`. */
function recording(options: IntegrityCodecOptions, repairs: RepairEvent[]): IntegrityCodec {
  return new IntegrityCodec({ ...options, onRepair: (event) => repairs.push(event) })
}

/** Every bit of the first `FRAME_CHECKSUM_BODY_PREFIX_BYTES` of the target frame's body. */
function* prefixBits(handle: BlobHandle, key: Uint8Array): Generator<[number, number]> {
  const start = bodyStartOf(handle, key)
  for (let index = 0; index < FRAME_CHECKSUM_BODY_PREFIX_BYTES; index++) {
    for (let bit = 0; bit < 8; bit++) yield [start + index, 1 << bit]
  }
}

describe('a flip in the body bytes the frame checksum covers', () => {
  for (const ecc of SCHEMES) {
    for (const encrypted of [false, true]) {
      const label = `${ecc.kind}${encrypted ? ' + aes-256-gcm' : ''}`
      test(`${label}: every bit is repaired by read(), frameStatus() and the scan, and reported once`, async () => {
        const options: IntegrityCodecOptions = { ecc, ...(encrypted ? { encryption: ENCRYPTION } : {}) }
        const source = await written(new IntegrityCodec(options), false)
        const handle = source.handles[TARGET]
        for (const flip of prefixBits(handle, KEYS[TARGET])) {
          const note = `${label} flip ${flip[1]} at ${flip[0]}`
          const repairs: RepairEvent[] = []
          const reader = damagedReader(source.bytes, [flip], recording(options, repairs))
          assert.deepEqual(reader.read(handle, KEYS[TARGET]), VALUES[TARGET], note)
          assert.equal(reader.frameStatus(handle, KEYS[TARGET]), 'durable', `${note} (WAL replay)`)
          assert.equal(repairs.length, 2, `${note}: one repair per read`)
          assert.deepEqual(repairs.map((event) => event.kind), [ecc.kind, ecc.kind], note)
          // decodeValues: false, as relocation and verify scan: the damaged frame is decoded
          // anyway, since only its repair vouches for the header that locates the next frame.
          const scan = scanBlobFile(reader, { decodeValues: false })
          const frames = [...scan]
          assert.equal(scan.end?.kind, 'end-of-file', `${note}: ${scan.end?.reason}`)
          assert.equal(frames.length, 3, note)
          assert.deepEqual(frames.map((frame) => frame.checkedFrame.frameChecksum), ['matched', 'repaired', 'matched'], note)
          assert.deepEqual(frames[TARGET].value, VALUES[TARGET], note)
          assert.deepEqual(reader.decodeValue(frames[TARGET].checkedFrame), VALUES[TARGET], note)
          assert.equal(repairs.length, 3, `${note}: the scan repaired once, a second decode did not repeat it`)
        }
      })
    }
  }

  for (const [label, codec] of [['PlainCodec', new PlainCodec()], ['IntegrityCodec without ECC', new IntegrityCodec({ compression: { kind: 'zstd', level: 3 } })]] as const) {
    test(`${label}: every bit stays CHECKSUM_MISMATCH, and a finished file's scan CORRUPTION`, async () => {
      const source = await written(codec, true)
      const handle = source.handles[TARGET]
      for (const flip of prefixBits(handle, KEYS[TARGET])) {
        const note = `${label} flip ${flip[1]} at ${flip[0]}`
        const reader = damagedReader(source.bytes, [flip], codec)
        assert.throws(() => reader.read(handle, KEYS[TARGET]), { code: 'CHECKSUM_MISMATCH', message: /frame checksum mismatch/ }, note)
        assert.equal(reader.frameStatus(handle, KEYS[TARGET]), 'corrupt', note)
        assert.throws(() => [...scanBlobFile(reader, { decodeValues: false })], { code: 'CORRUPTION' }, note)
      }
    })
  }
})

describe('a value under 8 bytes, whose protected bytes end before the 32 the frame checksum covers', () => {
  test('sec-ded: a flip in its protected bytes is repaired; one in the check bytes after them stays CHECKSUM_MISMATCH', async () => {
    const codec = new IntegrityCodec({ ecc: { kind: 'sec-ded' } })
    const vfs = new MemVfs()
    vfs.mkdirp('/db')
    const writer = BlobFileWriter.create(vfs.create(PATH), { fileNumber: 1, codec })
    const value = Uint8Array.of(1, 2, 3, 4, 5)
    const handle = writer.add(KEYS[0], value)
    writer.close()
    const file = vfs.openRead(PATH)
    const bytes = new Uint8Array(file.sizeBytes())
    file.read(bytes, 0)
    file.close()
    const protectedSizeBytes = 24 + value.length
    for (const [offsetBytes, mask] of prefixBits(handle, KEYS[0])) {
      const reader = damagedReader(bytes, [[offsetBytes, mask]], codec)
      const note = `flip ${mask} at body byte ${offsetBytes - bodyStartOf(handle, KEYS[0])}`
      if (offsetBytes - bodyStartOf(handle, KEYS[0]) < protectedSizeBytes) assert.deepEqual(reader.read(handle, KEYS[0]), value, note)
      else assert.throws(() => reader.read(handle, KEYS[0]), { code: 'CHECKSUM_MISMATCH' }, note)
    }
  })
})

describe('damage ECC does not cover, under SEC-DED', () => {
  test('every bit of the frame header and the key: a typed error, no repair reported', async () => {
    const source = await written(new IntegrityCodec({ ecc: { kind: 'sec-ded' } }), true)
    const handle = source.handles[TARGET]
    for (let offsetBytes = handle.offsetBytes; offsetBytes < bodyStartOf(handle, KEYS[TARGET]); offsetBytes++) {
      for (let bit = 0; bit < 8; bit++) {
        const note = `flip ${1 << bit} at ${offsetBytes}`
        const repairs: RepairEvent[] = []
        const reader = damagedReader(source.bytes, [[offsetBytes, 1 << bit]], recording({ ecc: { kind: 'sec-ded' } }, repairs))
        assert.throws(() => reader.read(handle, KEYS[TARGET]), (error: unknown) => {
          assert.ok(error instanceof StrataError, `${note}: ${String(error)}`)
          assert.ok(['CHECKSUM_MISMATCH', 'CORRUPTION'].includes(error.code), `${note}: ${error.code}`)
          return true
        }, note)
        assert.throws(() => [...scanBlobFile(reader, { decodeValues: false })], { code: 'CORRUPTION' }, note)
        assert.equal(repairs.length, 0, note)
      }
    }
  })

  test('a key flip with a body prefix flip: the body repair does not match the frame checksum, CHECKSUM_MISMATCH', async () => {
    const repairs: RepairEvent[] = []
    const codec = recording({ ecc: { kind: 'sec-ded' } }, repairs)
    const source = await written(codec, true)
    const handle = source.handles[TARGET]
    const reader = damagedReader(source.bytes, [[keyStartOf(handle), 0x01], [bodyStartOf(handle, KEYS[TARGET]) + 12, 0x04]], codec)
    // Read without the key to compare, as a scan does: the frame checksum alone must refuse it.
    assert.throws(() => reader.read(handle), { code: 'CHECKSUM_MISMATCH', message: /frame checksum mismatch/ })
    assert.throws(() => [...scanBlobFile(reader, { decodeValues: false })], { code: 'CORRUPTION' })
    assert.equal(repairs.length, 0, 'a repair the frame checksum refused is not reported')
  })

  test('two flips in one 8-byte word of the body prefix: CHECKSUM_MISMATCH naming the ECC failure, never a value', async () => {
    const codec = new IntegrityCodec({ ecc: { kind: 'sec-ded' } })
    const source = await written(codec, true)
    const handle = source.handles[TARGET]
    const bodyStart = bodyStartOf(handle, KEYS[TARGET])
    for (let word = 0; word < FRAME_CHECKSUM_BODY_PREFIX_BYTES / 8; word++) {
      const reader = damagedReader(source.bytes, [[bodyStart + word * 8, 0x01], [bodyStart + word * 8 + 5, 0x10]], codec)
      assert.throws(() => reader.read(handle, KEYS[TARGET]), (error: unknown) => {
        assert.ok(error instanceof StrataError && error.code === 'CHECKSUM_MISMATCH', `word ${word}: ${String(error)}`)
        assert.equal((error.cause as StrataError).code, 'UNRECOVERABLE', `word ${word}`)
        return true
      })
      assert.equal(reader.frameStatus(handle, KEYS[TARGET]), 'corrupt', `word ${word}`)
    }
  })
})

describe('the repair path and the codec\'s own checks', () => {
  test('a plaintext body planted in an encrypted store, its prefix flipped: repaired, then DECRYPT_FAILED', async () => {
    // The attacker writes a whole valid frame (XXH3 is no MAC) whose body is ECC-protected but
    // not encrypted, and flips a prefix bit so the read takes the repair path.
    const planted = await written(new IntegrityCodec({ ecc: { kind: 'sec-ded' } }), true)
    const handle = planted.handles[TARGET]
    const repairs: RepairEvent[] = []
    const codec = recording({ ecc: { kind: 'sec-ded' }, encryption: ENCRYPTION }, repairs)
    assert.throws(() => damagedReader(planted.bytes, [], codec).read(handle, KEYS[TARGET]), { code: 'DECRYPT_FAILED' }, 'as planted')
    const reader = damagedReader(planted.bytes, [[bodyStartOf(handle, KEYS[TARGET]) + 2, 0x02]], codec)
    assert.throws(() => reader.read(handle, KEYS[TARGET]), { code: 'DECRYPT_FAILED' }, 'flipped')
    // decodeValues: false, so that only the damaged frame is decoded (to vouch for it).
    assert.throws(() => [...scanBlobFile(reader, { decodeValues: false })], { code: 'DECRYPT_FAILED' }, 'flipped, scanned')
    assert.equal(repairs.length, 2, 'the flipped prefix was repaired (by the read, by the scan) before the AEAD refused the body')
  })

  test('another frame\'s body of the same size, its prefix flipped: the repair matches the other frame, CHECKSUM_MISMATCH', async () => {
    const options: IntegrityCodecOptions = { ecc: { kind: 'sec-ded' }, encryption: ENCRYPTION }
    const source = await written(new IntegrityCodec(options), true)
    const [target, other] = [source.handles[TARGET], source.handles[TARGET + 1]]
    const swapped = source.bytes.slice()
    const bodySizeBytes = target.frameSizeBytes - FRAME_HEADER_SIZE_BYTES - KEYS[TARGET].length
    const otherBodyStart = bodyStartOf(other, KEYS[TARGET + 1])
    swapped.set(source.bytes.subarray(otherBodyStart, otherBodyStart + bodySizeBytes), bodyStartOf(target, KEYS[TARGET]))
    const repairs: RepairEvent[] = []
    const reader = damagedReader(swapped, [[bodyStartOf(target, KEYS[TARGET]) + 9, 0x80]], recording(options, repairs))
    assert.throws(() => reader.read(target, KEYS[TARGET]), { code: 'CHECKSUM_MISMATCH', message: /frame checksum mismatch/ })
    assert.equal(repairs.length, 0)
  })
})
