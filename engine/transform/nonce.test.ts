import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { NonceSource } from './nonce.ts'

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

describe('NonceSource', () => {
  test('100k 96-bit nonces across two simulated restarts are all distinct', () => {
    const seen = new Set<string>()
    for (let restart = 0; restart < 2; restart++) {
      const source = new NonceSource() // a restart: a fresh source, nothing persisted
      for (let index = 0; index < 50_000; index++) seen.add(hex(source.next(12)))
    }
    assert.equal(seen.size, 100_000)
  })

  test('100k 192-bit nonces across two simulated restarts are all distinct', () => {
    const seen = new Set<string>()
    for (let restart = 0; restart < 2; restart++) {
      const source = new NonceSource()
      for (let index = 0; index < 50_000; index++) seen.add(hex(source.next(24)))
    }
    assert.equal(seen.size, 100_000)
  })

  test('next(12) is the prefix then a little-endian counter', () => {
    const source = new NonceSource({ randomFill: (target) => target.fill(0xee) })
    assert.equal(hex(source.next(12)), 'eeeeeeeeeeeeeeee00000000')
    assert.equal(hex(source.next(12)), 'eeeeeeeeeeeeeeee01000000')
  })

  test('next(12) draws a fresh prefix instead of wrapping the counter', () => {
    let draws = 0
    const source = new NonceSource({ randomFill: (target) => target.fill(++draws), counterStart: 0xffff_ffff })
    assert.equal(hex(source.next(12)), '0101010101010101ffffffff')
    assert.equal(hex(source.next(12)), '020202020202020200000000')
  })
})
