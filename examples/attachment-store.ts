/**
 * Example: an attachment store for an app. Large files stream in without being held in memory,
 * and readers fetch byte ranges (an HTTP `Range:` request, a video seek) as streams, reading
 * only the chunks the range touches.
 *
 * Layout: a file's bytes live under `att/<id>/body`, written with `putStream` from a file
 * stream; its metadata under `att/<id>/meta`, written after the body, so the metadata is the
 * commit point (a body without metadata is an upload that did not finish). The store cuts the
 * body into 64 KiB chunks (`streamChunkSizeBytes`), each one blob frame written to disk once;
 * the index holds a chunk list. Until putStream resolves, and after a crash mid-upload, the key
 * keeps its previous value and the chunks written so far are deleted at the next open.
 * Deleting a file is one `deleteRange` over its prefix; blob GC reclaims the space.
 *
 * Run: `node --import tsx examples/attachment-store.ts [directory]` (a temp dir by default).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BlobDb } from 'strata-kv'

/** Chunk size of streamed bodies: small enough for cheap ranges, large enough for a short chunk list. */
const CHUNK_SIZE_BYTES = 64 * 1024

interface AttachmentMeta {
  sizeBytes: number
  contentType: string
  sha256: string
}

/** Streams the file at `sourcePath` into attachment `id`; the metadata is written once the body is stored. */
async function putAttachment(db: BlobDb, id: string, sourcePath: string, contentType: string): Promise<AttachmentMeta> {
  const hash = createHash('sha256')
  // Hashes each piece on its way through; pulling from the generator pulls from the file, so
  // the file is read only as fast as the store writes (backpressure).
  async function* hashed(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const piece of source) {
      hash.update(piece)
      yield piece
    }
  }
  const source = fs.createReadStream(sourcePath, { highWaterMark: CHUNK_SIZE_BYTES })
  const sizeBytes = await db.putStream(`att/${id}/body`, hashed(source), { sync: true })
  const meta: AttachmentMeta = { sizeBytes, contentType, sha256: hash.digest('hex') }
  await db.put(`att/${id}/meta`, JSON.stringify(meta), { sync: true })
  return meta
}

async function getMeta(db: BlobDb, id: string): Promise<AttachmentMeta | undefined> {
  const value = await db.get(`att/${id}/meta`)
  return value === undefined ? undefined : (JSON.parse(value.toString()) as AttachmentMeta)
}

/** Bytes [start, end) of attachment `id`, read through a stream over just that range. */
async function readRange(db: BlobDb, id: string, start: number, end: number): Promise<Buffer> {
  if ((await getMeta(db, id)) === undefined) throw new Error(`no attachment ${id}`)
  const stream = await db.getStream(`att/${id}/body`, { start, end })
  if (stream === undefined) throw new Error(`attachment ${id} has metadata but no body`)
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

/** Removes attachment `id` (its body and metadata) with one range deletion. */
async function deleteAttachment(db: BlobDb, id: string): Promise<void> {
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
  const uploads = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-uploads-'))
  // BlobDb.open is open(directory, { kvSeparation }) with the streaming methods in its type.
  const db = await BlobDb.open(directory, {}, { minBlobSize: 1024, streamChunkSizeBytes: CHUNK_SIZE_BYTES })
  try {
    const video = syntheticFile(5 * 1024 * 1024 + 123, 42)
    const videoPath = path.join(uploads, 'video.mp4')
    fs.writeFileSync(videoPath, video)
    const meta = await putAttachment(db, 'video-1', videoPath, 'video/mp4')
    console.log(`stored video-1: ${meta.sizeBytes} bytes in ${Math.ceil(meta.sizeBytes / CHUNK_SIZE_BYTES)} chunks`)

    const ranges: [number, number][] = [[0, 100], [65_000, 70_000], [5 * 1024 * 1024, 5 * 1024 * 1024 + 123]]
    for (const [start, end] of ranges) {
      const range = await readRange(db, 'video-1', start, end)
      const same = Buffer.compare(range, video.subarray(start, end)) === 0
      console.log(`range ${start}-${end}: ${range.length} bytes, ${same ? 'matches' : 'DIFFERS FROM'} the original`)
      if (!same) process.exitCode = 1
    }
    const whole = await readRange(db, 'video-1', 0, meta.sizeBytes)
    const wholeMatches = sha256(whole) === meta.sha256 && meta.sha256 === sha256(video)
    console.log(`whole file sha256 ${wholeMatches ? 'matches' : 'DIFFERS'}`)
    if (!wholeMatches) process.exitCode = 1

    await db.flush()
    const { blob } = db.stats()
    console.log(`blob files: ${blob.fileCount}, separated values: ${blob.separatedValueCount}`)

    await deleteAttachment(db, 'video-1')
    console.log(`after delete: meta ${(await getMeta(db, 'video-1')) === undefined ? 'gone' : 'still there'}`)
    await db.compact() // drops the body's chunk list; blob GC then deletes its dead files
    console.log(`after compact: live blob bytes ${db.stats().blob.liveBytes}`)
  } finally {
    await db.close()
    fs.rmSync(uploads, { recursive: true, force: true })
  }
}

await main()
