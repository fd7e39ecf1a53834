/**
 * Value-size distributions: fixed, uniform over a range, and the generalized Pareto tail observed in
 * production key-value traces. Sizes are whole bytes, at least 1, clamped to `maxBytes`.
 *
 * The heavy-tailed default comes from Atikoglu, Xu, Frachtenberg, Jiang and Paleczny, "Workload
 * Analysis of a Large-Scale Key-Value Store", SIGMETRICS 2012, §5.1 / Table 5: the value sizes of
 * Facebook's memcached ETC pool fit a generalized Pareto distribution with location θ = 0,
 * scale σ = 214.476 and shape k = 0.348238 (mean σ/(1−k) ≈ 329 B). The same fit drives
 * RocksDB's `db_bench -value_size_distribution_type` and Mutant/YCSB variants.
 */
import type { Prng } from './prng.ts'

/** Atikoglu et al. 2012, ETC pool value sizes (Table 5). */
export const ETC_VALUE_SIZE = { shapeK: 0.348238, scaleSigma: 214.476, locationTheta: 0 } as const

/** Keeps one value from exceeding what every engine accepts in one call. */
export const VALUE_SIZE_BYTES_MAX = 64 * 1024 * 1024

export type ValueSizeSpec =
  | { kind: 'fixed'; sizeBytes: number }
  | { kind: 'uniform'; minBytes: number; maxBytes: number }
  | { kind: 'pareto'; shapeK: number; scaleSigma: number; locationTheta: number; maxBytes: number }

/** Draws value sizes. */
export interface ValueSizer {
  readonly spec: ValueSizeSpec
  next(): number
  /** The largest size `next()` can return. */
  readonly maxBytes: number
  /** The distribution's mean before clamping and rounding, bytes. */
  readonly meanBytes: number
}

/**
 * Creates a sizer for `spec`.
 * @example
 * ```ts
 * const sizes = createValueSizer({ kind: 'pareto', ...ETC_VALUE_SIZE, maxBytes: 1 << 20 }, Prng.derive(1, 'sizes'))
 * sizes.next() // a size drawn from the ETC fit
 * ```
 */
export function createValueSizer(spec: ValueSizeSpec, prng: Prng): ValueSizer {
  switch (spec.kind) {
    case 'fixed': {
      checkSize(spec.sizeBytes, 'fixed size', 0)
      return { spec, maxBytes: spec.sizeBytes, meanBytes: spec.sizeBytes, next: () => spec.sizeBytes }
    }
    case 'uniform': {
      checkSize(spec.minBytes, 'uniform minimum', 0)
      checkSize(spec.maxBytes, 'uniform maximum', spec.minBytes)
      const span = spec.maxBytes - spec.minBytes + 1
      return { spec, maxBytes: spec.maxBytes, meanBytes: (spec.minBytes + spec.maxBytes) / 2, next: () => spec.minBytes + prng.nextBelow(span) }
    }
    case 'pareto': {
      const { shapeK, scaleSigma, locationTheta, maxBytes } = spec
      if (!(shapeK > -1 && shapeK < 1 && shapeK !== 0)) throw new RangeError(`Pareto shape k must be in (-1, 1) and not 0, got ${shapeK}`)
      if (!(scaleSigma > 0)) throw new RangeError(`Pareto scale sigma must be > 0, got ${scaleSigma}`)
      checkSize(maxBytes, 'Pareto maximum', 1)
      // Inverse CDF of the GPD: x = θ + σ((1−u)^(−k) − 1)/k.
      const next = (): number => {
        const u = prng.nextFloat()
        const size = locationTheta + (scaleSigma * (Math.pow(1 - u, -shapeK) - 1)) / shapeK
        return Math.min(maxBytes, Math.max(1, Math.round(size)))
      }
      return { spec, maxBytes, meanBytes: locationTheta + scaleSigma / (1 - shapeK), next }
    }
  }
}

/** Parses `N` or `fixed:N`, `uniform:MIN-MAX`, `pareto[:MAX]` (the ETC fit), `pareto:K,SIGMA[,THETA][:MAX]`. */
export function parseValueSize(text: string): ValueSizeSpec {
  const fail = (): never => {
    throw new RangeError(`Bad value size '${text}': expected N, fixed:N, uniform:MIN-MAX, pareto[:MAX] or pareto:K,SIGMA[,THETA][:MAX] (bytes)`)
  }
  if (/^\d+$/.test(text)) return { kind: 'fixed', sizeBytes: Number(text) }
  const parts = text.split(':')
  if (parts[0] === 'fixed' && parts.length === 2 && /^\d+$/.test(parts[1])) return { kind: 'fixed', sizeBytes: Number(parts[1]) }
  if (parts[0] === 'uniform' && parts.length === 2) {
    const match = /^(\d+)-(\d+)$/.exec(parts[1]) ?? fail()
    return { kind: 'uniform', minBytes: Number(match[1]), maxBytes: Number(match[2]) }
  }
  if (parts[0] === 'pareto') {
    let fit: { shapeK: number; scaleSigma: number; locationTheta: number } = { ...ETC_VALUE_SIZE }
    let maxBytes = 1024 * 1024
    for (const part of parts.slice(1)) {
      if (/^\d+$/.test(part)) maxBytes = Number(part)
      else {
        const numbers = part.split(',').map(Number)
        if (numbers.length < 2 || numbers.length > 3 || numbers.some((n) => !Number.isFinite(n))) fail()
        fit = { shapeK: numbers[0], scaleSigma: numbers[1], locationTheta: numbers[2] ?? 0 }
      }
    }
    return { kind: 'pareto', ...fit, maxBytes }
  }
  return fail()
}

/** A short label for result files: `256`, `uniform:100-1000`, `pareto:0.348238,214.476,0:1048576`. */
export function describeValueSize(spec: ValueSizeSpec): string {
  switch (spec.kind) {
    case 'fixed': return String(spec.sizeBytes)
    case 'uniform': return `uniform:${spec.minBytes}-${spec.maxBytes}`
    case 'pareto': return `pareto:${spec.shapeK},${spec.scaleSigma},${spec.locationTheta}:${spec.maxBytes}`
  }
}

function checkSize(sizeBytes: number, what: string, minBytes: number): void {
  if (!Number.isInteger(sizeBytes) || sizeBytes < minBytes || sizeBytes > VALUE_SIZE_BYTES_MAX) {
    throw new RangeError(`Value ${what} must be an integer in [${minBytes}, ${VALUE_SIZE_BYTES_MAX}] bytes, got ${sizeBytes}`)
  }
}
