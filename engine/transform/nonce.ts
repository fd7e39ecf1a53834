/**
 * Nonces for the AEAD suites, which must never repeat under one key.
 *
 * 96-bit nonces (AES-256-GCM, ChaCha20-Poly1305, AES-256-GCM-SIV) are a random 64-bit prefix,
 * drawn from the OS CSPRNG when the source is created (once per process or worker: each module
 * instance has its own), followed by a 32-bit counter. Within one prefix the counter makes
 * nonces distinct; when it would wrap, a fresh prefix is drawn. Across restarts nothing is
 * persisted: a repeat needs two prefixes drawn under the same key to be equal, which for n
 * prefixes has probability ≤ n²/2^65 (docs/encryption.md §4 works the numbers).
 * 192-bit nonces (XChaCha20-Poly1305) are fully random: q nonces repeat with probability ≤ q²/2^193.
 */
import assert from 'node:assert/strict'
import { randomFillSync } from 'node:crypto'
import { NONCE_COUNTER_MAX } from './limits.ts'

/** Nonce sizes the suites use. */
export const NONCE_96_SIZE_BYTES = 12
export const NONCE_192_SIZE_BYTES = 24
const PREFIX_SIZE_BYTES = 8

/** Fills `target` with cryptographically strong random bytes (injectable for tests only). */
export type RandomFill = (target: Uint8Array) => void

function osRandomFill(target: Uint8Array): void {
  randomFillSync(target)
}

// Random bytes for 192-bit nonces come from a pool refilled 4 KiB at a time: one CSPRNG call
// per 170 nonces instead of one per block.
const POOL_SIZE_BYTES = 4096

/**
 * Hands out distinct nonces.
 * @example
 * ```ts
 * const nonces = new NonceSource()
 * const nonce = nonces.next(12)   // prefix ‖ counter
 * ```
 */
export class NonceSource {
  readonly #randomFill: RandomFill
  readonly #prefix = new Uint8Array(PREFIX_SIZE_BYTES)
  #counter = 0
  #pool = new Uint8Array(POOL_SIZE_BYTES)
  #poolIndex = POOL_SIZE_BYTES

  /** `options.counterStart` exists so tests can reach the wrap without 2^32 calls. */
  constructor(options: { randomFill?: RandomFill; counterStart?: number } = {}) {
    this.#randomFill = options.randomFill ?? osRandomFill
    this.#randomFill(this.#prefix)
    this.#counter = options.counterStart ?? 0
    assert(Number.isInteger(this.#counter) && this.#counter >= 0 && this.#counter <= NONCE_COUNTER_MAX)
  }

  /** A new nonce of `sizeBytes` (12 or 24). */
  next(sizeBytes: number): Uint8Array {
    if (sizeBytes === NONCE_192_SIZE_BYTES) return this.#random192()
    assert.equal(sizeBytes, NONCE_96_SIZE_BYTES)
    if (this.#counter > NONCE_COUNTER_MAX) {
      this.#randomFill(this.#prefix)
      this.#counter = 0
    }
    const nonce = new Uint8Array(NONCE_96_SIZE_BYTES)
    nonce.set(this.#prefix, 0)
    // Byte stores, not a DataView: `nonce.buffer` would move this small on-heap array off-heap,
    // which showed as 3% of a block's encode in a CPU profile.
    const counter = this.#counter
    nonce[PREFIX_SIZE_BYTES] = counter & 0xff
    nonce[PREFIX_SIZE_BYTES + 1] = (counter >>> 8) & 0xff
    nonce[PREFIX_SIZE_BYTES + 2] = (counter >>> 16) & 0xff
    nonce[PREFIX_SIZE_BYTES + 3] = counter >>> 24
    this.#counter++
    return nonce
  }

  #random192(): Uint8Array {
    if (this.#poolIndex + NONCE_192_SIZE_BYTES > POOL_SIZE_BYTES) {
      this.#randomFill(this.#pool)
      this.#poolIndex = 0
    }
    const nonce = this.#pool.slice(this.#poolIndex, this.#poolIndex + NONCE_192_SIZE_BYTES)
    this.#poolIndex += NONCE_192_SIZE_BYTES
    return nonce
  }
}

/** The source every codec of this process (or worker) shares unless a test injects its own. */
export const processNonceSource = new NonceSource()
