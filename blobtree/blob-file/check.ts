/**
 * Checking a blob file frame by frame: each frame's header and checksum (through the scan), its
 * key, its body through the codec, and the ECC region of every body that verified
 * (`checkingEccRegions`). Each frame is classified like a table block (clean, ecc-damaged,
 * repaired, unrecoverable) and the file like a table (engine/scrub FileStatus). The one walk
 * behind `BlobDb.verify()` and `strata verify` / `strata scrub` (handed to the CLI as a
 * BlobFileChecker by bin/strata.ts). Read-only and synchronous; it never throws for damage.
 *
 * A body that fails to decode does not end the walk: the frame checksum vouched for the header,
 * so the next frame's offset is known and one bad value does not hide the others. A broken frame
 * structure (header or frame checksum) does end it: nothing after it can be located.
 */
import path from 'node:path'
import { StrataError } from '../../engine/errors.ts'
import type { BlobFileCheck, BlobFileChecker, BlobFileCheckRequest } from '../../engine/forensics/mod.ts'
import { blobFileName } from '../../engine/manifest/mod.ts'
import { failureOf, fileStatusOf } from '../../engine/scrub/mod.ts'
import { checkingEccRegions } from '../../engine/transform/mod.ts'
import { describeKey } from './format.ts'
import { BlobFileReader } from './reader.ts'
import { scanBlobFile } from './scan.ts'

/** Options of `checkBlobFrames`. */
export interface BlobFrameCheckOptions {
  /** The manifest lists the file with its final size: it must end in a footer. */
  sealed: boolean
  /** Repairs the codec has reported for this file so far; diffed around each body. */
  repairCount: () => number
  /** Told of each body whose ECC region is damaged (a BlobDb counts it; its heal waits for the file outcome). */
  onEccRegionDamaged?: () => void
}

/**
 * Opens a blob file with `openReader` and checks every frame; an open that fails (missing file,
 * damaged file header) is an unrecoverable file.
 * @example
 * ```ts
 * const check = checkBlobFrames(12, () => BlobFileReader.open(vfs.openRead('/db/000012.blob'), { codec }), { sealed: true, repairCount: () => 0 })
 * for (const frame of check.damagedFrames) console.log(frame.offsetBytes, frame.key, frame.status)
 * ```
 */
export function checkBlobFrames(fileNumber: number, openReader: () => BlobFileReader, options: BlobFrameCheckOptions): BlobFileCheck {
  const check: BlobFileCheck = { fileNumber, sealed: options.sealed, status: 'clean', ok: true, frames: 0, repairCount: 0, eccRegionsDamaged: 0, damagedFrames: [] }
  let reader: BlobFileReader
  try {
    reader = openReader()
  } catch (error) {
    return failed(check, error)
  }
  try {
    walkFrames(reader, check, options)
  } finally {
    reader.close()
  }
  if (check.status === 'unrecoverable') return check
  check.status = fileStatusOf({ unrecoverable: 0, repaired: check.repairCount, eccDamaged: check.eccRegionsDamaged })
  return check
}

/** The BlobFileChecker the forensics CLI takes: the file `request` names, read from its directory. */
export const checkBlobFile: BlobFileChecker = (request: BlobFileCheckRequest): BlobFileCheck => {
  const filePath = path.join(request.directory, blobFileName(request.fileNumber))
  const openReader = (): BlobFileReader => BlobFileReader.open(request.vfs.openRead(filePath), { codec: request.codec, expectedFileNumber: request.fileNumber })
  return checkBlobFrames(request.fileNumber, openReader, { sealed: request.sealed, repairCount: () => request.repairCountOf(request.fileNumber) })
}

function walkFrames(reader: BlobFileReader, check: BlobFileCheck, options: BlobFrameCheckOptions): void {
  const finished = reader.footer !== undefined
  const footerDamage = options.sealed ? reader.sealedFooterDamage('check') : undefined
  if (footerDamage !== undefined) {
    failed(check, footerDamage)
    return
  }
  let regionDamaged = false
  const checking = reader.withCodec(checkingEccRegions(reader.codec, () => (regionDamaged = true)))
  // Bodies are decoded here, not by the scan, so that a bad body is one damaged frame.
  const scan = scanBlobFile(reader, { decodeValues: false })
  try {
    for (const frame of scan) {
      const offsetBytes = frame.handle.offsetBytes
      const sizeBytes = frame.frameBytes.length
      const repairsBefore = options.repairCount()
      regionDamaged = false
      try {
        checking.decodeValue(frame.checkedFrame)
      } catch (error) {
        if (!finished) {
          // An unfinished file's first unverified frame is where its verified part ends (scan.ts).
          check.stoppedAtBytes = offsetBytes
          check.error = `body does not verify: ${(error as Error).message}`
          return
        }
        check.frames++
        check.damagedFrames.push({ offsetBytes, sizeBytes, key: describeKey(frame.key), status: 'unrecoverable', ...failureOf(error) })
        if (check.status !== 'unrecoverable') failed(check, error)
        continue
      }
      check.frames++
      // A frame whose checksum only an ECC repair of its body could vouch for was repaired (and
      // reported) by the scan, before repairsBefore was read (scan.ts).
      if (options.repairCount() > repairsBefore || frame.checkedFrame.frameChecksum === 'repaired') {
        check.repairCount++
        check.damagedFrames.push({ offsetBytes, sizeBytes, key: describeKey(frame.key), status: 'repaired' })
      } else if (regionDamaged) {
        check.eccRegionsDamaged++
        options.onEccRegionDamaged?.()
        check.damagedFrames.push({ offsetBytes, sizeBytes, key: describeKey(frame.key), status: 'ecc-damaged' })
      }
    }
  } catch (error) {
    // A finished file's frame structure is broken here (an unfinished file's scan stops
    // instead), or the file could not be read.
    const at = error instanceof StrataError ? error.details.offsetBytes : undefined
    if (typeof at === 'number') check.stoppedAtBytes = at
    if (check.status !== 'unrecoverable') failed(check, error)
    return
  }
  if (scan.end?.kind === 'torn') {
    check.stoppedAtBytes = scan.end.offsetBytes
    check.error = scan.end.reason
  }
}

/** Marks `check` unrecoverable with `error` as its first failure. */
function failed(check: BlobFileCheck, error: unknown): BlobFileCheck {
  const failure = failureOf(error)
  check.status = 'unrecoverable'
  check.ok = false
  check.code = failure.code
  check.error = failure.error
  return check
}
