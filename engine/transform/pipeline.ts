/**
 * IntegrityCodec: the block transform with all four axes (checksum always; zstd, AEAD and ECC
 * each optional), in the block envelope v1 that PlainCodec writes with every flag clear.
 * Write order raw → compress → encrypt → checksum → parity; read order the reverse. A block whose
 * checksum fails is repaired by its ECC region when it has one (SEC-DED or parity, verified
 * against the checksum again), reported through `onRepair`, and decoded; otherwise the read
 * throws. Corrupt data is never returned.
 *
 * Block envelope v1 (docs/formats/block.md has the full picture and a worked example):
 * | offset | size | field            | encoding                                                  |
 * |-------:|-----:|------------------|-----------------------------------------------------------|
 * |      0 |    1 | formatVersion    | u8, 1                                                     |
 * |      1 |    1 | blockType        | u8, BlockType                                             |
 * |      2 |    1 | flags            | u8: bit 0 compressed, 1 encrypted, 2 parity; 3–7 zero     |
 * |      3 |    1 | reserved         | zero                                                      |
 * |      4 |    4 | payloadSizeBytes | u32 LE                                                    |
 * |      8 |   16 | checksum         | XXH3-128 of bytes 0–7 then the payload                    |
 * |     24 |    n | payload          | [encryption context + nonce] [compression context] body    |
 * | 24 + n |    m | ECC region       | only with flag bit 2: check bytes, then a 16-byte trailer |
 * The body is the raw block, the zstd frame, or (encrypted) ciphertext ‖ 16-byte tag of either.
 *
 * Not safe for concurrent use across threads (scratch buffers); one instance per thread.
 */
import assert from 'node:assert/strict'
import { xxh3128, xxh3128MatchesAround, XXH3_128_SIZE_BYTES } from '../checksum/xxh3.ts'
import { isStrataError, StrataError } from '../errors.ts'
import type { BlockCodec, BlockContext } from './block-codec.ts'
import { blockError } from './block-error.ts'
import {
  BlockCompressor,
  COMPRESSION_CONTEXT_SIZE_BYTES,
  NO_COMPRESSION,
  readCompressionContext,
  writeCompressionContext,
  type CompressionConfig,
  type CompressionContext,
} from './compress.ts'
import { CompressorSelector, isEmptyPolicy, type CompressionPolicy } from './compression-policy.ts'
import { eccRegionMatches, eccRegionSizeOf, readEccTrailer, repairWithEcc, validateEccConfig, writeEccRegion, type EccConfig, type RepairKind } from './ecc.ts'
import { AAD_SIZE_BYTES, encodeAadInto, type AadFields } from './aad.ts'
import {
  AEAD_TAG_SIZE_BYTES,
  ENCRYPTION_CONTEXT_SIZE_BYTES,
  isKnownSuite,
  nonceSizeOf,
  openSealed,
  prepareKey,
  sealInto,
  suiteIdOf,
  type CipherSuite,
  type CipherSuiteName,
  type PreparedKey,
} from './encrypt.ts'
import { KeyChain, type KeyChainOptions } from './key-chain.ts'
import { NonceSource, processNonceSource } from './nonce.ts'
import { OutputSlab } from './output-slab.ts'
import { BLOCK_FORMAT_VERSION, BLOCK_HEADER_SIZE_BYTES } from './plain-codec.ts'
import { RAW_BLOCK_SIZE_BYTES_MAX } from './limits.ts'

/** Flag bits of the envelope's flags byte. */
export const BlockFlag = {
  Compressed: 1 << 0,
  Encrypted: 1 << 1,
  Parity: 1 << 2,
} as const
const KNOWN_FLAGS = BlockFlag.Compressed | BlockFlag.Encrypted | BlockFlag.Parity
const CHECKSUM_OFFSET_BYTES = 8
assert.equal(BLOCK_HEADER_SIZE_BYTES, CHECKSUM_OFFSET_BYTES + XXH3_128_SIZE_BYTES)

/** What `onRepair` hears: a block was damaged on disk, repaired and verified. */
export interface RepairEvent {
  fileName: string
  fileNumber: number
  offsetBytes: number
  blockType: number
  kind: RepairKind
}

/**
 * What a scrub hears from `checkingEccRegions`: a block whose checksum passed (its data is
 * intact) carries an ECC region that does not match its bytes, so it could no longer be repaired.
 */
export interface EccRegionDamage {
  fileName: string
  fileNumber: number
  offsetBytes: number
  blockType: number
}

/** How blocks are encrypted. */
export interface EncryptionConfig {
  suite: CipherSuiteName
  keyChain: KeyChain | KeyChainOptions
  /**
   * Accept blocks written without encryption (migrating a plaintext database; compaction then
   * rewrites them encrypted). Default false: an attacker who can write the file cannot plant an
   * unauthenticated block.
   */
  allowPlaintextBlocks?: boolean
}

/** IntegrityCodec configuration; every axis defaults to off. */
export interface IntegrityCodecOptions {
  compression?: CompressionConfig
  /**
   * Per-level and per-block-type overrides of `compression` for encoding (compression-policy.ts).
   * Decoding never needs it: the `compression` compressor decodes every block.
   */
  compressionPolicy?: CompressionPolicy
  encryption?: EncryptionConfig
  ecc?: EccConfig
  /** Called after a damaged block was repaired and verified (e.g. to count it and queue a rewrite). */
  onRepair?: (event: RepairEvent) => void
  /** Largest raw block accepted, bytes; default RAW_BLOCK_SIZE_BYTES_MAX (256 MiB). */
  rawSizeBytesMax?: number
  /** Tests only: a deterministic nonce source for test vectors. */
  nonceSource?: NonceSource
}

/** The parsed, not yet trusted, payload regions of a block. */
interface PayloadView {
  suiteId: number
  keyEpoch: number
  nonce: Uint8Array
  compression: CompressionContext
  compressionBytes: Uint8Array | undefined
  body: Uint8Array
}

/**
 * The block codec with compression, encryption and ECC.
 * @example
 * ```ts
 * const codec = new IntegrityCodec({
 *   compression: { kind: 'zstd', level: 3 },
 *   encryption: { suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } },
 *   ecc: { kind: 'reed-solomon', dataShards: 8, parityShards: 2 },
 *   onRepair: (event) => healQueue.add(event.fileName),
 * })
 * const onDisk = codec.encode(raw, context)
 * codec.decode(onDisk, context) // raw
 * ```
 * @throws {StrataError} `INVALID_ARGUMENT` from the constructor for a bad configuration.
 */
export class IntegrityCodec implements BlockCodec {
  readonly #compressor: BlockCompressor
  /** Undefined without overrides, so the default path costs one branch per block. */
  readonly #selector: CompressorSelector | undefined
  readonly #keyChain: KeyChain | undefined
  readonly #suiteId: CipherSuite | undefined
  readonly #allowPlaintext: boolean
  readonly #ecc: EccConfig | undefined
  readonly #onRepair: ((event: RepairEvent) => void) | undefined
  readonly #nonces: NonceSource
  readonly #rawSizeBytesMax: number
  readonly #preparedKeys = new Map<number, PreparedKey>()
  readonly #outputs = new OutputSlab()
  /** One AAD buffer and its fields, rewritten per block: the cipher copies the AAD in setAAD. */
  readonly #aad = new Uint8Array(AAD_SIZE_BYTES)
  readonly #aadFields: AadFields = { blockFormatVersion: BLOCK_FORMAT_VERSION, blockType: 0, blockFlags: 0, fileNumber: 0, keyEpoch: 0, suiteId: 0, compressionType: 0, windowLog: 0, dictionaryId: 0, rawSizeBytes: 0 }
  #repairCount = 0

  constructor(options: IntegrityCodecOptions = {}) {
    this.#rawSizeBytesMax = options.rawSizeBytesMax ?? RAW_BLOCK_SIZE_BYTES_MAX
    if (!Number.isInteger(this.#rawSizeBytesMax) || this.#rawSizeBytesMax < 0 || this.#rawSizeBytesMax > RAW_BLOCK_SIZE_BYTES_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot configure block codec: rawSizeBytesMax ${this.#rawSizeBytesMax} is not in 0..${RAW_BLOCK_SIZE_BYTES_MAX}`)
    }
    this.#compressor = new BlockCompressor(options.compression ?? { kind: 'none' }, { rawSizeBytesMax: this.#rawSizeBytesMax })
    this.#selector = isEmptyPolicy(options.compressionPolicy)
      ? undefined
      : new CompressorSelector(this.#compressor, options.compressionPolicy as CompressionPolicy, this.#rawSizeBytesMax)
    const encryption = options.encryption
    if (encryption !== undefined) {
      const suiteId = suiteIdOf(encryption.suite)
      if (suiteId === undefined) throw new StrataError('INVALID_ARGUMENT', `Cannot configure encryption: unknown suite ${String(encryption.suite)}`)
      this.#suiteId = suiteId
      this.#keyChain = encryption.keyChain instanceof KeyChain ? encryption.keyChain : new KeyChain(encryption.keyChain)
    }
    this.#allowPlaintext = encryption === undefined || encryption.allowPlaintextBlocks === true
    if (options.ecc !== undefined) validateEccConfig(options.ecc)
    this.#ecc = options.ecc
    this.#onRepair = options.onRepair
    this.#nonces = options.nonceSource ?? processNonceSource
  }

  /** Blocks this codec has repaired since it was created. */
  get repairCount(): number {
    return this.#repairCount
  }

  encode(raw: Uint8Array, context: BlockContext): Uint8Array {
    if (raw.length > this.#rawSizeBytesMax) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot encode block of ${context.fileName}: ${raw.length} bytes exceeds rawSizeBytesMax ${this.#rawSizeBytesMax}`)
    }
    const compressor = this.#selector === undefined ? this.#compressor : this.#selector.select(context.blockType, context.level)
    const packed = compressor.compress(raw, COMPRESSION_CONTEXT_SIZE_BYTES)
    const body = packed?.body ?? raw
    const compression = packed?.context ?? NO_COMPRESSION
    const suiteId = this.#suiteId
    const flags = (packed ? BlockFlag.Compressed : 0) | (suiteId !== undefined ? BlockFlag.Encrypted : 0) | (this.#ecc ? BlockFlag.Parity : 0)
    const nonceSizeBytes = suiteId === undefined ? 0 : nonceSizeOf(suiteId)
    const encryptionSizeBytes = suiteId === undefined ? 0 : ENCRYPTION_CONTEXT_SIZE_BYTES + nonceSizeBytes + AEAD_TAG_SIZE_BYTES
    const payloadSizeBytes = encryptionSizeBytes + (packed ? COMPRESSION_CONTEXT_SIZE_BYTES : 0) + body.length
    const protectedSizeBytes = BLOCK_HEADER_SIZE_BYTES + payloadSizeBytes
    const out = this.#outputs.allocate(protectedSizeBytes + (this.#ecc ? eccRegionSizeOf(this.#ecc, protectedSizeBytes) : 0))
    out[0] = BLOCK_FORMAT_VERSION
    out[1] = context.blockType
    out[2] = flags
    out[3] = 0
    new DataView(out.buffer, out.byteOffset, BLOCK_HEADER_SIZE_BYTES).setUint32(4, payloadSizeBytes, true)
    let offsetBytes = BLOCK_HEADER_SIZE_BYTES
    let keyEpoch = 0
    let nonce: Uint8Array | undefined
    if (suiteId !== undefined) {
      keyEpoch = (this.#keyChain as KeyChain).activeEpoch
      nonce = this.#nonces.next(nonceSizeBytes)
      writeEncryptionContext(out, offsetBytes, suiteId, keyEpoch)
      out.set(nonce, offsetBytes + ENCRYPTION_CONTEXT_SIZE_BYTES)
      offsetBytes += ENCRYPTION_CONTEXT_SIZE_BYTES + nonceSizeBytes
    }
    if (packed) {
      writeCompressionContext(out, offsetBytes, compression)
      offsetBytes += COMPRESSION_CONTEXT_SIZE_BYTES
    }
    if (suiteId !== undefined && nonce !== undefined) {
      const aad = this.#aadOf(context, flags, keyEpoch, suiteId, compression)
      sealInto(this.#keyFor(suiteId, keyEpoch, context), nonce, aad, body, out, offsetBytes)
    } else {
      out.set(body, offsetBytes)
    }
    out.set(xxh3128(out.subarray(0, CHECKSUM_OFFSET_BYTES), out.subarray(BLOCK_HEADER_SIZE_BYTES, protectedSizeBytes)), CHECKSUM_OFFSET_BYTES)
    if (this.#ecc) writeEccRegion(this.#ecc, out.subarray(0, protectedSizeBytes), out, protectedSizeBytes)
    return out
  }

  decode(onDisk: Uint8Array, context: BlockContext): Uint8Array {
    if (onDisk.length < BLOCK_HEADER_SIZE_BYTES) {
      throw blockError('CORRUPTION', context, `${onDisk.length} bytes is shorter than a block header`)
    }
    const verified = checksummedRegion(onDisk) ?? this.#repair(onDisk, context)
    return this.#decodeVerified(verified, context)
  }

  /**
   * A view of this codec for scrubs (Db.verify(), the patrol scrub, `strata verify`): it decodes
   * like `decode`, and for a block whose checksum passed and that carries an ECC region it also
   * recomputes the region from the protected bytes (`eccRegionMatches`, through the encoder's own
   * `writeEccRegion`) and calls `onDamaged` when the stored region differs. Such a block still
   * decodes: its data is intact, only its power to be repaired is gone. `decode` never looks at
   * the region of a block that verifies, so reads outside a scrub pay nothing for this.
   */
  checkingEccRegions(onDamaged: (damage: EccRegionDamage) => void): BlockCodec {
    return {
      encode: (raw, context) => this.encode(raw, context),
      decode: (onDisk, context) => {
        const verified = onDisk.length < BLOCK_HEADER_SIZE_BYTES ? undefined : checksummedRegion(onDisk)
        // Damaged data: decode() repairs it through the region (and reports that, which queues
        // the same rewrite a damaged region needs) or throws; either way it is not this check's.
        if (verified === undefined) return this.decode(onDisk, context)
        if (verified.length < onDisk.length && !eccRegionMatches(onDisk, verified.length)) {
          onDamaged({ fileName: context.fileName, fileNumber: context.holderFileNumber ?? context.fileNumber, offsetBytes: context.offsetBytes, blockType: context.blockType })
        }
        return this.#decodeVerified(verified, context)
      },
    }
  }

  /** Decodes a block whose checksum has passed; `block` is its header and payload only. */
  #decodeVerified(block: Uint8Array, context: BlockContext): Uint8Array {
    if (block[0] !== BLOCK_FORMAT_VERSION) {
      throw blockError('UNSUPPORTED_FORMAT_VERSION', context, `block format version ${block[0]}, this build reads ${BLOCK_FORMAT_VERSION}`, { formatVersion: block[0] })
    }
    if (block[1] !== context.blockType) {
      throw blockError('CORRUPTION', context, `block type ${block[1]}, expected ${context.blockType}`)
    }
    const flags = block[2]
    if ((flags & ~KNOWN_FLAGS) !== 0 || block[3] !== 0) {
      throw blockError('CORRUPTION', context, `flags ${flags} / reserved ${block[3]} have unknown bits set`, { flags })
    }
    const payload = block.subarray(BLOCK_HEADER_SIZE_BYTES)
    if ((flags & BlockFlag.Encrypted) === 0) {
      if (!this.#allowPlaintext) {
        throw blockError('DECRYPT_FAILED', context, 'block is not encrypted but this codec requires encryption', { flags })
      }
      if ((flags & BlockFlag.Compressed) === 0) return payload
      const compression = readCompressionContext(payload, 0, context)
      return this.#compressor.decompress(payload.subarray(COMPRESSION_CONTEXT_SIZE_BYTES), compression, context)
    }
    const view = parseEncryptedPayload(payload, flags, context)
    const plaintext = this.#open(view, flags, context)
    if (view.compressionBytes === undefined) return plaintext
    // Authenticated now, so a bad value here is a writer bug or a stale build, not tampering.
    const compression = readCompressionContext(view.compressionBytes, 0, context)
    return this.#compressor.decompress(plaintext, compression, context)
  }

  #open(view: PayloadView, flags: number, context: BlockContext): Uint8Array {
    if (!isKnownSuite(view.suiteId)) {
      throw blockError('DECRYPT_FAILED', context, `unknown cipher suite ${view.suiteId}`, { suiteId: view.suiteId, keyEpoch: view.keyEpoch })
    }
    const key = this.#keyFor(view.suiteId, view.keyEpoch, context)
    const aad = this.#aadOf(context, flags, view.keyEpoch, view.suiteId, view.compression)
    const plaintext = openSealed(key, view.nonce, aad, view.body)
    if (plaintext === undefined) {
      throw blockError('DECRYPT_FAILED', context, 'authentication failed (wrong key, or the block or its context was altered)', { suiteId: view.suiteId, keyEpoch: view.keyEpoch })
    }
    return plaintext
  }

  /** The block's AAD, in the codec's AAD buffer (valid until the next call). */
  #aadOf(context: BlockContext, flags: number, keyEpoch: number, suiteId: number, compression: CompressionContext): Uint8Array {
    const fields = this.#aadFields
    fields.blockType = context.blockType
    fields.blockFlags = flags
    fields.fileNumber = context.fileNumber
    fields.keyEpoch = keyEpoch
    fields.suiteId = suiteId
    fields.compressionType = compression.compressionType
    fields.windowLog = compression.windowLog
    fields.dictionaryId = compression.dictionaryId
    fields.rawSizeBytes = compression.rawSizeBytes
    return encodeAadInto(fields, this.#aad)
  }

  /** The prepared key for (suite, epoch); key-chain errors gain the block's location. */
  #keyFor(suiteId: CipherSuite, keyEpoch: number, context: BlockContext): PreparedKey {
    const cacheKey = keyEpoch * 256 + suiteId // a number key: no string built per block
    let prepared = this.#preparedKeys.get(cacheKey)
    if (prepared !== undefined) return prepared
    if (this.#keyChain === undefined) {
      throw blockError('UNKNOWN_KEY_EPOCH', context, `block is encrypted under key epoch ${keyEpoch} but no key chain is configured`, { keyEpoch })
    }
    try {
      prepared = prepareKey(suiteId, this.#keyChain.keyFor(keyEpoch))
    } catch (error) {
      if (isStrataError(error)) throw blockError(error.code, context, error.message, { keyEpoch }, error)
      throw error
    }
    this.#preparedKeys.set(cacheKey, prepared)
    return prepared
  }

  /** Repairs a block whose checksum failed, or throws CHECKSUM_MISMATCH / UNRECOVERABLE. */
  #repair(onDisk: Uint8Array, context: BlockContext): Uint8Array {
    const trailer = readEccTrailer(onDisk)
    if (trailer === undefined) throw blockError('CHECKSUM_MISMATCH', context, 'checksum mismatch')
    const repair = repairWithEcc(onDisk, trailer, (candidate) => {
      if ((candidate[2] & BlockFlag.Parity) === 0) return false
      if (checksummedRegion(candidate, candidate.length) === undefined) return false
      return context.acceptRepair === undefined || context.acceptRepair(candidate)
    })
    if (repair === undefined) {
      throw blockError('UNRECOVERABLE', context, `checksum mismatch and the damage is beyond what its ${trailer.config.kind} ECC can repair`, { eccKind: trailer.config.kind })
    }
    this.#repairCount++
    this.#onRepair?.({ fileName: context.fileName, fileNumber: context.holderFileNumber ?? context.fileNumber, offsetBytes: context.offsetBytes, blockType: context.blockType, kind: repair.kind })
    return repair.repaired
  }
}

/**
 * `codec.checkingEccRegions(onDamaged)` for an IntegrityCodec; any other codec (PlainCodec, none)
 * writes no ECC region and is returned as it is.
 * @example
 * ```ts
 * const scrubCodec = checkingEccRegions(codec, (damage) => damaged.push(damage.offsetBytes))
 * ```
 */
export function checkingEccRegions(codec: BlockCodec, onDamaged: (damage: EccRegionDamage) => void): BlockCodec
export function checkingEccRegions(codec: BlockCodec | undefined, onDamaged: (damage: EccRegionDamage) => void): BlockCodec | undefined
export function checkingEccRegions(codec: BlockCodec | undefined, onDamaged: (damage: EccRegionDamage) => void): BlockCodec | undefined {
  return codec instanceof IntegrityCodec ? codec.checkingEccRegions(onDamaged) : codec
}

/**
 * Returns header ‖ payload when the checksum matches, else undefined. The payload ends at the
 * block's end without the parity flag, or `payloadSizeBytes` after the header with it;
 * `protectedSizeBytes`, when given, must be exactly where it ends.
 */
function checksummedRegion(block: Uint8Array, protectedSizeBytes?: number): Uint8Array | undefined {
  const payloadSizeBytes = new DataView(block.buffer, block.byteOffset, 8).getUint32(4, true)
  const endBytes = (block[2] & BlockFlag.Parity) === 0 ? block.length : BLOCK_HEADER_SIZE_BYTES + payloadSizeBytes
  if (endBytes !== BLOCK_HEADER_SIZE_BYTES + payloadSizeBytes || endBytes > block.length) return undefined
  if (protectedSizeBytes !== undefined && endBytes !== protectedSizeBytes) return undefined
  if (!xxh3128MatchesAround(block, CHECKSUM_OFFSET_BYTES, endBytes)) return undefined
  // Without an ECC region the block is the region: no second view (a block read costs a few).
  return endBytes === block.length ? block : block.subarray(0, endBytes)
}

/**
 * Encryption context.
 * | offset | size | field    | encoding          |
 * |-------:|-----:|----------|-------------------|
 * |      0 |    1 | suiteId  | u8, CipherSuite   |
 * |      1 |    3 | reserved | zero              |
 * |      4 |    4 | keyEpoch | u32 LE            |
 */
function writeEncryptionContext(out: Uint8Array, offsetBytes: number, suiteId: CipherSuite, keyEpoch: number): void {
  const view = new DataView(out.buffer, out.byteOffset + offsetBytes, ENCRYPTION_CONTEXT_SIZE_BYTES)
  view.setUint8(0, suiteId)
  view.setUint8(1, 0)
  view.setUint16(2, 0, true)
  view.setUint32(4, keyEpoch, true)
}

/**
 * Splits an encrypted payload into its regions without trusting them: the compression context
 * is only read raw here (it is bound into the AAD, so a relabel fails authentication) and
 * validated after decryption.
 */
function parseEncryptedPayload(payload: Uint8Array, flags: number, context: BlockContext): PayloadView {
  if (payload.length < ENCRYPTION_CONTEXT_SIZE_BYTES) throw blockError('DECRYPT_FAILED', context, 'payload too short for an encryption context')
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length)
  const suiteId = view.getUint8(0)
  const keyEpoch = view.getUint32(4, true)
  if (view.getUint8(1) !== 0 || view.getUint16(2, true) !== 0) {
    throw blockError('CORRUPTION', context, 'reserved bytes of the encryption context are not zero')
  }
  const nonceSizeBytes = isKnownSuite(suiteId) ? nonceSizeOf(suiteId) : 0
  let offsetBytes = ENCRYPTION_CONTEXT_SIZE_BYTES + nonceSizeBytes
  let compression: CompressionContext = NO_COMPRESSION
  let compressionBytes: Uint8Array | undefined
  if ((flags & BlockFlag.Compressed) !== 0) {
    if (payload.length < offsetBytes + COMPRESSION_CONTEXT_SIZE_BYTES) throw blockError('DECRYPT_FAILED', context, 'payload too short for its contexts')
    compressionBytes = payload.subarray(offsetBytes, offsetBytes + COMPRESSION_CONTEXT_SIZE_BYTES)
    compression = {
      compressionType: compressionBytes[0] as CompressionContext['compressionType'],
      windowLog: compressionBytes[1],
      dictionaryId: view.getUint32(offsetBytes + 4, true),
      rawSizeBytes: view.getUint32(offsetBytes + 8, true),
    }
    offsetBytes += COMPRESSION_CONTEXT_SIZE_BYTES
  }
  if (payload.length < offsetBytes + AEAD_TAG_SIZE_BYTES) throw blockError('DECRYPT_FAILED', context, 'payload too short for an authentication tag', { suiteId, keyEpoch })
  return {
    suiteId,
    keyEpoch,
    nonce: payload.subarray(ENCRYPTION_CONTEXT_SIZE_BYTES, ENCRYPTION_CONTEXT_SIZE_BYTES + nonceSizeBytes),
    compression,
    compressionBytes,
    body: payload.subarray(offsetBytes),
  }
}
