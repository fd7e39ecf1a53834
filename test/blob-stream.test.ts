/**
 * Goal: a value written with putStream reads back byte for byte, whole and in ranges, through
 * getStream and get, under the plain codec and the full integrity stack, across overwrites,
 * deletes, reopen, flush, compaction and GC relocation; streaming interleaves with put/delete of
 * the same key in index-write order; a failed source leaves the old value and no blob space.
 * Method: MemVfs (and NodeVfs where a real file system matters); seeded bytes from a PRNG
 * (STRATA_SEED replays); a 4 KiB chunk size so every edge (0, 1, chunk − 1, chunk, chunk + 1,
 * many chunks) is small.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { Readable } from 'node:stream'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BlobDb, MemVfs, NodeVfs } from '../index.ts'
import type { IntegrityOptions } from '../engine/integrity-options.ts'
import { readStream } from '../blobtree/testing/read-stream.ts'
import { Rng, seedFromEnv } from './support/seed.ts'

const CHUNK_SIZE_BYTES = 4096
const SIZES_BYTES = [0, 1, CHUNK_SIZE_BYTES - 1, CHUNK_SIZE_BYTES, CHUNK_SIZE_BYTES + 1, 3 * CHUNK_SIZE_BYTES + 17, 40 * CHUNK_SIZE_BYTES]
const kv = { minBlobSize: 512, streamChunkSizeBytes: CHUNK_SIZE_BYTES, blobFileSizeBytesTarget: 64 * 1024, gcOnCompact: false }

const FULL_STACK: IntegrityOptions = {
  compression: { kind: 'zstd', level: 3 },
  encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: new Uint8Array(32).fill(9) }], activeEpoch: 1 },
  ecc: 'reed-solomon',
}

function bytesOf(rng: Rng, sizeBytes: number): Buffer {
  const bytes = Buffer.alloc(sizeBytes)
  // Half random, half repeated text: zstd gets something to compress and something it cannot.
  for (let index = 0; index < sizeBytes; index++) bytes[index] = index % 512 < 256 ? rng.below(256) : 0x61 + (index % 7)
  return bytes
}

/** Yields `bytes` in pieces of seeded sizes (1 byte to 3 chunks), as a network socket would. */
async function* piecesOf(bytes: Uint8Array, rng: Rng): AsyncGenerator<Uint8Array> {
  let offset = 0
  while (offset < bytes.length) {
    const sizeBytes = 1 + rng.below(3 * CHUNK_SIZE_BYTES)
    yield bytes.subarray(offset, offset + sizeBytes)
    offset += sizeBytes
  }
}


async function checkValue(db: BlobDb, key: string, expected: Buffer, rng: Rng, label: string): Promise<void> {
  assert.equal(db.valueSize(key), expected.length, `${label}: valueSize`)
  assert.deepEqual(await readStream(db, key), expected, `${label}: getStream whole`)
  assert.deepEqual(await db.get(key), expected, `${label}: get`)
  const ranges: [number, number][] = [[0, 0], [0, 1], [expected.length, expected.length + 10]]
  for (let index = 0; index < 4; index++) {
    const start = rng.below(expected.length + 1)
    ranges.push([start, start + rng.below(expected.length - start + 1)])
  }
  for (const [start, end] of ranges) {
    const range = await readStream(db, key, { start, end })
    assert.deepEqual(range, expected.subarray(start, end), `${label}: range ${start}-${end}`)
  }
}

for (const [name, integrity] of [['plain', undefined], ['zstd + aes-256-gcm + reed-solomon', FULL_STACK]] as const) {
  describe(`putStream() / getStream() with ${name}`, () => {
    test('round-trips every edge size, in ranges, across overwrite, delete and reopen', async (t) => {
      const seed = seedFromEnv(`blob-stream round trip ${name}`)
      t.diagnostic(`seed=${seed}`)
      const rng = new Rng(seed)
      const vfs = new MemVfs()
      const open = (): Promise<BlobDb> => BlobDb.open('/stream', { vfs, integrity }, kv)
      let db = await open()
      const model = new Map<string, Buffer>()
      for (const sizeBytes of SIZES_BYTES) {
        const value = bytesOf(rng, sizeBytes)
        const key = `v${sizeBytes}`
        assert.equal(await db.putStream(key, piecesOf(value, rng), { sync: sizeBytes % 2 === 0 }), sizeBytes)
        model.set(key, value)
        await checkValue(db, key, value, rng, `seed=${seed} size=${sizeBytes}`)
      }
      // Overwrite in reverse size order, so each key moves between inline, one frame and chunks.
      const reversed = [...SIZES_BYTES].reverse()
      for (let index = 0; index < SIZES_BYTES.length; index++) {
        const key = `v${SIZES_BYTES[index]}`
        const value = bytesOf(rng, reversed[index])
        await db.putStream(key, Readable.from([value]))
        model.set(key, value)
      }
      await db.delete(`v${CHUNK_SIZE_BYTES + 1}`)
      model.delete(`v${CHUNK_SIZE_BYTES + 1}`)
      for (const phase of ['before reopen', 'after reopen', 'after compact']) {
        if (phase === 'after reopen') {
          await db.close()
          db = await open()
        }
        if (phase === 'after compact') await db.compact()
        for (const sizeBytes of SIZES_BYTES) {
          const key = `v${sizeBytes}`
          const expected = model.get(key)
          if (expected === undefined) {
            assert.equal(await db.getStream(key), undefined, `seed=${seed} ${phase}: ${key} deleted`)
            assert.equal(db.valueSize(key), undefined)
            continue
          }
          await checkValue(db, key, expected, rng, `seed=${seed} ${phase} ${key}`)
        }
      }
      await db.close()
    })
  })
}

describe('putStream()', () => {
  test('interleaves with put and delete of the same key in index-write order', async (t) => {
    const seed = seedFromEnv('blob-stream interleave')
    t.diagnostic(`seed=${seed}`)
    const rng = new Rng(seed)
    const db = await BlobDb.open('/interleave', { vfs: new MemVfs() }, kv)
    const streamed = bytesOf(rng, 5 * CHUNK_SIZE_BYTES)
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    async function* gated(): AsyncGenerator<Uint8Array> {
      yield streamed.subarray(0, CHUNK_SIZE_BYTES * 2)
      await gate
      yield streamed.subarray(CHUNK_SIZE_BYTES * 2)
    }
    await db.put('k', 'old')
    const pending = db.putStream('k', gated())
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(await db.get('k'), Buffer.from('old'), 'no partial value is visible mid-stream')
    await db.put('k', 'newer put')
    assert.deepEqual(await db.get('k'), Buffer.from('newer put'))
    release()
    await pending
    assert.deepEqual(await db.get('k'), streamed, 'the stream completed last, so it wins')
    await db.delete('k')
    assert.equal(await db.get('k'), undefined)
    await db.put('k', Buffer.alloc(2000, 1))
    assert.deepEqual(await db.get('k'), Buffer.alloc(2000, 1))
    await db.close()
  })

  test('a failing source leaves the old value and deletes the chunk files it wrote', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/fail', { vfs }, kv)
    await db.put('k', 'old')
    const blobFilesBefore = vfs.list('/fail').filter((name) => name.endsWith('.blob')).sort()
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(10 * CHUNK_SIZE_BYTES, 7)
      throw new Error('source broke')
    }
    await assert.rejects(db.putStream('k', failing()), /source broke/)
    await assert.rejects(db.putStream('k', [Buffer.alloc(CHUNK_SIZE_BYTES), 'text' as unknown as Uint8Array]), { code: 'INVALID_ARGUMENT' })
    await assert.rejects(db.putStream('k', 42 as unknown as Iterable<Uint8Array>), { code: 'INVALID_ARGUMENT' })
    assert.deepEqual(await db.get('k'), Buffer.from('old'))
    assert.deepEqual(vfs.list('/fail').filter((name) => name.endsWith('.blob')).sort(), blobFilesBefore)
    await db.close()
  })

  test('get() of a streamed value past streamGetSizeBytesMax throws VALUE_TOO_LARGE naming getStream', async () => {
    const db = await BlobDb.open('/limit', { vfs: new MemVfs() }, { ...kv, streamGetSizeBytesMax: 10_000 })
    await db.putStream('big', [Buffer.alloc(20_000, 3)])
    await assert.rejects(db.get('big'), (error: Error & { code?: string }) => error.code === 'VALUE_TOO_LARGE' && /getStream/.test(error.message))
    assert.deepEqual(await readStream(db, 'big'), Buffer.alloc(20_000, 3))
    await db.close()
  })

  test('rejects bad ranges and options with INVALID_ARGUMENT, and CLOSED after close', async () => {
    const db = await BlobDb.open('/args', { vfs: new MemVfs() }, kv)
    await db.putStream('k', [Buffer.alloc(100)])
    await assert.rejects(db.getStream('k', { start: -1 }), { code: 'INVALID_ARGUMENT' })
    await assert.rejects(db.getStream('k', { end: 1.5 }), { code: 'INVALID_ARGUMENT' })
    assert.deepEqual(await readStream(db, 'k', { start: 50, end: 10 }), Buffer.alloc(0))
    await assert.rejects(BlobDb.open('/args2', { vfs: new MemVfs() }, { streamChunkSizeBytes: 10 }), { code: 'INVALID_ARGUMENT' })
    await db.close()
    await assert.rejects(db.putStream('k', [Buffer.alloc(1)]), { code: 'CLOSED' })
    await assert.rejects(db.getStream('k'), { code: 'CLOSED' })
  })

  test('rejects a bad highWaterMark with INVALID_ARGUMENT and releases its snapshot', async () => {
    const db = await BlobDb.open('/hwm', { vfs: new MemVfs() }, kv)
    const value = Buffer.alloc(3 * CHUNK_SIZE_BYTES + 5, 4)
    await db.putStream('k', [value])
    for (const highWaterMark of [-1, Number.NaN, 1.5, Number.POSITIVE_INFINITY, 'x', null, {}]) {
      await assert.rejects(db.getStream('k', { highWaterMark: highWaterMark as number }), { code: 'INVALID_ARGUMENT' }, `highWaterMark ${String(highWaterMark)}`)
    }
    for (const highWaterMark of [0, 1, 16 * 1024]) assert.deepEqual(await readStream(db, 'k', { highWaterMark }), value, `highWaterMark ${highWaterMark}`)
    assert.equal(db.stats().snapshotCount, 0, 'no snapshot left pinned')
    await db.close()
  })

  test('close() cuts open streams (their next read fails CLOSED) and leaves no file descriptor into the store', async () => {
    // A stream opened before close() read on afterwards, reopening blob readers that nothing
    // closed again: five descriptors stayed open per store (review, 2026-11-26).
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-stream-close-'))
    const fdsInto = (): string[] => fs.readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = fs.readlinkSync(`/proc/self/fd/${fd}`)
        return target.startsWith(directory) ? [target] : []
      } catch {
        return [] // the descriptor readdir itself used, closed by now
      }
    })
    try {
      let db = await BlobDb.open(directory, { vfs: new NodeVfs() }, { ...kv, blobFileSizeBytesTarget: 16 * 1024 })
      const value = Buffer.alloc(20 * CHUNK_SIZE_BYTES, 1)
      await db.putStream('k', [value])
      await db.close()
      db = await BlobDb.open(directory, { vfs: new NodeVfs() }, { ...kv, blobFileSizeBytesTarget: 16 * 1024 })
      const reading = (await db.getStream('k', { highWaterMark: 1 }))!
      const idle = (await db.getStream('k'))!
      // Paused mode: flowing, the synchronous reads would consume the whole value in one turn.
      await new Promise((resolve) => reading.once('readable', resolve))
      const first = reading.read() as Buffer
      assert.ok(first.length > 0 && first.length < value.length)
      // Node reads ahead after read(): after close that read fails, as any read error, with an
      // 'error' event (uncaught without a listener, as for every Readable).
      const errors: (Error & { code?: string })[] = []
      reading.on('error', (error) => errors.push(error))
      await db.close()
      assert.deepEqual(fdsInto(), [], 'no descriptor into the store after close')
      let bytesAfterClose = 0
      await assert.rejects(async () => {
        for await (const piece of reading) bytesAfterClose += (piece as Buffer).length
      }, { code: 'CLOSED' })
      assert.ok(first.length + bytesAfterClose < value.length, `only buffered bytes after close (${bytesAfterClose})`)
      assert.deepEqual(errors.map((error) => error.code), ['CLOSED'])
      await assert.rejects(async () => {
        for await (const _ of idle) assert.fail('a stream never read reads nothing after close')
      }, { code: 'CLOSED' })
      assert.deepEqual(fdsInto(), [], 'reading after close opened no descriptor')
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe('checkpoint() with streamed values', () => {
  test('the copy reads streamed values, including one committed while the checkpoint ran', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/cp', { vfs }, kv)
    const value = Buffer.alloc(5 * CHUNK_SIZE_BYTES + 3, 9)
    await db.putStream('s', [value])
    const concurrent = db.putStream('t', [value.subarray(1)])
    await db.checkpoint('/cp-copy')
    await concurrent
    await db.close()
    const copy = await BlobDb.open('/cp-copy', { vfs }, kv)
    assert.deepEqual(await readStream(copy, 's'), value)
    const t = await readStream(copy, 't')
    assert.ok(t === undefined || t.equals(value.subarray(1)), 'the concurrent stream is in the copy whole or not at all')
    assert.equal(vfs.list('/cp-copy').filter((name) => name.endsWith('.blob')).length, copy.stats().blob.fileCount, 'every blob file the copy holds is listed')
    await copy.close()
  })
})
