import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { xxh3128, xxh3128Matches } from './xxh3.ts'

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
