/**
 * Helpers the log tests share (wal.test.ts, wal-encryption.test.ts): seeded payloads, whole-file
 * reads and writes on a Vfs, and writing a log of given payloads. Test-only.
 */
import type { Vfs } from '../vfs/mod.ts'
import { mulberry32Float } from '../mulberry32.ts'
import { WalWriter, type WalWriterOptions } from './writer.ts'

export { readFile, writeFile } from '../vfs/test-support.ts'

/** `count` payloads of random bytes, each 0 … sizeBytesMax − 1 long, from `seed`. */
export function randomPayloads(seed: number, count: number, sizeBytesMax: number): Uint8Array[] {
  const random = mulberry32Float(seed)
  const payloads: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(Math.floor(random() * sizeBytesMax))
    for (let j = 0; j < payload.length; j++) payload[j] = Math.floor(random() * 256)
    payloads.push(payload)
  }
  return payloads
}

/** Writes a log holding `payloads` and closes it; returns each record's offset. */
export async function writeWal(vfs: Vfs, filePath: string, payloads: Uint8Array[], logNumber = 7, options: WalWriterOptions = {}): Promise<number[]> {
  const writer = WalWriter.create(vfs, filePath, logNumber, options)
  const offsets: number[] = []
  for (const payload of payloads) {
    offsets.push(writer.sizeBytes())
    writer.add(payload)
  }
  await writer.close()
  return offsets
}
