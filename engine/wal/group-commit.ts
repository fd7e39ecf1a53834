/**
 * GroupCommit folds concurrent sync requests into few fsyncs. At most one fsync ("round") is in
 * flight. A request whose bytes the in-flight round already covers joins it; a request with
 * bytes appended after that round started waits for the next round, which starts when the
 * current one ends and covers everything appended by then. So N concurrent writers pay about
 * two fsyncs, not N (an fsync costs ~220 µs here, capping lone syncs near 4.5k/s,
 * js-building-blocks.md §2).
 *
 * A failed round rejects every request it covered and every request waiting for the next one
 * with the same IO_ERROR, and the commit stays failed: after a failed fsync nobody can know
 * which appended bytes reached the disk (the kernel may even drop the dirty pages), so the
 * owner must refuse further writes. Single-threaded use from one event loop.
 */
import { StrataError, ioError, isStrataError } from '../errors.ts'

interface Deferred {
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Options of a GroupCommit. */
export interface GroupCommitOptions {
  /** Makes durable every byte appended before the call (one fsync, maybe plus a directory sync). */
  syncOnce: () => Promise<void>
  /** Bytes appended so far: the mark a round covers once it succeeds. */
  appendedBytes: () => number
  /** Names the file in errors. */
  path: string
}

/** Coalesces sync requests; see the file comment. */
export class GroupCommit {
  readonly #options: GroupCommitOptions
  #syncedBytes = -1
  #inFlight: Promise<void> | null = null
  #inFlightCoversBytes = 0
  #next: Deferred | null = null
  #failure: StrataError | null = null
  #roundCount = 0

  constructor(options: GroupCommitOptions) {
    this.#options = options
  }

  /** The error that failed this commit, or null while healthy. */
  get failure(): StrataError | null {
    return this.#failure
  }

  /** How many fsync rounds were started (for tests and stats). */
  get roundCount(): number {
    return this.#roundCount
  }

  /** Resolves once every byte appended before this call is durable. */
  request(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure)
    const appendedBytes = this.#options.appendedBytes()
    if (this.#inFlight === null) {
      if (appendedBytes <= this.#syncedBytes) return Promise.resolve()
      return this.#startRound()
    }
    if (appendedBytes <= this.#inFlightCoversBytes) return this.#inFlight
    this.#next ??= deferred()
    return this.#next.promise
  }

  #startRound(): Promise<void> {
    // Read the mark before calling syncOnce: the fsync covers at least these bytes.
    const coversBytes = this.#options.appendedBytes()
    this.#inFlightCoversBytes = coversBytes
    this.#roundCount++
    const round = this.#options.syncOnce().then(
      () => {
        this.#syncedBytes = Math.max(this.#syncedBytes, coversBytes)
        this.#finishRound()
      },
      (error: unknown) => {
        this.#failure = isStrataError(error, 'IO_ERROR') ? error : ioError('sync', this.#options.path, error)
        this.#finishRound()
        throw this.#failure
      },
    )
    this.#inFlight = round
    return round
  }

  #finishRound(): void {
    this.#inFlight = null
    const next = this.#next
    this.#next = null
    if (next === null) return
    if (this.#failure !== null) next.reject(this.#failure)
    else this.#startRound().then(next.resolve, next.reject)
  }
}
