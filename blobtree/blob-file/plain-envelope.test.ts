import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlockType } from '../../engine/transform/block-codec.ts'
import { PlainCodec } from '../../engine/transform/plain-codec.ts'
import { PLAIN_ENVELOPE_HEADER_SIZE_BYTES, isPlainCodec, writePlainEnvelopeHeader } from './plain-envelope.ts'

describe('writePlainEnvelopeHeader()', () => {
  test('header + payload equals PlainCodec.encode byte for byte', () => {
    const codec = new PlainCodec()
    const context = { fileNumber: 9, blockType: BlockType.BlobFrame, fileName: 'x', offsetBytes: 0 }
    for (const size of [0, 1, 7, 8, 31, 32, 1000, 16384, 65536 + 3]) {
      const payload = Uint8Array.from({ length: size }, (_, index) => (index * 31 + size) & 0xff)
      const target = new Uint8Array(PLAIN_ENVELOPE_HEADER_SIZE_BYTES + 4).fill(0xee)
      writePlainEnvelopeHeader(target, 4, BlockType.BlobFrame, payload)
      const chunked = Buffer.concat([target.subarray(4), payload])
      assert.deepEqual(chunked, Buffer.from(codec.encode(payload, context)), `size ${size}`)
      assert.deepEqual(new Uint8Array(codec.decode(chunked, context)), payload, `size ${size} decodes`)
      assert.deepEqual(target.subarray(0, 4), Uint8Array.of(0xee, 0xee, 0xee, 0xee), 'writes nothing before offset')
    }
  })
})

describe('isPlainCodec()', () => {
  test('accepts PlainCodec only, not a subclass or another codec', () => {
    class Custom extends PlainCodec {}
    assert.equal(isPlainCodec(new PlainCodec()), true)
    assert.equal(isPlainCodec(new Custom()), false)
    assert.equal(isPlainCodec({ encode: (raw) => raw, decode: (raw) => raw }), false)
  })
})

describe('BlobFileWriter with PlainCodec', () => {
  test('writes the same file through the uncopied path as through encode()', async () => {
    const { MemVfs } = await import('../../engine/vfs/mem-vfs.ts')
    const { BlobFileWriter } = await import('./writer.ts')
    const { BlobFileReader } = await import('./reader.ts')
    class Copying extends PlainCodec {}
    const vfs = new MemVfs()
    vfs.mkdirp('/d')
    const entries = [0, 1, 8, 9, 40, 5000].map((size, index) => ({
      key: Buffer.from(`key-${index}`),
      value: Uint8Array.from({ length: size }, (_, at) => (at * 7 + index) & 0xff),
    }))
    const files: Buffer[] = []
    for (const codec of [new PlainCodec(), new Copying()]) {
      const name = `/d/${files.length}.blob`
      const writer = BlobFileWriter.create(vfs.create(name), { fileNumber: 3, codec })
      const handles = [...writer.addMany(entries.slice(0, 3)), ...writer.addMany(entries.slice(3))]
      await writer.finish()
      const reader = BlobFileReader.open(vfs.openRead(name), { expectedFileNumber: 3 })
      handles.forEach((handle, index) => assert.deepEqual(Buffer.from(reader.read(handle, entries[index].key)), Buffer.from(entries[index].value)))
      reader.close()
      const file = vfs.openRead(name)
      const bytes = Buffer.alloc(file.sizeBytes())
      file.read(bytes, 0)
      file.close()
      files.push(bytes)
    }
    assert.deepEqual(files[0], files[1])
  })
})
