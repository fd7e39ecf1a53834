/**
 * MergingIterator: one internal-order stream over several sources (memtables, tables, levels).
 * Sources never share an internal key (key, seqno) because seqnos are unique, so there are no
 * ties. It picks the smallest (forward) or largest (backward) child by a linear scan: with the
 * ~5–15 sources of a tree that costs ~10 string comparisons (~9 ns each, js-building-blocks.md
 * §1), less than a heap's bookkeeping. Switching direction repositions the other children
 * around the current key, as LevelDB's MergingIterator does.
 */
import { compareInternal, type EntryKind } from '../entry.ts'
import type { InternalIterator } from './internal-iterator.ts'

export class MergingIterator implements InternalIterator {
  readonly #children: InternalIterator[]
  #current: InternalIterator | undefined = undefined
  #forward = true

  constructor(children: InternalIterator[]) {
    this.#children = children
  }

  #pickSmallest(): void {
    let best: InternalIterator | undefined
    for (const child of this.#children) {
      if (!child.valid()) continue
      if (best === undefined || compareInternal(child.key(), child.seqno(), best.key(), best.seqno()) < 0) best = child
    }
    this.#current = best
  }

  #pickLargest(): void {
    let best: InternalIterator | undefined
    for (const child of this.#children) {
      if (!child.valid()) continue
      if (best === undefined || compareInternal(child.key(), child.seqno(), best.key(), best.seqno()) > 0) best = child
    }
    this.#current = best
  }

  valid(): boolean {
    return this.#current !== undefined && this.#current.valid()
  }
  seekToFirst(): void {
    for (const child of this.#children) child.seekToFirst()
    this.#forward = true
    this.#pickSmallest()
  }
  seekToLast(): void {
    for (const child of this.#children) child.seekToLast()
    this.#forward = false
    this.#pickLargest()
  }
  seek(key: string): void {
    for (const child of this.#children) child.seek(key)
    this.#forward = true
    this.#pickSmallest()
  }
  seekForPrev(key: string): void {
    for (const child of this.#children) child.seekForPrev(key)
    this.#forward = false
    this.#pickLargest()
  }

  next(): void {
    const current = this.#current!
    if (!this.#forward) {
      // Every other child sits at or before the current entry: move each to the first entry after it.
      const key = current.key()
      const seqno = current.seqno()
      for (const child of this.#children) {
        if (child === current) continue
        child.seek(key)
        while (child.valid() && compareInternal(child.key(), child.seqno(), key, seqno) <= 0) child.next()
      }
      this.#forward = true
    }
    current.next()
    this.#pickSmallest()
  }

  prev(): void {
    const current = this.#current!
    if (this.#forward) {
      // Every other child sits after the current entry: move each to the last entry before it.
      const key = current.key()
      const seqno = current.seqno()
      for (const child of this.#children) {
        if (child === current) continue
        child.seekForPrev(key)
        while (child.valid() && compareInternal(child.key(), child.seqno(), key, seqno) >= 0) child.prev()
      }
      this.#forward = false
    }
    current.prev()
    this.#pickLargest()
  }

  key(): string {
    return this.#current!.key()
  }
  seqno(): number {
    return this.#current!.seqno()
  }
  kind(): EntryKind {
    return this.#current!.kind()
  }
  value(): Uint8Array {
    return this.#current!.value()
  }
  checksum(): number {
    return this.#current!.checksum()
  }
  close(): void {
    for (const child of this.#children) child.close()
    this.#current = undefined
  }
}
