// Goal: an iterator's readahead and its cache policy change how blocks are fetched, never what
// an iterator returns: a forward scan reads many blocks per file read, a value view survives
// the window moving on, a scan never evicts from a full cache, and a cold cache still warms.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { MemVfs, type Vfs, type VfsFile } from '../vfs/mod.ts'
import { BlockCache } from '../cache/mod.ts'
import { TableReader } from './mod.ts'
import { Prng, randomEntries, seedFromEnv, writeTable } from './test-support.ts'
import { READAHEAD_SIZE_BYTES_MAX } from './readahead.ts'

const seed = seedFromEnv()

/** A read-only file that counts its reads. */
class CountingFile implements VfsFile {
  readonly path: string
  readonly #file: VfsFile
  readonly #count: () => void
  constructor(file: VfsFile, count: () => void) {
    this.path = file.path
    this.#file = file
    this.#count = count
  }
  read(target: Uint8Array, positionBytes: number): number {
    this.#count()
    return this.#file.read(target, positionBytes)
  }
  append(chunks: readonly Uint8Array[]): void { this.#file.append(chunks) }
  sync(): Promise<void> { return this.#file.sync() }
  sizeBytes(): number { return this.#file.sizeBytes() }
  truncate(sizeBytes: number): void { this.#file.truncate(sizeBytes) }
  close(): void { this.#file.close() }
}

/** A Vfs (only openRead is used by TableReader) whose files count their reads. */
function countingVfs(inner: MemVfs): { vfs: Vfs, reads: () => number } {
  let readCount = 0
  const vfs = { openRead: (path: string): VfsFile => new CountingFile(inner.openRead(path), () => readCount++) } as unknown as Vfs
  return { vfs, reads: () => readCount }
}

async function sampleTable() {
  const entries = randomEntries(new Prng(seed), 2000, 2, 200)
  const { vfs, path, finished } = await writeTable(entries, { blockSizeBytes: 1024 })
  return { entries, vfs, path, blockCount: finished.dataBlockCount }
}

function scan(reader: TableReader): string[] {
  const seen: string[] = []
  const iterator = reader.iterator()
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) seen.push(`${iterator.key()}|${iterator.seqno()}|${Buffer.from(iterator.value()).toString('hex')}`)
  iterator.close()
  return seen
}

describe(`Readahead and iterator cache policy (seed ${seed})`, () => {
  test('a forward scan reads many blocks per file read and returns every entry', async () => {
    const { entries, vfs: memVfs, path, blockCount } = await sampleTable()
    const { vfs, reads } = countingVfs(memVfs)
    const reader = TableReader.open(vfs, path, 7)
    const openReads = reads()
    const seen = scan(reader)
    assert.deepEqual(seen, entries.map((e) => `${e.key}|${e.seqno}|${Buffer.from(e.value).toString('hex')}`))
    const scanReads = reads() - openReads
    assert.ok(blockCount > 200, `${blockCount} blocks`)
    // Windows grow 16, 32, … 256 KiB: far fewer reads than blocks.
    assert.ok(scanReads * 10 < blockCount, `${scanReads} reads for ${blockCount} blocks`)
    assert.ok(scanReads >= Math.floor(blockCount * 1024 / READAHEAD_SIZE_BYTES_MAX), `${scanReads} reads`)
    reader.close()
  })

  test('a value view taken before next() stays intact after the window moves on', async () => {
    const { entries, vfs, path } = await sampleTable()
    const reader = TableReader.open(vfs, path, 7)
    const iterator = reader.iterator()
    const held: { view: Uint8Array, expected: Uint8Array }[] = []
    let index = 0
    for (iterator.seekToFirst(); iterator.valid(); iterator.next(), index++) {
      if (index % 50 === 0) held.push({ view: iterator.value(), expected: entries[index].value })
    }
    for (const { view, expected } of held) assert.deepEqual(Buffer.from(view), Buffer.from(expected))
    iterator.close()
    reader.close()
  })

  test('seeks and reverse steps read single blocks and agree with a forward scan', async () => {
    const { entries, vfs, path } = await sampleTable()
    const reader = TableReader.open(vfs, path, 7)
    const iterator = reader.iterator()
    const prng = new Prng(seed + 1)
    for (let probe = 0; probe < 200; probe++) {
      const target = entries[prng.int(entries.length)]
      iterator.seek(target.key)
      assert.equal(iterator.key(), target.key)
      for (let step = prng.int(30); step > 0 && iterator.valid(); step--) iterator.next()
      for (let step = prng.int(30); step > 0 && iterator.valid(); step--) iterator.prev()
    }
    const backward: string[] = []
    for (iterator.seekToLast(); iterator.valid(); iterator.prev()) backward.push(`${iterator.key()}|${iterator.seqno()}`)
    assert.deepEqual(backward.reverse(), entries.map((e) => `${e.key}|${e.seqno}`))
    iterator.close()
    reader.close()
  })

  test('a scan warms a cold cache but never evicts from a full one; fillCache: true does', async () => {
    const { vfs, path, blockCount } = await sampleTable()
    const small = new BlockCache({ capacityBytes: 64 * 1024 })
    const reader = TableReader.open(vfs, path, 7, { blockCache: small })
    const expected = scan(reader)
    const warmed = small.stats()
    assert.ok(warmed.entryCount > 10 && warmed.entryCount < blockCount, `${warmed.entryCount} cached`)
    assert.equal(warmed.evictionCount, 0)
    assert.deepEqual(scan(reader), expected)
    assert.equal(small.stats().evictionCount, 0)
    assert.ok(small.stats().hitCount >= warmed.entryCount)
    const iterator = reader.iterator(undefined, { fillCache: true })
    for (iterator.seekToFirst(); iterator.valid(); iterator.next());
    iterator.close()
    assert.ok(small.stats().evictionCount > 0)
    reader.close()
  })
})
