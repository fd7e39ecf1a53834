/**
 * The seeded pseudo-random generator every dataset draws from: xoshiro128** (Blackman and Vigna,
 * "Scrambled linear pseudorandom number generators", 2018), seeded through splitmix32.
 * Only 32-bit integer arithmetic (Math.imul, >>>), so the same seed gives the same stream on every
 * machine and Node version. Not for cryptography. Not safe to share between concurrent users that
 * need independent streams: derive one per purpose with `Prng.derive(seed, label)`.
 */

/**
 * One splitmix32 step: turns any 32-bit state into a well-mixed 32-bit output. Exported for
 * test generators that expand a seed into state words their own way (test/support/seed.ts,
 * blobtree/testing/seeded-random.ts).
 */
export function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** FNV-1a over the UTF-16 code units of `text`, so labels give stable, distinct stream seeds. */
function hashLabel(text: string): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193)
  }
  return hash >>> 0
}

/**
 * A deterministic random stream.
 * @example
 * ```ts
 * const prng = Prng.derive(42, 'key-order')
 * const index = prng.nextBelow(1000) // same value for seed 42 on every machine
 * ```
 */
export class Prng {
  #s0: number
  #s1: number
  #s2: number
  #s3: number

  /** `seed` is any integer; it is reduced to 32 bits. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Prng seed must be a safe integer, got ${seed}`)
    // Fold the high bits in so seeds above 2^32 still differ.
    let state = (seed >>> 0) ^ Math.floor(seed / 2 ** 32)
    this.#s0 = state = splitmix32(state)
    this.#s1 = state = splitmix32(state)
    this.#s2 = state = splitmix32(state)
    this.#s3 = splitmix32(state)
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1 // all-zero state is a fixed point
  }

  /**
   * A generator that starts from four raw state words instead of a seed: for a caller whose
   * streams were seeded another way and are pinned (test/support/seed.ts keeps the sequences its
   * replayed seeds depend on). The words must not all be zero.
   */
  static fromState(s0: number, s1: number, s2: number, s3: number): Prng {
    if (((s0 | s1 | s2 | s3) >>> 0) === 0) throw new RangeError('Prng state must not be all zero')
    const prng = new Prng(0)
    prng.#s0 = s0 | 0
    prng.#s1 = s1 | 0
    prng.#s2 = s2 | 0
    prng.#s3 = s3 | 0
    return prng
  }

  /** A generator for one purpose (`label`), independent of the streams for other labels. */
  static derive(seed: number, label: string): Prng {
    return new Prng(((seed >>> 0) ^ hashLabel(label)) + Math.floor(seed / 2 ** 32) * 2 ** 32)
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0
    const t = this.#s1 << 9
    this.#s2 ^= this.#s0
    this.#s3 ^= this.#s1
    this.#s1 ^= this.#s2
    this.#s0 ^= this.#s3
    this.#s2 ^= t
    this.#s3 = rotl(this.#s3, 11)
    return result
  }

  /** A float in [0, 1) with 53 random bits, built from two outputs. */
  nextFloat(): number {
    const high = this.nextU32() >>> 5 // 27 bits
    const low = this.nextU32() >>> 6 // 26 bits
    return (high * 67108864 + low) / 9007199254740992
  }

  /** An integer in [0, bound), bound ≤ 2^53. */
  nextBelow(bound: number): number {
    return Math.floor(this.nextFloat() * bound)
  }

  /** Fills `target` with random bytes. */
  fillBytes(target: Uint8Array): Uint8Array {
    let index = 0
    for (; index + 4 <= target.length; index += 4) {
      const word = this.nextU32()
      target[index] = word & 0xff
      target[index + 1] = (word >>> 8) & 0xff
      target[index + 2] = (word >>> 16) & 0xff
      target[index + 3] = word >>> 24
    }
    if (index < target.length) {
      let word = this.nextU32()
      for (; index < target.length; index++, word >>>= 8) target[index] = word & 0xff
    }
    return target
  }
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift))
}

/** A seeded random permutation of 0..count-1 (Fisher–Yates), as a Uint32Array. */
export function randomPermutation(count: number, prng: Prng): Uint32Array {
  if (!Number.isInteger(count) || count < 0 || count > 2 ** 32 - 1) {
    throw new RangeError(`Permutation size must be an integer in [0, 2^32), got ${count}`)
  }
  const permutation = new Uint32Array(count)
  for (let index = 0; index < count; index++) permutation[index] = index
  for (let index = count - 1; index > 0; index--) {
    const other = prng.nextBelow(index + 1)
    const held = permutation[index]
    permutation[index] = permutation[other]
    permutation[other] = held
  }
  return permutation
}
