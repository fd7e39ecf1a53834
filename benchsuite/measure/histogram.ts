/**
 * A latency histogram in the HDR style: log-linear buckets (exact below 128 ns, then 64
 * sub-buckets per power of two, so a reported percentile is off by under 1/64 ≈ 1.6%), constant memory, O(1) record. Values
 * are nanoseconds; percentiles come back in microseconds. min, max, sum and count are exact.
 */
import type { LatencyUs } from '../result/schema.ts'

/** Values below this are exact (one bucket each). */
const LINEAR_LIMIT_NS = 128
/** Sub-buckets per power of two above the linear range: relative error under 1/64 ≈ 1.6%. */
const SUB_BUCKET_COUNT = 64
/** Powers of two kept above the linear range: up to 2^50 ns (13 days), far beyond any op. */
const EXPONENT_COUNT = 44
const BUCKET_COUNT = LINEAR_LIMIT_NS + SUB_BUCKET_COUNT * EXPONENT_COUNT

export class LatencyHistogram {
  #counts = new Float64Array(BUCKET_COUNT)
  #count = 0
  #sumNs = 0
  #minNs = Infinity
  #maxNs = 0

  /** Records one operation that took `durationNs` nanoseconds (negative clamps to 0). */
  recordNs(durationNs: number): void {
    const value = durationNs > 0 ? Math.round(durationNs) : 0
    this.#counts[bucketIndex(value)]++
    this.#count++
    this.#sumNs += value
    if (value < this.#minNs) this.#minNs = value
    if (value > this.#maxNs) this.#maxNs = value
  }

  get count(): number {
    return this.#count
  }

  /** Adds every sample of `other` (for concurrent clients that kept their own). */
  merge(other: LatencyHistogram): void {
    const counts = other.#counts
    for (let index = 0; index < counts.length; index++) this.#counts[index] += counts[index]
    this.#count += other.#count
    this.#sumNs += other.#sumNs
    this.#minNs = Math.min(this.#minNs, other.#minNs)
    this.#maxNs = Math.max(this.#maxNs, other.#maxNs)
  }

  /** The value at quantile q in [0, 1], nanoseconds: the upper edge of its bucket, capped at max. */
  quantileNs(q: number): number {
    if (this.#count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.#count))
    let seen = 0
    for (let index = 0; index < this.#counts.length; index++) {
      seen += this.#counts[index]
      if (seen >= rank) return Math.min(this.#maxNs, Math.max(this.#minNs, bucketUpperNs(index)))
    }
    return this.#maxNs
  }

  /** The summary the result file stores. */
  summaryUs(): LatencyUs {
    const us = (ns: number): number => Math.round(ns) / 1000
    return {
      p50: us(this.quantileNs(0.5)),
      p95: us(this.quantileNs(0.95)),
      p99: us(this.quantileNs(0.99)),
      p999: us(this.quantileNs(0.999)),
      max: us(this.#maxNs),
      mean: this.#count === 0 ? 0 : us(this.#sumNs / this.#count),
      count: this.#count,
    }
  }
}

function bucketIndex(value: number): number {
  if (value < LINEAR_LIMIT_NS) return value
  let exponent = Math.floor(Math.log2(value)) - 6 // so value / 2^exponent lands in [64, 128)
  if (Math.floor(value / 2 ** exponent) >= 128) exponent++
  if (Math.floor(value / 2 ** exponent) < 64) exponent--
  if (exponent > EXPONENT_COUNT) return BUCKET_COUNT - 1
  const mantissa = Math.floor(value / 2 ** exponent)
  return LINEAR_LIMIT_NS + (exponent - 1) * SUB_BUCKET_COUNT + (mantissa - 64)
}

/** Largest value that lands in bucket `index`. */
function bucketUpperNs(index: number): number {
  if (index < LINEAR_LIMIT_NS) return index
  const exponent = Math.floor((index - LINEAR_LIMIT_NS) / SUB_BUCKET_COUNT) + 1
  const mantissa = ((index - LINEAR_LIMIT_NS) % SUB_BUCKET_COUNT) + 64
  return (mantissa + 1) * 2 ** exponent - 1
}
