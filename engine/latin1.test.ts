import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { latin1Slice } from './latin1.ts'

test('latin1Slice() returns what toString(\'latin1\') returns, at every size around the 16-byte fast path', () => {
  const bytes = new Uint8Array(300)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 7) & 0xff
  const buffer = Buffer.from(bytes)
  for (let sizeBytes = 0; sizeBytes <= 40; sizeBytes++) {
    for (const start of [0, 1, 13, 255]) {
      const expected = buffer.toString('latin1', start, start + sizeBytes)
      assert.equal(latin1Slice(bytes, start, start + sizeBytes), expected, `Uint8Array, size ${sizeBytes} at ${start}`)
      assert.equal(latin1Slice(buffer, start, start + sizeBytes), expected, `Buffer, size ${sizeBytes} at ${start}`)
    }
  }
})

test('latin1Slice() maps every byte value to its own char code in 16-byte strings', () => {
  const bytes = new Uint8Array(256)
  for (let i = 0; i < 256; i++) bytes[i] = i
  for (let start = 0; start + 16 <= 256; start += 16) {
    const text = latin1Slice(bytes, start, start + 16)
    assert.equal(text.length, 16)
    for (let i = 0; i < 16; i++) assert.equal(text.charCodeAt(i), start + i)
  }
})
