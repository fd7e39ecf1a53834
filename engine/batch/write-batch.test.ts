import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { decodeBatch, encodeBatch, OpKind, type BatchOp } from './write-batch.ts'

const ops: BatchOp[] = [
  { kind: OpKind.Put, key: 'alpha', value: Buffer.from('one') },
  { kind: OpKind.Delete, key: 'beta', value: new Uint8Array(0) },
  { kind: OpKind.RangeDelete, key: 'c', value: Buffer.from('d') },
  { kind: OpKind.Put, key: '\u00ff\u0000', value: new Uint8Array(300).fill(7) },
]

describe('encodeBatch()', () => {
  test('round-trips through decodeBatch() with seqnos above 2^32', () => {
    const firstSeqno = 2 ** 40 + 17
    const decoded = decodeBatch(encodeBatch(firstSeqno, ops), 'test')
    assert.equal(decoded.firstSeqno, firstSeqno)
    assert.equal(decoded.ops.length, ops.length)
    decoded.ops.forEach((op, i) => {
      assert.equal(op.kind, ops[i].kind)
      assert.equal(op.key, ops[i].key)
      assert.deepEqual(Buffer.from(op.value), Buffer.from(ops[i].value))
    })
  })
  test('decodeBatch() rejects every truncation with CORRUPTION', () => {
    const encoded = encodeBatch(1, ops)
    for (let size = 0; size < encoded.length; size++) {
      assert.throws(() => decodeBatch(encoded.subarray(0, size), 'test'), { code: 'CORRUPTION' }, `size ${size}`)
    }
  })
  test('decodeBatch() rejects an unknown version and a forged op count', () => {
    const encoded = Buffer.from(encodeBatch(1, ops))
    encoded[0] = 9
    assert.throws(() => decodeBatch(encoded, 'test'), { code: 'UNSUPPORTED_FORMAT_VERSION' })
    const forged = Buffer.from(encodeBatch(1, ops))
    forged.writeUInt32LE(0xffffffff, 9)
    assert.throws(() => decodeBatch(forged, 'test'), { code: 'CORRUPTION' })
  })
})
