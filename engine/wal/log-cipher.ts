/**
 * Encryption of log files (the WAL, and the manifest: log kind 'manifest', format 2 through the
 * log framing, format 4 through the hardened manifest framing with its own format version). Each
 * record's payload is sealed on its own with the configured AEAD suite, so the framing,
 * group commit and the torn-tail rule (record.ts, reader.ts) stay as they are: the record
 * checksum covers the sealed bytes, a torn record fails its checksum before anyone decrypts it,
 * and a record whose checksum holds but whose tag does not is tampering or a wrong key
 * (DECRYPT_FAILED), never a torn tail. docs/encryption.md §7, docs/formats/wal.md §2.2, §3.1.
 *
 * Keys and nonces. Each log file gets its own key, derived with HKDF-SHA256 from the key of the
 * active epoch and a 16-byte salt drawn from the OS CSPRNG when the file is created (stored in
 * the header). The nonce of record i is then just i (u32 LE, zero-padded to the suite's nonce
 * size): within a file record indexes never repeat, and WalWriter never appends to a file it
 * did not create. Across files and restarts the nonces do repeat, but under different file
 * keys; a (key, nonce) pair repeats only if two files draw the same 128-bit salt under one
 * epoch key, probability ≤ n²/2^129 for n log files (2^-65 at n = 2^32). This is stronger
 * than the block scheme (nonce.ts: a 64-bit random prefix per process, ≤ n²/2^65 for n process
 * starts) and stores no nonce per record. It does not trust file numbers to be unique: a log
 * number can be handed out again after a crash that lost the manifest edit which consumed it.
 *
 * Record AAD (never stored; rebuilt from the header and the record's position):
 * | offset | size | field         | encoding                                          |
 * |-------:|-----:|---------------|---------------------------------------------------|
 * |      0 |    4 | magic         | "SLAD" (53 4c 41 44), domain separation            |
 * |      4 |    1 | aadVersion    | u8, 1                                             |
 * |      5 |    1 | formatVersion | u8, the file's format version (2, 6 or 4)         |
 * |      6 |    1 | logKind       | u8, 1 WAL, 2 manifest                              |
 * |      7 |    1 | suiteId       | u8, CipherSuite                                   |
 * |      8 |    8 | fileNumber    | u64 LE, the log number                            |
 * |     16 |    4 | keyEpoch      | u32 LE                                            |
 * |     20 |    4 | recordIndex   | u32 LE, the record's index in its file             |
 *
 * The header tag seals an empty plaintext under nonce index 0xFFFFFFFF (never a record index:
 * WAL_RECORD_COUNT_MAX) with the header bytes 0–35 as AAD, so a wrong key fails at open even
 * for a log with no records, and the header's suite, epoch, salt and number are authenticated.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { hkdfSync, randomFillSync } from 'node:crypto'
import { StrataError, isStrataError } from '../errors.ts'
import {
  AEAD_TAG_SIZE_BYTES, KeyChain, isKnownSuite, nonceSizeOf, openSealed, prepareKey, sealInto, suiteIdOf,
  type CipherSuite, type CipherSuiteName, type KeyChainOptions, type PreparedKey,
} from '../transform/mod.ts'
import {
  LOG_FORMAT_VERSION_ENCRYPTED, LOG_HEADER_TAG_SIZE_BYTES, LOG_SALT_SIZE_BYTES,
  type LogFileHeader, type LogFileKind, type LogHeaderEncryption, type LogHeaderSealer,
} from './file-header.ts'
import { WAL_RECORD_COUNT_MAX } from './limits.ts'

/** Bytes sealing adds to a record payload: the AEAD tag (the nonce is the record index). */
export const LOG_SEAL_OVERHEAD_BYTES = AEAD_TAG_SIZE_BYTES
/** The nonce index of the header tag; record indexes stay below it. */
const HEADER_TAG_NONCE_INDEX = 0xffff_ffff
assert(WAL_RECORD_COUNT_MAX <= HEADER_TAG_NONCE_INDEX) // indexes run 0 … COUNT_MAX - 1
assert.equal(LOG_HEADER_TAG_SIZE_BYTES, AEAD_TAG_SIZE_BYTES)

export const LOG_AAD_SIZE_BYTES = 4 + 1 + 1 + 1 + 1 + 8 + 4 + 4
const LOG_AAD_MAGIC = [0x53, 0x4c, 0x41, 0x44]
const LOG_AAD_VERSION = 1
const LOG_KIND_ID: Readonly<Record<LogFileKind, number>> = { wal: 1, manifest: 2 }
const FILE_KEY_SIZE_BYTES = 32
const HKDF_INFO_LABEL = Buffer.from('strata log file key v1', 'latin1')

/** Fills `target` with CSPRNG bytes; injectable for test vectors only. */
export type SaltFill = (target: Uint8Array) => void

/** Options of a LogCipher. */
export interface LogCipherOptions {
  /** The AEAD suite new log files are sealed with. */
  suite: CipherSuiteName
  /** Keys by epoch; new files use the active epoch, reads the epoch their header records. */
  keyChain: KeyChain | KeyChainOptions
  /**
   * Accept plaintext (version 1) logs. The DB's cipher sets it for logs numbered below the
   * store's `encryptedFrom` (written before the store was converted; docs/encryption.md §7–8)
   * and reads the others with `refusingPlaintextLogs()`. Default false: a plaintext log is
   * refused with DECRYPT_FAILED.
   */
  allowPlaintextLogs?: boolean
  /** Tests only: a deterministic salt source for test vectors. */
  saltFill?: SaltFill
}

/** The `integrity.encryption` option of open(), already validated by resolveIntegrity. */
export interface LogEncryptionOption {
  suite: CipherSuiteName
  keys: readonly { epoch: number; key: Uint8Array }[]
  activeEpoch: number
}

function encodeInfo(kind: LogFileKind, suiteId: number, keyEpoch: number, fileNumber: number): Uint8Array {
  const info = new Uint8Array(HKDF_INFO_LABEL.length + 1 + 1 + 4 + 8)
  const view = new DataView(info.buffer)
  let offsetBytes = HKDF_INFO_LABEL.length
  info.set(HKDF_INFO_LABEL, 0)
  info[offsetBytes++] = LOG_KIND_ID[kind]
  info[offsetBytes++] = suiteId
  view.setUint32(offsetBytes, keyEpoch, true)
  view.setUint32(offsetBytes + 4, fileNumber % 2 ** 32, true)
  view.setUint32(offsetBytes + 8, Math.floor(fileNumber / 2 ** 32), true)
  return info
}

/** Encodes the record AAD (byte table in the file comment) with recordIndex 0. */
function encodeLogAad(kind: LogFileKind, suiteId: number, keyEpoch: number, fileNumber: number, formatVersion: number): Uint8Array {
  const aad = new Uint8Array(LOG_AAD_SIZE_BYTES)
  const view = new DataView(aad.buffer)
  aad.set(LOG_AAD_MAGIC, 0)
  aad[4] = LOG_AAD_VERSION
  aad[5] = formatVersion
  aad[6] = LOG_KIND_ID[kind]
  aad[7] = suiteId
  view.setUint32(8, fileNumber % 2 ** 32, true)
  view.setUint32(12, Math.floor(fileNumber / 2 ** 32), true)
  view.setUint32(16, keyEpoch, true)
  return aad
}

/**
 * The key of one log file and the record sealing under it. Holds key material: never log it.
 * Single-threaded: seal and open reuse one AAD and one nonce buffer.
 */
export class LogFileKey implements LogHeaderSealer {
  readonly suiteId: CipherSuite
  readonly keyEpoch: number
  readonly salt: Uint8Array
  readonly #key: PreparedKey
  readonly #aad: Uint8Array
  readonly #aadView: DataView
  readonly #nonce: Uint8Array
  readonly #nonceView: DataView

  /**
   * `formatVersion` goes into every record AAD: 2 for the log framing (6 for a WAL with a link,
   * file-header.ts); the hardened manifest seals its records with its own version (4), so a
   * record can never be read in the other framing (docs/formats/manifest.md §7).
   */
  constructor(
    kind: LogFileKind, fileNumber: number, suiteId: CipherSuite, keyEpoch: number, epochKey: Uint8Array, salt: Uint8Array,
    formatVersion: number = LOG_FORMAT_VERSION_ENCRYPTED,
  ) {
    assert.equal(salt.length, LOG_SALT_SIZE_BYTES)
    this.suiteId = suiteId
    this.keyEpoch = keyEpoch
    this.salt = salt
    const fileKey = new Uint8Array(hkdfSync('sha256', epochKey, salt, encodeInfo(kind, suiteId, keyEpoch, fileNumber), FILE_KEY_SIZE_BYTES))
    this.#key = prepareKey(suiteId, fileKey)
    this.#aad = encodeLogAad(kind, suiteId, keyEpoch, fileNumber, formatVersion)
    this.#aadView = new DataView(this.#aad.buffer)
    this.#nonce = new Uint8Array(nonceSizeOf(suiteId))
    this.#nonceView = new DataView(this.#nonce.buffer)
  }

  /**
   * Seals the payload of record `recordIndex`: ciphertext ‖ tag (payload + 16 bytes). A Buffer,
   * like the DB's encoded batches, so the writer's append path sees one array type.
   */
  seal(recordIndex: number, plaintext: Uint8Array): Uint8Array {
    // Every byte is written by sealInto, so the unzeroed allocation leaks nothing.
    const sealed = Buffer.allocUnsafe(plaintext.length + AEAD_TAG_SIZE_BYTES)
    sealInto(this.#key, this.#nonceFor(recordIndex), this.#aadFor(recordIndex), plaintext, sealed, 0)
    return sealed
  }

  /** Opens a sealed record payload; undefined when authentication fails. */
  open(recordIndex: number, sealed: Uint8Array): Uint8Array | undefined {
    return openSealed(this.#key, this.#nonceFor(recordIndex), this.#aadFor(recordIndex), sealed)
  }

  /** The header tag over header bytes 0–35 (see the file comment). */
  headerTag(authenticatedBytes: Uint8Array): Uint8Array {
    const tag = new Uint8Array(AEAD_TAG_SIZE_BYTES)
    sealInto(this.#key, this.#nonceFor(HEADER_TAG_NONCE_INDEX), authenticatedBytes, new Uint8Array(0), tag, 0)
    return tag
  }

  /** True when `tag` is the header tag of `authenticatedBytes` under this key. */
  headerTagMatches(authenticatedBytes: Uint8Array, tag: Uint8Array): boolean {
    return openSealed(this.#key, this.#nonceFor(HEADER_TAG_NONCE_INDEX), authenticatedBytes, tag) !== undefined
  }

  #nonceFor(index: number): Uint8Array {
    this.#nonceView.setUint32(0, index, true)
    return this.#nonce
  }

  #aadFor(recordIndex: number): Uint8Array {
    this.#aadView.setUint32(20, recordIndex, true)
    return this.#aad
  }

  toString(): string {
    return `LogFileKey(suite=${this.suiteId}, epoch=${this.keyEpoch})`
  }
}

/**
 * Encryption settings for log files: hands out a fresh key per new file and re-derives the key
 * of an existing file from its header.
 * @example
 * ```ts
 * const cipher = new LogCipher({ suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } })
 * const wal = WalWriter.create(vfs, '/db/000007.wal', 7, { cipher })
 * const { payloads } = await readWal(vfs, '/db/000007.wal', { onTornTail: 'truncate', cipher })
 * ```
 * @throws {StrataError} `INVALID_ARGUMENT` for an unknown suite or a bad key chain.
 */
export class LogCipher {
  readonly suiteId: CipherSuite
  readonly keyChain: KeyChain
  readonly allowPlaintextLogs: boolean
  readonly #saltFill: SaltFill
  readonly #suiteName: CipherSuiteName

  constructor(options: LogCipherOptions) {
    const suiteId = suiteIdOf(options.suite)
    if (suiteId === undefined) throw new StrataError('INVALID_ARGUMENT', `Cannot encrypt logs: unknown suite ${String(options.suite)}`)
    this.suiteId = suiteId
    this.#suiteName = options.suite
    this.keyChain = options.keyChain instanceof KeyChain ? options.keyChain : new KeyChain(options.keyChain)
    this.allowPlaintextLogs = options.allowPlaintextLogs === true
    this.#saltFill = options.saltFill ?? ((target) => { randomFillSync(target) })
  }

  /**
   * The WAL cipher of a DB opened with `integrity.encryption` (undefined without it). Plaintext
   * logs stay readable: they may predate WAL encryption.
   */
  static fromEncryptionOption(encryption: LogEncryptionOption | undefined): LogCipher | undefined {
    if (encryption === undefined) return undefined
    return new LogCipher({
      suite: encryption.suite,
      keyChain: { keys: encryption.keys, activeEpoch: encryption.activeEpoch },
      allowPlaintextLogs: true,
    })
  }

  /**
   * A fresh key (new salt, active epoch) for a log file being created; `formatVersion` is the
   * file's format version as bound in the record AAD (the hardened manifest passes its own).
   */
  newFileKey(kind: LogFileKind, fileNumber: number, formatVersion: number = LOG_FORMAT_VERSION_ENCRYPTED): LogFileKey {
    const salt = new Uint8Array(LOG_SALT_SIZE_BYTES)
    this.#saltFill(salt)
    const epoch = this.keyChain.activeEpoch
    return new LogFileKey(kind, fileNumber, this.suiteId, epoch, this.keyChain.keyFor(epoch), salt, formatVersion)
  }

  /**
   * This cipher (same suite, keys and salt source) refusing plaintext logs: recovery reads the
   * logs of a store whose manifest says it is encrypted with it (docs/encryption.md §7).
   */
  refusingPlaintextLogs(): LogCipher {
    if (!this.allowPlaintextLogs) return this
    return new LogCipher({ suite: this.#suiteName, keyChain: this.keyChain, allowPlaintextLogs: false, saltFill: this.#saltFill })
  }

  /** A description without key material. */
  toString(): string {
    return `LogCipher(suite=${this.suiteId}, ${this.keyChain.toString()})`
  }
}

function headerError(code: 'DECRYPT_FAILED' | 'UNKNOWN_KEY_EPOCH' | 'MISSING_KEY', header: LogFileHeader, fileName: string, found: string, cause?: unknown): StrataError {
  const encryption = header.encryption
  return new StrataError(code, `Cannot read ${header.kind} file ${fileName}: ${found}`, {
    cause,
    details: {
      fileName, offsetBytes: 0, fileNumber: header.fileNumber,
      ...(encryption === undefined ? {} : { suiteId: encryption.suiteId, keyEpoch: encryption.keyEpoch }),
    },
  })
}

/**
 * Checks that a plaintext log may be read with `cipher` (always, without a cipher).
 * @throws {StrataError} `DECRYPT_FAILED` when the cipher refuses plaintext logs.
 */
export function checkPlaintextLogAllowed(cipher: LogCipher | undefined, header: LogFileHeader, fileName: string): void {
  if (cipher === undefined || cipher.allowPlaintextLogs) return
  throw headerError('DECRYPT_FAILED', header, fileName, 'log is not encrypted but encryption is required')
}

/**
 * The key to open the records of the encrypted log whose header is `header`, checked against
 * the header tag.
 * @throws {StrataError} `UNKNOWN_KEY_EPOCH` when the log is encrypted under an epoch the chain
 * does not know, or no cipher is configured; `MISSING_KEY` when the chain knows the epoch but
 * holds no key; `DECRYPT_FAILED` for a wrong key, a tampered header or an unknown suite.
 */
export function logFileKeyOf(cipher: LogCipher | undefined, header: LogFileHeader, encryption: LogHeaderEncryption, fileName: string): LogFileKey {
  if (cipher === undefined) {
    throw headerError('UNKNOWN_KEY_EPOCH', header, fileName, `log is encrypted under key epoch ${encryption.keyEpoch} but no key chain is configured`)
  }
  if (!isKnownSuite(encryption.suiteId)) {
    throw headerError('DECRYPT_FAILED', header, fileName, `unknown cipher suite ${encryption.suiteId}`)
  }
  let epochKey: Uint8Array
  try {
    epochKey = cipher.keyChain.keyFor(encryption.keyEpoch)
  } catch (error) {
    if (isStrataError(error, 'UNKNOWN_KEY_EPOCH') || isStrataError(error, 'MISSING_KEY')) {
      throw headerError(error.code as 'UNKNOWN_KEY_EPOCH' | 'MISSING_KEY', header, fileName, error.message, error)
    }
    throw error
  }
  const key = new LogFileKey(header.kind, header.fileNumber, encryption.suiteId, encryption.keyEpoch, epochKey, encryption.salt, header.formatVersion)
  if (!key.headerTagMatches(encryption.authenticatedBytes, encryption.headerTag)) {
    throw headerError('DECRYPT_FAILED', header, fileName, 'header authentication failed (wrong key, or the header was altered)')
  }
  return key
}
