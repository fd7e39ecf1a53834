/**
 * The writer of a new manifest file, in either format: format 1 is the log framing's
 * WalWriter (byte-identical to manifests written before hardening existed), format 3 the
 * hardened framing (hardened-framing.ts). The VersionSet serialises every call: one record is
 * added, then synced, before the next is added, so no group commit is needed here.
 *
 * With a cipher both are sealed (docs/formats/manifest.md §7): format 1 becomes the log
 * framing's encrypted log (format 2, kind 'manifest' in the key derivation and AAD), format 3
 * becomes format 4, whose record payloads are sealed by the same per-file key scheme before
 * they are mirrored, so both checksums cover the sealed bytes.
 */
import path from 'node:path'
import assert from 'node:assert/strict'
import { StrataError, ioError, isStrataError } from '../errors.ts'
import type { Vfs, VfsFile } from '../vfs/mod.ts'
import { WalWriter, LOG_SEAL_OVERHEAD_BYTES, type LogCipher } from '../wal/mod.ts'
import type { LogFileKey } from '../wal/log-cipher.ts'
import { encodeHardenedFileHeader, encodeHardenedRecordHeader, HARDENED_PAIR_HEADER_SIZE_BYTES } from './hardened-framing.ts'
import { VERSION_EDIT_SIZE_BYTES_MAX } from './limits.ts'
import { encodeSealedHardenedFileHeader, MANIFEST_FORMAT_VERSION_HARDENED_SEALED } from './sealed-hardened-framing.ts'

/** What the VersionSet needs of a manifest file being written. */
export interface ManifestWriter {
  /** Appends one record holding `payload` (an encoded version edit); not durable until sync(). */
  add(payload: Uint8Array): void
  /** Resolves once every record added before it is durable (and, the first time, the file's name). */
  sync(): Promise<void>
  /** Bytes in the file, synced or not. */
  sizeBytes(): number
  /** Syncs, then closes. Idempotent. */
  close(): Promise<void>
}

/** Options of createManifestWriter. */
export interface ManifestWriterOptions {
  /** Write format 3: mirrored header and records, each with an XXH3-128 besides the CRC-32. */
  hardened: boolean
  /** Seal every record under a fresh per-file key (format 2, or 4 when hardened); default plaintext. */
  cipher?: LogCipher
}

/**
 * Creates (or truncates) the manifest file `filePath` numbered `fileNumber` and writes its header.
 * @example
 * ```ts
 * const manifest = createManifestWriter(vfs, '/db/MANIFEST-000005', 5, { hardened: true })
 * manifest.add(encodeVersionEdit(snapshot))
 * await manifest.sync()
 * ```
 * @throws {StrataError} `IO_ERROR`; `INVALID_ARGUMENT` for a file number that is not a u53.
 */
export function createManifestWriter(vfs: Vfs, filePath: string, fileNumber: number, options: ManifestWriterOptions): ManifestWriter {
  if (!options.hardened) return WalWriter.create(vfs, filePath, fileNumber, { kind: 'manifest', cipher: options.cipher })
  return HardenedManifestWriter.create(vfs, filePath, fileNumber, options.cipher)
}

/** Appends record pairs to a hardened manifest. After a failed append or sync it refuses every call. */
class HardenedManifestWriter implements ManifestWriter {
  readonly #vfs: Vfs
  readonly #file: VfsFile
  readonly #fileNumber: number
  readonly #fileKey: LogFileKey | undefined
  readonly #payloadSizeBytesMax: number
  #recordCount = 0
  #directorySynced = false
  #failure: StrataError | null = null
  #closed = false

  private constructor(vfs: Vfs, file: VfsFile, fileNumber: number, fileKey: LogFileKey | undefined) {
    this.#vfs = vfs
    this.#file = file
    this.#fileNumber = fileNumber
    this.#fileKey = fileKey
    // The sealed payload must fit the bound the reader enforces on a record copy.
    this.#payloadSizeBytesMax = VERSION_EDIT_SIZE_BYTES_MAX - (fileKey === undefined ? 0 : LOG_SEAL_OVERHEAD_BYTES)
  }

  static create(vfs: Vfs, filePath: string, fileNumber: number, cipher: LogCipher | undefined): HardenedManifestWriter {
    const fileKey = cipher?.newFileKey('manifest', fileNumber, MANIFEST_FORMAT_VERSION_HARDENED_SEALED)
    const header = fileKey === undefined ? encodeHardenedFileHeader(fileNumber) : encodeSealedHardenedFileHeader(fileNumber, fileKey)
    const file = vfs.create(filePath)
    try {
      file.append([header])
    } catch (error) {
      file.close()
      throw isStrataError(error) ? error : ioError('append to', filePath, error)
    }
    return new HardenedManifestWriter(vfs, file, fileNumber, fileKey)
  }

  sizeBytes(): number {
    return this.#file.sizeBytes()
  }

  add(payload: Uint8Array): void {
    this.#checkWritable()
    if (payload.length > this.#payloadSizeBytesMax) {
      // As WalWriter.add: the edit is refused before anything is written, the file stays usable.
      throw new StrataError('INVALID_ARGUMENT',
        `Cannot append to ${this.#file.path}: version edit of ${payload.length} bytes exceeds ${this.#payloadSizeBytesMax}`,
        { details: { path: this.#file.path, payloadSizeBytes: payload.length } })
    }
    // Below the header tag's nonce index 0xFFFFFFFF (log-cipher.ts), and the index is a u32.
    assert(this.#recordCount < 2 ** 32 - 1)
    // Sealed before mirroring: both copies carry the same ciphertext, and the checksums cover it.
    const body = this.#fileKey === undefined ? payload : this.#fileKey.seal(this.#recordCount, payload)
    const header = encodeHardenedRecordHeader(body, this.#recordCount, this.#fileNumber)
    const sizeBefore = this.#file.sizeBytes()
    try {
      // One append, so a crash tears at most this pair; the payload is not copied.
      this.#file.append([header, header, body, body])
    } catch (error) {
      this.#failure = isStrataError(error, 'IO_ERROR') ? error : ioError('append to', this.#file.path, error)
      throw this.#failure
    }
    assert.equal(this.#file.sizeBytes(), sizeBefore + HARDENED_PAIR_HEADER_SIZE_BYTES + 2 * body.length)
    this.#recordCount++
  }

  async sync(): Promise<void> {
    this.#checkWritable()
    try {
      await this.#file.sync()
      if (!this.#directorySynced) {
        await this.#vfs.syncDirectory(path.dirname(this.#file.path))
        this.#directorySynced = true
      }
    } catch (error) {
      // After a failed fsync nobody knows which bytes reached the disk.
      this.#failure = isStrataError(error, 'IO_ERROR') ? error : ioError('sync', this.#file.path, error)
      throw this.#failure
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    try {
      if (this.#failure === null) await this.sync()
    } finally {
      this.#closed = true
      this.#file.close()
    }
  }

  #checkWritable(): void {
    if (this.#closed) {
      throw new StrataError('CLOSED', `Cannot write ${this.#file.path}: manifest writer is closed`, { details: { path: this.#file.path } })
    }
    if (this.#failure !== null) throw this.#failure
  }
}
