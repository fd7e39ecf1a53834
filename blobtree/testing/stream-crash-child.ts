/**
 * Child process of test/blob-stream-crash.test.ts: opens the BlobDb in `dir` on the real file
 * system and streams an endless value into key `k`, 16 KiB per piece with a 1 ms pause between
 * pieces, until it is killed. Prints `ready` once open returned and `ack <n>` after the n-th MiB
 * was handed to putStream, so the parent knows chunks reached stream files before the kill.
 * Usage: node --import tsx blobtree/testing/stream-crash-child.ts <dir>
 */
import process from 'node:process'
import { BlobDb } from '../blob-db.ts'
import { STREAM_CRASH_KV_OPTIONS } from './stream-crash-workload.ts'

const PIECE_SIZE_BYTES = 16 * 1024
/** Ends the source if the parent never kills the child (at 16 MiB/s at most, over a minute). */
const SOURCE_SIZE_BYTES_MAX = 1024 * 1024 * 1024

const [directory] = process.argv.slice(2)

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function* endless(): AsyncGenerator<Uint8Array> {
  const piece = Buffer.alloc(PIECE_SIZE_BYTES, 0x5a)
  for (let offsetBytes = 0; offsetBytes < SOURCE_SIZE_BYTES_MAX; offsetBytes += PIECE_SIZE_BYTES) {
    if (offsetBytes > 0 && offsetBytes % (1024 * 1024) === 0) say(`ack ${offsetBytes / (1024 * 1024)}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
    yield piece
  }
}

const db = await BlobDb.open(directory, {}, STREAM_CRASH_KV_OPTIONS)
say('ready')
db.putStream('k', endless(), { sync: true }).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(3)
})
