import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { computeParity, paritySizeOf, repairFromParity, type ParityScheme } from './parity.ts'
import { TestRandom, seedFromEnv } from './test-random.ts'

function protect(scheme: ParityScheme, data: Uint8Array): Uint8Array {
  const parity = new Uint8Array(paritySizeOf(scheme, data.length))
  computeParity(scheme, data, parity, 0)
  return parity
}

function sameAs(expected: Uint8Array): (candidate: Uint8Array) => boolean {
  return (candidate) => Buffer.compare(candidate, expected) === 0
}

const schemes: ParityScheme[] = [
  { kind: 'xor', dataShards: 4 },
  { kind: 'reed-solomon', dataShards: 4, parityShards: 2 },
  { kind: 'reed-solomon', dataShards: 8, parityShards: 2 },
  { kind: 'reed-solomon', dataShards: 3, parityShards: 3 },
]

describe('repairFromParity()', () => {
  const seed = seedFromEnv()

  test('recovers every whole lost data shard, for each scheme and odd sizes', (t) => {
    t.diagnostic(`seed=${seed}`)
    const random = new TestRandom(seed)
    for (const scheme of schemes) {
      for (const sizeBytes of [24, 1000, 4121]) {
        const data = random.bytes(sizeBytes)
        const parity = protect(scheme, data)
        const shardSizeBytes = Math.ceil(sizeBytes / scheme.dataShards)
        for (let shard = 0; shard < scheme.dataShards; shard++) {
          const damaged = data.slice()
          damaged.fill(0, shard * shardSizeBytes, Math.min(sizeBytes, (shard + 1) * shardSizeBytes))
          damaged[Math.min(sizeBytes - 1, shard * shardSizeBytes)] ^= 0x5a // zero-filled shards can be right by luck
          const repaired = repairFromParity(scheme, damaged, parity, sameAs(data))
          assert.ok(repaired, `${JSON.stringify(scheme)} size=${sizeBytes} shard=${shard} seed=${seed}`)
          assert.deepEqual(repaired, data)
        }
      }
    }
  })

  test('Reed-Solomon recovers P lost shards at once, data and parity mixed', (t) => {
    t.diagnostic(`seed=${seed}`)
    const random = new TestRandom(seed + 1)
    const scheme: ParityScheme = { kind: 'reed-solomon', dataShards: 4, parityShards: 2 }
    const data = random.bytes(4096)
    const parity = protect(scheme, data)
    for (const [a, b] of [[0, 1], [1, 3], [0, 3], [2, 2]]) {
      const damaged = data.slice()
      damaged[a * 1024 + 5] ^= 1
      damaged[b * 1024 + 700] ^= 0x80
      assert.deepEqual(repairFromParity(scheme, damaged, parity, sameAs(data)), data, `shards ${a},${b}`)
    }
    const damaged = data.slice()
    damaged[10] ^= 1
    const damagedParity = parity.slice()
    damagedParity[3] ^= 1
    assert.deepEqual(repairFromParity(scheme, damaged, damagedParity, sameAs(data)), data, 'one data shard and one parity shard')
  })

  test('returns undefined beyond the code power (P + 1 shards hit), never a wrong result', () => {
    const random = new TestRandom(seed + 2)
    for (const scheme of schemes) {
      const data = random.bytes(2048)
      const parity = protect(scheme, data)
      const damaged = data.slice()
      const damagedParity = parity.slice()
      const shardSizeBytes = Math.ceil(data.length / scheme.dataShards)
      const hitCount = (scheme.kind === 'xor' ? 1 : scheme.parityShards) + 1
      for (let shard = 0; shard < hitCount; shard++) {
        if (shard < scheme.dataShards) damaged[shard * shardSizeBytes] ^= 0xff
        else damagedParity[(shard - scheme.dataShards) * shardSizeBytes] ^= 0xff
      }
      assert.equal(repairFromParity(scheme, damaged, damagedParity, sameAs(data)), undefined, JSON.stringify(scheme))
    }
  })
})
