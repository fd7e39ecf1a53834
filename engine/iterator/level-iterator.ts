/**
 * LevelIterator: walks the tables of one sorted level (L1 and deeper) as a single stream,
 * opening one table iterator at a time. Tables of such a level are sorted by key and never
 * share a user key (compaction splits output only between user keys), so the stream is the
 * concatenation of the tables' streams.
 */
import type { EntryKind } from '../entry.ts'
import type { InternalIterator } from './internal-iterator.ts'

/** The key range of one table of the level. */
export interface LevelFile {
  smallestKey: string
  largestKey: string
}

export class LevelIterator implements InternalIterator {
  readonly #files: readonly LevelFile[]
  readonly #open: (fileIndex: number) => InternalIterator
  #fileIndex = -1
  #table: InternalIterator | undefined = undefined

  /** `open(i)` returns a fresh iterator over the i-th file; it is closed when left. */
  constructor(files: readonly LevelFile[], open: (fileIndex: number) => InternalIterator) {
    this.#files = files
    this.#open = open
  }

  #openFile(fileIndex: number): InternalIterator | undefined {
    if (fileIndex === this.#fileIndex && this.#table !== undefined) return this.#table
    this.#table?.close()
    this.#table = undefined
    this.#fileIndex = fileIndex
    if (fileIndex < 0 || fileIndex >= this.#files.length) return undefined
    this.#table = this.#open(fileIndex)
    return this.#table
  }

  /** Index of the first file whose largest key is >= key. */
  #firstFileEndingAtOrAfter(key: string): number {
    let low = 0
    let high = this.#files.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#files[middle].largestKey < key) low = middle + 1
      else high = middle
    }
    return low
  }

  #skipForward(): void {
    while (this.#table !== undefined && !this.#table.valid()) {
      const table = this.#openFile(this.#fileIndex + 1)
      table?.seekToFirst()
    }
  }

  #skipBackward(): void {
    while (this.#table !== undefined && !this.#table.valid()) {
      const table = this.#openFile(this.#fileIndex - 1)
      table?.seekToLast()
    }
  }

  valid(): boolean {
    return this.#table !== undefined && this.#table.valid()
  }
  seekToFirst(): void {
    this.#openFile(0)?.seekToFirst()
    this.#skipForward()
  }
  seekToLast(): void {
    this.#openFile(this.#files.length - 1)?.seekToLast()
    this.#skipBackward()
  }
  seek(key: string): void {
    this.#openFile(this.#firstFileEndingAtOrAfter(key))?.seek(key)
    this.#skipForward()
  }
  seekForPrev(key: string): void {
    // The last file whose smallest key is <= key holds the answer, if any file does.
    let low = 0
    let high = this.#files.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#files[middle].smallestKey <= key) low = middle + 1
      else high = middle
    }
    this.#openFile(low - 1)?.seekForPrev(key)
    this.#skipBackward()
  }
  next(): void {
    this.#table!.next()
    this.#skipForward()
  }
  prev(): void {
    this.#table!.prev()
    this.#skipBackward()
  }
  key(): string {
    return this.#table!.key()
  }
  seqno(): number {
    return this.#table!.seqno()
  }
  kind(): EntryKind {
    return this.#table!.kind()
  }
  value(): Uint8Array {
    return this.#table!.value()
  }
  checksum(): number {
    return this.#table!.checksum()
  }
  close(): void {
    this.#openFile(-1)
  }
}
