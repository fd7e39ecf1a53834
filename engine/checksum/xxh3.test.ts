import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { TestRandom } from '../transform/test-random.ts'
import { NATIVE_MIN_INPUT_BYTES, xxh3128, xxh3128Matches, xxh3128MatchesAround, xxh3128Native, xxh3128Wasm } from './xxh3.ts'

describe('xxh3128()', () => {
  test('matches the XXH3-128 reference vector for "abc"', () => {
    assert.equal(Buffer.from(xxh3128(Buffer.from('abc'))).toString('hex'), '06b05ab6733a618578af5f94892f3950')
  })
  test('hashes parts as their concatenation', () => {
    assert.deepEqual(xxh3128(Buffer.from('ab'), Buffer.from('c')), xxh3128(Buffer.from('abc')))
  })
  test('xxh3128Matches() rejects a digest with one flipped bit', () => {
    const digest = xxh3128(Buffer.from('payload'))
    assert.equal(xxh3128Matches(digest, 0, Buffer.from('payload')), true)
    digest[3] ^= 0x10
    assert.equal(xxh3128Matches(digest, 0, Buffer.from('payload')), false)
  })
})

describe('the two XXH3-128 implementations', () => {
  test('agree on every length from 0 to 600 and on lengths around each XXH3 stripe and block boundary', () => {
    const random = new TestRandom(20261126)
    const source = random.bytes(70_000)
    const lengths = [
      ...Array.from({ length: 601 }, (_, length) => length),
      1023,
      1024,
      1025,
      4095,
      4096,
      4097,
      16384,
      65537,
      69_999,
    ]
    for (const length of lengths) {
      // An unaligned view into a larger buffer: both must honour byteOffset.
      const view = source.subarray(1, 1 + length)
      const plain = Uint8Array.from(view)
      const expected = Buffer.from(xxh3128Wasm(plain)).toString('hex')
      assert.equal(Buffer.from(xxh3128Native(view)).toString('hex'), expected, `length ${length}, one part`)
      const cut = length >> 1
      assert.equal(
        Buffer.from(xxh3128Native(header, view.subarray(0, cut), view.subarray(cut))).toString('hex'),
        Buffer.from(xxh3128Wasm(header, plain)).toString('hex'),
        `length ${length}, three parts`,
      )
    }
  })
  test('xxh3128() gives the same digest on either side of NATIVE_MIN_INPUT_BYTES', () => {
    const random = new TestRandom(7)
    for (const length of [NATIVE_MIN_INPUT_BYTES - 1, NATIVE_MIN_INPUT_BYTES]) {
      const bytes = random.bytes(length)
      assert.deepEqual(Buffer.from(xxh3128(bytes)), Buffer.from(xxh3128Wasm(bytes)))
      assert.deepEqual(Buffer.from(xxh3128(bytes)), Buffer.from(xxh3128Native(bytes)))
    }
  })
})

const header = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)

describe('xxh3128MatchesAround()', () => {
  /** A block envelope: `headerSizeBytes` of header, the XXH3-128 of header then payload, the payload. */
  function envelope(random: TestRandom, headerSizeBytes: number, payloadSizeBytes: number): Uint8Array {
    const header = random.bytes(headerSizeBytes)
    const payload = random.bytes(payloadSizeBytes)
    return Buffer.concat([header, xxh3128(header, payload), payload])
  }

  test('accepts an intact envelope and leaves its bytes unchanged, at every payload length to 600 and around the native crossover', () => {
    const random = new TestRandom(7)
    const lengths = [...Array.from({ length: 601 }, (_, length) => length), NATIVE_MIN_INPUT_BYTES - 9, NATIVE_MIN_INPUT_BYTES - 8, NATIVE_MIN_INPUT_BYTES, 16 * 1024]
    for (const payloadSizeBytes of lengths) {
      for (const headerSizeBytes of [0, 8, 16, 24, 64]) {
        const block = envelope(random, headerSizeBytes, payloadSizeBytes)
        const before = Buffer.from(block)
        assert.equal(xxh3128MatchesAround(block, headerSizeBytes), true, `header ${headerSizeBytes} payload ${payloadSizeBytes}`)
        assert.deepEqual(Buffer.from(block), before)
      }
    }
  })

  test('rejects one flipped bit in the header, the checksum or the payload, and restores the bytes', () => {
    const random = new TestRandom(8)
    for (const payloadSizeBytes of [0, 100, 16 * 1024]) {
      const block = envelope(random, 8, payloadSizeBytes)
      for (const position of [0, 7, 8, 15, 16, 20, 23, 24, block.length - 1]) {
        if (position >= block.length) continue
        block[position] ^= 0x10
        const before = Buffer.from(block)
        assert.equal(xxh3128MatchesAround(block, 8), false, `payload ${payloadSizeBytes} position ${position}`)
        assert.deepEqual(Buffer.from(block), before)
        block[position] ^= 0x10
      }
    }
  })

  test('covers only the bytes before endOffset, and agrees with xxh3128Matches for headers longer than the checksum', () => {
    const random = new TestRandom(9)
    const block = Buffer.concat([envelope(random, 8, 300), random.bytes(50)])
    assert.equal(xxh3128MatchesAround(block, 8, 8 + 16 + 300), true)
    assert.equal(xxh3128MatchesAround(block, 8), false)
    for (const headerSizeBytes of [20, 24, 65]) {
      const long = envelope(random, headerSizeBytes, 300)
      assert.equal(xxh3128MatchesAround(long, headerSizeBytes), true)
      long[headerSizeBytes - 1] ^= 1
      const before = Buffer.from(long)
      assert.equal(xxh3128MatchesAround(long, headerSizeBytes), false)
      assert.equal(xxh3128Matches(long, headerSizeBytes, long.subarray(0, headerSizeBytes), long.subarray(headerSizeBytes + 16)), false)
      assert.deepEqual(Buffer.from(long), before)
    }
  })
})
