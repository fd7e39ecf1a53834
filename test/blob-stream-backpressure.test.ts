/**
 * Goal: backpressure holds both ways. getStream reads one chunk per `_read()`, so a slow consumer
 * keeps read-ahead within the Readable's highWaterMark plus one chunk, however long it pauses;
 * putStream pulls the source one piece at a time, so a slow source (a network upload) works and
 * is never asked for more than one piece ahead of what was stored.
 * Method: MemVfs, 4 KiB chunks; the consumer pauses between reads (a pause only gives the stream
 * room to over-read: the bound must hold whatever its length); ValueStream.chunkReadCount counts
 * frames read; the slow source is a Readable whose `_read` pushes one piece on a timer.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { Readable } from 'node:stream'
import { BlobDb, MemVfs, type ValueStream } from '../index.ts'

const CHUNK_SIZE_BYTES = 4096
const CHUNK_COUNT = 40
const kv = { minBlobSize: 512, streamChunkSizeBytes: CHUNK_SIZE_BYTES }

function patterned(sizeBytes: number): Buffer {
  const bytes = Buffer.alloc(sizeBytes)
  for (let index = 0; index < sizeBytes; index++) bytes[index] = (index * 31 + (index >> 12)) & 0xff
  return bytes
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

describe('getStream() backpressure', () => {
  for (const highWaterMarkChunks of [1, 4]) {
    test(`a slow consumer keeps read-ahead within highWaterMark (${highWaterMarkChunks} chunks) plus one chunk`, async () => {
      const db = await BlobDb.open('/slow-reader', { vfs: new MemVfs() }, kv)
      const value = patterned(CHUNK_COUNT * CHUNK_SIZE_BYTES)
      await db.putStream('v', [value])
      const stream = (await db.getStream('v', { highWaterMark: highWaterMarkChunks * CHUNK_SIZE_BYTES })) as ValueStream
      const parts: Buffer[] = []
      let consumedBytes = 0
      let readAheadChunksMax = 0
      for await (const part of stream) {
        parts.push(part as Buffer)
        consumedBytes += (part as Buffer).length
        await pause(2)
        const consumedChunks = Math.ceil(consumedBytes / CHUNK_SIZE_BYTES)
        readAheadChunksMax = Math.max(readAheadChunksMax, stream.chunkReadCount - consumedChunks)
      }
      assert.deepEqual(Buffer.concat(parts), value)
      assert.equal(stream.chunkReadCount, CHUNK_COUNT, 'each chunk read once')
      assert.ok(readAheadChunksMax <= highWaterMarkChunks + 1, `read ahead by ${readAheadChunksMax} chunks`)
      await db.close()
    })
  }

  test('a stream never read reads nothing; destroying it releases its snapshot so GC can delete', async () => {
    const db = await BlobDb.open('/idle-reader', { vfs: new MemVfs() }, { ...kv, gcOnCompact: false })
    await db.putStream('v', [patterned(CHUNK_COUNT * CHUNK_SIZE_BYTES)])
    const stream = (await db.getStream('v')) as ValueStream
    await pause(5)
    assert.equal(stream.chunkReadCount, 0, 'no consumer, no read')
    await db.putStream('v', [patterned(100)])
    await db.compact()
    assert.deepEqual((await db.gc()).deletedFileNumbers, [], 'the open stream pins the old value and its files')
    stream.destroy()
    await new Promise((resolve) => stream.once('close', resolve))
    // A new write to the key makes the next compaction merge its versions (an unchanged tree
    // may be left as is); with no snapshot left, the first stream's entry is dropped.
    await db.put('v', 'third')
    await db.compact()
    assert.ok((await db.gc()).deletedFileNumbers.length > 0, 'destroyed: the old value is dropped and its files go')
    await db.close()
  })
})

describe('putStream() backpressure', () => {
  test('a slow source is pulled one piece at a time and stored whole', async () => {
    const db = await BlobDb.open('/slow-source', { vfs: new MemVfs() }, kv)
    const value = patterned(10 * CHUNK_SIZE_BYTES + 123)
    const pieceSizeBytes = 1500
    let offsetBytes = 0
    let pendingPushes = 0
    let pendingPushesMax = 0
    const source = new Readable({
      highWaterMark: pieceSizeBytes,
      read() {
        pendingPushes++
        pendingPushesMax = Math.max(pendingPushesMax, pendingPushes)
        setTimeout(() => {
          pendingPushes--
          const piece = value.subarray(offsetBytes, offsetBytes + pieceSizeBytes)
          offsetBytes += piece.length
          this.push(piece.length > 0 ? piece : null)
        }, 1)
      },
    })
    assert.equal(await db.putStream('v', source, { sync: true }), value.length)
    assert.equal(pendingPushesMax, 1, 'never more than one piece requested at a time')
    assert.deepEqual(await db.get('v'), value)
    await db.close()
  })
})
