/**
 * Peak resident set size during a phase. On Linux the kernel's own high-water mark is exact:
 * writing "5" to /proc/self/clear_refs resets VmHWM at the start of the phase, and VmHWM in
 * /proc/self/status at its end is the phase's peak, including spikes inside a synchronous native
 * call that no JS timer can see. (getrusage's maxRSS only ever grows over the life of the
 * process, so it cannot isolate a phase.) Where that is unavailable, RSS is sampled every 20 ms.
 * The result is max(kernel peak when available, samples, RSS at start, RSS at stop).
 */
import fs from 'node:fs'

const SAMPLE_INTERVAL_MS = 20

/** Resets the kernel's peak-RSS mark for this process; false where the kernel does not allow it. */
function resetKernelPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

/** VmHWM from /proc/self/status, bytes; undefined when absent. */
function kernelPeakBytes(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))
    return match === null ? undefined : Number(match[1]) * 1024
  } catch {
    return undefined
  }
}

export class RssSampler {
  #peakBytes = 0
  #startBytes = 0
  #timer: NodeJS.Timeout | undefined
  #kernelPeak = false

  start(): void {
    this.#kernelPeak = resetKernelPeak()
    this.#startBytes = process.memoryUsage.rss()
    this.#peakBytes = this.#startBytes
    this.#timer = setInterval(() => this.#sample(), SAMPLE_INTERVAL_MS)
    this.#timer.unref()
  }

  /** Stops sampling and returns the peak, bytes. */
  stop(): number {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#sample()
    if (this.#kernelPeak) this.#peakBytes = Math.max(this.#peakBytes, kernelPeakBytes() ?? 0)
    return this.#peakBytes
  }

  /** RSS when the last start() ran, bytes: the phase's peak above it is the phase's own. */
  get startBytes(): number {
    return this.#startBytes
  }

  /** Whether the last start() could use the kernel's exact peak (else the peak is sampled). */
  get exact(): boolean {
    return this.#kernelPeak
  }

  #sample(): void {
    const rss = process.memoryUsage.rss()
    if (rss > this.#peakBytes) this.#peakBytes = rss
  }
}
