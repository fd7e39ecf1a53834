/**
 * PatrolScrub: runs a scrub pass every `intervalMs` in the background, so latent damage (bit
 * rot in a table nobody has read lately) is found, and with ECC and autoHeal repaired, before a
 * read meets it. One pass at a time; the timer is unref'd so an idle database does not keep the
 * process alive, and `stop()` waits for a running pass to end.
 */
import { StrataError } from '../errors.ts'
import { SCRUB_INTERVAL_MS_MAX, SCRUB_INTERVAL_MS_MIN } from './limits.ts'

/** Validates the `scrubIntervalMs` option: 0 (off) or an interval in range. */
export function checkScrubInterval(intervalMs: number): number {
  if (intervalMs === 0) return 0
  if (!Number.isInteger(intervalMs) || intervalMs < SCRUB_INTERVAL_MS_MIN || intervalMs > SCRUB_INTERVAL_MS_MAX) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot open: option scrubIntervalMs must be 0 (off) or an integer in [${SCRUB_INTERVAL_MS_MIN}, ${SCRUB_INTERVAL_MS_MAX}], got ${String(intervalMs)}`)
  }
  return intervalMs
}

export class PatrolScrub {
  readonly #intervalMs: number
  readonly #runPass: () => Promise<void>
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false

  /** `runPass` must not throw (failures are the pass's to record). */
  constructor(intervalMs: number, runPass: () => Promise<void>) {
    this.#intervalMs = intervalMs
    this.#runPass = runPass
  }

  start(): void {
    if (this.#stopped || this.#timer !== undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#running = this.#runPass().finally(() => {
        this.#running = undefined
        this.start()
      })
    }, this.#intervalMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running
  }
}
