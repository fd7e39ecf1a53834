/**
 * The public iterator: an async iterable of [key, value] pairs over a DbIterator. Stepping is
 * synchronous underneath (tables are read with readSync), so each `next()` costs one resolved
 * promise (~0.1 µs, js-building-blocks.md §5). `nextSync()` skips even that for callers that
 * can use it (the abstract-level adapter).
 *
 * A value that fails to read (a damaged blob, a streamed value past `streamGetSizeBytesMax`) fails
 * that step only: the iterator has already moved past the entry, so the next step returns the
 * entry after it. Skipping rather than retrying is what lets a salvage loop read every value that
 * still reads (a damaged blob fails every retry); the error names the skipped key in
 * `details.keyHex`, so a caller that wants to retry (a transient IO_ERROR) seeks back to it.
 */
import { Buffer } from 'node:buffer'
import { StrataError } from '../errors.ts'
import { toCallerKey, toInternalKey, type BytesLike } from '../keys.ts'
import type { DbIterator, VisibleEntry } from './db-iterator.ts'

/** Turns a visible entry into the value a caller sees (resolves blob handles, copies bytes). */
export type ValueReader = (entry: VisibleEntry) => Buffer

/** An open iterator; close it (or finish the loop) to release the files it pins. */
export class StrataIterator implements AsyncIterableIterator<[Buffer, Buffer]> {
  readonly #inner: DbIterator
  readonly #readValue: ValueReader | undefined
  readonly #onClose: () => void
  readonly #isDbOpen: () => boolean
  #closed = false

  /** @internal Created by `db.iterator()`. `readValue` undefined: keys only, values come back empty and blob files are never read. */
  constructor(inner: DbIterator, readValue: ValueReader | undefined, isDbOpen: () => boolean, onClose: () => void) {
    this.#inner = inner
    this.#readValue = readValue
    this.#isDbOpen = isDbOpen
    this.#onClose = onClose
  }

  #check(): void {
    if (this.#closed) throw new StrataError('CLOSED', 'Cannot read iterator: it is closed')
    if (!this.#isDbOpen()) throw new StrataError('CLOSED', 'Cannot read iterator: database is closed')
  }

  /**
   * The next entry, or undefined at the end; synchronous. Closes itself at the end.
   * @throws {StrataError} `CLOSED`; when the entry's value fails to read, that error with the
   * key in `details.keyHex`: the entry is skipped, the next call returns the one after it.
   */
  nextSync(): [Buffer, Buffer] | undefined {
    this.#check()
    const entry = this.#inner.next()
    if (entry === undefined) {
      this.closeSync()
      return undefined
    }
    const value = this.#readValue === undefined ? Buffer.alloc(0) : this.#valueOf(entry, this.#readValue)
    return [toCallerKey(entry.key), value]
  }

  #valueOf(entry: VisibleEntry, readValue: ValueReader): Buffer {
    try {
      return readValue(entry)
    } catch (error) {
      if (!(error instanceof StrataError) || error.details.keyHex !== undefined) throw error
      // Not every value-read error knows its key (VALUE_TOO_LARGE, a missing blob file): the
      // iterator does, and a caller told the entry was skipped needs to know which one.
      const keyHex = Buffer.from(entry.key, 'latin1').toString('hex')
      throw new StrataError(error.code, error.message, { cause: error, details: { ...error.details, keyHex } })
    }
  }

  /**
   * The next `[key, value]` pair; `done` at the end, after which the iterator is closed.
   * A rejection leaves the iterator open (a `for await` loop does not call `return()` when
   * `next()` rejects): close it in a `finally`.
   * @throws {StrataError} as `nextSync()`: `CLOSED` when the database was closed meanwhile; a
   * value read error skips that entry.
   */
  async next(): Promise<IteratorResult<[Buffer, Buffer]>> {
    if (this.#closed) return { done: true, value: undefined }
    const entry = this.nextSync()
    return entry === undefined ? { done: true, value: undefined } : { done: false, value: entry }
  }

  /** Repositions: the next entry is the first key >= target (last key <= target in reverse). */
  seek(target: BytesLike): void {
    this.#check()
    this.#inner.seek(toInternalKey(target, 'seek iterator'))
  }

  /** Releases the files the iterator pins. Idempotent. */
  closeSync(): void {
    if (this.#closed) return
    this.#closed = true
    this.#inner.close()
    this.#onClose()
  }

  /** `closeSync()` as a promise, for `await`-style callers. Idempotent. */
  async close(): Promise<void> {
    this.closeSync()
  }

  /** Called by `for await` when the loop exits early (break, throw): closes the iterator. */
  async return(): Promise<IteratorResult<[Buffer, Buffer]>> {
    this.closeSync()
    return { done: true, value: undefined }
  }

  /** The iterator itself, so it works in `for await`. */
  [Symbol.asyncIterator](): this {
    return this
  }
}
