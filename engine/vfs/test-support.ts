/**
 * Whole-file helpers the tests of several subsystems share (wal, manifest): read every byte of a
 * file on a Vfs, or replace a file with given bytes. Test-only.
 */
import type { Vfs } from './vfs.ts'

/** Every byte of the file at `filePath`. */
export function readFile(vfs: Vfs, filePath: string): Uint8Array {
  const file = vfs.openRead(filePath)
  const bytes = new Uint8Array(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  return bytes
}

/** Replaces the file at `filePath` with `bytes` (not synced: tests hand the Vfs straight to recovery). */
export function writeFile(vfs: Vfs, filePath: string, bytes: Uint8Array): void {
  const file = vfs.create(filePath)
  file.append([bytes])
  file.close()
}
