/**
 * Goal: streamed values interleave correctly with ordinary puts and deletes of the same keys,
 * through flushes, compactions, GC, reopen and power loss: every read equals a model that
 * applies each acknowledged write in order.
 * Method: a seeded sequence (STRATA_SEED replays) of put (inline and separated), putStream
 * (0 to 6 chunks, pieces of seeded sizes), delete, compact, gc, reopen and crash (MemVfs.crash:
 * every write is synced, so the model survives whole) over four keys on MemVfs, comparing get,
 * getStream and valueSize with a Map after each step; small chunks and files so GC has work.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs } from '../index.ts'
import { readStream } from '../blobtree/testing/read-stream.ts'
import { Rng, seedFromEnv } from './support/seed.ts'

const STEP_COUNT = 150
const KEYS = ['a', 'b', 'c', 'd']
const kv = { minBlobSize: 256, streamChunkSizeBytes: 1024, blobFileSizeBytesTarget: 8 * 1024, stalenessThreshold: 0.25, gcOnCompact: true }

function valueOf(rng: Rng, sizeBytes: number, step: number): Buffer {
  const bytes = Buffer.alloc(sizeBytes)
  for (let index = 0; index < sizeBytes; index++) bytes[index] = (step * 7 + index + (index % 97 === 0 ? rng.below(256) : 0)) & 0xff
  return bytes
}

function* piecesOf(bytes: Buffer, rng: Rng): Generator<Uint8Array> {
  let offset = 0
  while (offset < bytes.length) {
    const sizeBytes = 1 + rng.below(2500)
    yield bytes.subarray(offset, offset + sizeBytes)
    offset += sizeBytes
  }
}


test('streamed and ordinary writes of the same keys match a model through GC, reopen and crash', async (t) => {
  const seed = seedFromEnv('blob-stream model')
  t.diagnostic(`seed=${seed}`)
  const rng = new Rng(seed)
  let vfs = new MemVfs()
  let db = await BlobDb.open('/model', { vfs, memtableSizeBytes: 16 * 1024 }, kv)
  const model = new Map<string, Buffer>()
  const counts: Record<string, number> = {}
  for (let step = 0; step < STEP_COUNT; step++) {
    const key = KEYS[rng.below(KEYS.length)]
    const roll = rng.below(100)
    const op = roll < 35 ? 'putStream' : roll < 60 ? 'put' : roll < 72 ? 'delete' : roll < 82 ? 'compact' : roll < 88 ? 'gc' : roll < 94 ? 'reopen' : 'crash'
    counts[op] = (counts[op] ?? 0) + 1
    const label = `seed=${seed} step=${step} ${op} ${key}`
    if (op === 'putStream') {
      const value = valueOf(rng, rng.below(6 * kv.streamChunkSizeBytes + 2), step)
      assert.equal(await db.putStream(key, piecesOf(value, rng), { sync: true }), value.length, label)
      model.set(key, value)
    } else if (op === 'put') {
      const value = valueOf(rng, rng.below(2) === 0 ? rng.below(200) : 256 + rng.below(3000), step)
      await db.put(key, value, { sync: true })
      model.set(key, value)
    } else if (op === 'delete') {
      await db.delete(key, { sync: true })
      model.delete(key)
    } else if (op === 'compact') {
      await db.compact()
    } else if (op === 'gc') {
      await db.gc()
    } else if (op === 'reopen') {
      await db.close()
      db = await BlobDb.open('/model', { vfs, memtableSizeBytes: 16 * 1024 }, kv)
    } else {
      const crashed = vfs.crash()
      await db.close().catch(() => undefined)
      vfs = crashed
      db = await BlobDb.open('/model', { vfs, memtableSizeBytes: 16 * 1024 }, kv)
    }
    for (const checkKey of KEYS) {
      const expected = model.get(checkKey)
      assert.deepEqual(await db.get(checkKey), expected, `${label}: get ${checkKey}`)
      assert.equal(db.valueSize(checkKey), expected?.length, `${label}: valueSize ${checkKey}`)
      if (step % 5 === 0) assert.deepEqual(await readStream(db, checkKey), expected, `${label}: getStream ${checkKey}`)
    }
  }
  t.diagnostic(`ops: ${JSON.stringify(counts)}; blob: ${JSON.stringify({ files: db.stats().blob.fileCount, deadFilesFoundLive: db.stats().blob.deadFilesFoundLive })}`)
  assert.equal(db.stats().blob.deadFilesFoundLive, 0, `seed=${seed}`)
  const blobFilesOnDisk = vfs.list('/model').filter((name) => name.endsWith('.blob')).length
  assert.equal(blobFilesOnDisk, db.stats().blob.fileCount, `seed=${seed}: every blob file on disk is listed`)
  await db.close()
})
