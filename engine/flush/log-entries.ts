/**
 * LogEntries: a frozen memtable rebuilt from its log for a flush, as flat arrays sorted once
 * in internal order (key ascending, seqno descending). The flush worker fills it instead of a
 * Memtable: one sort of an index array is cheaper than a B+tree insert per entry, and no reader
 * looks at it before it is complete. It yields the entries the memtable would, in the same
 * order, so the table written from it is the same (flush-worker.test.ts compares the bytes).
 */
import assert from 'node:assert/strict'
import type { EntryKind, RangeTombstone } from '../entry.ts'
import type { InternalIterator } from '../iterator/internal-iterator.ts'
import type { FlushSource } from '../table-outputs.ts'
import type { ReplayTarget } from '../memtable/replay.ts'

export class LogEntries implements FlushSource, ReplayTarget {
  readonly rangeTombstones: RangeTombstone[] = []
  readonly #keys: string[] = []
  readonly #seqnos: number[] = []
  readonly #kinds: EntryKind[] = []
  readonly #values: Uint8Array[] = []
  /** Entry indexes in internal order; set by sort(). */
  #order: Uint32Array | undefined
  #smallestSeqno = Number.POSITIVE_INFINITY
  #largestSeqno = 0

  get entryCount(): number {
    return this.#keys.length
  }
  get smallestSeqno(): number {
    return this.#smallestSeqno
  }
  get largestSeqno(): number {
    return this.#largestSeqno
  }

  add(key: string, seqno: number, kind: EntryKind, value: Uint8Array): void {
    assert(this.#order === undefined, 'add() after sort()')
    this.#keys.push(key)
    this.#seqnos.push(seqno)
    this.#kinds.push(kind)
    this.#values.push(value)
    this.#noteSeqno(seqno)
  }

  addRangeTombstone(tombstone: RangeTombstone): void {
    assert(this.#order === undefined, 'addRangeTombstone() after sort()')
    this.rangeTombstones.push(tombstone)
    this.#noteSeqno(tombstone.seqno)
  }

  #noteSeqno(seqno: number): void {
    if (seqno < this.#smallestSeqno) this.#smallestSeqno = seqno
    if (seqno > this.#largestSeqno) this.#largestSeqno = seqno
  }

  /** Orders the entries (once every record is in); iterator() needs it. */
  sort(): void {
    const keys = this.#keys
    const seqnos = this.#seqnos
    const order = Uint32Array.from({ length: keys.length }, (_, index) => index)
    order.sort((a, b) => {
      const keyA = keys[a]
      const keyB = keys[b]
      return keyA < keyB ? -1 : keyA > keyB ? 1 : seqnos[b] - seqnos[a]
    })
    this.#order = order
  }

  iterator(): InternalIterator {
    assert(this.#order !== undefined, 'iterator() before sort()')
    return new LogEntriesIterator(this.#order, this.#keys, this.#seqnos, this.#kinds, this.#values)
  }
}

/** Walks the sorted order; a position is an index into it (valid within [0, length)). */
class LogEntriesIterator implements InternalIterator {
  readonly #order: Uint32Array
  readonly #keys: string[]
  readonly #seqnos: number[]
  readonly #kinds: EntryKind[]
  readonly #values: Uint8Array[]
  #position = -1

  constructor(order: Uint32Array, keys: string[], seqnos: number[], kinds: EntryKind[], values: Uint8Array[]) {
    this.#order = order
    this.#keys = keys
    this.#seqnos = seqnos
    this.#kinds = kinds
    this.#values = values
  }

  /** First position whose key is >= key (`inclusive`) or > key. */
  #bound(key: string, inclusive: boolean): number {
    let low = 0
    let high = this.#order.length
    while (low < high) {
      const middle = (low + high) >>> 1
      const found = this.#keys[this.#order[middle]]
      if (found < key || (!inclusive && found === key)) low = middle + 1
      else high = middle
    }
    return low
  }

  valid(): boolean {
    return this.#position >= 0 && this.#position < this.#order.length
  }
  seekToFirst(): void {
    this.#position = 0
  }
  seekToLast(): void {
    this.#position = this.#order.length - 1
  }
  seek(key: string): void {
    this.#position = this.#bound(key, true)
  }
  seekForPrev(key: string): void {
    // The oldest version of the largest key <= key: the entry before the first larger key.
    this.#position = this.#bound(key, false) - 1
  }
  next(): void {
    this.#position++
  }
  prev(): void {
    this.#position--
  }
  key(): string {
    return this.#keys[this.#order[this.#position]]
  }
  seqno(): number {
    return this.#seqnos[this.#order[this.#position]]
  }
  kind(): EntryKind {
    return this.#kinds[this.#order[this.#position]]
  }
  value(): Uint8Array {
    return this.#values[this.#order[this.#position]]
  }
  close(): void {
    this.#position = -1
  }
}
