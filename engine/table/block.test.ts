import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { EntryKind, type InternalEntry } from '../entry.ts'
import { BlockBuilder } from './block-builder.ts'
import { BlockCursor, decodeDataBlock } from './block.ts'
import { RESTART_SPAN_BYTES_MAX } from './limits.ts'
import { Prng, randomEntries, seedFromEnv } from './test-support.ts'

function build(entries: readonly InternalEntry[], restartInterval = 16, restartSpanBytes?: number): Uint8Array {
  const builder = new BlockBuilder(restartInterval, 4096, false, restartSpanBytes)
  for (const entry of entries) builder.add(entry.key, entry.seqno, entry.kind, entry.value)
  return builder.finish().slice()
}

function cursorOn(entries: readonly InternalEntry[], restartInterval = 16, restartSpanBytes?: number): BlockCursor {
  const cursor = new BlockCursor()
  cursor.attach(decodeDataBlock(build(entries, restartInterval, restartSpanBytes), '/t.sst', 0))
  return cursor
}

/** The restart offsets of a raw block, read from its trailer. */
function restartOffsetsOf(bytes: Uint8Array): number[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = view.readUInt32LE(bytes.length - 4)
  return Array.from({ length: count }, (_, i) => view.readUInt32LE(bytes.length - 4 - 4 * (count - i)))
}

function entryAt(cursor: BlockCursor): InternalEntry {
  return { key: cursor.key(), seqno: cursor.seqno(), kind: cursor.kind(), value: Uint8Array.from(cursor.value()) }
}

/** Index of the first entry whose key is >= key (> key when strict). */
function modelSeek(entries: readonly InternalEntry[], key: string, strict: boolean): number {
  const index = entries.findIndex((entry) => (strict ? entry.key > key : entry.key >= key))
  return index === -1 ? entries.length : index
}

describe('BlockBuilder / BlockCursor', () => {
  const seed = seedFromEnv()
  // Span 32 restarts by bytes every few entries; RESTART_SPAN_BYTES_MAX by count alone, as
  // blocks were written before the byte bound: readers take both layouts.
  for (const [restartInterval, restartSpanBytes] of [[1, undefined], [3, undefined], [16, undefined], [16, 32], [16, RESTART_SPAN_BYTES_MAX]] as const) {
    const label = `restartInterval ${restartInterval}, restartSpanBytes ${restartSpanBytes ?? 'default'}`
    test(`round-trip random entries forward and backward (${label}, seed ${seed})`, () => {
      const prng = new Prng(seed + restartInterval)
      const entries = randomEntries(prng, 60, 3, 40)
      const cursor = cursorOn(entries, restartInterval, restartSpanBytes)
      const forward: InternalEntry[] = []
      for (cursor.seekToFirst(); cursor.valid(); cursor.next()) forward.push(entryAt(cursor))
      assert.deepEqual(forward, entries, `seed=${seed}`)
      const backward: InternalEntry[] = []
      for (cursor.seekToLast(); cursor.valid(); cursor.prev()) backward.push(entryAt(cursor))
      assert.deepEqual(backward.reverse(), entries, `seed=${seed}`)
    })

    test(`seek and seekAfter land on the model position for every key and gap (${label})`, () => {
      const prng = new Prng(seed * 3 + restartInterval)
      const entries = randomEntries(prng, 40, 3, 8)
      const cursor = cursorOn(entries, restartInterval, restartSpanBytes)
      const probes = new Set<string>(['', '\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff'])
      for (const entry of entries) {
        probes.add(entry.key)
        probes.add(entry.key + '\u0000')
        probes.add(entry.key.slice(0, -1))
      }
      for (const probe of probes) {
        for (const strict of [false, true]) {
          const expected = modelSeek(entries, probe, strict)
          if (strict) cursor.seekAfter(probe)
          else cursor.seek(probe)
          if (expected === entries.length) {
            assert.equal(cursor.valid(), false, `probe ${JSON.stringify(probe)} strict=${strict} seed=${seed}`)
          } else {
            assert.deepEqual(entryAt(cursor), entries[expected], `probe ${JSON.stringify(probe)} strict=${strict} seed=${seed}`)
            // prev from a seeked position returns the entry before it.
            cursor.prev()
            if (expected === 0) assert.equal(cursor.valid(), false)
            else assert.deepEqual(entryAt(cursor), entries[expected - 1])
          }
        }
      }
    })
  }

  test('restarts come every restartInterval entries or once the entries since the last restart reach restartSpanBytes', () => {
    const small = Array.from({ length: 40 }, (_, i) => ({ key: `key${String(i).padStart(3, '0')}`, seqno: 1, kind: EntryKind.Put, value: Buffer.from('v') }))
    // 14-byte entries stay under a 256-byte span for 16 entries: the count decides.
    assert.deepEqual(restartOffsetsOf(build(small)).length, 3)
    const large = small.map((entry) => ({ ...entry, value: Buffer.alloc(300, 1) }))
    // Every 300-byte value fills a span: each entry starts a restart, with its full key.
    const bytes = build(large)
    const offsets = restartOffsetsOf(bytes)
    assert.equal(offsets.length, large.length)
    for (const offset of offsets) assert.equal(bytes[offset], 0, 'a restart entry shares no key bytes')
    // A span as large as the block restarts by count alone, as blocks written before the bound.
    assert.equal(restartOffsetsOf(build(large, 16, RESTART_SPAN_BYTES_MAX)).length, 3)
  })

  test(`seeks land on the model position when restart key windows tie, pad or lie outside the shared prefix (seed ${seed})`, () => {
    // Keys over {\0, a, \xff} after a shared prefix: windows tie (same 4 bytes, longer keys),
    // pad (keys ending inside the window, some prefixes of others) and probes miss the prefix.
    const prng = new Prng(seed + 99)
    const keys = new Set<string>()
    while (keys.size < 60) keys.add('pp' + prng.key(9, '\u0000a\u00ff'))
    const entries = [...keys].sort().map((key) => ({ key, seqno: 1, kind: EntryKind.Put, value: Buffer.from('v') }))
    for (const restartInterval of [1, 2]) {
      const cursor = cursorOn(entries, restartInterval)
      const probes = new Set<string>(['', 'p', 'pa', 'po', 'pq', 'pp', 'pp\u0000', 'q', '\u00ff'])
      for (const { key } of entries) {
        for (const probe of [key, key + '\u0000', key + '\u00ff', key.slice(0, -1), key.slice(0, -1) + 'b', key.slice(0, 3)]) probes.add(probe)
      }
      for (const probe of probes) {
        for (const strict of [false, true]) {
          const expected = modelSeek(entries, probe, strict)
          if (strict) cursor.seekAfter(probe)
          else cursor.seek(probe)
          const label = `probe ${JSON.stringify(probe)} strict=${strict} restartInterval=${restartInterval} seed=${seed}`
          if (expected === entries.length) assert.equal(cursor.valid(), false, label)
          else assert.equal(cursor.key(), entries[expected].key, label)
        }
      }
    }
  })

  test('seek lands on the newest version when a restart key continues the interval before it', () => {
    // Interval 2: restarts at (a,1) and (b,8). The restart (b,8) holds 'b' but is not its first
    // entry, so seek('b') must not land on it: (b,9) comes first.
    const entries = [
      { key: 'a', seqno: 1, kind: EntryKind.Put, value: Buffer.from('a1') },
      { key: 'b', seqno: 9, kind: EntryKind.Put, value: Buffer.from('b9') },
      { key: 'b', seqno: 8, kind: EntryKind.Put, value: Buffer.from('b8') },
      { key: 'c', seqno: 1, kind: EntryKind.Put, value: Buffer.from('c1') },
    ]
    const cursor = cursorOn(entries, 2)
    cursor.seek('b')
    assert.deepEqual([cursor.key(), cursor.seqno()], ['b', 9])
    // Interval 1: every entry is a restart; (b,8) follows (b,9), so it is not first of its key either.
    const single = cursorOn(entries, 1)
    single.seek('b')
    assert.deepEqual([single.key(), single.seqno()], ['b', 9])
    single.seek('c')
    assert.deepEqual([single.key(), single.seqno()], ['c', 1])
  })

  test('seeks compare a restart prefix longer than one window at each of its bytes', () => {
    // Zero bytes inside and at the end of a prefix: a probe that stops before them pads its
    // windows with zeros too, and must still sort before the prefix.
    for (const prefix of ['tenant\u0000\u00007/user:', 'pad\u0000\u0000\u0000\u0000\u0000']) {
      const entries = ['00012', '00013', '00015', '00020'].map((suffix) => ({ key: prefix + suffix, seqno: 1, kind: EntryKind.Put, value: Buffer.from('v') }))
      const cursor = cursorOn(entries, 1)
      const probes = new Set<string>([prefix, prefix.slice(0, -1), '', '\u00ff'])
      for (let position = 0; position < prefix.length; position++) {
        for (const delta of [-1, 1]) {
          const byte = prefix.charCodeAt(position) + delta
          if (byte >= 0) probes.add(prefix.slice(0, position) + String.fromCharCode(byte) + prefix.slice(position + 1) + '00013')
        }
        probes.add(prefix.slice(0, position))
        probes.add(prefix.slice(0, position) + '\u0000')
      }
      for (const { key } of entries) probes.add(key)
      for (const probe of probes) {
        for (const strict of [false, true]) {
          const expected = modelSeek(entries, probe, strict)
          if (strict) cursor.seekAfter(probe)
          else cursor.seek(probe)
          const label = `probe ${JSON.stringify(probe)} strict=${strict}`
          if (expected === entries.length) assert.equal(cursor.valid(), false, label)
          else assert.equal(cursor.key(), entries[expected].key, label)
        }
      }
    }
  })

  test('single-entry block walks and seeks', () => {
    const entries = [{ key: 'k', seqno: 3, kind: EntryKind.Put, value: Buffer.from('v') }]
    const cursor = cursorOn(entries)
    cursor.seekToLast()
    assert.deepEqual(entryAt(cursor), { ...entries[0], value: Uint8Array.from(entries[0].value) })
    cursor.next()
    assert.equal(cursor.valid(), false)
    cursor.seek('a')
    assert.equal(cursor.key(), 'k')
    cursor.prev()
    assert.equal(cursor.valid(), false)
    cursor.seek('l')
    assert.equal(cursor.valid(), false)
  })

  test('keeps every version of one key, newest first', () => {
    const entries = [5, 4, 3, 2, 1].map((seqno) => ({ key: 'same', seqno, kind: EntryKind.Put, value: Buffer.from(`v${seqno}`) }))
    const cursor = cursorOn(entries, 2)
    cursor.seek('same')
    assert.equal(cursor.seqno(), 5)
    cursor.seekAfter('same')
    assert.equal(cursor.valid(), false)
    cursor.seekToLast()
    assert.equal(cursor.seqno(), 1)
    assert.equal(Buffer.from(cursor.value()).toString(), 'v1')
  })

  test('encodes one entry as the documented bytes', () => {
    const bytes = build([
      { key: 'ab', seqno: 300, kind: EntryKind.Put, value: Buffer.from('x') },
      { key: 'ac', seqno: 1, kind: EntryKind.Delete, value: new Uint8Array(0) },
    ])
    const expected = [
      '00', '02', '01', '01', 'ac02', '6162', '78', // shared 0, unshared 2, value 1, Put, seqno 300, "ab", "x"
      '01', '01', '00', '00', '01', '63', //           shared 1, unshared 1, value 0, Delete, seqno 1, "c"
      '00000000', '01000000', //                       restart offsets [0], restart count 1
    ].join('')
    assert.equal(Buffer.from(bytes).toString('hex'), expected)
  })

  test('decodeDataBlock throws CORRUPTION naming the file for a bad restart array', () => {
    const bytes = build([{ key: 'a', seqno: 1, kind: EntryKind.Put, value: Buffer.from('v') }])
    bytes[bytes.length - 4] = 9
    assert.throws(() => decodeDataBlock(bytes, '/bad.sst', 4096), (error: unknown) => {
      const e = error as { code: string, details: { fileName: string, offsetBytes: number } }
      return e.code === 'CORRUPTION' && e.details.fileName === '/bad.sst' && e.details.offsetBytes === 4096
    })
  })

  test('decodeDataBlock rejects entries out of internal order when STRATA_INVARIANTS=1', { skip: process.env.STRATA_INVARIANTS !== '1' }, () => {
    const bytes = build([
      { key: 'b', seqno: 1, kind: EntryKind.Put, value: new Uint8Array(0) },
      { key: 'a', seqno: 1, kind: EntryKind.Put, value: new Uint8Array(0) },
    ])
    assert.throws(() => decodeDataBlock(bytes, '/bad.sst', 0), { code: 'CORRUPTION' })
  })

  test('cursor throws CORRUPTION for an entry running past the block', () => {
    const bytes = build([{ key: 'a', seqno: 1, kind: EntryKind.Put, value: Buffer.from('value') }])
    bytes[2] = 100 // value size far past the data region
    assert.throws(() => decodeDataBlock(bytes, '/bad.sst', 0), { code: 'CORRUPTION' })
  })
})
