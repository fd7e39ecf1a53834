/**
 * CURRENT: a one-line file naming the live manifest (`MANIFEST-000005\n`). It is replaced
 * atomically: write CURRENT.tmp, sync it, rename it over CURRENT, sync the directory. A crash at
 * any point leaves CURRENT naming either the old manifest or the new one, both complete.
 * Layout: docs/formats/manifest.md §4.
 */
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { StrataError } from '../errors.ts'
import type { Vfs } from '../vfs/mod.ts'
import { CURRENT_FILE_NAME, CURRENT_TEMP_FILE_NAME, manifestFileName, parseFileName } from './file-names.ts'
import { CURRENT_FILE_SIZE_BYTES_MAX } from './limits.ts'

/**
 * Points CURRENT at MANIFEST-<manifestFileNumber>, durably. The manifest itself must already be
 * synced and its directory entry durable.
 */
export async function writeCurrentFile(vfs: Vfs, directory: string, manifestFileNumber: number): Promise<void> {
  const tempPath = path.join(directory, CURRENT_TEMP_FILE_NAME)
  const file = vfs.create(tempPath)
  try {
    file.append([Buffer.from(`${manifestFileName(manifestFileNumber)}\n`, 'latin1')])
    await file.sync()
  } finally {
    file.close()
  }
  vfs.rename(tempPath, path.join(directory, CURRENT_FILE_NAME))
  await vfs.syncDirectory(directory)
}

/**
 * The manifest file number CURRENT names.
 * @throws {StrataError} `NOT_FOUND` when CURRENT is absent; `CORRUPTION` (details fileName)
 * when it does not hold exactly one canonical manifest name and a newline.
 */
export function readCurrentFile(vfs: Vfs, directory: string): number {
  const currentPath = path.join(directory, CURRENT_FILE_NAME)
  const file = vfs.openRead(currentPath)
  let text: string
  try {
    const sizeBytes = file.sizeBytes()
    if (sizeBytes > CURRENT_FILE_SIZE_BYTES_MAX) throw corrupt(currentPath, `${sizeBytes} bytes is too large`)
    const bytes = new Uint8Array(sizeBytes)
    file.read(bytes, 0)
    text = Buffer.from(bytes).toString('latin1')
  } finally {
    file.close()
  }
  if (!text.endsWith('\n')) throw corrupt(currentPath, 'no trailing newline (torn write?)')
  const parsed = parseFileName(text.slice(0, -1))
  if (parsed === undefined || parsed.kind !== 'manifest') {
    throw corrupt(currentPath, `${JSON.stringify(text.slice(0, 64))} is not a manifest name`)
  }
  return parsed.fileNumber
}

function corrupt(fileName: string, what: string): StrataError {
  return new StrataError('CORRUPTION', `Cannot read ${fileName}: ${what}`, { details: { fileName } })
}
