/**
 * The file header of a sealed hardened manifest (format version 4, docs/formats/manifest.md
 * §7): the hardened format 3 with every record payload sealed like an encrypted log's
 * (engine/wal/log-cipher.ts), so the file needs the encrypted log header's facts (suite, key
 * epoch, per-file salt, header tag). The header copy is the 56-byte encrypted log header of
 * docs/formats/wal.md §2.2 with version 4, written twice. Record pairs are those of format 3
 * (hardened-framing.ts) over the sealed payloads: both checksums cover the sealed bytes, so the
 * torn-tail and mirror rules (§6.3) run without the key.
 *
 * Why a version and not a flag in the format-3 header: the 20-byte header has no room for the
 * salt and header tag, and a build that reads only version 3 must not mistake sealed payloads
 * for edits; it meets version 4 as UNSUPPORTED_FORMAT_VERSION.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { StrataError } from '../errors.ts'
import { encodeEncryptedHeader, LOG_FORMAT_VERSION_ENCRYPTED, type LogFileHeader, type LogHeaderSealer } from '../wal/file-header.ts'
import { MANIFEST_MAGIC } from './hardened-framing.ts'

/** Format version of a hardened manifest whose record payloads are sealed. */
export const MANIFEST_FORMAT_VERSION_HARDENED_SEALED = 4

const MAGIC_BYTES = Buffer.from(MANIFEST_MAGIC, 'latin1')
const SALT_SIZE_BYTES = 16
const TAG_SIZE_BYTES = 16
/** Bytes 0–35 of a header copy: the header tag's AAD. */
const AUTHENTICATED_SIZE_BYTES = 4 + 1 + 1 + 2 + 8 + 4 + SALT_SIZE_BYTES
/** One copy of the header: the encrypted log header layout (wal.md §2.2) with version 4. */
export const SEALED_HEADER_COPY_SIZE_BYTES = AUTHENTICATED_SIZE_BYTES + TAG_SIZE_BYTES + 4
/** The mirrored file header: two identical copies. */
export const SEALED_FILE_HEADER_SIZE_BYTES = 2 * SEALED_HEADER_COPY_SIZE_BYTES

/**
 * Encodes the mirrored file header (docs/formats/manifest.md §7.1): this 56-byte copy, then the
 * same 56 bytes again. Integers little-endian.
 * | offset | size | field         | encoding                                              |
 * |-------:|-----:|---------------|-------------------------------------------------------|
 * |      0 |    4 | magic         | "SMAN", ASCII                                         |
 * |      4 |    1 | formatVersion | u8, 4                                                 |
 * |      5 |    1 | suiteId       | u8, CipherSuite (1–4)                                 |
 * |      6 |    2 | reserved      | zero                                                  |
 * |      8 |    8 | fileNumber    | u64 LE, the manifest's number (≤ 2^53 − 1)            |
 * |     16 |    4 | keyEpoch      | u32 LE, the epoch whose key the file key derives from |
 * |     20 |   16 | salt          | random per file (OS CSPRNG), the HKDF salt            |
 * |     36 |   16 | headerTag     | AEAD tag, empty plaintext, AAD = bytes 0–35           |
 * |     52 |    4 | checksum      | u32 LE, zlib.crc32 of bytes 0–51                      |
 */
export function encodeSealedHardenedFileHeader(fileNumber: number, sealer: LogHeaderSealer): Uint8Array {
  if (!Number.isSafeInteger(fileNumber) || fileNumber < 0) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot create manifest: file number ${fileNumber} is not a u53`)
  }
  // One copy is the encrypted log header with this format's version; the file holds it twice.
  const copy = encodeEncryptedHeader('manifest', MANIFEST_FORMAT_VERSION_HARDENED_SEALED, fileNumber, sealer)
  assert.equal(copy.length, SEALED_HEADER_COPY_SIZE_BYTES)
  const bytes = new Uint8Array(SEALED_FILE_HEADER_SIZE_BYTES)
  bytes.set(copy, 0)
  bytes.set(copy, SEALED_HEADER_COPY_SIZE_BYTES)
  return bytes
}

/**
 * Decodes one 56-byte header copy as the log header the key derivation expects, or undefined
 * when the copy is damaged (magic, version, checksum, reserved bytes, a number ≥ 2^53). The
 * header tag is not checked here: that needs the key (logFileKeyOf).
 */
export function decodeSealedHeaderCopy(bytes: Uint8Array): LogFileHeader | undefined {
  if (bytes.length < SEALED_HEADER_COPY_SIZE_BYTES) return undefined
  if (!claimsSealedHardenedFormat(bytes)) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEALED_HEADER_COPY_SIZE_BYTES)
  const checksumOffsetBytes = SEALED_HEADER_COPY_SIZE_BYTES - 4
  if (view.getUint32(checksumOffsetBytes, true) !== zlib.crc32(bytes.subarray(0, checksumOffsetBytes))) return undefined
  if (bytes[6] !== 0 || bytes[7] !== 0) return undefined
  const high = view.getUint32(12, true)
  if (high >= 2 ** 21) return undefined
  return {
    kind: 'manifest',
    formatVersion: MANIFEST_FORMAT_VERSION_HARDENED_SEALED,
    fileNumber: high * 2 ** 32 + view.getUint32(8, true),
    encryption: {
      suiteId: bytes[5],
      keyEpoch: view.getUint32(16, true),
      salt: bytes.slice(20, 20 + SALT_SIZE_BYTES),
      headerTag: bytes.slice(AUTHENTICATED_SIZE_BYTES, AUTHENTICATED_SIZE_BYTES + TAG_SIZE_BYTES),
      authenticatedBytes: bytes.slice(0, AUTHENTICATED_SIZE_BYTES),
    },
  }
}

/** True when `bytes` starts with the magic and names format version 4, whatever else is damaged. */
export function claimsSealedHardenedFormat(bytes: Uint8Array): boolean {
  if (bytes.length < 5) return false
  for (let i = 0; i < MAGIC_BYTES.length; i++) if (bytes[i] !== MAGIC_BYTES[i]) return false
  return bytes[4] === MANIFEST_FORMAT_VERSION_HARDENED_SEALED
}

/** Bytes isSealedManifestPrefix looks at: the magic and the version. */
export const SEALED_MANIFEST_PREFIX_SIZE_BYTES = 5

/**
 * True when `prefix` starts a sealed manifest of either framing: "SMAN" and version 2 (the
 * encrypted log framing) or 4. Unauthenticated: used only to refuse a plaintext manifest that
 * claims to succeed a sealed one, never to accept anything.
 */
export function isSealedManifestPrefix(prefix: Uint8Array): boolean {
  if (prefix.length < SEALED_MANIFEST_PREFIX_SIZE_BYTES) return false
  for (let i = 0; i < MAGIC_BYTES.length; i++) if (prefix[i] !== MAGIC_BYTES[i]) return false
  return prefix[4] === LOG_FORMAT_VERSION_ENCRYPTED || prefix[4] === MANIFEST_FORMAT_VERSION_HARDENED_SEALED
}
