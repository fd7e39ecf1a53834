// Goal: with per-KV checksums on, the memtable computes each version's checksum at add() and
// verifies it on get() and on iterators' value(), so a version damaged in memory (or a caller
// buffer changed after the write) is CHECKSUM_MISMATCH naming "memtable", never wrong data;
// off, versions carry no checksum.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { EntryKind, SEQNO_MAX } from '../entry.ts'
import { kvChecksum } from '../transform/kv-checksum.ts'
import { Memtable } from './memtable.ts'

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
