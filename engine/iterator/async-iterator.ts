/**
 * The public iterator: an async iterable of [key, value] pairs over a DbIterator. Stepping is
 * synchronous underneath (tables are read with readSync), so each `next()` costs one resolved
 * promise (~0.1 µs, js-building-blocks.md §5). `nextSync()` skips even that for callers that
 * can use it (the abstract-level adapter).
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

  /** The next entry, or undefined at the end; synchronous. Closes itself at the end. */
  nextSync(): [Buffer, Buffer] | undefined {
    this.#check()
    const entry = this.#inner.next()
    if (entry === undefined) {
      this.closeSync()
      return undefined
    }
    const value = this.#readValue === undefined ? Buffer.alloc(0) : this.#readValue(entry)
    return [toCallerKey(entry.key), value]
  }

  /** The next `[key, value]` pair; `done` at the end, after which the iterator is closed. @throws {StrataError} `CLOSED` when the database was closed meanwhile. */
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
