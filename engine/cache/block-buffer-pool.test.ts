import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { BlockBufferPool, SPARE_BYTES_MAX, bufferClassBytes } from './block-buffer-pool.ts'
import { BlockCache } from './block-cache.ts'

describe('bufferClassBytes', () => {
  test('rounds up by at most an eighth of the size, and a class is its own class', () => {
    for (let sizeBytes = 1; sizeBytes <= 300_000; sizeBytes += sizeBytes < 10_000 ? 1 : 97) {
      const classBytes = bufferClassBytes(sizeBytes)
      assert.ok(classBytes >= sizeBytes, `size ${sizeBytes}: class ${classBytes}`)
      assert.ok(classBytes - sizeBytes < Math.max(64, sizeBytes / 8), `size ${sizeBytes}: class ${classBytes} wastes too much`)
      assert.equal(bufferClassBytes(classBytes), classBytes, `class ${classBytes} of size ${sizeBytes}`)
    }
    assert.equal(bufferClassBytes(4097), 4608)
    assert.equal(bufferClassBytes(4096), 4096)
  })
})

describe('BlockBufferPool', () => {
  test('take returns exactly the size asked at offset 0 of a buffer of its class', () => {
    const pool = new BlockBufferPool()
    const target = pool.take(4210)
    assert.equal(target.length, 4210)
    assert.equal(target.byteOffset, 0)
    assert.equal(target.buffer.byteLength, bufferClassBytes(4210))
  })

  test('a buffer given back serves the next take of its class, and only of its class', () => {
    const pool = new BlockBufferPool()
    const first = pool.take(4210)
    pool.give(first.buffer)
    assert.equal(pool.take(8000).buffer === first.buffer, false, 'another class takes a fresh buffer')
    const second = pool.take(4500)
    assert.equal(second.buffer, first.buffer, 'same class: the spare is reused')
    assert.equal(second.length, 4500)
    assert.equal(pool.take(4500).buffer === first.buffer, false, 'a spare is handed out once')
    assert.deepEqual(pool.stats(), { reuseCount: 1, keptCount: 1, spareBytes: 0 })
  })

  test('ignores buffers of no class and keeps at most SPARE_BYTES_MAX', () => {
    const pool = new BlockBufferPool()
    pool.give(new ArrayBuffer(4097))
    assert.equal(pool.stats().keptCount, 0, 'not a class size: not from take')
    const classBytes = bufferClassBytes(4200)
    const fitCount = Math.floor(SPARE_BYTES_MAX / classBytes)
    for (let index = 0; index < fitCount + 5; index++) pool.give(new ArrayBuffer(classBytes))
    assert.deepEqual(pool.stats(), { reuseCount: 0, keptCount: fitCount, spareBytes: fitCount * classBytes })
    pool.clear()
    assert.equal(pool.stats().spareBytes, 0)
    assert.equal(pool.take(4200).buffer.byteLength, classBytes)
    assert.equal(pool.stats().reuseCount, 0, 'cleared: the take got a fresh buffer')
  })
})

describe('BlockCache gives evicted blocks their buffers back', () => {
  function block(pool: BlockBufferPool, owned: boolean) {
    const bytes = pool.take(4200)
    return { referenced: false, ownBuffer: owned ? bytes.buffer : undefined, bytes }
  }

  test('eviction, replacement and evictFile give an owned buffer once; a shared block gives nothing', () => {
    const cache = new BlockCache({ capacityBytes: 3 * 4608 })
    const evicted = block(cache.buffers, true)
    const shared = block(cache.buffers, false)
    cache.insert(1, 0, evicted, 4608)
    cache.insert(1, 4608, shared, 4608)
    cache.insert(1, 9216, block(cache.buffers, true), 4608)
    // A fourth block evicts the oldest (CLOCK, nothing referenced): the owned one.
    cache.insert(2, 0, block(cache.buffers, true), 4608)
    assert.equal(evicted.ownBuffer, undefined, 'cleared as it is given back')
    assert.equal(cache.stats().buffers.keptCount, 1)
    assert.equal(cache.buffers.take(4200).buffer, evicted.bytes.buffer, 'the next read takes the evicted buffer')
    cache.insert(2, 4608, block(cache.buffers, true), 4608) // evicts the shared block: nothing given
    assert.equal(cache.stats().buffers.keptCount, 1)
    cache.insert(2, 4608, block(cache.buffers, true), 4608) // replaces an owned block
    assert.equal(cache.stats().buffers.keptCount, 2)
    assert.equal(cache.evictFile(2), 2)
    assert.equal(cache.stats().buffers.keptCount, 4)
  })
})
