// Goal: with per-KV checksums, an entry whose fields were paired wrongly between its source
// iterator and the table writer (a key with another entry's value, seqno or kind) is refused
// with CORRUPTION naming the key and the output table, never written with a CRC computed from the
// wrong pairing (docs/per-kv-checksums.md §2, "the seam"). Flush, compaction on the main thread,
// the compaction the background worker runs (compactFromFiles, called here on this thread:
// a bug cannot be planted inside the worker's bundle) and the heal rewrite are covered.
// Method: seeded entries, one version per key, in memtables and tables with CRCs; a wrapper
// iterator (or, where the engine builds the iterators itself, a patched prototype) lies about one
// field of one victim entry. Each case also runs without the lie and must succeed, so only the
// lie fails it. STRATA_SEED replays.
import { afterEach, describe, test, type TestContext } from 'node:test'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import assert from 'node:assert/strict'
import { EntryKind, type InternalEntry } from '../entry.ts'
import type { InternalIterator } from '../iterator/internal-iterator.ts'
import { MergingIterator } from '../iterator/merging-iterator.ts'
import { tableFileName, type TableMeta } from '../manifest/mod.ts'
import { Memtable } from '../memtable/memtable.ts'
import { resolveOptions } from '../options.ts'
import { copyTable } from '../scrub/copy-table.ts'
import { TableOutputs, flushMemtable, type FlushSource } from '../table-outputs.ts'
import { TableIterator, TableReader, TableWriter } from '../table/mod.ts'
import { Prng, randomEntries, seedFromEnv } from '../table/test-support.ts'
import { kvChecksum, NO_KV_CHECKSUM } from '../transform/kv-checksum.ts'
import { MemVfs } from '../vfs/mem-vfs.ts'
import { describeKey } from '../describe-key.ts'
import { Db } from '../db.ts'
import { compactTables, type CompactionJob } from './compact-tables.ts'
import { compactFromFiles } from './compact-from-files.ts'
import { flushFromWal } from '../background/wal-flush.ts'
import { flushContextOf } from '../background/background-worker-protocol.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'

/** Which field of the victim entry the buggy path gets wrong. */
type Lie = 'value' | 'seqno' | 'kind'
const LIES: readonly Lie[] = ['value', 'seqno', 'kind']

/** One lie about one entry: what the buggy path hands on instead of the entry's own field. */
interface Mispairing {
  victim: InternalEntry
  lie: Lie
  /** Another entry's value, for the 'value' lie. */
  otherValue: Uint8Array
}

/** Seeded entries, one version per key (so a flush or compaction keeps every Put). */
function seededEntries(seed: number, count = 200): InternalEntry[] {
  return randomEntries(new Prng(seed), count, 1, 64)
}

/** The test's seed (printed), its entries and one lie about one of them. */
function seededCase(t: TestContext, lie: Lie): { seed: number, entries: InternalEntry[], m: Mispairing } {
  const seed = seedFromEnv()
  t.diagnostic(`seed=${seed}`)
  const entries = seededEntries(seed)
  return { seed, entries, m: mispairing(entries, seed, lie) }
}

/** Picks a Put with a value as the victim and another entry's differing value to pair it with. */
function mispairing(entries: readonly InternalEntry[], seed: number, lie: Lie): Mispairing {
  const prng = new Prng(seed ^ 0x5eed)
  const puts = entries.filter((e) => e.kind === EntryKind.Put && e.value.length > 0)
  const victim = puts[prng.int(puts.length)]
  const other = puts.find((e) => e !== victim && Buffer.compare(e.value, victim.value) !== 0)!
  return { victim, lie, otherValue: other.value }
}

/**
 * Yields `inner`'s entries, but for the victim's key hands on the lie in place of one field, as a
 * merge bug that paired fields of different entries would; the checksum is forwarded untouched.
 */
class MispairingIterator implements InternalIterator {
  readonly #inner: InternalIterator
  readonly #mispairing: Mispairing
  constructor(inner: InternalIterator, mispairing: Mispairing) {
    this.#inner = inner
    this.#mispairing = mispairing
  }
  #atVictim(): boolean {
    return this.#inner.key() === this.#mispairing.victim.key
  }
  valid(): boolean { return this.#inner.valid() }
  seekToFirst(): void { this.#inner.seekToFirst() }
  seekToLast(): void { this.#inner.seekToLast() }
  seek(key: string): void { this.#inner.seek(key) }
  seekForPrev(key: string): void { this.#inner.seekForPrev(key) }
  next(): void { this.#inner.next() }
  prev(): void { this.#inner.prev() }
  key(): string { return this.#inner.key() }
  seqno(): number {
    return this.#mispairing.lie === 'seqno' && this.#atVictim() ? this.#inner.seqno() + 1 : this.#inner.seqno()
  }
  kind(): EntryKind {
    return this.#mispairing.lie === 'kind' && this.#atVictim() ? EntryKind.BlobHandle : this.#inner.kind()
  }
  value(): Uint8Array {
    const value = this.#inner.value()
    return this.#mispairing.lie === 'value' && this.#atVictim() ? this.#mispairing.otherValue : value
  }
  checksum(): number { return this.#inner.checksum() }
  close(): void { this.#inner.close() }
}

/** Asserts `error` is the writer's refusal of the victim, naming its key and the output table's job. */
function isSeamCorruption(error: unknown, victim: InternalEntry, job: string, note: string): boolean {
  const e = error as { name?: string, code?: string, message: string, details: Record<string, unknown> }
  assert.equal(e.name, 'StrataError', `${note}: ${String(error)}`)
  assert.equal(e.code, 'CORRUPTION', `${note}: ${e.message}`)
  assert.ok(e.message.includes(`${job} output table`), `${note}: names the job: ${e.message}`)
  assert.ok(e.message.includes(describeKey(victim.key)), `${note}: names the key: ${e.message}`)
  assert.equal(e.details.job, job, note)
  assert.equal(e.details.key, describeKey(victim.key), note)
  assert.equal(typeof e.details.fileNumber, 'number', note)
  return true
}

function memtableOf(entries: readonly InternalEntry[], perKeyChecksums = true): Memtable {
  const memtable = new Memtable({ perKeyChecksums })
  for (const e of entries) memtable.add(e.key, e.seqno, e.kind, e.value)
  memtable.freeze()
  return memtable
}

/** TableOutputs writing tables with per-KV checksums (or not) into /db of `vfs`. */
function outputsOn(vfs: MemVfs, perKeyChecksums = true, firstFileNumber = 100): TableOutputs {
  vfs.mkdirp('/db')
  let next = firstFileNumber
  return new TableOutputs(resolveOptions({ vfs, integrity: { perKeyChecksums } }, () => vfs), '/db', () => next++)
}

/** Writes `entries` as table `fileNumber` of /db (per-KV checksums on) and returns its manifest record. */
async function inputTable(vfs: MemVfs, fileNumber: number, entries: readonly InternalEntry[]): Promise<TableMeta> {
  const outputs = outputsOn(vfs, true, fileNumber)
  const output = outputs.create(0, 'flush')
  for (const e of entries) output.add(e.key, e.seqno, e.kind, e.value, kvChecksum(e.key, e.seqno, e.kind, e.value))
  return outputs.finish(output)
}

/** Two overlapping level-0 tables holding `entries` between them (alternate entries each). */
async function twoInputTables(vfs: MemVfs, entries: readonly InternalEntry[]): Promise<TableMeta[]> {
  return [
    await inputTable(vfs, 1, entries.filter((_, i) => i % 2 === 0)),
    await inputTable(vfs, 2, entries.filter((_, i) => i % 2 === 1)),
  ]
}

function compactionJob(inputs: TableMeta[]): CompactionJob {
  return { directory: '/db', inputs, outputLevel: 1, snapshots: [], targetTableSizeBytes: 4096, otherTables: [] }
}

/** Runs `run` with TableIterator.prototype.value lying about the victim's value; restores it after. */
async function withLyingTableValues<T>(m: Mispairing, run: () => Promise<T>): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(TableIterator.prototype, 'value')!
  Object.defineProperty(TableIterator.prototype, 'value', {
    ...original,
    value(this: TableIterator): Uint8Array {
      const value = original.value.call(this)
      return this.key() === m.victim.key ? m.otherValue : value
    },
  })
  try {
    return await run()
  } finally {
    Object.defineProperty(TableIterator.prototype, 'value', original)
  }
}

describe('TableWriter.add() with a source checksum', () => {
  const entry = { key: 'k\x00', seqno: 7, kind: EntryKind.Put, value: Buffer.from('the value') }
  const checksum = kvChecksum(entry.key, entry.seqno, entry.kind, entry.value)

  for (const perKeyChecksums of [true, false]) {
    test(`refuses a value, seqno or kind that does not match it, before writing anything (table ${perKeyChecksums ? 'with' : 'without'} per-KV checksums)`, async () => {
      const vfs = new MemVfs()
      const file = vfs.create('/000009.sst')
      const writer = new TableWriter(file, { fileNumber: 9, perKeyChecksums, job: 'compaction' })
      const lies: [string, () => void][] = [
        ['value', () => writer.add(entry.key, entry.seqno, entry.kind, Buffer.from('another value'), checksum)],
        ['seqno', () => writer.add(entry.key, entry.seqno + 1, entry.kind, entry.value, checksum)],
        ['kind', () => writer.add(entry.key, entry.seqno, EntryKind.BlobHandle, entry.value, checksum)],
        ['key', () => writer.add('k\x01', entry.seqno, entry.kind, entry.value, checksum)],
      ]
      for (const [field, add] of lies) {
        assert.throws(add, (error: any) => {
          assert.equal(error.code, 'CORRUPTION', field)
          assert.match(error.message, /^Cannot write compaction output table \/000009\.sst: entry 0x6b0[01] at seqno \d+ does not match the per-KV checksum its source yielded/, field)
          assert.equal(error.details.fileNumber, 9, field)
          return true
        })
        assert.equal(writer.entryCount, 0, `${field}: nothing was added`)
      }
      writer.add(entry.key, entry.seqno, entry.kind, entry.value, checksum)
      writer.add('k\x02', 1, EntryKind.Delete, new Uint8Array(0), NO_KV_CHECKSUM)
      const finished = await writer.finish()
      file.close()
      assert.equal(finished.entryCount, 2)
      assert.equal(finished.formatVersion, perKeyChecksums ? 2 : 1)
      const reader = TableReader.open(vfs, '/000009.sst', 9)
      const got = reader.get(entry.key, 100)
      assert.deepEqual(got === undefined ? undefined : [got.seqno, got.kind, Buffer.from(got.value).toString()], [7, EntryKind.Put, 'the value'])
      reader.close()
    })
  }
})

describe('per-KV checksums across the merge: flush', () => {
  for (const lie of LIES) {
    test(`a flush refuses an entry handed on with another ${lie === 'value' ? "entry's value" : lie}: CORRUPTION naming the key`, async (t) => {
      const { seed, entries, m } = seededCase(t, lie)
      const memtable = memtableOf(entries)
      const buggy: FlushSource = { iterator: () => new MispairingIterator(memtable.iterator(), m), rangeTombstones: [] }
      await assert.rejects(flushMemtable(buggy, outputsOn(new MemVfs()), [], async () => {}),
        (error) => isSeamCorruption(error, m.victim, 'flush', `seed=${seed} lie=${lie}`))
      const added = await flushMemtable(memtable, outputsOn(new MemVfs()), [], async () => {})
      assert.equal(added[0].entryCount, entries.length, `seed=${seed}: the same flush without the lie writes every entry`)
    })
  }

  test('a memtable without per-KV checksums (a store without the option) gives nothing to compare', async (t) => {
    const { seed, entries, m } = seededCase(t, 'value')
    const memtable = memtableOf(entries, false)
    const buggy: FlushSource = { iterator: () => new MispairingIterator(memtable.iterator(), m), rangeTombstones: [] }
    const added = await flushMemtable(buggy, outputsOn(new MemVfs()), [], async () => {})
    assert.equal(added[0].entryCount, entries.length, `seed=${seed}: the uncovered path writes the lie (docs/per-kv-checksums.md §2)`)
  })
})

describe("per-KV checksums across the merge: the worker's flush from the log", () => {
  test('flushFromWal() rebuilds its memtable with CRCs, so a merge that hands on another value fails with CORRUPTION', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-seam-'))
    const original = Object.getOwnPropertyDescriptor(Memtable.prototype, 'iterator')!
    try {
      const db = await Db.open(directory, { flushThread: 'main', backgroundWork: false, integrity: { perKeyChecksums: true } })
      await db.batch([{ type: 'put', key: 'a', value: 'value of a' }, { type: 'put', key: 'b', value: 'value of b' }])
      await db.close()
      const logNumber = Number(fs.readdirSync(directory).filter((name) => name.endsWith('.wal')).sort().at(-1)!.slice(0, -4))
      const settings = { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10, integrity: { perKeyChecksums: true } }
      const job = (tableFileNumber: number) => ({
        directory, logNumber, encrypted: false, tableFileNumber, snapshots: [],
        expected: { entryCount: 2, rangeTombstoneCount: 0, smallestSeqno: 1, largestSeqno: 2 },
      })
      const m: Mispairing = { victim: { key: 'a', seqno: 1, kind: EntryKind.Put, value: Buffer.from('value of a') }, lie: 'value', otherValue: Buffer.from('value of b') }
      Object.defineProperty(Memtable.prototype, 'iterator', {
        ...original,
        value(this: Memtable): InternalIterator {
          return new MispairingIterator(original.value.call(this), m)
        },
      })
      await assert.rejects(flushFromWal(flushContextOf(settings, new NodeVfs()), job(1000)), (error) => isSeamCorruption(error, m.victim, 'flush', 'worker flush'))
      Object.defineProperty(Memtable.prototype, 'iterator', original)
      const result = await flushFromWal(flushContextOf(settings, new NodeVfs()), job(1001))
      assert.equal(result.added[0].entryCount, 2, 'without the lie both entries are written')
    } finally {
      Object.defineProperty(Memtable.prototype, 'iterator', original)
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe('per-KV checksums across the merge: compaction', () => {
  for (const lie of LIES) {
    test(`compactTables() on the main thread refuses an entry handed on with another ${lie === 'value' ? "entry's value" : lie}`, async (t) => {
      const { seed, entries, m } = seededCase(t, lie)
      const vfs = new MemVfs()
      const inputs = await twoInputTables(vfs, entries)
      const readers = new Map(inputs.map((table) => [table.fileNumber, TableReader.open(vfs, `/db/${tableFileName(table.fileNumber)}`, table.fileNumber)]))
      const source = (lying: boolean) => ({
        iterator: (table: TableMeta): InternalIterator => {
          const iterator = readers.get(table.fileNumber)!.iterator()
          return lying ? new MispairingIterator(iterator, m) : iterator
        },
        rangeTombstones: () => [],
      })
      await assert.rejects(compactTables(compactionJob(inputs), source(true), outputsOn(vfs)),
        (error) => isSeamCorruption(error, m.victim, 'compaction', `seed=${seed} lie=${lie}`))
      const result = await compactTables(compactionJob(inputs), source(false), outputsOn(vfs, true, 200))
      const puts = entries.filter((e) => e.kind !== EntryKind.Delete).length
      assert.equal(result.added.reduce((sum, table) => sum + table.entryCount, 0), puts, `seed=${seed}: without the lie every non-tombstone is written`)
      for (const reader of readers.values()) reader.close()
    })
  }

  test("compactFromFiles() (the worker's compaction) refuses an entry whose table iterator hands on another entry's value", async (t) => {
    const { seed, entries, m } = seededCase(t, 'value')
    const vfs = new MemVfs()
    const inputs = await twoInputTables(vfs, entries)
    const settings = resolveOptions({ vfs, integrity: { perKeyChecksums: true } }, () => vfs)
    let next = 300
    await withLyingTableValues(m, async () => {
      await assert.rejects(compactFromFiles(settings, compactionJob(inputs), async () => next++),
        (error) => isSeamCorruption(error, m.victim, 'compaction', `seed=${seed}`))
    })
    const result = await compactFromFiles(settings, compactionJob(inputs), async () => next++)
    assert.ok(result.added.length > 0, `seed=${seed}: without the lie the compaction writes its outputs`)
  })

  test("copyTable() (heal) refuses an entry whose table iterator hands on another entry's value", async (t) => {
    const { seed, entries, m } = seededCase(t, 'value')
    const vfs = new MemVfs()
    const table = await inputTable(vfs, 1, entries)
    const reader = TableReader.open(vfs, `/db/${tableFileName(table.fileNumber)}`, table.fileNumber)
    const outputs = outputsOn(vfs)
    await withLyingTableValues(m, async () => {
      assert.throws(() => copyTable(reader, outputs.create(0, 'rewrite')), (error) => isSeamCorruption(error, m.victim, 'rewrite', `seed=${seed}`))
    })
    assert.equal(copyTable(reader, outputs.create(0, 'rewrite')), entries.length, `seed=${seed}: without the lie every entry is copied`)
    reader.close()
  })
})

describe('per-KV checksums across the merge: a Db', () => {
  const original = Object.getOwnPropertyDescriptor(MergingIterator.prototype, 'value')!
  afterEach(() => Object.defineProperty(MergingIterator.prototype, 'value', original))

  test('a compaction whose merge hands on another entry\'s value fails with CORRUPTION; the inputs stay and read back right', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const vfs = new MemVfs()
    const db = await Db.open('/db', { vfs, backgroundWork: false, flushThread: 'main', compactionThread: 'main', integrity: { perKeyChecksums: true } })
    const prng = new Prng(seed)
    const keys = Array.from({ length: 100 }, (_, i) => `key-${String(i).padStart(3, '0')}`)
    const expected = new Map<string, string>()
    for (let round = 0; round < 2; round++) {
      for (const key of keys) {
        const value = `${key}-${round}-${prng.int(1e9)}`
        if (round === 0 || prng.int(2) === 0) expected.set(key, value)
        if (round === 0 || expected.get(key) === value) await db.put(key, value)
      }
      await db.flush()
    }
    const victimKey = keys[prng.int(keys.length)]
    Object.defineProperty(MergingIterator.prototype, 'value', {
      ...original,
      value(this: MergingIterator): Uint8Array {
        const value = original.value.call(this)
        return this.key() === victimKey ? Buffer.from('a value of another entry') : value
      },
    })
    await assert.rejects(db.compact(), (error: any) => {
      assert.equal(error.code, 'CORRUPTION', `seed=${seed}: ${error.message}`)
      assert.ok(error.message.includes(`compaction output table`) && error.message.includes(describeKey(victimKey)), `seed=${seed}: ${error.message}`)
      return true
    })
    Object.defineProperty(MergingIterator.prototype, 'value', original)
    for (const [key, value] of expected) assert.equal(Buffer.from((await db.get(key))!).toString(), value, `seed=${seed} key=${key}`)
    await db.close()
  })
})
