// Goal: with per-KV checksums on, the memtable computes each version's checksum at add() and
// verifies it on get() and on iterators' value(), so a version damaged in memory (or a caller
// buffer changed after the write) is CHECKSUM_MISMATCH naming "memtable", never wrong data;
// off, versions carry no checksum.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { EntryKind, SEQNO_MAX } from '../entry.ts'
import { kvChecksum } from '../transform/kv-checksum.ts'
import { Memtable, PENDING_KEY_COUNT_MAX } from './memtable.ts'

describe('Memtable perKeyChecksums', () => {
  test('stores kvChecksum(key, seqno, kind, value) with each version and reads back unchanged', () => {
    const memtable = new Memtable({ perKeyChecksums: true })
    memtable.add('a', 1, EntryKind.Put, Buffer.from('one'))
    memtable.add('a', 2, EntryKind.Delete, new Uint8Array(0))
    memtable.add('b', 3, EntryKind.BlobHandle, Buffer.from('handle'))
    assert.equal(memtable.get('a', 1)?.checksum, kvChecksum('a', 1, EntryKind.Put, Buffer.from('one')))
    assert.equal(memtable.get('a', SEQNO_MAX)?.kind, EntryKind.Delete)
    memtable.freeze()
    const seen: string[] = []
    const iterator = memtable.iterator()
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) seen.push(`${iterator.key()}@${iterator.seqno()}=${Buffer.from(iterator.value()).toString()}`)
    assert.deepEqual(seen, ['a@2=', 'a@1=one', 'b@3=handle'])
  })

  test('off (the default): versions carry no checksum field', () => {
    const memtable = new Memtable()
    memtable.add('a', 1, EntryKind.Put, Buffer.from('one'))
    assert.equal(memtable.perKeyChecksums, false)
    assert.equal('checksum' in memtable.get('a', SEQNO_MAX)!, false)
  })

  test('a value changed after add() is CHECKSUM_MISMATCH on get and on both iterators, naming the memtable', () => {
    const value = Buffer.from('original')
    const memtable = new Memtable({ perKeyChecksums: true })
    memtable.add('k', 5, EntryKind.Put, value)
    value[0] ^= 0x20
    assert.throws(() => memtable.get('k', SEQNO_MAX), (error: { code: string, details: { fileName: string } }) =>
      error.code === 'CHECKSUM_MISMATCH' && error.details.fileName === 'memtable')
    const live = memtable.iterator()
    live.seekToFirst()
    assert.throws(() => live.value(), { code: 'CHECKSUM_MISMATCH' })
    memtable.freeze()
    const frozen = memtable.iterator()
    frozen.seekToFirst()
    assert.throws(() => frozen.value(), { code: 'CHECKSUM_MISMATCH' })
  })
})

/** Every (key@seqno) an iterator yields walking forward from seekToFirst. */
function forward(memtable: Memtable): string[] {
  const seen: string[] = []
  const iterator = memtable.iterator()
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) seen.push(`${iterator.key()}@${iterator.seqno()}`)
  return seen
}

describe('Memtable order (a Map sorted lazily)', () => {
  test('iterators see internal order (key ascending, seqno descending) across keys that arrived between iterators', () => {
    const memtable = new Memtable()
    const value = Buffer.from('v')
    memtable.add('m', 1, EntryKind.Put, value)
    memtable.add('c', 2, EntryKind.Put, value)
    assert.deepEqual(forward(memtable), ['c@2', 'm@1'])
    memtable.add('x', 3, EntryKind.Put, value)
    memtable.add('a', 4, EntryKind.Put, value)
    memtable.add('m', 5, EntryKind.Delete, new Uint8Array(0))
    memtable.add('\u00ff', 6, EntryKind.Put, value)
    assert.deepEqual(forward(memtable), ['a@4', 'c@2', 'm@5', 'm@1', 'x@3', '\u00ff@6'])
  })

  test('seek, seekForPrev, prev and seekToLast walk the same order backwards and forwards', () => {
    const memtable = new Memtable()
    for (const [index, key] of ['d', 'b', 'f', 'b'].entries()) memtable.add(key, index + 1, EntryKind.Put, Buffer.from(key))
    const iterator = memtable.iterator()
    iterator.seek('c')
    assert.equal(`${iterator.key()}@${iterator.seqno()}`, 'd@1')
    iterator.seekForPrev('c')
    assert.equal(`${iterator.key()}@${iterator.seqno()}`, 'b@2', 'the oldest version of the largest key <= c')
    iterator.prev()
    assert.equal(`${iterator.key()}@${iterator.seqno()}`, 'b@4')
    iterator.prev()
    assert.equal(iterator.valid(), false)
    iterator.seekToLast()
    const backward: string[] = []
    for (; iterator.valid(); iterator.prev()) backward.push(`${iterator.key()}@${iterator.seqno()}`)
    assert.deepEqual(backward, ['f@3', 'd@1', 'b@2', 'b@4'])
  })

  test('keys arriving between iterators land in sorted runs: both directions match a model, and runs stay ~log2(keys)', () => {
    const seed = 20261126
    let state = seed
    const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0)
    const memtable = new Memtable()
    const model = new Map<string, number[]>()
    let seqno = 0
    for (let round = 0; round < 300; round++) {
      const arrivals = round % 50 === 0 ? 200 : 1 + (next() % 4)
      for (let i = 0; i < arrivals; i++) {
        const key = (next() % 2000).toString(36)
        memtable.add(key, ++seqno, EntryKind.Put, Buffer.from(key))
        model.set(key, [seqno, ...(model.get(key) ?? [])])
      }
      if (round % 7 !== 0) continue
      const expected = [...model.keys()].sort().flatMap((key) => (model.get(key) as number[]).map((version) => `${key}@${version}`))
      assert.deepEqual(forward(memtable), expected, `round ${round} seed=${seed}`)
      const iterator = memtable.iterator()
      const backward: string[] = []
      for (iterator.seekToLast(); iterator.valid(); iterator.prev()) backward.push(`${iterator.key()}@${iterator.seqno()}`)
      assert.deepEqual(backward, expected.reverse(), `round ${round} seed=${seed}`)
      assert.ok(memtable.sortedRunCount <= Math.log2(model.size) + 1, `${memtable.sortedRunCount} runs for ${model.size} keys`)
    }
  })

  test('an open iterator does not see keys or versions added after it reached them', () => {
    const memtable = new Memtable()
    memtable.add('b', 1, EntryKind.Put, Buffer.from('1'))
    memtable.add('d', 2, EntryKind.Put, Buffer.from('2'))
    const iterator = memtable.iterator()
    iterator.seekToFirst()
    memtable.add('c', 3, EntryKind.Put, Buffer.from('3'))
    memtable.add('b', 4, EntryKind.Put, Buffer.from('4'))
    const seen: string[] = []
    for (; iterator.valid(); iterator.next()) seen.push(`${iterator.key()}@${iterator.seqno()}`)
    assert.deepEqual(seen, ['b@1', 'd@2'])
    assert.deepEqual(forward(memtable), ['b@4', 'b@1', 'c@3', 'd@2'])
  })

  test('gets between adds see every version added before them, whether indexed or pending, and values as ranges of a shared buffer', () => {
    const memtable = new Memtable()
    const payload = Buffer.from('xxAAyyBBzzCC')
    memtable.add('k', 1, EntryKind.Put, payload, 2, 2)
    assert.equal(Buffer.from(memtable.get('k', SEQNO_MAX)!.value).toString(), 'AA')
    memtable.add('k', 2, EntryKind.Put, payload, 6, 2)
    memtable.add('j', 3, EntryKind.Put, payload, 10, 2)
    memtable.add('k', 4, EntryKind.Delete, new Uint8Array(0))
    assert.equal(Buffer.from(memtable.get('k', 3)!.value).toString(), 'BB', 'a pending version of an indexed key')
    assert.equal(memtable.get('k', SEQNO_MAX)!.kind, EntryKind.Delete)
    assert.equal(Buffer.from(memtable.get('j', SEQNO_MAX)!.value).toString(), 'CC', 'a pending new key')
    assert.equal(memtable.get('j', 2), undefined)
    assert.deepEqual(forward(memtable), ['j@3', 'k@4', 'k@2', 'k@1'])
  })

  test('versions past the first column capacity read back as added', () => {
    const memtable = new Memtable({ perKeyChecksums: true })
    const count = 5000
    for (let seqno = 1; seqno <= count; seqno++) memtable.add(`k${seqno % 1500}`, seqno, EntryKind.Put, Buffer.from(String(seqno)))
    for (let seqno = count - 1499; seqno <= count; seqno++) {
      assert.equal(Buffer.from(memtable.get(`k${seqno % 1500}`, SEQNO_MAX)!.value).toString(), String(seqno))
    }
    assert.equal(forward(memtable).length, count)
  })

  test('add() after freeze() is refused', () => {
    const memtable = new Memtable()
    memtable.add('a', 1, EntryKind.Put, Buffer.from('1'))
    memtable.freeze()
    assert.throws(() => memtable.add('b', 2, EntryKind.Put, Buffer.from('2')))
  })
})

describe('Memtable deferred index', () => {
  test('add() indexes pending versions every PENDING_KEY_COUNT_MAX keys, and every version stays readable across the step', () => {
    const memtable = new Memtable({ perKeyChecksums: false })
    const total = PENDING_KEY_COUNT_MAX * 2 + 10
    for (let i = 0; i < total; i++) {
      memtable.add(`k${String(i % (PENDING_KEY_COUNT_MAX + 3)).padStart(8, '0')}`, i + 1, EntryKind.Put, Buffer.from(String(i)))
      assert.ok(memtable.pendingKeyCount < PENDING_KEY_COUNT_MAX, `pending ${memtable.pendingKeyCount} after ${i + 1} adds`)
    }
    assert.equal(memtable.pendingKeyCount, total % PENDING_KEY_COUNT_MAX)
    // Keys written twice: the newest version wins, the older one is what an older snapshot sees.
    const twice = PENDING_KEY_COUNT_MAX + 3
    assert.equal(Buffer.from(memtable.get('k00000000', SEQNO_MAX)!.value).toString(), String(2 * twice))
    assert.equal(Buffer.from(memtable.get('k00000000', twice + 1)!.value).toString(), String(twice))
    assert.equal(Buffer.from(memtable.get('k00000000', twice)!.value).toString(), '0')
    assert.equal(Buffer.from(memtable.get('k00000005', SEQNO_MAX)!.value).toString(), String(twice + 5))
    assert.equal(memtable.pendingKeyCount, 0)
  })
})
