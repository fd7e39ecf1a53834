/**
 * Seeded randomness for tests: `STRATA_SEED=<n>` replays a run exactly; otherwise the seed is
 * derived from the test name so runs are repeatable by default.
 */
import { createHash } from 'node:crypto'

/** The seed to use: STRATA_SEED when set, else a stable hash of `name`. */
export function seedFromEnv(name: string): number {
  const fromEnv = process.env.STRATA_SEED
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv) >>> 0
  return createHash('sha256').update(name).digest().readUInt32LE(0)
}

/** xoshiro128** — small, fast, and the same sequence on every machine. */
export class Rng {
  #s0: number
  #s1: number
  #s2: number
  #s3: number

  constructor(seed: number) {
    // splitmix32 expands the seed into four non-zero words.
    let state = seed >>> 0
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0
      let z = state
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#s0 = next()
    this.#s1 = next()
    this.#s2 = next()
    this.#s3 = next() | 1
  }

  /** A uniform u32. */
  u32(): number {
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

  /** A uniform integer in [0, bound). */
  below(bound: number): number {
    return Math.floor((this.u32() / 2 ** 32) * bound)
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
