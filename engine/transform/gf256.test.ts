import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { gfInverse, gfInvertMatrix, gfMul, MUL_TABLE } from './gf256.ts'

describe('GF(2^8)', () => {
  test('gfMul() is a field product: known values, commutative, inverse gives 1', () => {
    assert.equal(gfMul(2, 0x80), 0x1d) // x · x^7 = x^8 = x^4 + x^3 + x^2 + 1 mod 0x11d
    assert.equal(gfMul(0, 0x53), 0)
    for (let a = 1; a < 256; a++) {
      assert.equal(gfMul(a, gfInverse(a)), 1, `a=${a}`)
      assert.equal(gfMul(a, 7), gfMul(7, a))
      assert.equal(MUL_TABLE[a * 256 + 0x35], gfMul(a, 0x35))
    }
  })
  test('gfInvertMatrix() inverts a Vandermonde-like matrix and rejects a singular one', () => {
    const matrix = [Uint8Array.of(1, 1, 1), Uint8Array.of(1, 2, 4), Uint8Array.of(1, 3, 5)]
    const inverse = gfInvertMatrix(matrix)
    assert.ok(inverse)
    for (let row = 0; row < 3; row++) {
      for (let column = 0; column < 3; column++) {
        let sum = 0
        for (let k = 0; k < 3; k++) sum ^= gfMul(matrix[row][k], inverse[k][column])
        assert.equal(sum, row === column ? 1 : 0)
      }
    }
    assert.equal(gfInvertMatrix([Uint8Array.of(1, 2), Uint8Array.of(1, 2)]), undefined)
  })
})
