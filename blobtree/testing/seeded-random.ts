/**
 * A seeded PRNG for tests and benchmarks of the blob layer (no Math.random: a printed seed
 * replays a run). sfc32 seeded through datasets' splitmix32; fast, and good enough for test inputs.
 * Not datasets' xoshiro128** Prng: the GC crash rounds and the accounting bounds were tuned and
 * replayed on this stream, so it stays.
 */
import { splitmix32 } from '../../datasets/mod.ts'

/** The seed from STRATA_SEED, else a fixed default, so a failure replays with one variable. */
export function seedFromEnv(fallback = 0x5eed): number {
  const text = process.env.STRATA_SEED
  if (text === undefined || text === '') return fallback
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new Error(`STRATA_SEED=${text} is not an integer`)
  return seed
}

/** Deterministic random numbers and bytes from a seed. */
export class SeededRandom {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    // splitmix32 over a counter (seed, seed + golden, ...), as test/support/seed.ts seeds.
    const word = (index: number): number => splitmix32(((seed >>> 0) + index * 0x9e3779b9) >>> 0)
    this.#a = word(0)
    this.#b = word(1)
    this.#c = word(2)
    this.#d = word(3)
  }

  /** A uniform u32. */
  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0
    this.#d = (this.#d + 1) >>> 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) >>> 0
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0
    this.#c = (this.#c + t) >>> 0
    return t
  }

  /** A uniform integer in [0, bound), bound ≤ 2^32. */
  below(bound: number): number {
    return Math.floor((this.u32() / 2 ** 32) * bound)
  }

  /** `sizeBytes` random bytes. */
  bytes(sizeBytes: number): Uint8Array {
    const out = new Uint8Array(sizeBytes)
    const whole = sizeBytes - (sizeBytes % 4)
    const view = new DataView(out.buffer)
    for (let index = 0; index < whole; index += 4) view.setUint32(index, this.u32(), true)
    for (let index = whole; index < sizeBytes; index++) out[index] = this.u32() & 0xff
    return out
  }
}
