import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { EntryKind, SEQNO_MAX, type InternalEntry } from '../entry.ts'
import { MemVfs, type VfsFile } from '../vfs/mod.ts'
import { BlockCache, FileCache } from '../cache/mod.ts'
import { TableReader, TableWriter, type FinishedTable } from './mod.ts'
import type { TableIterator } from './table-iterator.ts'
import { RESTART_SPAN_BYTES_MAX } from './limits.ts'
import { Prng, randomEntries, seedFromEnv, writeTable } from './test-support.ts'

const put = (key: string, seqno: number, value = `${key}@${seqno}`): InternalEntry =>
  ({ key, seqno, kind: EntryKind.Put, value: Buffer.from(value) })

function current(iterator: TableIterator): InternalEntry {
  return { key: iterator.key(), seqno: iterator.seqno(), kind: iterator.kind(), value: Uint8Array.from(iterator.value()) }
}

function normalize(entries: readonly InternalEntry[]): InternalEntry[] {
  return entries.map((entry) => ({ ...entry, value: Uint8Array.from(entry.value) }))
}

/** Model of get(): the newest version with seqno <= snapshot. */
function modelGet(entries: readonly InternalEntry[], key: string, snapshotSeqno: number): InternalEntry | undefined {
  return entries.find((entry) => entry.key === key && entry.seqno <= snapshotSeqno)
}

/** Checks every iterator operation of `reader` against the sorted array `entries`. */
function checkIterator(reader: TableReader, entries: readonly InternalEntry[], label: string): void {
  const expected = normalize(entries)
  const iterator = reader.iterator()
  const forward: InternalEntry[] = []
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) forward.push(current(iterator))
  assert.deepEqual(forward, expected, `forward ${label}`)
  const backward: InternalEntry[] = []
  for (iterator.seekToLast(); iterator.valid(); iterator.prev()) backward.push(current(iterator))
  assert.deepEqual(backward.reverse(), expected, `backward ${label}`)
  const probes = new Set<string>(['', '\u00ff'.repeat(20)])
  for (const entry of entries) {
    probes.add(entry.key)
    probes.add(entry.key + '\u0000')
    probes.add(entry.key.slice(0, -1))
  }
  for (const probe of probes) {
    const seekIndex = expected.findIndex((entry) => entry.key >= probe)
    iterator.seek(probe)
    if (seekIndex === -1) assert.equal(iterator.valid(), false, `seek ${JSON.stringify(probe)} ${label}`)
    else assert.deepEqual(current(iterator), expected[seekIndex], `seek ${JSON.stringify(probe)} ${label}`)
    const afterIndex = expected.findIndex((entry) => entry.key > probe)
    const prevIndex = (afterIndex === -1 ? expected.length : afterIndex) - 1
    iterator.seekForPrev(probe)
    if (prevIndex < 0) assert.equal(iterator.valid(), false, `seekForPrev ${JSON.stringify(probe)} ${label}`)
    else assert.deepEqual(current(iterator), expected[prevIndex], `seekForPrev ${JSON.stringify(probe)} ${label}`)
    if (prevIndex >= 0) {
      iterator.next()
      if (prevIndex + 1 === expected.length) assert.equal(iterator.valid(), false)
      else assert.deepEqual(current(iterator), expected[prevIndex + 1], `seekForPrev+next ${JSON.stringify(probe)} ${label}`)
    }
  }
  iterator.close()
  iterator.close()
  assert.equal(iterator.valid(), false)
}

describe('TableWriter / TableReader', () => {
  const seed = seedFromEnv()

  for (const [blockSizeBytes, restartInterval] of [[256, 1], [512, 4], [4096, 16]] as const) {
    test(`round-trips random entries against a sorted-array model (block ${blockSizeBytes} B, restart ${restartInterval}, seed ${seed})`, async () => {
      const prng = new Prng(seed + blockSizeBytes)
      const entries = randomEntries(prng, 300, 4, 120)
      const { vfs, path, finished } = await writeTable(entries, { blockSizeBytes, restartInterval })
      assert.equal(finished.entryCount, entries.length)
      assert.equal(finished.sizeBytes, vfs.sizeBytes(path))
      const reader = TableReader.open(vfs, path, 7, { blockCache: new BlockCache() })
      assert.ok(reader.properties.dataBlockCount > 1)
      // Every entry after the first of its key is a version the table shadows.
      const shadowedEntryCount = entries.filter((entry, index) => index > 0 && entries[index - 1].key === entry.key).length
      assert.ok(shadowedEntryCount > 0, `seed=${seed}: the model draws repeated keys`)
      assert.equal(reader.properties.shadowedEntryCount, shadowedEntryCount, `seed=${seed}`)
      checkIterator(reader, entries, `seed=${seed}`)
      for (const key of new Set(entries.map((entry) => entry.key))) {
        for (const snapshot of [0, 1, 500, 999, 2 ** 40 + 500, SEQNO_MAX]) {
          const found = reader.get(key, snapshot)
          const expected = modelGet(entries, key, snapshot)
          assert.deepEqual(found && { ...found, value: Uint8Array.from(found.value) },
            expected && { seqno: expected.seqno, kind: expected.kind, value: Uint8Array.from(expected.value), owned: true },
            `get ${JSON.stringify(key)} @${snapshot} seed=${seed}`)
        }
        assert.equal(reader.mayContain(key), true)
        assert.equal(reader.get(key + '\u0001', SEQNO_MAX), undefined)
      }
      reader.close()
    })
  }

  test(`a table restarting by count alone (as written before restartSpanBytes) reads as one restarting by bytes (seed ${seed})`, async () => {
    const prng = new Prng(seed + 17)
    const entries = randomEntries(prng, 200, 3, 400)
    const byCount = await writeTable(entries, { restartSpanBytes: RESTART_SPAN_BYTES_MAX })
    const byBytes = await writeTable(entries)
    assert.ok(byCount.finished.sizeBytes < byBytes.finished.sizeBytes, 'byte-bounded restarts add restart points')
    for (const { vfs, path } of [byCount, byBytes]) {
      const reader = TableReader.open(vfs, path, 7, { blockCache: new BlockCache() })
      checkIterator(reader, entries, `seed=${seed}`)
      for (const entry of entries) {
        assert.deepEqual(reader.get(entry.key, entry.seqno)?.seqno, entry.seqno, `get ${JSON.stringify(entry.key)} @${entry.seqno} seed=${seed}`)
      }
      reader.close()
    }
  })

  test('an empty table opens, iterates nothing and gets nothing', async () => {
    const { vfs, path, finished } = await writeTable([])
    assert.equal(finished.entryCount, 0)
    assert.equal(finished.dataBlockCount, 0)
    const reader = TableReader.open(vfs, path, 7)
    assert.equal(reader.get('a', SEQNO_MAX), undefined)
    checkIterator(reader, [], 'empty')
    reader.close()
  })

  test('a single-entry table walks and seeks', async () => {
    const entries = [put('only', 9)]
    const { vfs, path } = await writeTable(entries)
    const reader = TableReader.open(vfs, path, 7)
    checkIterator(reader, entries, 'single')
    assert.equal(reader.get('only', 8), undefined)
    assert.equal(reader.get('only', 9)?.seqno, 9)
    reader.close()
  })

  test('get finds old versions of a key whose versions span several blocks', async () => {
    const entries: InternalEntry[] = []
    entries.push(put('a', 1))
    for (let seqno = 500; seqno >= 1; seqno--) entries.push(put('m', seqno, 'v'.repeat(50)))
    entries.push(put('z', 1))
    const { vfs, path, finished } = await writeTable(entries, { blockSizeBytes: 256 })
    assert.ok(finished.dataBlockCount > 50)
    const reader = TableReader.open(vfs, path, 7)
    assert.equal(reader.properties.shadowedEntryCount, 499, 'every version of m but the newest, across blocks')
    for (const snapshot of [1, 2, 77, 250, 499, 500, SEQNO_MAX]) {
      assert.equal(reader.get('m', snapshot)?.seqno, Math.min(snapshot, 500), `snapshot ${snapshot}`)
    }
    assert.equal(reader.get('m', 0), undefined)
    checkIterator(reader, entries, 'spanning')
    reader.close()
  })

  test('get returns tombstones and blob handles as stored', async () => {
    const handle = Buffer.from([1, 2, 3, 4])
    const entries: InternalEntry[] = [
      { key: 'k', seqno: 9, kind: EntryKind.Delete, value: new Uint8Array(0) },
      { key: 'k', seqno: 5, kind: EntryKind.BlobHandle, value: handle },
    ]
    const { vfs, path, finished } = await writeTable(entries)
    assert.equal(finished.tombstoneCount, 1)
    assert.equal(finished.blobHandleCount, 1)
    assert.equal(finished.shadowedEntryCount, 1, 'the handle under the tombstone')
    const reader = TableReader.open(vfs, path, 7)
    assert.equal(reader.get('k', SEQNO_MAX)?.kind, EntryKind.Delete)
    assert.deepEqual(Uint8Array.from(reader.get('k', 8)!.value), Uint8Array.from(handle))
    reader.close()
  })

  test('stores range tombstones sorted and counts them in the properties', async () => {
    const rangeTombstones = [{ start: 'p', end: 'q', seqno: 3 }, { start: 'b', end: 'd', seqno: 4 }, { start: 'b', end: 'c', seqno: 8 }]
    const { vfs, path, finished } = await writeTable([put('c', 5)], { rangeTombstones })
    assert.equal(finished.rangeTombstoneCount, 3)
    assert.equal(finished.smallestKey, 'b')
    assert.equal(finished.largestKey, 'q')
    assert.equal(finished.smallestSeqno, 3)
    assert.equal(finished.largestSeqno, 8)
    const reader = TableReader.open(vfs, path, 7)
    assert.deepEqual(reader.rangeTombstones, [{ start: 'b', end: 'c', seqno: 8 }, { start: 'b', end: 'd', seqno: 4 }, { start: 'p', end: 'q', seqno: 3 }])
    assert.deepEqual({ ...reader.properties }, withoutSize(finished))
    reader.close()
  })

  test('a table of only range tombstones opens', async () => {
    const { vfs, path, finished } = await writeTable([], { rangeTombstones: [{ start: 'a', end: 'b', seqno: 1 }] })
    assert.equal(finished.smallestKey, 'a')
    const reader = TableReader.open(vfs, path, 7)
    assert.equal(reader.rangeTombstones.length, 1)
    checkIterator(reader, [], 'tombstones only')
    reader.close()
  })

  test('works without a filter', async () => {
    const entries = [put('a', 1), put('b', 1)]
    const { vfs, path, finished } = await writeTable(entries, { filterBitsPerKey: 0 })
    assert.equal(finished.filterSizeBytes, 0)
    const reader = TableReader.open(vfs, path, 7)
    assert.equal(reader.mayContain('zz'), true)
    assert.equal(reader.get('b', SEQNO_MAX)?.seqno, 1)
    reader.close()
  })

  test('add() throws INVALID_ARGUMENT out of internal order, for a duplicate and after finish()', async () => {
    const vfs = new MemVfs()
    const writer = new TableWriter(vfs.create('/w.sst'), { fileNumber: 1 })
    writer.add('b', 5, EntryKind.Put, new Uint8Array(0))
    assert.throws(() => writer.add('a', 9, EntryKind.Put, new Uint8Array(0)), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => writer.add('b', 5, EntryKind.Put, new Uint8Array(0)), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => writer.add('b', 6, EntryKind.Put, new Uint8Array(0)), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => writer.add('c', -1, EntryKind.Put, new Uint8Array(0)), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => writer.add('c', 1, 7 as EntryKind, new Uint8Array(0)), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => writer.addRangeTombstone({ start: 'b', end: 'b', seqno: 1 }), { code: 'INVALID_ARGUMENT' })
    writer.add('b', 4, EntryKind.Put, new Uint8Array(0))
    await writer.finish()
    assert.throws(() => writer.add('c', 1, EntryKind.Put, new Uint8Array(0)), { code: 'INVALID_ARGUMENT' })
    await assert.rejects(writer.finish(), { code: 'INVALID_ARGUMENT' })
  })

  test('the constructor rejects options outside their limits', () => {
    const vfs = new MemVfs()
    assert.throws(() => new TableWriter(vfs.create('/w.sst'), { fileNumber: 1, blockSizeBytes: 10 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new TableWriter(vfs.create('/w.sst'), { fileNumber: 1, restartInterval: 0 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new TableWriter(vfs.create('/w.sst'), { fileNumber: 1, restartSpanBytes: 0 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new TableWriter(vfs.create('/w.sst'), { fileNumber: 1, filterBitsPerKey: 99 }), { code: 'INVALID_ARGUMENT' })
    const used = vfs.create('/used.sst')
    used.append([new Uint8Array(3)])
    assert.throws(() => new TableWriter(used, { fileNumber: 1 }), { code: 'INVALID_ARGUMENT' })
  })

  test('batches data blocks into few appends', async () => {
    const vfs = new MemVfs()
    const file = vfs.create('/w.sst')
    let appendCount = 0
    const counting: VfsFile = {
      path: file.path,
      read: (target, positionBytes) => file.read(target, positionBytes),
      append: (chunks) => { appendCount++; file.append(chunks) },
      sync: () => file.sync(),
      sizeBytes: () => file.sizeBytes(),
      truncate: (sizeBytes) => file.truncate(sizeBytes),
      close: () => file.close(),
    }
    const writer = new TableWriter(counting, { fileNumber: 1, writeBufferBytes: 64 * 1024 })
    for (let i = 0; i < 5000; i++) writer.add(`key${String(i).padStart(6, '0')}`, 1, EntryKind.Put, new Uint8Array(100))
    const finished = await writer.finish()
    assert.ok(finished.dataBlockCount > 100)
    assert.ok(appendCount <= Math.ceil(finished.sizeBytes / (64 * 1024)) + 1, `${appendCount} appends for ${finished.dataBlockCount} blocks`)
  })

  test('get() and iterator() throw CLOSED after close()', async () => {
    const { vfs, path } = await writeTable([put('a', 1)])
    const reader = TableReader.open(vfs, path, 7)
    reader.close()
    assert.throws(() => reader.get('a', SEQNO_MAX), { code: 'CLOSED' })
    assert.throws(() => reader.iterator(), { code: 'CLOSED' })
  })

  test('open() throws CORRUPTION for a table opened under the wrong file number', async () => {
    const { vfs, path } = await writeTable([put('a', 1)])
    assert.throws(() => TableReader.open(vfs, path, 8), { code: 'CORRUPTION' })
  })

  test('the block cache serves repeated gets', async () => {
    const entries = randomEntries(new Prng(seed), 200, 1, 50)
    const { vfs, path } = await writeTable(entries, { blockSizeBytes: 512 })
    const cache = new BlockCache()
    const reader = TableReader.open(vfs, path, 7, { blockCache: cache })
    for (const entry of entries) reader.get(entry.key, SEQNO_MAX)
    const first = cache.stats()
    assert.equal(first.missCount, reader.properties.dataBlockCount)
    for (const entry of entries) reader.get(entry.key, SEQNO_MAX)
    assert.equal(cache.stats().missCount, first.missCount)
    assert.ok(cache.stats().hitCount >= entries.length)
    reader.close()
  })
})

describe('TableReader in a FileCache', () => {
  test('an iterator keeps reading after its reader is evicted, and the reader closes when the iterator does', async () => {
    const vfs = new MemVfs()
    const entries = Array.from({ length: 300 }, (_, i) => put(`k${String(i).padStart(4, '0')}`, 1, 'v'.repeat(40)))
    await writeTable(entries, { vfs, path: '/000007.sst', blockSizeBytes: 256 })
    await writeTable([put('x', 1)], { vfs, path: '/000008.sst', fileNumber: 8 })
    const blockCache = new BlockCache({ capacityBytes: 4096 })
    const files = new FileCache<TableReader>({ entryCountMax: 1, open: (n) => TableReader.open(vfs, `/00000${n}.sst`, n, { blockCache }) })
    const handle = files.acquire(7)
    const iterator = handle.value.iterator(() => handle.release())
    iterator.seekToFirst()
    files.acquire(8).release() // over the bound: the unreferenced table 8 closes, never table 7
    assert.equal(files.stats().closeCount, 1)
    files.evict(7) // as after a compaction deleted table 7

    blockCache.evictFile(7)
    let count = 0
    for (; iterator.valid(); iterator.next()) count++
    assert.equal(count, entries.length)
    assert.equal(files.stats().openFileCount, 1)
    iterator.close()
    assert.equal(files.stats().openFileCount, 0)
    assert.throws(() => handle.value.get('k0001', SEQNO_MAX), { code: 'CLOSED' })
  })
})

function withoutSize(finished: FinishedTable): Omit<FinishedTable, "sizeBytes"> {
  const { sizeBytes: _sizeBytes, ...rest } = finished
  return rest
}
