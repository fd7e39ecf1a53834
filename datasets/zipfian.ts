/**
 * YCSB's Zipfian generator (core/generator/ZipfianGenerator.java), after Gray et al., "Quickly
 * Generating Billion-Record Synthetic Databases", SIGMOD 1994. Item i (0-based) is drawn with
 * probability (1/(i+1)^theta) / zeta(n, theta). The item count may grow between draws (YCSB's
 * "latest" distribution needs that); zeta is then extended incrementally, as YCSB does.
 */
import type { Prng } from './prng.ts'

/** YCSB's default skew (ZipfianGenerator.ZIPFIAN_CONSTANT). */
export const YCSB_ZIPFIAN_THETA = 0.99

/** Σ_{i=from+1..to} 1/i^theta, added to `partial` (zeta(from, theta)). */
export function zeta(to: number, theta: number, from = 0, partial = 0): number {
  let sum = partial
  for (let rank = from + 1; rank <= to; rank++) sum += 1 / Math.pow(rank, theta)
  return sum
}

/**
 * Draws ranks 0..itemCount-1, rank 0 the most popular.
 * @example
 * ```ts
 * const zipf = new ZipfianGenerator(0.99, Prng.derive(1, 'zipf'))
 * const rank = zipf.next(1_000_000)
 * ```
 */
export class ZipfianGenerator {
  readonly theta: number
  #prng: Prng
  #alpha: number
  #zeta2: number
  #zetaCount = 0 // item count zetaN was computed for
  #zetaN = 0
  #eta = 0

  constructor(theta: number, prng: Prng) {
    if (!(theta > 0 && theta < 1)) throw new RangeError(`Zipfian theta must be in (0, 1), got ${theta}`)
    this.theta = theta
    this.#prng = prng
    this.#alpha = 1 / (1 - theta)
    this.#zeta2 = zeta(2, theta)
  }

  /** Probability of rank 0 for `itemCount` items: the top key's expected frequency. */
  topProbability(itemCount: number): number {
    this.#prepare(itemCount)
    return 1 / this.#zetaN
  }

  /** A rank in [0, itemCount). */
  next(itemCount: number): number {
    if (!(itemCount >= 1)) throw new RangeError(`Zipfian item count must be ≥ 1, got ${itemCount}`)
    if (itemCount === 1) return 0
    this.#prepare(itemCount)
    const u = this.#prng.nextFloat()
    const uz = u * this.#zetaN
    if (uz < 1) return 0
    if (uz < 1 + Math.pow(0.5, this.theta)) return 1
    const rank = Math.floor(itemCount * Math.pow(this.#eta * u - this.#eta + 1, this.#alpha))
    return Math.min(rank, itemCount - 1)
  }

  #prepare(itemCount: number): void {
    if (itemCount === this.#zetaCount) return
    // Growing: extend the sum (YCSB's incremental zetastatic). Shrinking: start over.
    this.#zetaN = itemCount > this.#zetaCount
      ? zeta(itemCount, this.theta, this.#zetaCount, this.#zetaN)
      : zeta(itemCount, this.theta)
    this.#zetaCount = itemCount
    this.#eta = (1 - Math.pow(2 / itemCount, 1 - this.theta)) / (1 - this.#zeta2 / this.#zetaN)
  }
}
