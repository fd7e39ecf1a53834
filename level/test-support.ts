/**
 * Test helpers of the level adapter tests: KV-separated stores on a MemVfs in which one value
 * fails to read while its key reads. Test-only.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs } from '../index.ts'
import { StrataLevel } from './strata-level.ts'

/** The bound `openTooLargeStore` sets: its streamed value is twice this. */
export const STREAM_GET_SIZE_BYTES_MAX = 10_000

/** The engine under `db`, which these stores open with KV separation. */
export function blobDbOf(db: StrataLevel<string, string>): BlobDb {
  const engine: unknown = db.strata
  assert.ok(engine instanceof BlobDb)
  return engine
}

/**
 * Keys a, b, d, e with small values and c-big with a streamed value past
 * streamGetSizeBytesMax: reading c-big's value whole fails with VALUE_TOO_LARGE.
 */
export async function openTooLargeStore(): Promise<StrataLevel<string, string>> {
  const db = new StrataLevel<string, string>('/too-large', {
    strata: {
      vfs: new MemVfs(),
      kvSeparation: { minBlobSize: 64, streamChunkSizeBytes: 1024, streamGetSizeBytesMax: STREAM_GET_SIZE_BYTES_MAX },
    },
  })
  await db.batch([
    { type: 'put', key: 'a', value: 'A' },
    { type: 'put', key: 'b', value: 'B' },
    { type: 'put', key: 'd', value: 'D' },
    { type: 'put', key: 'e', value: 'E' },
  ])
  await blobDbOf(db).putStream('c-big', [Buffer.alloc(2 * STREAM_GET_SIZE_BYTES_MAX, 0x43)])
  return db
}

/** The value `openDamagedStore` stores under `key${index}`. */
export function damagedStoreValue(index: number): string {
  return String.fromCharCode(65 + index).repeat(500)
}

/**
 * Keys key0 … key9, each with a 500-byte value in a blob file, and one byte of key3's value
 * flipped on disk: reading key3's value fails with CHECKSUM_MISMATCH (LEVEL_CORRUPTION).
 */
export async function openDamagedStore(): Promise<StrataLevel<string, string>> {
  const vfs = new MemVfs()
  const options = { strata: { vfs, kvSeparation: { minBlobSize: 100 } } }
  const writer = new StrataLevel<string, string>('/damaged', options)
  await writer.batch(Array.from({ length: 10 }, (_, index) => ({ type: 'put' as const, key: `key${index}`, value: damagedStoreValue(index) })))
  await writer.close()
  const fileName = vfs.list('/damaged').find((name) => name.endsWith('.blob') && vfs.sizeBytes(`/damaged/${name}`) > 1000)
  assert.ok(fileName !== undefined, 'a blob file holds the values')
  const path = `/damaged/${fileName}`
  const file = vfs.openRead(path)
  const bytes = new Uint8Array(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  const valueOffsetBytes = Buffer.from(bytes).indexOf(damagedStoreValue(3))
  assert.ok(valueOffsetBytes > 0, "key3's value is in the blob file")
  bytes[valueOffsetBytes + 100] ^= 0x04
  const out = vfs.create(path)
  out.append([bytes])
  await out.sync()
  out.close()
  const db = new StrataLevel<string, string>('/damaged', options)
  await db.open()
  return db
}
