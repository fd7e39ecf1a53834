/**
 * mulberry32 (Tommy Ettinger, 2017): the engine's one small seeded generator, for FaultVfs's
 * fault dice and the engine's tests (never for keys, nonces or anything on disk). The engine may
 * not import datasets/, whose xoshiro128** Prng the rest of the repository uses, and replayed
 * seeds depend on this exact stream (test/fault-torture.test.ts, seed 20250101, draws FaultVfs's
 * dice from it), so it stays mulberry32. Only 32-bit integer arithmetic: the same seed gives the
 * same stream on every machine.
 */

/**
 * A generator of uniform 32-bit unsigned integers from `seed` (reduced to 32 bits).
 * @example
 * ```ts
 * const next = mulberry32(42)
 * const word = next() // same value for seed 42 everywhere
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** A generator of floats in [0, 1) from `seed`: each is one mulberry32 output over 2^32. */
export function mulberry32Float(seed: number): () => number {
  const next = mulberry32(seed)
  return () => next() / 2 ** 32
}
