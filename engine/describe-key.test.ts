import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { describeKey } from './describe-key.ts'

describe('describeKey()', () => {
  test('quotes a printable ASCII key', () => {
    assert.equal(describeKey('user:1'), '"user:1"')
    assert.equal(describeKey(''), '""')
  })
  test('shows a key with a control byte, a byte above 0x7e, a quote or a backslash in hex', () => {
    assert.equal(describeKey('a\x00'), '0x6100')
    assert.equal(describeKey('\xff'), '0xff')
    assert.equal(describeKey('a"b'), '0x612262')
    assert.equal(describeKey('a\\b'), '0x615c62')
  })
  test('cuts a key longer than 64 bytes and gives its size', () => {
    assert.equal(describeKey('k'.repeat(70)), `"${'k'.repeat(64)}"… (70 bytes)`)
    assert.equal(describeKey('\x01'.repeat(65)), `0x${'01'.repeat(64)}… (65 bytes)`)
  })
})
