/**
 * Test helper: every byte of `db.getStream(key, options)`, or undefined when the key is absent.
 * Shared by the streaming tests (test/blob-stream*.test.ts) so each reads streams the same way.
 */
import { Buffer } from 'node:buffer'
import type { BlobDb, GetStreamOptions } from '../blob-db.ts'

export async function readStream(db: BlobDb, key: string, options: GetStreamOptions = {}): Promise<Buffer | undefined> {
  const stream = await db.getStream(key, options)
  if (stream === undefined) return undefined
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array))
  return Buffer.concat(parts)
}
