/**
 * The encryption axis: AEAD suites, each with a stable id stored per block. AES-256-GCM and
 * ChaCha20-Poly1305 run through node:crypto (OpenSSL, hardware AES); XChaCha20-Poly1305 and
 * AES-256-GCM-SIV, which OpenSSL in Node does not offer, through @noble/ciphers. Every suite
 * has a 16-byte tag appended to the ciphertext. `openSealed` returns undefined on any
 * authentication failure, so callers choose the error (DECRYPT_FAILED with block facts).
 *
 * The encryption context written ahead of the ciphertext (docs/formats/block.md §4):
 * | offset | size | field      | encoding                                    |
 * |-------:|-----:|------------|---------------------------------------------|
 * |      0 |    1 | suiteId    | u8, CipherSuite                             |
 * |      1 |    3 | reserved   | zero                                        |
 * |      4 |    4 | keyEpoch   | u32 LE                                      |
 * |      8 |    n | nonce      | 12 bytes, or 24 for XChaCha20-Poly1305       |
 * | 8 + n  |    m | ciphertext | same size as the plaintext                  |
 * |  …     |   16 | tag        | AEAD tag                                    |
 */
import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { gcmsiv } from '@noble/ciphers/aes.js'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { NONCE_192_SIZE_BYTES, NONCE_96_SIZE_BYTES } from './nonce.ts'

/** Suite ids as stored per block and bound into the AAD. Frozen; 0 is never a suite. */
export const CipherSuite = {
  Aes256Gcm: 1,
  ChaCha20Poly1305: 2,
  XChaCha20Poly1305: 3,
  Aes256GcmSiv: 4,
} as const
export type CipherSuite = (typeof CipherSuite)[keyof typeof CipherSuite]

/** Suite names as configured. */
export type CipherSuiteName = 'aes-256-gcm' | 'chacha20-poly1305' | 'xchacha20-poly1305' | 'aes-256-gcm-siv'

export const AEAD_TAG_SIZE_BYTES = 16
export const ENCRYPTION_CONTEXT_SIZE_BYTES = 1 + 3 + 4

const SUITE_BY_NAME: Readonly<Record<CipherSuiteName, CipherSuite>> = {
  'aes-256-gcm': CipherSuite.Aes256Gcm,
  'chacha20-poly1305': CipherSuite.ChaCha20Poly1305,
  'xchacha20-poly1305': CipherSuite.XChaCha20Poly1305,
  'aes-256-gcm-siv': CipherSuite.Aes256GcmSiv,
}

/** The suite id of a configured name; undefined for a name this build does not know. */
export function suiteIdOf(name: string): CipherSuite | undefined {
  return Object.hasOwn(SUITE_BY_NAME, name) ? SUITE_BY_NAME[name as CipherSuiteName] : undefined
}

/** True for a suite id this build can open. */
export function isKnownSuite(suiteId: number): suiteId is CipherSuite {
  return suiteId >= CipherSuite.Aes256Gcm && suiteId <= CipherSuite.Aes256GcmSiv
}

/** Nonce size of a suite. */
export function nonceSizeOf(suiteId: CipherSuite): number {
  return suiteId === CipherSuite.XChaCha20Poly1305 ? NONCE_192_SIZE_BYTES : NONCE_96_SIZE_BYTES
}

function opensslName(suiteId: CipherSuite): 'aes-256-gcm' | 'chacha20-poly1305' | undefined {
  if (suiteId === CipherSuite.Aes256Gcm) return 'aes-256-gcm'
  if (suiteId === CipherSuite.ChaCha20Poly1305) return 'chacha20-poly1305'
  return undefined
}

// Both OpenSSL suites share this surface; the split calls only satisfy @types/node's overloads.
function nodeCipher(name: 'aes-256-gcm' | 'chacha20-poly1305', key: KeyObject, nonce: Uint8Array) {
  const options = { authTagLength: AEAD_TAG_SIZE_BYTES }
  return name === 'aes-256-gcm' ? createCipheriv(name, key, nonce, options) : createCipheriv(name, key, nonce, options)
}
function nodeDecipher(name: 'aes-256-gcm' | 'chacha20-poly1305', key: KeyObject, nonce: Uint8Array) {
  const options = { authTagLength: AEAD_TAG_SIZE_BYTES }
  return name === 'aes-256-gcm' ? createDecipheriv(name, key, nonce, options) : createDecipheriv(name, key, nonce, options)
}

/**
 * A key prepared for one suite: a node KeyObject (skips re-importing raw bytes per block) or the
 * raw bytes noble needs. Holds key material: never log it.
 */
export interface PreparedKey {
  readonly suiteId: CipherSuite
  readonly keyObject: KeyObject | undefined
  readonly raw: Uint8Array
}

/** Prepares `key` (32 bytes) for `suiteId`. */
export function prepareKey(suiteId: CipherSuite, key: Uint8Array): PreparedKey {
  assert.equal(key.length, 32)
  return { suiteId, keyObject: opensslName(suiteId) === undefined ? undefined : createSecretKey(key), raw: key }
}

/**
 * Encrypts `plaintext` and writes ciphertext ‖ tag into `out` at `offsetBytes`
 * (`plaintext.length + 16` bytes). `plaintext` must not overlap that range.
 */
export function sealInto(key: PreparedKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offsetBytes: number): void {
  assert.equal(nonce.length, nonceSizeOf(key.suiteId))
  const name = opensslName(key.suiteId)
  if (name !== undefined) {
    const cipher = nodeCipher(name, key.keyObject as KeyObject, nonce)
    cipher.setAAD(aad, { plaintextLength: plaintext.length })
    const head = cipher.update(plaintext)
    const tail = cipher.final()
    out.set(head, offsetBytes)
    out.set(tail, offsetBytes + head.length)
    assert.equal(head.length + tail.length, plaintext.length)
    out.set(cipher.getAuthTag(), offsetBytes + plaintext.length)
    return
  }
  const aead = key.suiteId === CipherSuite.XChaCha20Poly1305 ? xchacha20poly1305(key.raw, nonce, aad) : gcmsiv(key.raw, nonce, aad)
  out.set(aead.encrypt(plaintext), offsetBytes)
}

/** Decrypts ciphertext ‖ tag; undefined when authentication fails (wrong key, tampering). */
export function openSealed(key: PreparedKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.length < AEAD_TAG_SIZE_BYTES) return undefined
  const ciphertextSizeBytes = sealed.length - AEAD_TAG_SIZE_BYTES
  const name = opensslName(key.suiteId)
  if (name !== undefined) {
    const decipher = nodeDecipher(name, key.keyObject as KeyObject, nonce)
    decipher.setAAD(aad, { plaintextLength: ciphertextSizeBytes })
    decipher.setAuthTag(sealed.subarray(ciphertextSizeBytes))
    const head = decipher.update(sealed.subarray(0, ciphertextSizeBytes))
    try {
      const tail = decipher.final()
      // A plain Uint8Array view: callers get the same type from every suite.
      if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length)
      const out = new Uint8Array(head.length + tail.length)
      out.set(head, 0)
      out.set(tail, head.length)
      return out
    } catch {
      return undefined
    }
  }
  const aead = key.suiteId === CipherSuite.XChaCha20Poly1305 ? xchacha20poly1305(key.raw, nonce, aad) : gcmsiv(key.raw, nonce, aad)
  try {
    return aead.decrypt(sealed)
  } catch {
    return undefined
  }
}
