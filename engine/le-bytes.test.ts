import assert from 'node:assert/strict'
import { test } from 'node:test'
import { u32At, u64At } from './le-bytes.ts'
import { mulberry32Float } from './mulberry32.ts'

test('u32At and u64At read what DataView reads, high bits and unaligned offsets included', () => {
  const next = mulberry32Float(20261126)
  const bytes = new Uint8Array(64)
  for (let round = 0; round < 200; round++) {
    for (let index = 0; index < bytes.length; index++) bytes[index] = Math.floor(next() * 256)
    // The top bytes set, so a signed 32-bit read would go negative.
    bytes[3] = 0xff
    bytes[11] |= 0x80
    const view = new DataView(bytes.buffer)
    for (let offset = 0; offset + 8 <= bytes.length; offset++) {
      assert.equal(u32At(bytes, offset), view.getUint32(offset, true))
      const high = view.getUint32(offset + 4, true) & 0x1fffff // keep it below 2^53
      bytes[offset + 4] = high & 0xff
      bytes[offset + 5] = (high >>> 8) & 0xff
      bytes[offset + 6] = (high >>> 16) & 0xff
      bytes[offset + 7] = 0
      assert.equal(u64At(bytes, offset), Number(view.getBigUint64(offset, true)))
    }
  }
})
