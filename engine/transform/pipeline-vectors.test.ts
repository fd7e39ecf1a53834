// Known-answer vectors: the exact on-disk bytes of small blocks, also printed in
// docs/encryption.md §6 and docs/formats/block.md §7. If a change breaks one of these, the
// format changed: that is a new format version, not an update of the expected hex. (One exception:
// the zstd vector pins the frame zstd 1.5.x emits at level 3; a zstd upgrade may legally change
// those frame bytes, and then only that vector is regenerated.)
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeAad } from './aad.ts'
import type { BlockContext } from './block-codec.ts'
import type { CipherSuiteName } from './encrypt.ts'
import { NonceSource } from './nonce.ts'
import { IntegrityCodec } from './pipeline.ts'
import { PlainCodec } from './plain-codec.ts'

const key = Uint8Array.from({ length: 32 }, (_, index) => index) // 00 01 02 … 1f
const context: BlockContext = { fileNumber: 7, blockType: 1, fileName: 'vector.sst', offsetBytes: 0 }
const fixedNonces = () => new NonceSource({ randomFill: (target) => target.fill(0x4e) })
const text = (value: string) => new TextEncoder().encode(value)
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

const suiteVectors: Record<CipherSuiteName, string> = {
  'aes-256-gcm':
    '0101020036000000d2aa39e29cfae5f42371c1dca41aa33f01000000010000004e4e4e4e4e4e4e4e00000000ad86695e29787e9be740d67ce5ced33b265ddedd58f8927423f3f8d5688a8da40e97',
  'chacha20-poly1305':
    '0101020036000000b7739a0c0fa072497e554b4a58bd95f102000000010000004e4e4e4e4e4e4e4e000000002af8418ed66c03a5a14aab415b64de3934051f8abbdd879d6918a63fe738d78f78f4',
  'xchacha20-poly1305':
    '01010200420000006f1b1e378c9780c2b5192c50c24286cf03000000010000004e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4ee8d2e5798101030514b66850fc257d1f1b6d8ff85bd34fb66c5686d1063ccf272b4f',
  'aes-256-gcm-siv':
    '0101020036000000eb26138adaeebf5134c67e63ac4cf75404000000010000004e4e4e4e4e4e4e4e00000000ad8405ce678b7b38a12f0412fbc436a3832ab61126bb6922a5ca8b9411f62e4d5417',
}

describe('format vectors', () => {
  test('encodeAad() lays out the AAD byte table', () => {
    const aad = encodeAad({ blockFormatVersion: 1, blockType: 1, blockFlags: 2, fileNumber: 7, keyEpoch: 1, suiteId: 1, compressionType: 0, windowLog: 0, dictionaryId: 0, rawSizeBytes: 0 })
    assert.equal(hex(aad), '5341414401010102070000000000000001000000010000000000000000000000')
  })

  for (const [suite, expected] of Object.entries(suiteVectors) as [CipherSuiteName, string][]) {
    test(`an encrypted block with ${suite}, fixed key and nonce, has the documented bytes and decodes`, () => {
      const codec = new IntegrityCodec({ encryption: { suite, keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } }, nonceSource: fixedNonces() })
      const onDisk = codec.encode(text('Strata test vector'), context)
      assert.equal(hex(onDisk), expected)
      assert.deepEqual(codec.decode(Buffer.from(expected, 'hex'), context), text('Strata test vector'))
    })
  }

  test('PlainCodec, zstd, SEC-DED and RS(4,2) blocks have the documented bytes', () => {
    assert.equal(hex(new PlainCodec().encode(text('hello'), context)), '0101000005000000a9285382c582a8c40536abe69b8a325568656c6c6f')
    const abc = text('abc'.repeat(22))
    assert.equal(
      hex(new IntegrityCodec({ compression: { kind: 'zstd', level: 3 } }).encode(abc, context)),
      '010101001e000000e52669f6c38cb31a0ff0795ecf29209d01000000000000004200000028b52ffd20424d0000186162630100547243',
    )
    assert.equal(
      hex(new IntegrityCodec({ ecc: { kind: 'sec-ded' } }).encode(text('hello'), context)),
      '0101040005000000d52c01c4d52f4a28ca5f15a69acd8c9368656c6c6f3dd5b6f253454343030000001d000000fef04129',
    )
    assert.equal(
      hex(new IntegrityCodec({ ecc: { kind: 'reed-solomon', dataShards: 4, parityShards: 2 } }).encode(text('hello'), context)),
      '0101040005000000d52c01c4d52f4a28ca5f15a69acd8c9368656c6c6f' + 'ca6ace48d20279be1c45f4190feda8e9' + '53454343020402001d00000078756c5c',
    )
  })
})
