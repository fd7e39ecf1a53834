/**
 * Example: an attachment store for an app. Large files go in whole; readers fetch byte ranges
 * (an HTTP `Range:` request, a video seek) without reading the rest of the file.
 *
 * Layout: a file is cut into 64 KiB chunks stored under `att/<id>/c/<chunk index, 8 digits>`,
 * plus one metadata record `att/<id>/meta`. Chunk keys sort by index, so a range read is one
 * iterator over the chunks it touches. With `kvSeparation` every chunk (at least `minBlobSize`
 * bytes) lives in a blob file and is written to disk once; the index holds 20-byte handles.
 * One `batch()` stores all chunks and the metadata: after a crash a file is there whole or not
 * at all. Deleting a file is one `deleteRange` over its prefix; blob GC reclaims the space.
 *
 * Run: `node --import tsx examples/attachment-store.ts [directory]` (a temp dir by default).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { open, type BlobDbStats, type Db } from 'strata-kv'

/** Chunk size: big enough that a chunk is a blob (>= minBlobSize), small enough for cheap ranges. */
const CHUNK_SIZE_BYTES = 64 * 1024

interface AttachmentMeta {
  sizeBytes: number
  chunkCount: number
  contentType: string
  sha256: string
}

function chunkKey(id: string, chunkIndex: number): string {
  return `att/${id}/c/${String(chunkIndex).padStart(8, '0')}`
}

/** Stores `bytes` as attachment `id`, atomically. */
async function putAttachment(db: Db, id: string, bytes: Uint8Array, contentType: string): Promise<AttachmentMeta> {
  const chunkCount = Math.ceil(bytes.length / CHUNK_SIZE_BYTES)
  const meta: AttachmentMeta = { sizeBytes: bytes.length, chunkCount, contentType, sha256: sha256(bytes) }
  const operations: { type: 'put'; key: string; value: Uint8Array | string }[] = []
  for (let chunkIndex = 0; chunkIndex < chunkCount; chunkIndex++) {
    const start = chunkIndex * CHUNK_SIZE_BYTES
    operations.push({ type: 'put', key: chunkKey(id, chunkIndex), value: bytes.subarray(start, start + CHUNK_SIZE_BYTES) })
  }
  operations.push({ type: 'put', key: `att/${id}/meta`, value: JSON.stringify(meta) })
  await db.batch(operations, { sync: true })
  return meta
}

async function getMeta(db: Db, id: string): Promise<AttachmentMeta | undefined> {
  const value = await db.get(`att/${id}/meta`)
  return value === undefined ? undefined : (JSON.parse(value.toString()) as AttachmentMeta)
}

/** Bytes [start, end) of attachment `id`, reading only the chunks that overlap the range. */
async function readRange(db: Db, id: string, start: number, end: number): Promise<Buffer> {
  const meta = await getMeta(db, id)
  if (meta === undefined) throw new Error(`no attachment ${id}`)
  end = Math.min(end, meta.sizeBytes)
  if (start >= end) return Buffer.alloc(0)
  const firstChunk = Math.floor(start / CHUNK_SIZE_BYTES)
  const lastChunk = Math.floor((end - 1) / CHUNK_SIZE_BYTES)
  const parts: Buffer[] = []
  let chunkIndex = firstChunk
  for await (const [, value] of db.iterator({ gte: chunkKey(id, firstChunk), lte: chunkKey(id, lastChunk) })) {
    const chunkStart = chunkIndex * CHUNK_SIZE_BYTES
    parts.push(value.subarray(Math.max(0, start - chunkStart), Math.min(value.length, end - chunkStart)))
    chunkIndex++
  }
  return Buffer.concat(parts)
}

/** Removes attachment `id` (its chunks and metadata) with one range deletion. */
async function deleteAttachment(db: Db, id: string): Promise<void> {
  await db.deleteRange(`att/${id}/`, `att/${id}0`) // '0' is the byte after '/'
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Deterministic pseudo-random file contents (xorshift32), so the output is the same every run. */
function syntheticFile(sizeBytes: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(sizeBytes)
  let state = seed >>> 0 || 1
  for (let index = 0; index < sizeBytes; index++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[index] = state & 0xff
  }
  return bytes
}

async function main(): Promise<void> {
  const directory = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-attachments-'))
  const db = await open(directory, { kvSeparation: { minBlobSize: 1024 } })
  try {
    const video = syntheticFile(5 * 1024 * 1024 + 123, 42)
    const meta = await putAttachment(db, 'video-1', video, 'video/mp4')
    console.log(`stored video-1: ${meta.sizeBytes} bytes in ${meta.chunkCount} chunks`)

    const ranges: [number, number][] = [[0, 100], [65_000, 70_000], [5 * 1024 * 1024, 5 * 1024 * 1024 + 123]]
    for (const [start, end] of ranges) {
      const range = await readRange(db, 'video-1', start, end)
      const same = Buffer.compare(range, video.subarray(start, end)) === 0
      console.log(`range ${start}-${end}: ${range.length} bytes, ${same ? 'matches' : 'DIFFERS FROM'} the original`)
      if (!same) process.exitCode = 1
    }
    const whole = await readRange(db, 'video-1', 0, meta.sizeBytes)
    console.log(`whole file sha256 ${sha256(whole) === meta.sha256 ? 'matches' : 'DIFFERS'}`)

    await db.flush()
    const { blob } = db.stats() as BlobDbStats // open() with kvSeparation returns a BlobDb
    console.log(`blob files: ${blob.fileCount}, separated values: ${blob.separatedValueCount}`)

    await deleteAttachment(db, 'video-1')
    console.log(`after delete: meta ${(await getMeta(db, 'video-1')) === undefined ? 'gone' : 'still there'}`)
    await db.compact() // drops the chunks' handles; blob GC then reclaims the dead files
    console.log(`after compact: live blob bytes ${(db.stats() as BlobDbStats).blob.liveBytes}`)
  } finally {
    await db.close()
  }
}

await main()
