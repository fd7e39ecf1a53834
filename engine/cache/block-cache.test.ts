import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BlockCache, createBlockSlots, type CachedBlock } from './block-cache.ts'

/** A cached value carrying `label`; labelOf reads the label of what the cache hands back. */
function block(label: string | number = ''): CachedBlock & { label: string | number } {
  return { referenced: false, label }
}
function labelOf(value: CachedBlock | undefined): unknown {
  return (value as { label?: unknown } | undefined)?.label
}

describe('BlockCache', () => {
  test('keeps usage within capacity, evicting least recently used first', () => {
    const cache = new BlockCache({ capacityBytes: 1000 })
    for (let offset = 0; offset < 10; offset++) cache.insert(1, offset * 100, block(offset), 100)
    assert.equal(cache.stats().usageBytes, 1000)
    assert.equal(labelOf(cache.get(1, 0)), 0) // now most recently used
    cache.insert(2, 0, block('file 2'), 250)
    const stats = cache.stats()
    assert.ok(stats.usageBytes <= 1000, `usage ${stats.usageBytes}`)
    assert.equal(stats.evictionCount, 3)
    assert.equal(cache.get(1, 100), undefined) // the three oldest went
    assert.equal(cache.get(1, 200), undefined)
    assert.equal(cache.get(1, 300), undefined)
    assert.equal(labelOf(cache.get(1, 0)), 0)
    assert.equal(labelOf(cache.get(1, 400)), 4)
  })

  test('spares a block hit since eviction last passed it once (CLOCK), and never evicts the block being inserted', () => {
    const cache = new BlockCache({ capacityBytes: 300 })
    for (let offset = 0; offset < 3; offset++) cache.insert(1, offset, block(offset), 100)
    for (let offset = 0; offset < 3; offset++) cache.get(1, offset) // every block referenced
    cache.insert(1, 3, block(3), 100)
    // Eviction cleared every bit in one pass, then took the oldest: block 0.
    assert.equal(cache.get(1, 0), undefined)
    assert.equal(labelOf(cache.get(1, 3)), 3)
    assert.deepEqual([cache.stats().entryCount, cache.stats().usageBytes, cache.stats().evictionCount], [3, 300, 1])
    // Blocks 3 (hit just now) and 1, 2 (bits cleared): the unreferenced 1 goes before 3.
    cache.insert(1, 4, block(4), 100)
    assert.equal(cache.get(1, 1), undefined)
    assert.equal(labelOf(cache.get(1, 3)), 3)
    assert.equal(labelOf(cache.get(1, 4)), 4)
  })

  test('reader slots hit without the Maps and empty when their block leaves the cache', () => {
    const cache = new BlockCache({ capacityBytes: 300 })
    const slots = createBlockSlots(4)
    assert.equal(cache.getInSlot(slots, 0), undefined)
    cache.insert(1, 0, block(0), 100, slots, 0)
    assert.equal(labelOf(cache.getInSlot(slots, 0)), 0)
    cache.insert(1, 100, block(1), 100)
    assert.equal(cache.getInSlot(slots, 1), undefined)
    assert.equal(labelOf(cache.get(1, 100, slots, 1)), 1) // a Map hit fills the slot
    assert.equal(labelOf(cache.getInSlot(slots, 1)), 1)
    assert.deepEqual([cache.stats().hitCount, cache.stats().missCount], [3, 0])
    // Another reader's slots take the entry over; the first reader's slot empties.
    const other = createBlockSlots(4)
    assert.equal(labelOf(cache.get(1, 100, other, 1)), 1)
    assert.equal(slots[1], undefined)
    // Eviction, replacement, evictFile and releaseSlots each empty the slot.
    cache.insert(2, 0, block(), 100)
    cache.insert(2, 100, block(), 100) // spares file 1's referenced blocks once, evicts (2, 0)
    cache.insert(2, 200, block(), 100) // evicts block 0 of file 1
    assert.equal(slots[0], undefined)
    assert.equal(cache.get(1, 0), undefined)
    cache.insert(1, 100, block('1 v2'), 100)
    assert.equal(other[1], undefined)
    cache.get(1, 100, other, 1)
    cache.evictFile(1)
    assert.equal(other[1], undefined)
    cache.insert(1, 0, block(0), 100, slots, 0)
    cache.releaseSlots(1, slots)
    assert.equal(slots[0], undefined)
    assert.equal(labelOf(cache.get(1, 0)), 0) // still cached
    assert.ok(cache.stats().usageBytes <= 300)
  })

  test('a hit through a slot marks the block referenced, so eviction spares it once', () => {
    const cache = new BlockCache({ capacityBytes: 300 })
    const slots = createBlockSlots(3)
    for (let index = 0; index < 3; index++) cache.insert(1, index * 100, block(index), 100, slots, index)
    assert.equal(labelOf(cache.getInSlot(slots, 0)), 0)
    cache.insert(2, 0, block('new'), 100)
    assert.equal(labelOf(slots[0]), 0)
    assert.equal(slots[1], undefined) // the oldest unreferenced block went
    assert.equal(cache.get(1, 100), undefined)
  })

  test('stays bounded under a long random workload', () => {
    const cache = new BlockCache({ capacityBytes: 64 * 1024 })
    let state = 12345
    for (let i = 0; i < 20_000; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      const offset = (state >>> 8) % 500
      if (cache.get(state % 7, offset) === undefined) cache.insert(state % 7, offset, block(), 100 + (state % 4000))
      assert.ok(cache.stats().usageBytes <= 64 * 1024)
    }
    const stats = cache.stats()
    assert.ok(stats.hitCount > 0 && stats.missCount > 0 && stats.evictionCount > 0)
  })

  test('counts hits and misses', () => {
    const cache = new BlockCache()
    assert.equal(cache.get(1, 0), undefined)
    cache.insert(1, 0, block(), 10)
    cache.get(1, 0)
    cache.get(1, 0)
    assert.deepEqual([cache.stats().hitCount, cache.stats().missCount], [2, 1])
  })

  test('evictFile drops every block of one file and only those', () => {
    const cache = new BlockCache()
    for (let offset = 0; offset < 5; offset++) {
      cache.insert(1, offset, block(), 10)
      cache.insert(2, offset, block(), 10)
    }
    assert.equal(cache.evictFile(1), 5)
    assert.equal(cache.get(1, 3), undefined)
    assert.notEqual(cache.get(2, 3), undefined)
    assert.deepEqual([cache.stats().entryCount, cache.stats().usageBytes], [5, 50])
    assert.equal(cache.evictFile(1), 0)
  })

  test('replaces an entry at the same key without double-charging, and skips a block above capacity', () => {
    const cache = new BlockCache({ capacityBytes: 100 })
    cache.insert(1, 0, block('v1'), 40)
    cache.insert(1, 0, block('v2'), 30)
    assert.equal(cache.stats().usageBytes, 30)
    assert.equal(labelOf(cache.get(1, 0)), 'v2')
    cache.insert(1, 8, block(), 101)
    assert.equal(cache.get(1, 8), undefined)
    assert.equal(cache.stats().usageBytes, 30)
  })

  test('insertIfRoom takes a block only into free capacity and never evicts or replaces', () => {
    const cache = new BlockCache({ capacityBytes: 100 })
    assert.equal(cache.insertIfRoom(1, 0, block('v1'), 60), true)
    assert.equal(cache.fits(40), true)
    assert.equal(cache.fits(41), false)
    assert.equal(cache.insertIfRoom(1, 8, block('v2'), 41), false)
    assert.equal(cache.insertIfRoom(1, 0, block('v3'), 10), false)
    assert.equal(cache.insertIfRoom(1, 16, block('v4'), 40), true)
    assert.deepEqual([cache.stats().usageBytes, cache.stats().evictionCount], [100, 0])
    assert.equal(labelOf(cache.get(1, 0)), 'v1')
    assert.equal(cache.get(1, 8), undefined)
  })
})
