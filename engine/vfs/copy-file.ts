/**
 * copyFileSynced: a byte copy of one file into a new one, for the two places that must copy what
 * a link cannot share (a checkpoint onto another file system, an unfinished blob file, a read-only
 * store's logs; the logs `strata repair` saves to lost/). One definition so both create
 * exclusively, stop on a short read, yield between chunks and sync.
 */
import { setImmediate } from 'node:timers/promises'
import { StrataError } from '../errors.ts'
import type { Vfs } from './vfs.ts'

/** Bytes copied per read, with a yield between. */
export const COPY_CHUNK_BYTES = 1024 * 1024

/**
 * Copies the bytes `from` holds now into a new file `to` (created exclusively: nothing is ever
 * replaced), and syncs it. The size is read once: bytes appended meanwhile are not copied (the
 * files copied only grow by appends, so the prefix is stable). Yields to the event loop after
 * each chunk, so a large copy does not stall the reads and writes a store serves meanwhile.
 * `prefixSizeBytes`: copy only the file's first that many bytes (a log whose last append
 * failed: WalWriter.intactSizeBytes); default the whole file.
 * @throws {StrataError} `IO_ERROR`: a short read (a file shorter than `prefixSizeBytes` too),
 * or the file system's errors (EEXIST for `to`).
 */
export async function copyFileSynced(vfs: Vfs, from: string, to: string, prefixSizeBytes?: number): Promise<void> {
  const input = vfs.openRead(from)
  try {
    const sizeBytes = prefixSizeBytes ?? input.sizeBytes()
    const output = vfs.createExclusive(to)
    try {
      // One buffer for every chunk: append() has written it before it returns.
      const buffer = new Uint8Array(Math.min(COPY_CHUNK_BYTES, sizeBytes))
      for (let offsetBytes = 0; offsetBytes < sizeBytes; offsetBytes += COPY_CHUNK_BYTES) {
        const chunk = buffer.subarray(0, Math.min(COPY_CHUNK_BYTES, sizeBytes - offsetBytes))
        const readBytes = input.read(chunk, offsetBytes)
        if (readBytes !== chunk.length) {
          throw new StrataError('IO_ERROR', `Cannot copy ${from}: short read at offset ${offsetBytes}`, { details: { fileName: from, offsetBytes } })
        }
        output.append([chunk])
        await setImmediate()
      }
      await output.sync()
    } finally {
      output.close()
    }
  } finally {
    input.close()
  }
}
