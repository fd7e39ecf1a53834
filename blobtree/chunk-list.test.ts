import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { MemVfs } from '../engine/vfs/mem-vfs.ts'
import { BlobFileWriter } from './blob-file/mod.ts'
import { CHUNK_LIST_KIND, chunkRawSizeBytes, decodeChunkList, encodeChunkList, type ChunkList } from './chunk-list.ts'
import { decodeValueHandle, referencesFrame, valueSizeOf } from './value-handle.ts'
import { encodeBlobHandle } from './handle.ts'
import { StreamWriter } from './stream/stream-writer.ts'
import { STREAM_CHUNK_COUNT_MAX } from './limits.ts'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
/** The doc comment's and docs/formats/blob-stream.md §6's example. */
const EXAMPLE_HEX = '0288278020020928c12009e920c907'

describe('encodeChunkList()', () => {
  test('writes the documented bytes for the example a real 5000-byte stream produces', async () => {
    const vfs = new MemVfs()
    vfs.mkdirp('/s')
    const writer = new StreamWriter(
      { createStreamFile: () => BlobFileWriter.create(vfs.create('/s/000009.blob'), { fileNumber: 9 }), countBytesWritten: () => undefined },
      { key: Buffer.from('k'), chunkSizeBytes: 4096, fileSizeBytesTarget: 1 << 20 },
    )
    await writer.write(Buffer.alloc(5000, 7))
    const finished = await writer.finish()
    assert.equal(finished.kind, 'chunks')
    if (finished.kind !== 'chunks') return
    assert.equal(hex(encodeChunkList(finished.list)), EXAMPLE_HEX)
    assert.deepEqual(finished.files.map((file) => file.fileNumber), [9])
  })
  test('throws INVALID_ARGUMENT for a chunk count that does not match the sizes', () => {
    const list: ChunkList = { totalSizeBytes: 5000, chunkSizeBytes: 4096, chunks: [{ fileNumber: 1, offsetBytes: 40, frameSizeBytes: 100 }] }
    assert.throws(() => encodeChunkList(list), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => encodeChunkList({ ...list, totalSizeBytes: 0, chunks: [] }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => encodeChunkList({ ...list, chunkSizeBytes: 10 }), { code: 'INVALID_ARGUMENT' })
  })
})

describe('decodeChunkList()', () => {
  const valid = Buffer.from(EXAMPLE_HEX, 'hex')
  test('returns what encodeChunkList() wrote, with each chunk\'s raw size', () => {
    const list = decodeChunkList(valid)
    assert.deepEqual(list, {
      totalSizeBytes: 5000,
      chunkSizeBytes: 4096,
      chunks: [
        { fileNumber: 9, offsetBytes: 40, frameSizeBytes: 4161 },
        { fileNumber: 9, offsetBytes: 4201, frameSizeBytes: 969 },
      ],
    })
    assert.deepEqual([chunkRawSizeBytes(list, 0), chunkRawSizeBytes(list, 1)], [4096, 904])
  })
  test('throws CORRUPTION for cut-short input, trailing bytes and a wrong count', () => {
    for (let length = 1; length < valid.length; length++) {
      assert.throws(() => decodeChunkList(valid.subarray(0, length)), { code: 'CORRUPTION' }, `length ${length}`)
    }
    assert.throws(() => decodeChunkList(Uint8Array.of(...valid, 0)), { code: 'CORRUPTION' })
    const wrongCount = Buffer.from(valid)
    wrongCount[5] = 3
    assert.throws(() => decodeChunkList(wrongCount), { code: 'CORRUPTION' })
  })
  test('throws CORRUPTION, before allocating, for a count the bytes cannot hold', () => {
    // 64 Ki chunks of 1 KiB claimed in a handful of bytes.
    const bytes = Uint8Array.of(CHUNK_LIST_KIND, 0x80, 0x80, 0x80, 0x20, 0x80, 0x08, 0x80, 0x80, 0x04)
    assert.equal(STREAM_CHUNK_COUNT_MAX, 65536)
    assert.throws(() => decodeChunkList(bytes), { code: 'CORRUPTION' })
  })
  test('throws UNSUPPORTED_FORMAT_VERSION for another kind byte', () => {
    assert.throws(() => decodeChunkList(Uint8Array.of(3, 1, 1, 1)), { code: 'UNSUPPORTED_FORMAT_VERSION' })
  })
})

describe('decodeValueHandle()', () => {
  test('reads single-frame handles (kind 1) as before and chunk lists (kind 2)', () => {
    const frame = decodeValueHandle(encodeBlobHandle({ fileNumber: 7, offsetBytes: 40, frameSizeBytes: 1100, rawValueSizeBytes: 1024 }))
    assert.equal(frame.kind, 'frame')
    assert.equal(valueSizeOf(frame), 1024)
    const chunks = decodeValueHandle(Buffer.from(EXAMPLE_HEX, 'hex'))
    assert.equal(valueSizeOf(chunks), 5000)
    assert.ok(referencesFrame(chunks, 9, 4201))
    assert.ok(!referencesFrame(chunks, 9, 4202))
    assert.throws(() => decodeValueHandle(Uint8Array.of(9)), { code: 'UNSUPPORTED_FORMAT_VERSION' })
    assert.throws(() => decodeValueHandle(new Uint8Array(0)), { code: 'CORRUPTION' })
  })
})
