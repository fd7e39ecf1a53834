/**
 * The block transform's public surface: the codec seam, the checksum-only codec, the integrity
 * codec with its configuration types, the key chain, and the per-KV checksum helper. Other
 * folders import from here, never from the files behind it.
 */
export { BlockType, type BlockCodec, type BlockContext } from './block-codec.ts'
export { PlainCodec, BLOCK_FORMAT_VERSION, BLOCK_HEADER_SIZE_BYTES } from './plain-codec.ts'
export {
  IntegrityCodec,
  BlockFlag,
  checkingEccRegions,
  type EccRegionDamage,
  type IntegrityCodecOptions,
  type EncryptionConfig,
  type RepairEvent,
} from './pipeline.ts'
export { type CompressionConfig, type ZstdDictionary, CompressionType } from './compress.ts'
export { type CompressionPolicy, type CompressionSpec } from './compression-policy.ts'
export { type EccConfig, type RepairKind } from './ecc.ts'
export { CipherSuite, type CipherSuiteName } from './encrypt.ts'
// The bare AEAD primitives, for logs (engine/wal/log-cipher.ts) that seal records without the block envelope.
export {
  AEAD_TAG_SIZE_BYTES, isKnownSuite, nonceSizeOf, openSealed, prepareKey, sealInto, suiteIdOf,
  type PreparedKey,
} from './encrypt.ts'
export { KeyChain, type KeyChainEntry, type KeyChainOptions, KEY_SIZE_BYTES } from './key-chain.ts'
export { kvChecksum } from './kv-checksum.ts'
export { RAW_BLOCK_SIZE_BYTES_MAX } from './limits.ts'
