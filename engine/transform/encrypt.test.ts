import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { gcm } from '@noble/ciphers/aes.js'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { CipherSuite, nonceSizeOf, openSealed, prepareKey, sealInto, type CipherSuite as Suite } from './encrypt.ts'
import { TestRandom, seedFromEnv } from './test-random.ts'

const suites: Suite[] = [CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305, CipherSuite.XChaCha20Poly1305, CipherSuite.Aes256GcmSiv]

function seal(suite: Suite, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + 16)
  sealInto(prepareKey(suite, key), nonce, aad, plaintext, out, 0)
  return out
}

describe('sealInto() / openSealed()', () => {
  const seed = seedFromEnv()

  test('round-trip every suite for sizes 0 B to 64 KiB', (t) => {
    t.diagnostic(`seed=${seed}`)
    const random = new TestRandom(seed)
    for (const suite of suites) {
      for (const sizeBytes of [0, 1, 4096, 65536]) {
        const key = random.bytes(32)
        const nonce = random.bytes(nonceSizeOf(suite))
        const aad = random.bytes(32)
        const plaintext = random.bytes(sizeBytes)
        const sealed = seal(suite, key, nonce, aad, plaintext)
        assert.deepEqual(openSealed(prepareKey(suite, key), nonce, aad, sealed), plaintext, `suite=${suite} size=${sizeBytes} seed=${seed}`)
      }
    }
  })

  test('openSealed() returns undefined for a wrong key, changed aad, flipped bit and truncated tag', (t) => {
    t.diagnostic(`seed=${seed}`)
    const random = new TestRandom(seed + 1)
    for (const suite of suites) {
      const key = random.bytes(32)
      const nonce = random.bytes(nonceSizeOf(suite))
      const aad = random.bytes(32)
      const sealed = seal(suite, key, nonce, aad, random.bytes(100))
      const wrongKey = key.slice()
      wrongKey[0] ^= 1
      const otherAad = aad.slice()
      otherAad[31] ^= 0x80
      const flipped = sealed.slice()
      flipped[50] ^= 4
      const prepared = prepareKey(suite, key)
      assert.equal(openSealed(prepareKey(suite, wrongKey), nonce, aad, sealed), undefined, `suite=${suite}`)
      assert.equal(openSealed(prepared, nonce, otherAad, sealed), undefined, `suite=${suite}`)
      assert.equal(openSealed(prepared, nonce, aad, flipped), undefined, `suite=${suite}`)
      assert.equal(openSealed(prepared, nonce, aad, sealed.subarray(0, sealed.length - 1)), undefined, `suite=${suite}`)
      assert.equal(openSealed(prepared, nonce, aad, sealed.subarray(0, 15)), undefined, `suite=${suite}`)
    }
  })

  test('AES-256-GCM via node:crypto is byte-identical to @noble/ciphers gcm', (t) => {
    t.diagnostic(`seed=${seed}`)
    const random = new TestRandom(seed + 2)
    for (const sizeBytes of [0, 1, 15, 16, 17, 4096, 65536]) {
      const key = random.bytes(32)
      const nonce = random.bytes(12)
      const aad = random.bytes(32)
      const plaintext = random.bytes(sizeBytes)
      const ours = seal(CipherSuite.Aes256Gcm, key, nonce, aad, plaintext)
      assert.deepEqual(ours, gcm(key, nonce, aad).encrypt(plaintext), `size=${sizeBytes} seed=${seed}`)
    }
  })

  test('ChaCha20-Poly1305 via node:crypto is byte-identical to @noble/ciphers chacha20poly1305', (t) => {
    t.diagnostic(`seed=${seed}`)
    const random = new TestRandom(seed + 3)
    for (const sizeBytes of [0, 1, 63, 64, 65, 4096, 65536]) {
      const key = random.bytes(32)
      const nonce = random.bytes(12)
      const aad = random.bytes(32)
      const plaintext = random.bytes(sizeBytes)
      const ours = seal(CipherSuite.ChaCha20Poly1305, key, nonce, aad, plaintext)
      assert.deepEqual(ours, chacha20poly1305(key, nonce, aad).encrypt(plaintext), `size=${sizeBytes} seed=${seed}`)
    }
  })

  test('ChaCha20-Poly1305 matches the RFC 8439 §2.8.2 test vector', () => {
    const key = Buffer.from('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', 'hex')
    const nonce = Buffer.from('070000004041424344454647', 'hex')
    const aad = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex')
    const plaintext = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
    const sealed = seal(CipherSuite.ChaCha20Poly1305, key, nonce, aad, plaintext)
    assert.equal(Buffer.from(sealed.subarray(0, 16)).toString('hex'), 'd31a8d34648e60db7b86afbc53ef7ec2')
    assert.equal(Buffer.from(sealed.subarray(sealed.length - 16)).toString('hex'), '1ae10b594f09e26a7e902ecbd0600691')
  })
})
