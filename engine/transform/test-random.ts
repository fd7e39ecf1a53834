/**
 * Seeded randomness for the transform's tests (never for keys or nonces): mulberry32, plus the
 * block contents the property tests draw. The seed comes from STRATA_SEED when set, so a failing
 * run replays exactly; tests print it.
 */
import { mulberry32 } from '../mulberry32.ts'

/** The seed of this run: STRATA_SEED, else a fixed default so plain runs are reproducible. */
export function seedFromEnv(): number {
  const text = process.env.STRATA_SEED
  return text === undefined || text === '' ? 20240603 : Number.parseInt(text, 10) >>> 0
}

/** A deterministic 32-bit generator (mulberry32). */
export class TestRandom {
  readonly #next: () => number
  constructor(seed: number) {
    this.#next = mulberry32(seed)
  }
  nextU32(): number {
    return this.#next()
  }
  /** An integer in 0..bound-1. */
  below(bound: number): number {
    return Math.floor((this.nextU32() / 2 ** 32) * bound)
  }
  /** `sizeBytes` uniformly random (incompressible) bytes. */
  bytes(sizeBytes: number): Uint8Array {
    const out = new Uint8Array(sizeBytes)
    for (let index = 0; index < sizeBytes; index++) out[index] = this.nextU32() & 0xff
    return out
  }
  /** `sizeBytes` of text-like bytes from a small vocabulary (zstd ratio around 3–5). */
  compressibleBytes(sizeBytes: number): Uint8Array {
    const words = ['key', 'value', 'strata', 'block', '{"id":', '"name":', 'true', 'null', ' ', ',', '\n', '0123']
    const out = new Uint8Array(sizeBytes)
    let index = 0
    while (index < sizeBytes) {
      const word = words[this.below(words.length)]
      for (let k = 0; k < word.length && index < sizeBytes; k++) out[index++] = word.charCodeAt(k)
      if (index < sizeBytes && this.below(4) === 0) out[index++] = 0x30 + this.below(10)
    }
    return out
  }
}
