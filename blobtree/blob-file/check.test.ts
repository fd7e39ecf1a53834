import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MemVfs } from '../../engine/vfs/mem-vfs.ts'
import { IntegrityCodec } from '../../engine/transform/pipeline.ts'
import { SeededRandom, seedFromEnv } from '../testing/seeded-random.ts'
import { checkBlobFrames } from './check.ts'
import { describeKey, FRAME_HEADER_SIZE_BYTES } from './format.ts'
import { BlobFileReader } from './reader.ts'
import { BlobFileWriter, type BlobEntry } from './writer.ts'

const PATH = '/db/000001.blob'
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Twenty seeded values of 100 B .. 2 KiB, written as one file (finished unless `finish` is false). */
async function writeFile(vfs: MemVfs, random: SeededRandom, finish: boolean): Promise<{ entries: BlobEntry[]; offsets: number[] }> {
  vfs.mkdirp('/db')
  const entries = Array.from({ length: 20 }, (_, index) => ({ key: utf8(`key${index}`), value: random.bytes(100 + random.below(1948)) }))
  const writer = BlobFileWriter.create(vfs.create(PATH), { fileNumber: 1 })
  const offsets = writer.addMany(entries).map((handle) => handle.offsetBytes)
  if (finish) await writer.finish()
  else await writer.sync()
  return { entries, offsets }
}

function flipByte(vfs: MemVfs, offsetBytes: number): void {
  const file = vfs.openRead(PATH)
  const bytes = new Uint8Array(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  bytes[offsetBytes] ^= 0x20
  vfs.remove(PATH)
  const rewritten = vfs.create(PATH)
  rewritten.append([bytes])
  rewritten.close()
}

function check(vfs: MemVfs, sealed: boolean) {
  return checkBlobFrames(1, () => BlobFileReader.open(vfs.openRead(PATH), { expectedFileNumber: 1 }), { sealed, repairCount: () => 0 })
}

describe('checkBlobFrames()', () => {
  test('reports a sound file clean, sealed or not', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const finished = new MemVfs()
    await writeFile(finished, new SeededRandom(seed), true)
    assert.deepEqual(check(finished, true), { fileNumber: 1, sealed: true, status: 'clean', ok: true, frames: 20, repairCount: 0, eccRegionsDamaged: 0, damagedFrames: [] }, `seed=${seed}`)
    const open = new MemVfs()
    await writeFile(open, new SeededRandom(seed), false)
    assert.deepEqual(check(open, false), { fileNumber: 1, sealed: false, status: 'clean', ok: true, frames: 20, repairCount: 0, eccRegionsDamaged: 0, damagedFrames: [] }, `seed=${seed}`)
  })

  test('reports every damaged body with its offset and key: one bad body does not end the walk', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const random = new SeededRandom(seed)
    const vfs = new MemVfs()
    const { entries, offsets } = await writeFile(vfs, random, true)
    const first = random.below(10)
    const second = 10 + random.below(10)
    for (const index of [first, second]) {
      // Past the 24-byte envelope header and the 32 body bytes the frame checksum covers.
      flipByte(vfs, offsets[index] + FRAME_HEADER_SIZE_BYTES + entries[index].key.length + 40 + random.below(60))
    }
    const result = check(vfs, true)
    assert.equal(result.status, 'unrecoverable', `seed=${seed}`)
    assert.equal(result.frames, 20, `seed=${seed}`)
    assert.deepEqual(result.damagedFrames.map((frame) => [frame.offsetBytes, frame.key, frame.status, frame.code]), [first, second].map((index) => [offsets[index], describeKey(entries[index].key), 'unrecoverable', 'CHECKSUM_MISMATCH']), `seed=${seed}`)
    assert.equal(result.code, 'CHECKSUM_MISMATCH')
    assert.match(result.error ?? '', new RegExp(`key ${describeKey(entries[first].key)} at offset ${offsets[first]} of ${PATH}`))
  })

  test("reports 'repaired' a frame whose frame checksum only its body's ECC repair could vouch for (SEC-DED)", async () => {
    const codec = new IntegrityCodec({ ecc: { kind: 'sec-ded' } })
    const vfs = new MemVfs()
    vfs.mkdirp('/db')
    const entries = [0, 1, 2].map((index) => ({ key: utf8(`key${index}`), value: new Uint8Array(500).fill(index + 1) }))
    const writer = BlobFileWriter.create(vfs.create(PATH), { fileNumber: 1, codec })
    const offsets = writer.addMany(entries).map((handle) => handle.offsetBytes)
    await writer.finish()
    // Body byte 10, inside the envelope checksum: covered by the frame checksum and by the ECC.
    flipByte(vfs, offsets[1] + FRAME_HEADER_SIZE_BYTES + entries[1].key.length + 10)
    const result = checkBlobFrames(1, () => BlobFileReader.open(vfs.openRead(PATH), { codec, expectedFileNumber: 1 }), { sealed: true, repairCount: () => codec.repairCount })
    assert.deepEqual([result.status, result.ok, result.frames, result.repairCount], ['repaired', true, 3, 1])
    assert.deepEqual(result.damagedFrames, [{ offsetBytes: offsets[1], sizeBytes: offsets[2] - offsets[1], key: describeKey(entries[1].key), status: 'repaired' }])
    assert.equal(codec.repairCount, 1, 'repaired once, by the scan, not again by the check')
  })

  test('a file the manifest lists as sealed without a footer is CORRUPTION; unsealed, its torn tail is not damage', async () => {
    const vfs = new MemVfs()
    const { offsets } = await writeFile(vfs, new SeededRandom(seedFromEnv()), false)
    const sealed = check(vfs, true)
    assert.deepEqual([sealed.status, sealed.code, sealed.frames], ['unrecoverable', 'CORRUPTION', 0])
    assert.match(sealed.error ?? '', /lists it as sealed, but it has no footer/)
    flipByte(vfs, offsets[15] + 3) // a reserved header byte of frame 15: the rest cannot be located
    const torn = check(vfs, false)
    assert.deepEqual([torn.status, torn.ok, torn.frames, torn.stoppedAtBytes], ['clean', true, 15, offsets[15]])
    assert.match(torn.error ?? '', /reserved frame header bytes are not zero/)
  })
})
