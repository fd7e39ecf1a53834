/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), the
 * field Reed-Solomon storage codes conventionally use. Log/exp tables for inverses and a full
 * 64 KiB product table so the parity inner loop is one lookup per byte.
 *
 * Written here rather than imported: there is no maintained pure-JS Reed-Solomon package for
 * GF(2^8) erasure coding (the candidates on npm are unmaintained, QR-code oriented, or native
 * addons), and the field fits in forty lines.
 */
import assert from 'node:assert/strict'

const PRIMITIVE_POLYNOMIAL = 0x11d

/** EXP[i] = α^i for i in 0..509 (doubled so EXP[log a + log b] needs no modulo). */
const EXP = new Uint8Array(510)
/** LOG[a] = i with α^i = a, for a in 1..255; LOG[0] is unused. */
const LOG = new Uint8Array(256)
{
  let value = 1
  for (let power = 0; power < 255; power++) {
    EXP[power] = value
    LOG[value] = power
    value <<= 1
    if (value & 0x100) value ^= PRIMITIVE_POLYNOMIAL
  }
  for (let power = 255; power < 510; power++) EXP[power] = EXP[power - 255]
  assert.equal(value, 1, 'α must generate the multiplicative group')
}

/** a · b in GF(2^8). */
export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0
  return EXP[LOG[a] + LOG[b]]
}

/** a⁻¹ in GF(2^8); a must not be 0. */
export function gfInverse(a: number): number {
  assert.notEqual(a, 0, 'zero has no inverse')
  return EXP[255 - LOG[a]]
}

/** MUL_TABLE[c * 256 + x] = c · x: the row for a constant c is a 256-byte lookup table. */
export const MUL_TABLE = new Uint8Array(256 * 256)
for (let c = 0; c < 256; c++) {
  for (let x = 0; x < 256; x++) MUL_TABLE[c * 256 + x] = gfMul(c, x)
}

/**
 * Inverts a square matrix over GF(2^8) (rows of Uint8Array) by Gauss-Jordan elimination;
 * returns undefined when it is singular.
 */
export function gfInvertMatrix(matrix: readonly Uint8Array[]): Uint8Array[] | undefined {
  const size = matrix.length
  const left = matrix.map((row) => Uint8Array.from(row))
  const right = matrix.map((_, index) => {
    const row = new Uint8Array(size)
    row[index] = 1
    return row
  })
  for (let column = 0; column < size; column++) {
    let pivot = column
    while (pivot < size && left[pivot][column] === 0) pivot++
    if (pivot === size) return undefined
    ;[left[column], left[pivot]] = [left[pivot], left[column]]
    ;[right[column], right[pivot]] = [right[pivot], right[column]]
    const scale = gfInverse(left[column][column])
    for (let k = 0; k < size; k++) {
      left[column][k] = gfMul(left[column][k], scale)
      right[column][k] = gfMul(right[column][k], scale)
    }
    for (let row = 0; row < size; row++) {
      const factor = left[row][column]
      if (row === column || factor === 0) continue
      for (let k = 0; k < size; k++) {
        left[row][k] ^= gfMul(factor, left[column][k])
        right[row][k] ^= gfMul(factor, right[column][k])
      }
    }
  }
  return right
}
