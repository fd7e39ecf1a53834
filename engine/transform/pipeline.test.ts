import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { xxh3128 } from '../checksum/xxh3.ts'
import { StrataError } from '../errors.ts'
import { BlockType, type BlockContext } from './block-codec.ts'
import type { CompressionConfig } from './compress.ts'
import type { EccConfig } from './ecc.ts'
import type { CipherSuiteName } from './encrypt.ts'
import { IntegrityCodec, type IntegrityCodecOptions, type RepairEvent } from './pipeline.ts'
import { PlainCodec } from './plain-codec.ts'
import { TestRandom, seedFromEnv } from './test-random.ts'

const seed = seedFromEnv()
const context: BlockContext = { fileNumber: 12, blockType: BlockType.Data, fileName: '000012.sst', offsetBytes: 8192 }
const key1 = new Uint8Array(32).fill(0x11)
const key2 = new Uint8Array(32).fill(0x22)
const keyChain = { keys: [{ epoch: 1, key: key1 }, { epoch: 2, key: key2 }], activeEpoch: 2, retiredEpochs: [0] }
const suites: CipherSuiteName[] = ['aes-256-gcm', 'chacha20-poly1305', 'xchacha20-poly1305', 'aes-256-gcm-siv']
const eccs: (EccConfig | undefined)[] = [
  undefined,
  { kind: 'xor', dataShards: 4 },
  { kind: 'reed-solomon', dataShards: 4, parityShards: 2 },
  { kind: 'reed-solomon', dataShards: 8, parityShards: 2 },
  { kind: 'sec-ded' },
]
const compressions: CompressionConfig[] = [{ kind: 'none' }, { kind: 'zstd', level: 3 }]

function contents(random: TestRandom): { label: string; raw: Uint8Array }[] {
  return [
    { label: '0 B', raw: new Uint8Array(0) },
    { label: '1 B', raw: random.bytes(1) },
    { label: '4 KiB random', raw: random.bytes(4096) },
    { label: '4 KiB text', raw: random.compressibleBytes(4096) },
    { label: '64 KiB random', raw: random.bytes(65536) },
    { label: '64 KiB text', raw: random.compressibleBytes(65536) },
    { label: 'odd size text', raw: random.compressibleBytes(1 + random.below(9000)) },
  ]
}

/** Recomputes the checksum (and, for a block without ECC, the payload size) after tampering. */
function reseal(block: Uint8Array): Uint8Array {
  const out = block.slice()
  const view = new DataView(out.buffer)
  if ((out[2] & 4) === 0) view.setUint32(4, out.length - 24, true)
  const payloadEnd = 24 + view.getUint32(4, true)
  out.set(xxh3128(out.subarray(0, 8), out.subarray(24, payloadEnd)), 8)
  return out
}

function codeOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof StrataError, `not a StrataError: ${String(error)}`)
    return error.code
  }
  return 'NO_ERROR'
}

describe('IntegrityCodec round trip', () => {
  test('all 8 axis combinations, each suite and ECC kind, round-trip random contents and sizes', (t) => {
    t.diagnostic(`seed=${seed}`)
    const random = new TestRandom(seed)
    const samples = contents(random)
    let combinations = 0
    for (const compression of compressions) {
      for (const suite of [undefined, ...suites]) {
        for (const ecc of eccs) {
          const options: IntegrityCodecOptions = { compression, ecc, ...(suite ? { encryption: { suite, keyChain } } : {}) }
          const codec = new IntegrityCodec(options)
          for (const { label, raw } of samples) {
            const onDisk = codec.encode(raw, context)
            const message = `${label} ${compression.kind} ${suite ?? 'plain'} ${ecc?.kind ?? 'no-ecc'} seed=${seed}`
            assert.equal(onDisk[2] & 2, suite ? 2 : 0, message)
            assert.equal(onDisk[2] & 4, ecc ? 4 : 0, message)
            assert.deepEqual(new Uint8Array(codec.decode(onDisk, context)), raw, message)
          }
          combinations++
        }
      }
    }
    assert.equal(combinations, 2 * 5 * 5)
  })

  test('compressible blocks set the compressed flag; incompressible and tiny ones are stored raw', () => {
    const random = new TestRandom(seed + 1)
    const codec = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 } })
    assert.equal(codec.encode(random.compressibleBytes(4096), context)[2], 1)
    const incompressible = random.bytes(4096)
    const stored = codec.encode(incompressible, context)
    assert.equal(stored[2], 0)
    assert.equal(stored.length, 24 + 4096)
    assert.equal(codec.encode(new Uint8Array(1), context)[2], 0)
  })

  test('with every axis off the output is byte-identical to PlainCodec, and each decodes the other', () => {
    const random = new TestRandom(seed + 2)
    const plain = new PlainCodec()
    const integrity = new IntegrityCodec({ compression: { kind: 'none' } })
    for (const raw of [new Uint8Array(0), random.bytes(1), random.bytes(4096)]) {
      const fromPlain = plain.encode(raw, context)
      assert.deepEqual(integrity.encode(raw, context), fromPlain)
      assert.deepEqual(new Uint8Array(integrity.decode(fromPlain, context)), raw)
      assert.deepEqual(new Uint8Array(plain.decode(integrity.encode(raw, context), context)), raw)
    }
    // A configured but unhelpful zstd also falls back to PlainCodec's bytes.
    const zstd = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 } })
    const incompressible = random.bytes(300)
    assert.deepEqual(zstd.encode(incompressible, context), plain.encode(incompressible, context))
  })
})

describe('IntegrityCodec threats (encrypted blocks)', () => {
  const random = new TestRandom(seed + 3)
  const raw = random.compressibleBytes(4096)
  const codec = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 }, encryption: { suite: 'aes-256-gcm', keyChain } })
  const sealed = codec.encode(raw, context)
  // Layout of this block: header 24, encryption context 8, nonce 12, compression context 12, ciphertext ‖ tag.
  const compressionAt = 24 + 8 + 12

  test('the sample block is compressed and encrypted and decodes', () => {
    assert.equal(sealed[2], 3)
    assert.deepEqual(codec.decode(sealed, context), raw)
  })

  test('a block moved to another file number fails with DECRYPT_FAILED', () => {
    assert.equal(codeOf(() => codec.decode(sealed, { ...context, fileNumber: 13 })), 'DECRYPT_FAILED')
  })

  test('a block read as another block type fails: CORRUPTION as is, DECRYPT_FAILED once relabelled', () => {
    const asIndex = { ...context, blockType: BlockType.Index }
    assert.equal(codeOf(() => codec.decode(sealed, asIndex)), 'CORRUPTION')
    const relabelled = sealed.slice()
    relabelled[1] = BlockType.Index
    assert.equal(codeOf(() => codec.decode(reseal(relabelled), asIndex)), 'DECRYPT_FAILED')
  })

  test('a codec relabel (compressed flag, dictionary id, window log, raw size) fails with DECRYPT_FAILED', () => {
    const edits: ((block: Uint8Array) => void)[] = [
      (block) => (block[2] &= ~1),
      (block) => (block[compressionAt + 4] = 7),
      (block) => (block[compressionAt + 1] = 20),
      (block) => (block[compressionAt + 8] ^= 1),
    ]
    for (const [index, edit] of edits.entries()) {
      const tampered = sealed.slice()
      edit(tampered)
      assert.equal(codeOf(() => codec.decode(reseal(tampered), context)), 'DECRYPT_FAILED', `edit ${index}`)
    }
    // And the other way: an uncompressed encrypted block relabelled as compressed.
    const uncompressed = new IntegrityCodec({ encryption: { suite: 'aes-256-gcm', keyChain } }).encode(raw, context)
    uncompressed[2] |= 1
    assert.equal(codeOf(() => codec.decode(reseal(uncompressed), context)), 'DECRYPT_FAILED')
  })

  test('a suite downgrade fails with DECRYPT_FAILED', () => {
    for (const suite of ['aes-256-gcm-siv', 'xchacha20-poly1305', 'chacha20-poly1305'] as const) {
      const block = new IntegrityCodec({ encryption: { suite, keyChain } }).encode(raw, context)
      for (const target of [1, 2, 3, 4, 9]) {
        if (target === block[24]) continue
        const tampered = block.slice()
        tampered[24] = target
        assert.equal(codeOf(() => codec.decode(reseal(tampered), context)), 'DECRYPT_FAILED', `${suite} -> ${target}`)
      }
    }
  })

  test('an epoch relabel fails: older known epoch DECRYPT_FAILED, unknown UNKNOWN_KEY_EPOCH, retired MISSING_KEY', () => {
    const epochAt = 24 + 4
    for (const [epoch, code] of [[1, 'DECRYPT_FAILED'], [9, 'UNKNOWN_KEY_EPOCH'], [0, 'MISSING_KEY']] as const) {
      const tampered = sealed.slice()
      tampered[epochAt] = epoch
      assert.equal(codeOf(() => codec.decode(reseal(tampered), context)), code, `epoch ${epoch}`)
    }
  })

  test('a truncated tag fails: CHECKSUM_MISMATCH as is, DECRYPT_FAILED once resealed', () => {
    for (const cutBytes of [1, 8, 16]) {
      const truncated = sealed.slice(0, sealed.length - cutBytes)
      assert.equal(codeOf(() => codec.decode(truncated, context)), 'CHECKSUM_MISMATCH')
      assert.equal(codeOf(() => codec.decode(reseal(truncated), context)), 'DECRYPT_FAILED', `cut ${cutBytes}`)
    }
  })

  test('a wrong key fails with DECRYPT_FAILED and the error shows no key bytes', () => {
    const wrongKey = new Uint8Array(32).fill(0x33)
    const other = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 }, encryption: { suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 2, key: wrongKey }], activeEpoch: 2 } } })
    let caught: unknown
    try {
      other.decode(sealed, context)
    } catch (error) {
      caught = error
    }
    assert.ok(caught instanceof StrataError)
    assert.equal(caught.code, 'DECRYPT_FAILED')
    const text = `${caught.message} ${JSON.stringify(caught.details)} ${String(caught)} ${caught.stack}`
    for (const key of [key1, key2, wrongKey]) assert.ok(!text.includes(Buffer.from(key).toString('hex')))
    assert.equal(caught.details.keyEpoch, 2)
  })

  test('a codec without keys reads an encrypted block as UNKNOWN_KEY_EPOCH', () => {
    assert.equal(codeOf(() => new IntegrityCodec().decode(sealed, context)), 'UNKNOWN_KEY_EPOCH')
  })

  test('a planted plaintext block is refused unless allowPlaintextBlocks is set', () => {
    const planted = new PlainCodec().encode(raw, context)
    assert.equal(codeOf(() => codec.decode(planted, context)), 'DECRYPT_FAILED')
    const migrating = new IntegrityCodec({ encryption: { suite: 'aes-256-gcm', keyChain, allowPlaintextBlocks: true } })
    assert.deepEqual(migrating.decode(planted, context), raw)
  })

  test('a flipped ciphertext bit with a resealed checksum fails with DECRYPT_FAILED', () => {
    const tampered = sealed.slice()
    tampered[sealed.length - 40] ^= 0x10
    assert.equal(codeOf(() => codec.decode(reseal(tampered), context)), 'DECRYPT_FAILED')
  })
})

describe('IntegrityCodec bit-flip sweep and repair', () => {
  const random = new TestRandom(seed + 4)
  const raw = random.compressibleBytes(600)
  const base: IntegrityCodecOptions = { compression: { kind: 'zstd', level: 3 }, encryption: { suite: 'aes-256-gcm', keyChain } }

  test('without ECC every single-bit flip of the on-disk bytes is a typed error', (t) => {
    t.diagnostic(`seed=${seed}`)
    const codec = new IntegrityCodec(base)
    const onDisk = codec.encode(raw, context)
    for (let bit = 0; bit < onDisk.length * 8; bit++) {
      const damaged = onDisk.slice()
      damaged[bit >> 3] ^= 1 << (bit & 7)
      const code = codeOf(() => codec.decode(damaged, context))
      assert.ok(['CHECKSUM_MISMATCH', 'CORRUPTION', 'UNSUPPORTED_FORMAT_VERSION'].includes(code), `bit ${bit}: ${code} seed=${seed}`)
    }
  })

  for (const ecc of eccs.slice(1) as EccConfig[]) {
    test(`with ${JSON.stringify(ecc)} every single-bit flip is repaired, verified and reported`, (t) => {
      t.diagnostic(`seed=${seed}`)
      const events: RepairEvent[] = []
      const codec = new IntegrityCodec({ ...base, ecc, onRepair: (event) => events.push(event) })
      const onDisk = codec.encode(raw, context)
      let repairedCount = 0
      for (let bit = 0; bit < onDisk.length * 8; bit++) {
        const damaged = onDisk.slice()
        damaged[bit >> 3] ^= 1 << (bit & 7)
        const before = events.length
        assert.deepEqual(codec.decode(damaged, context), raw, `bit ${bit} seed=${seed}`)
        if (events.length > before) repairedCount++
      }
      // Flips inside the protected bytes need a repair; flips in the ECC region do not.
      const protectedSizeBytes = 24 + new DataView(onDisk.buffer, onDisk.byteOffset, onDisk.byteLength).getUint32(4, true)
      assert.equal(repairedCount, protectedSizeBytes * 8)
      assert.equal(codec.repairCount, protectedSizeBytes * 8)
      assert.deepEqual(events[0], { fileName: context.fileName, fileNumber: 12, offsetBytes: 8192, blockType: BlockType.Data, kind: ecc.kind })
    })
  }

  test('Reed-Solomon recovers a whole lost shard, and two; three lost shards are UNRECOVERABLE', () => {
    const events: RepairEvent[] = []
    const codec = new IntegrityCodec({ ...base, compression: { kind: 'none' }, ecc: { kind: 'reed-solomon', dataShards: 4, parityShards: 2 }, onRepair: (event) => events.push(event) })
    const block = random.bytes(4096)
    const onDisk = codec.encode(block, context)
    const protectedSizeBytes = 24 + new DataView(onDisk.buffer, onDisk.byteOffset, onDisk.byteLength).getUint32(4, true)
    const shardSizeBytes = Math.ceil(protectedSizeBytes / 4)
    const lose = (shards: number[]) => {
      const damaged = onDisk.slice()
      for (const shard of shards) damaged.fill(0xa5, shard * shardSizeBytes, Math.min(protectedSizeBytes, (shard + 1) * shardSizeBytes))
      return damaged
    }
    for (let shard = 0; shard < 4; shard++) assert.deepEqual(codec.decode(lose([shard]), context), block, `shard ${shard}`)
    assert.deepEqual(codec.decode(lose([0, 3]), context), block)
    assert.equal(events.length, 5)
    assert.equal(events[0].kind, 'reed-solomon')
    assert.equal(codeOf(() => codec.decode(lose([0, 1, 2]), context)), 'UNRECOVERABLE')
  })

  test('damage beyond XOR and SEC-DED power is UNRECOVERABLE, never wrong data', () => {
    for (const ecc of [{ kind: 'xor', dataShards: 4 }, { kind: 'sec-ded' }] as EccConfig[]) {
      const codec = new IntegrityCodec({ ...base, ecc })
      const onDisk = codec.encode(raw, context)
      const damaged = onDisk.slice()
      damaged[30] ^= 0x03 // two bits in one 8-byte word, one shard
      damaged[onDisk.length - 40] ^= 0x01
      assert.equal(codeOf(() => codec.decode(damaged, context)), 'UNRECOVERABLE', ecc.kind)
    }
  })

  test('a damaged ECC trailer with intact data still decodes; with damaged data too it is CHECKSUM_MISMATCH', () => {
    const codec = new IntegrityCodec({ ...base, ecc: { kind: 'sec-ded' } })
    const onDisk = codec.encode(raw, context)
    const damaged = onDisk.slice()
    damaged[onDisk.length - 3] ^= 0xff
    assert.deepEqual(codec.decode(damaged, context), raw)
    damaged[40] ^= 1
    assert.equal(codeOf(() => codec.decode(damaged, context)), 'CHECKSUM_MISMATCH')
  })
})
