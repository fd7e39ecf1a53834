/**
 * FrozenEntries: a frozen memtable's versions in internal order as flat arrays, the form in
 * which a flush job crosses to the worker thread. Values are packed into one buffer and the
 * typed arrays are transferred (not copied) by postMessage; only the key strings are cloned.
 * Packing costs one pass and one memcpy of the values, far less than building the table
 * (block encode, filter hashing, checksums), which is what moves to the second core.
 */
import type { EntryKind, RangeTombstone } from '../entry.ts'
import type { InternalIterator } from '../iterator/internal-iterator.ts'
import type { Memtable } from '../memtable/memtable.ts'
import type { FlushSource } from '../table-outputs.ts'

export interface FrozenEntries {
  /** One per version, in internal order (key ascending, seqno descending). */
  keys: string[]
  seqnos: Float64Array
  kinds: Uint8Array
  /** All values back to back; version i's value ends at valueEnds[i]. */
  values: Uint8Array
  valueEnds: Float64Array
  rangeTombstones: RangeTombstone[]
}

/** Packs a frozen memtable. */
export function packMemtable(memtable: Memtable): FrozenEntries {
  const count = memtable.entryCount
  const keys: string[] = new Array(count)
  const seqnos = new Float64Array(count)
  const kinds = new Uint8Array(count)
  const valueEnds = new Float64Array(count)
  const parts: Uint8Array[] = new Array(count)
  let total = 0
  let index = 0
  const iterator = memtable.iterator()
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
    keys[index] = iterator.key()
    seqnos[index] = iterator.seqno()
    kinds[index] = iterator.kind()
    const value = iterator.value()
    parts[index] = value
    total += value.length
    valueEnds[index] = total
    index++
  }
  iterator.close()
  if (index !== count) throw new Error(`packMemtable: walked ${index} versions, memtable holds ${count}`)
  const values = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    values.set(part, offset)
    offset += part.length
  }
  return { keys, seqnos, kinds, values, valueEnds, rangeTombstones: memtable.rangeTombstones.slice() }
}

/** The buffers postMessage should transfer. */
export function transferList(entries: FrozenEntries): ArrayBuffer[] {
  return [entries.seqnos.buffer, entries.kinds.buffer, entries.values.buffer, entries.valueEnds.buffer] as ArrayBuffer[]
}

/** FrozenEntries as a flush source (in the worker). */
export class FrozenEntriesSource implements FlushSource {
  readonly #entries: FrozenEntries
  readonly rangeTombstones: readonly RangeTombstone[]

  constructor(entries: FrozenEntries) {
    this.#entries = entries
    this.rangeTombstones = entries.rangeTombstones
  }

  iterator(): InternalIterator {
    return new FrozenEntriesIterator(this.#entries)
  }
}

/** Forward and backward over the packed arrays; seeks by binary search on keys. */
class FrozenEntriesIterator implements InternalIterator {
  readonly #e: FrozenEntries
  #index = -1

  constructor(entries: FrozenEntries) {
    this.#e = entries
  }

  #lowerBound(key: string): number {
    let low = 0
    let high = this.#e.keys.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#e.keys[middle] < key) low = middle + 1
      else high = middle
    }
    return low
  }

  valid(): boolean {
    return this.#index >= 0 && this.#index < this.#e.keys.length
  }
  seekToFirst(): void {
    this.#index = 0
  }
  seekToLast(): void {
    this.#index = this.#e.keys.length - 1
  }
  seek(key: string): void {
    this.#index = this.#lowerBound(key)
  }
  seekForPrev(key: string): void {
    // Last version of the last key <= key: one before the first key > key.
    let low = this.#lowerBound(key)
    while (low < this.#e.keys.length && this.#e.keys[low] === key) low++
    this.#index = low - 1
  }
  next(): void {
    this.#index++
  }
  prev(): void {
    this.#index--
  }
  key(): string {
    return this.#e.keys[this.#index]
  }
  seqno(): number {
    return this.#e.seqnos[this.#index]
  }
  kind(): EntryKind {
    return this.#e.kinds[this.#index] as EntryKind
  }
  value(): Uint8Array {
    const end = this.#e.valueEnds[this.#index]
    const start = this.#index === 0 ? 0 : this.#e.valueEnds[this.#index - 1]
    return this.#e.values.subarray(start, end)
  }
  close(): void {
    this.#index = -1
  }
}
