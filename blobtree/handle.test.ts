import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { StrataError } from '../engine/errors.ts'
import { BLOB_HANDLE_SIZE_BYTES_MAX, decodeBlobHandle, encodeBlobHandle, type BlobHandle } from './handle.ts'
import { FRAME_HEADER_SIZE_BYTES, FRAME_SIZE_BYTES_MAX } from './blob-file/format.ts'
import { BLOB_FILE_NUMBER_MAX, BLOB_FILE_SIZE_BYTES_MAX, BLOB_VALUE_SIZE_BYTES_MAX } from './limits.ts'
import { SeededRandom, seedFromEnv } from './testing/seeded-random.ts'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

describe('encodeBlobHandle()', () => {
  test('writes the documented bytes for the doc-comment example', () => {
    const handle = { fileNumber: 7, offsetBytes: 40, frameSizeBytes: 1100, rawValueSizeBytes: 1024 }
    assert.equal(hex(encodeBlobHandle(handle)), '010728cc088008')
  })
  test('round-trips the smallest and largest value of every field', () => {
    const extremes: BlobHandle[] = [
      { fileNumber: 0, offsetBytes: 0, frameSizeBytes: FRAME_HEADER_SIZE_BYTES, rawValueSizeBytes: 0 },
      { fileNumber: BLOB_FILE_NUMBER_MAX, offsetBytes: BLOB_FILE_SIZE_BYTES_MAX, frameSizeBytes: FRAME_SIZE_BYTES_MAX, rawValueSizeBytes: BLOB_VALUE_SIZE_BYTES_MAX },
      { fileNumber: 127, offsetBytes: 128, frameSizeBytes: 2 ** 14, rawValueSizeBytes: 2 ** 21 - 1 },
    ]
    for (const handle of extremes) {
      const bytes = encodeBlobHandle(handle)
      assert.ok(bytes.length <= BLOB_HANDLE_SIZE_BYTES_MAX)
      assert.deepEqual(decodeBlobHandle(bytes), handle)
    }
  })
  test('throws INVALID_ARGUMENT for a field out of bounds or not an integer', () => {
    const valid = { fileNumber: 1, offsetBytes: 40, frameSizeBytes: 100, rawValueSizeBytes: 10 }
    const invalid: BlobHandle[] = [
      { ...valid, fileNumber: -1 },
      { ...valid, fileNumber: 1.5 },
      { ...valid, fileNumber: BLOB_FILE_NUMBER_MAX + 1 },
      { ...valid, offsetBytes: BLOB_FILE_SIZE_BYTES_MAX + 1 },
      { ...valid, frameSizeBytes: FRAME_HEADER_SIZE_BYTES - 1 },
      { ...valid, frameSizeBytes: FRAME_SIZE_BYTES_MAX + 1 },
      { ...valid, rawValueSizeBytes: BLOB_VALUE_SIZE_BYTES_MAX + 1 },
      { ...valid, rawValueSizeBytes: Number.NaN },
    ]
    for (const handle of invalid) assert.throws(() => encodeBlobHandle(handle), { code: 'INVALID_ARGUMENT' }, JSON.stringify(handle))
  })
})

describe('decodeBlobHandle()', () => {
  const valid = encodeBlobHandle({ fileNumber: 300, offsetBytes: 70000, frameSizeBytes: 16500, rawValueSizeBytes: 16384 })

  test('throws CORRUPTION for empty, cut-short and over-long input', () => {
    assert.throws(() => decodeBlobHandle(new Uint8Array(0)), { code: 'CORRUPTION' })
    for (let length = 1; length < valid.length; length++) {
      assert.throws(() => decodeBlobHandle(valid.subarray(0, length)), { code: 'CORRUPTION' }, `length ${length}`)
    }
    assert.throws(() => decodeBlobHandle(new Uint8Array(BLOB_HANDLE_SIZE_BYTES_MAX + 1).fill(1)), { code: 'CORRUPTION' })
  })
  test('throws CORRUPTION for trailing bytes and non-minimal varints', () => {
    assert.throws(() => decodeBlobHandle(Uint8Array.of(...valid, 0)), { code: 'CORRUPTION' })
    // fileNumber 1 written as 0x81 0x00 instead of 0x01.
    assert.throws(() => decodeBlobHandle(Uint8Array.of(1, 0x81, 0x00, 40, 100, 10)), { code: 'CORRUPTION' })
    assert.deepEqual(decodeBlobHandle(Uint8Array.of(1, 0x01, 40, 100, 10)), { fileNumber: 1, offsetBytes: 40, frameSizeBytes: 100, rawValueSizeBytes: 10 })
  })
  test('throws CORRUPTION for a varint longer than 8 bytes and for fields past their bounds', () => {
    assert.throws(() => decodeBlobHandle(Uint8Array.of(1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 40, 100, 10)), { code: 'CORRUPTION' })
    // frameSizeBytes 39 is below the smallest frame.
    assert.throws(() => decodeBlobHandle(Uint8Array.of(1, 1, 40, 39, 10)), { code: 'CORRUPTION' })
    // fileNumber 2^56 - 1 exceeds Number.MAX_SAFE_INTEGER.
    assert.throws(() => decodeBlobHandle(Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 40, 100, 10)), { code: 'CORRUPTION' })
  })
  test('throws UNSUPPORTED_FORMAT_VERSION for an unknown version byte', () => {
    const bytes = valid.slice()
    bytes[0] = 2
    assert.throws(() => decodeBlobHandle(bytes), { code: 'UNSUPPORTED_FORMAT_VERSION' })
  })
  test('fuzz: random bytes give a typed error or a handle that re-encodes to the same bytes', (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const random = new SeededRandom(seed)
    let decodedCount = 0
    for (let iteration = 0; iteration < 50_000; iteration++) {
      let bytes = random.bytes(random.below(BLOB_HANDLE_SIZE_BYTES_MAX + 4))
      // Half the inputs start from a valid handle with a few mutations, to reach deep paths.
      if (iteration % 2 === 0) {
        bytes = valid.slice(0, 1 + random.below(valid.length + 2))
        for (let flips = random.below(3); flips > 0; flips--) bytes[random.below(bytes.length)] ^= 1 << random.below(8)
      }
      try {
        const handle = decodeBlobHandle(bytes)
        decodedCount++
        assert.equal(hex(encodeBlobHandle(handle)), hex(bytes), `seed=${seed} iteration=${iteration}`)
      } catch (error) {
        assert.ok(error instanceof StrataError, `seed=${seed} iteration=${iteration}: ${String(error)}`)
        assert.ok(['CORRUPTION', 'UNSUPPORTED_FORMAT_VERSION'].includes(error.code), `seed=${seed} code=${error.code}`)
      }
    }
    assert.ok(decodedCount > 100, `seed=${seed}: only ${decodedCount} inputs decoded; the fuzz is not reaching valid handles`)
  })
})
