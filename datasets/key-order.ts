/**
 * Key orders: which key index a workload touches next. Indices are 0-based; key bytes come from
 * key-format.ts. Every order is a pure function of its spec and its Prng, so two engines given
 * the same seed see the same sequence of indices.
 */
import { Prng, randomPermutation } from './prng.ts'
import { YCSB_ZIPFIAN_THETA, ZipfianGenerator } from './zipfian.ts'

/** How the next key index is chosen. */
export type KeyOrderSpec =
  | { kind: 'sequential' } // 0, 1, 2, … wrapping at keyCount
  | { kind: 'permutation' } // every index once in a seeded random order, then again in the same order
  | { kind: 'uniform' } // independent uniform draws (with replacement)
  | { kind: 'zipfian'; theta: number; scrambled: boolean } // YCSB zipfian; scrambled spreads hot keys over the keyspace
  | { kind: 'latest'; theta: number } // YCSB SkewedLatest: recently inserted indices are hottest

/** Draws key indices. */
export interface KeyChooser {
  readonly spec: KeyOrderSpec
  next(): number
}

export interface KeyChooserOptions {
  /** Indices are drawn from [0, keyCount). */
  keyCount: number
  prng: Prng
  /** For `latest`: how many indices exist now (grows as a workload inserts). Defaults to keyCount. */
  liveCount?: () => number
}

/**
 * Creates a chooser for `spec`.
 * @example
 * ```ts
 * const order = createKeyChooser({ kind: 'zipfian', theta: 0.99, scrambled: true },
 *   { keyCount: 10_000, prng: Prng.derive(7, 'reads') })
 * const index = order.next()
 * ```
 */
export function createKeyChooser(spec: KeyOrderSpec, options: KeyChooserOptions): KeyChooser {
  const { keyCount, prng } = options
  if (!Number.isInteger(keyCount) || keyCount < 1) throw new RangeError(`keyCount must be a positive integer, got ${keyCount}`)
  switch (spec.kind) {
    case 'sequential': {
      let index = 0
      return { spec, next: () => { const value = index; index = index + 1 === keyCount ? 0 : index + 1; return value } }
    }
    case 'permutation': {
      const permutation = randomPermutation(keyCount, prng)
      let position = 0
      return { spec, next: () => { const value = permutation[position]; position = position + 1 === keyCount ? 0 : position + 1; return value } }
    }
    case 'uniform':
      return { spec, next: () => prng.nextBelow(keyCount) }
    case 'zipfian': {
      const zipf = new ZipfianGenerator(spec.theta, prng)
      // Scrambling through a seeded bijection (YCSB hashes with FNV instead, which can collide):
      // the hot set keeps exactly the Zipfian frequencies while sitting at random places.
      const scramble = spec.scrambled ? randomPermutation(keyCount, Prng.derive(prng.nextU32(), 'zipfian-scramble')) : undefined
      return { spec, next: () => { const rank = zipf.next(keyCount); return scramble === undefined ? rank : scramble[rank] } }
    }
    case 'latest': {
      const zipf = new ZipfianGenerator(spec.theta, prng)
      const liveCount = options.liveCount ?? (() => keyCount)
      return { spec, next: () => { const count = liveCount(); return count - 1 - zipf.next(count) } }
    }
  }
}

/** Parses `sequential`, `permutation` (or `random`), `uniform`, `zipfian[:theta]`, `latest[:theta]`. */
export function parseKeyOrder(text: string): KeyOrderSpec {
  const [name, argument] = text.split(':')
  const theta = argument === undefined ? YCSB_ZIPFIAN_THETA : Number(argument)
  switch (name) {
    case 'sequential': return { kind: 'sequential' }
    case 'random':
    case 'permutation': return { kind: 'permutation' }
    case 'uniform': return { kind: 'uniform' }
    case 'zipfian': return { kind: 'zipfian', theta: checkTheta(theta, text), scrambled: true }
    case 'zipfian-unscrambled': return { kind: 'zipfian', theta: checkTheta(theta, text), scrambled: false }
    case 'latest': return { kind: 'latest', theta: checkTheta(theta, text) }
    default:
      throw new RangeError(`Unknown key order '${text}': expected sequential, permutation, uniform, zipfian[:theta], zipfian-unscrambled[:theta] or latest[:theta]`)
  }
}

/** The inverse of parseKeyOrder, for result files. */
export function describeKeyOrder(spec: KeyOrderSpec): string {
  switch (spec.kind) {
    case 'zipfian': return `${spec.scrambled ? 'zipfian' : 'zipfian-unscrambled'}:${spec.theta}`
    case 'latest': return `latest:${spec.theta}`
    default: return spec.kind
  }
}

function checkTheta(theta: number, text: string): number {
  if (!(theta > 0 && theta < 1)) throw new RangeError(`Key order '${text}': theta must be in (0, 1)`)
  return theta
}
