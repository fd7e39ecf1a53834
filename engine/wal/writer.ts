/**
 * WalWriter appends records to a new log file and makes them durable with group commit.
 * `add` is synchronous (one Vfs append per record, header and payload as two chunks, so the
 * payload is never copied); `sync` resolves once everything added before it is durable.
 * One writer per file, used from one event loop. After a failed append or fsync the writer
 * refuses every further append and sync with that IO_ERROR: the file's durable content is
 * unknown (its size, `intactSizeBytes` and close() still answer). One sync is still taken after
 * a failed append (no failed fsync): `syncIntact`, as the records before it are whole, and a
 * read-only store's checkpoint copies them (engine/checkpoint.ts).
 * With a `cipher` the file is an encrypted log (format version 2, or 6 with a predecessor):
 * each payload is sealed on its own before it is framed (log-cipher.ts); without one the
 * version is 1, or 5 with a predecessor.
 * Format: docs/formats/wal.md.
 */
import path from 'node:path'
import assert from 'node:assert/strict'
import { StrataError, ioError, isStrataError } from '../errors.ts'
import type { Vfs, VfsFile } from '../vfs/mod.ts'
import {
  encodeLogFileHeader, LOG_FORMAT_VERSION_ENCRYPTED, LOG_FORMAT_VERSION_LINKED_ENCRYPTED, type LogFileKind, type LogPredecessor,
} from './file-header.ts'
import { encodeRecordHeader, recordChecksumSeed, RECORD_HEADER_SIZE_BYTES } from './record.ts'
import { GroupCommit } from './group-commit.ts'
import { WAL_RECORD_COUNT_MAX, WAL_RECORD_PAYLOAD_BYTES_MAX } from './limits.ts'
import { LOG_SEAL_OVERHEAD_BYTES, type LogCipher, type LogFileKey } from './log-cipher.ts'

/** Options of WalWriter.create. */
export interface WalWriterOptions {
  /** Which magic the file carries; default 'wal'. The manifest uses 'manifest'. */
  kind?: LogFileKind
  /** Encrypts every record under a fresh per-file key; default none (plaintext). */
  cipher?: LogCipher
  /**
   * The log this WAL succeeds, recorded in its header (format versions 5 and 6 instead of 1
   * and 2) so recovery can tell a lost tail of that log from damage; default none (the first
   * WAL after an open, and the manifest).
   */
  predecessor?: LogPredecessor
}

/**
 * Writer of one log file.
 * @example
 * ```ts
 * const wal = WalWriter.create(vfs, '/db/000007.wal', 7)
 * wal.add(encodedBatch)
 * await wal.sync()           // concurrent callers share one fsync
 * await wal.close()
 * ```
 */
export class WalWriter {
  readonly #vfs: Vfs
  readonly #file: VfsFile
  readonly #fileNumber: number
  readonly #checksumSeed: number
  readonly #groupCommit: GroupCommit
  readonly #options: WalWriterOptions
  readonly #fileKey: LogFileKey | undefined
  readonly #payloadSizeBytesMax: number
  #recordCount = 0
  #directorySynced = false
  #appendFailure: StrataError | null = null
  /** The file's size before the failed append (see intactSizeBytes); set with #appendFailure. */
  #intactSizeBytes = 0
  #closed = false
  /** Set once createSuccessor succeeded: the successor's header holds this log's final size. */
  #hasSuccessor = false
  /** See syncAfter(): no fsync of this log starts before it resolves. */
  #predecessorsSynced: Promise<void> | undefined
  #predecessorFailure: unknown = null

  private constructor(vfs: Vfs, file: VfsFile, fileNumber: number, options: WalWriterOptions, fileKey: LogFileKey | undefined) {
    this.#vfs = vfs
    this.#file = file
    this.#fileNumber = fileNumber
    this.#options = options
    this.#fileKey = fileKey
    // The sealed payload must fit the on-disk bound the reader enforces.
    this.#payloadSizeBytesMax = WAL_RECORD_PAYLOAD_BYTES_MAX - (fileKey === undefined ? 0 : LOG_SEAL_OVERHEAD_BYTES)
    this.#checksumSeed = recordChecksumSeed(fileNumber)
    this.#groupCommit = new GroupCommit({
      path: file.path,
      appendedBytes: () => this.#file.sizeBytes(),
      syncOnce: () => this.#syncOnce(),
    })
  }

  /**
   * Creates (or truncates) the log file at `filePath` and appends its header. Nothing is
   * durable until the first `sync()`, which also syncs the parent directory so the file's
   * name survives a crash.
   * @throws {StrataError} `IO_ERROR`, `NOT_FOUND` when the directory is missing,
   * `INVALID_ARGUMENT` for a file number that is not a u53.
   */
  static create(vfs: Vfs, filePath: string, logNumber: number, options: WalWriterOptions = {}): WalWriter {
    const kind = options.kind ?? 'wal'
    const { predecessor } = options
    // The record AAD binds the format version, so the key must know it (log-cipher.ts).
    const formatVersion = predecessor === undefined ? LOG_FORMAT_VERSION_ENCRYPTED : LOG_FORMAT_VERSION_LINKED_ENCRYPTED
    const fileKey = options.cipher?.newFileKey(kind, logNumber, formatVersion)
    const header = encodeLogFileHeader(kind, logNumber, fileKey, predecessor)
    const file = vfs.create(filePath)
    try {
      file.append([header])
    } catch (error) {
      file.close()
      // A short header write would leave a file no reader accepts (walRecovery 'fail' refuses
      // it) under a number the manifest may hand out later: remove it. Best effort, the append's
      // error is the one to report.
      try {
        vfs.remove(filePath)
      } catch {
        // Left as before this removal existed; recovery cuts a header-only tail in 'truncate' mode.
      }
      throw error
    }
    assert.equal(file.sizeBytes(), header.length)
    return new WalWriter(vfs, file, logNumber, options, fileKey)
  }

  /**
   * Creates the next log file with this writer's options (kind, cipher), linked to this one:
   * its header records this log's number and size, which is final because the caller appends
   * nothing here afterwards (the DB freezes this log). Throws as `create`.
   */
  createSuccessor(filePath: string, logNumber: number): WalWriter {
    const predecessor = { fileNumber: this.#fileNumber, sizeBytes: this.#file.sizeBytes() }
    const successor = WalWriter.create(this.#vfs, filePath, logNumber, { ...this.#options, predecessor })
    this.#hasSuccessor = true
    return successor
  }

  /**
   * Holds this log's fsyncs until `predecessors` (the older logs' syncs and this file's directory
   * entry) resolves, and fails them for good if it rejects. Recovery replays the logs in order,
   * each up to its durable end: a record made durable here while an older log's sync failed
   * would come back after a gap, a state no prefix of the writes ever had (torture seed
   * 20261126, round 695: the frozen log's fsync failed with EIO, a synced write's record in the
   * new log was fsynced, and recovery returned it without the writes before it).
   */
  syncAfter(predecessors: Promise<void>): void {
    this.#predecessorsSynced = predecessors
    predecessors.catch((error: unknown) => {
      this.#predecessorFailure ??= error
    })
  }

  /** The cipher new records are sealed with (undefined for a plaintext log). */
  get cipher(): LogCipher | undefined {
    return this.#options.cipher
  }

  /** True when records are sealed (an encrypted log, format version 2). */
  get encrypted(): boolean {
    return this.#fileKey !== undefined
  }

  /** The log number written in the header. */
  get logNumber(): number {
    return this.#fileNumber
  }

  /** Records added so far. */
  get recordCount(): number {
    return this.#recordCount
  }

  /** fsync rounds run so far (group commit makes this smaller than the sync() calls). */
  get syncRoundCount(): number {
    return this.#groupCommit.roundCount
  }

  /** Bytes in the file, including the header and records not yet synced. */
  sizeBytes(): number {
    return this.#file.sizeBytes()
  }

  /**
   * Bytes at the file's start that hold the header and whole records: the file's size, or after a
   * failed append its size before that append (the failed record, which the caller never saw
   * added, may lie partly behind them).
   */
  get intactSizeBytes(): number {
    return this.#appendFailure === null ? this.#file.sizeBytes() : this.#intactSizeBytes
  }

  /**
   * Resolves once the first `intactSizeBytes` of the file are durable: sync(), except that a failed
   * append does not refuse it. The fsync then covers the failed record's partial bytes too, which
   * the page cache would write back anyway: recovery cuts them as the torn tail a crash leaves.
   * @throws {StrataError} `IO_ERROR` when this fsync, an earlier one, or an older log's
   * (syncAfter) failed: which bytes the file holds is unknown then; `CLOSED` after close().
   */
  syncIntact(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError())
    return this.#groupCommit.request()
  }

  /**
   * Appends one record holding `payload` (not copied; do not mutate it until add returns).
   * An encrypted log appends the sealed payload instead (16 bytes longer).
   * @throws {StrataError} `INVALID_ARGUMENT` when the payload exceeds
   * WAL_RECORD_PAYLOAD_BYTES_MAX (less LOG_SEAL_OVERHEAD_BYTES when encrypted); `CLOSED` after close(); `IO_ERROR` when the append fails or
   * an earlier append or fsync failed.
   */
  add(payload: Uint8Array): void {
    this.#checkWritable()
    // The successor's header recorded this log's size as final. (Not assert.equal with a
    // template message: that would build a string on every record of the write path.)
    if (this.#hasSuccessor) assert.fail(`${this.#file.path} takes no records once its successor exists`)
    if (payload.length > this.#payloadSizeBytesMax) {
      throw new StrataError('INVALID_ARGUMENT',
        `Cannot append to ${this.#file.path}: payload of ${payload.length} bytes exceeds ${this.#payloadSizeBytesMax}`,
        { details: { path: this.#file.path, payloadSizeBytes: payload.length } })
    }
    if (this.#recordCount >= WAL_RECORD_COUNT_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot append to ${this.#file.path}: file holds ${WAL_RECORD_COUNT_MAX} records`)
    }
    // The checksum covers the bytes on disk (sealed when encrypted), so torn-tail detection
    // never needs the key.
    const body = this.#fileKey === undefined ? payload : this.#fileKey.seal(this.#recordCount, payload)
    const header = encodeRecordHeader(body, this.#recordCount, this.#checksumSeed)
    const sizeBefore = this.#file.sizeBytes()
    try {
      this.#file.append([header, body])
    } catch (error) {
      // A partial record may be in the file; later records would sit behind it.
      this.#intactSizeBytes = sizeBefore
      this.#appendFailure = isStrataError(error, 'IO_ERROR') ? error : ioError('append to', this.#file.path, error)
      throw this.#appendFailure
    }
    assert.equal(this.#file.sizeBytes(), sizeBefore + RECORD_HEADER_SIZE_BYTES + body.length)
    this.#recordCount++
  }

  /**
   * Resolves once every record added before the call is durable. Concurrent callers share
   * fsyncs (group commit); at most one fsync is in flight.
   * @throws {StrataError} `IO_ERROR` when the fsync covering this call failed, or an earlier one
   * did; `CLOSED` after close().
   */
  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError())
    if (this.#appendFailure !== null) return Promise.reject(this.#appendFailure)
    return this.#groupCommit.request()
  }

  /** Syncs, then closes the file. Idempotent. Closes the file even when the sync fails. */
  async close(): Promise<void> {
    if (this.#closed) return
    try {
      if (this.#appendFailure === null && this.#groupCommit.failure === null && this.#predecessorFailure === null) await this.#groupCommit.request()
    } finally {
      this.#closed = true
      this.#file.close()
    }
  }

  async #syncOnce(): Promise<void> {
    if (this.#predecessorsSynced !== undefined) await this.#predecessorsSynced
    await this.#file.sync()
    if (!this.#directorySynced) {
      await this.#vfs.syncDirectory(path.dirname(this.#file.path))
      this.#directorySynced = true
    }
  }

  #checkWritable(): void {
    if (this.#closed) throw this.#closedError()
    if (this.#appendFailure !== null) throw this.#appendFailure
    const failure = this.#groupCommit.failure
    if (failure !== null) throw failure
  }

  #closedError(): StrataError {
    return new StrataError('CLOSED', `Cannot write ${this.#file.path}: log writer is closed`, {
      details: { path: this.#file.path },
    })
  }
}
