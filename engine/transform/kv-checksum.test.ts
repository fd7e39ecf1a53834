import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { crc32 } from 'node:zlib'
import { Buffer } from 'node:buffer'
import { kvChecksum, kvChecksumOfRanges } from './kv-checksum.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

/** The framing of kv-checksum.ts, built the slow way, for zlib.crc32. */
function framed(key: string, seqno: number, kind: number, value: Uint8Array): Uint8Array {
  const head = Buffer.alloc(17)
  head.writeUInt32LE(key.length, 0)
  head[4] = kind
  head.writeUInt32LE(seqno % 2 ** 32, 5)
  head.writeUInt32LE(Math.floor(seqno / 2 ** 32), 9)
  head.writeUInt32LE(value.length, 13)
  return Buffer.concat([head, Buffer.from(key, 'latin1'), value])
}

describe('kvChecksum()', () => {
  test('is CRC-32 (zlib) of the documented framing, for short and long values', () => {
    for (const valueSize of [0, 1, 7, 8, 9, 100, 383, 384, 5000]) {
      const value = new Uint8Array(valueSize).map((_, i) => (i * 31 + 7) & 0xff)
      for (const [key, seqno, kind] of [['k', 1, 1], ['user:\u00ff\u0080', 2 ** 40 + 3, 2], ['', 0, 0]] as const) {
        assert.equal(kvChecksum(key, seqno, kind, value), crc32(framed(key, seqno, kind, value)), `${key} ${valueSize}`)
      }
    }
  })
  test('is a known value (pinned, so the stored format cannot drift)', () => {
    assert.equal(kvChecksum('key', 300, 1, bytes('value')), crc32(framed('key', 300, 1, bytes('value'))))
    assert.equal(kvChecksum('ab', 300, 1, bytes('x')), 0xdd3b5014)
  })
  test('kvChecksumOfRanges() equals kvChecksum() over the same bytes in place', () => {
    const keyScratch = Buffer.from('user:0001 and scratch beyond', 'latin1')
    const block = Buffer.concat([Buffer.from('prefix'), bytes('{"name":"x"}'), Buffer.from('suffix')])
    for (const valueSize of [12]) {
      assert.equal(kvChecksumOfRanges(keyScratch, 9, 77, 1, block, 6, valueSize), kvChecksum('user:0001', 77, 1, bytes('{"name":"x"}')))
    }
    const long = new Uint8Array(1000).fill(9)
    const host = Buffer.concat([Buffer.from('xx'), long])
    assert.equal(kvChecksumOfRanges(Buffer.from('k'), 1, 5, 1, host, 2, 1000), kvChecksum('k', 5, 1, long))
  })
  test('separates key from value: ("ab","c") and ("a","bc") differ', () => {
    assert.notEqual(kvChecksum('ab', 1, 1, bytes('c')), kvChecksum('a', 1, 1, bytes('bc')))
  })
  test('changes when the seqno or the kind changes', () => {
    const base = kvChecksum('k', 7, 1, bytes('v'))
    assert.notEqual(kvChecksum('k', 8, 1, bytes('v')), base)
    assert.notEqual(kvChecksum('k', 7 + 2 ** 32, 1, bytes('v')), base)
    assert.notEqual(kvChecksum('k', 7, 2, bytes('v')), base)
  })
  test('changes when any bit of key or value flips', () => {
    const key = 'user:0001'
    const value = bytes('{"name":"x"}')
    const expected = kvChecksum(key, 1, 1, value)
    for (let bit = 0; bit < (key.length + value.length) * 8; bit++) {
      const k = Buffer.from(key, 'latin1')
      const v = value.slice()
      const byte = bit >> 3
      if (byte < k.length) k[byte] ^= 1 << (bit & 7)
      else v[byte - k.length] ^= 1 << (bit & 7)
      assert.notEqual(kvChecksum(k.toString('latin1'), 1, 1, v), expected, `bit ${bit}`)
    }
  })
})
