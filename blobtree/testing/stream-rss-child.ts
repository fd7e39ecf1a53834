/**
 * Child process of test/blob-stream-rss.test.ts: streams a value of `<mib>` MiB from a generator
 * into a BlobDb on the real file system with a 4 MiB memtable budget, reads it back through
 * getStream, and prints one JSON line: RSS at the start and its peak while writing and while
 * reading (sampled once per piece), and whether the SHA-256 read back matches the one written.
 * A child, not the test runner, so the RSS figures are this workload's alone.
 * Usage: node --import tsx blobtree/testing/stream-rss-child.ts <dir> <mib> <seed>
 */
import { createHash } from 'node:crypto'
import process from 'node:process'
import { BlobDb } from '../blob-db.ts'
import { SeededRandom } from './seeded-random.ts'

const PIECE_SIZE_BYTES = 64 * 1024
const [directory, mibText, seedText] = process.argv.slice(2)
const sizeBytes = Number(mibText) * 1024 * 1024
const seed = Number(seedText)

/** One reused piece, refilled per step from the seeded stream: the source holds 64 KiB at most. */
function* source(hash: ReturnType<typeof createHash>, onPiece: () => void): Generator<Uint8Array> {
  const random = new SeededRandom(seed)
  const piece = Buffer.alloc(PIECE_SIZE_BYTES)
  for (let offsetBytes = 0; offsetBytes < sizeBytes; offsetBytes += PIECE_SIZE_BYTES) {
    // A short seeded run per piece, then a pattern: cheap to generate, never all one byte.
    for (let index = 0; index < 64; index++) piece[index] = random.u32() & 0xff
    piece.fill(offsetBytes / PIECE_SIZE_BYTES, 64)
    hash.update(piece)
    onPiece()
    yield piece
  }
}

const db = await BlobDb.open(directory, { memtableSizeBytes: 4 * 1024 * 1024 }, { minBlobSize: 1024 })

const startRssBytes = process.memoryUsage.rss()
let writePeakRssBytes = startRssBytes
const written = createHash('sha256')
const storedBytes = await db.putStream('big', source(written, () => (writePeakRssBytes = Math.max(writePeakRssBytes, process.memoryUsage.rss()))), { sync: true })
let readPeakRssBytes = process.memoryUsage.rss()
const read = createHash('sha256')
const stream = await db.getStream('big')
for await (const part of stream!) {
  read.update(part as Uint8Array)
  readPeakRssBytes = Math.max(readPeakRssBytes, process.memoryUsage.rss())
}
const stats = db.stats()
await db.close()
process.stdout.write(
  `${JSON.stringify({
    sizeBytes,
    storedBytes,
    startRssBytes,
    writePeakRssBytes,
    readPeakRssBytes,
    hashMatches: written.digest('hex') === read.digest('hex'),
    memtableSizeBytes: 4 * 1024 * 1024,
    blobFileCount: stats.blob.fileCount,
  })}\n`,
)
