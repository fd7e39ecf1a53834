/**
 * Peak resident set size during a phase. Sampled every 20 ms (the kernel's own high-water mark,
 * getrusage maxRSS, only ever grows over the life of the process, so it cannot isolate one phase);
 * the result is max(samples, RSS at start, RSS at stop). In a process that runs one engine only,
 * the caller may also take maxRSS.
 */
const SAMPLE_INTERVAL_MS = 20

export class RssSampler {
  #peakBytes = 0
  #timer: NodeJS.Timeout | undefined

  start(): void {
    this.#peakBytes = process.memoryUsage.rss()
    this.#timer = setInterval(() => this.#sample(), SAMPLE_INTERVAL_MS)
    this.#timer.unref()
  }

  /** Stops sampling and returns the peak, bytes. */
  stop(): number {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#sample()
    return this.#peakBytes
  }

  #sample(): void {
    const rss = process.memoryUsage.rss()
    if (rss > this.#peakBytes) this.#peakBytes = rss
  }
}
