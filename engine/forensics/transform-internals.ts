/**
 * The pieces of the block transform that forensics needs and `engine/transform/mod.ts` does not
 * export: the AAD encoder, the ECC trailer reader, the region sizes. Gathered in this one file so
 * the exception to "import a folder only through its mod.ts" is visible in one place; the
 * transform's owners may promote these to mod.ts (a "forensics" section) and this file shrinks
 * to a re-export.
 */
export { encodeAad, AAD_SIZE_BYTES } from '../transform/aad.ts'
export { readEccTrailer, eccRegionSizeOf, ECC_TRAILER_SIZE_BYTES, type EccTrailer } from '../transform/ecc.ts'
export { AEAD_TAG_SIZE_BYTES, ENCRYPTION_CONTEXT_SIZE_BYTES, isKnownSuite, nonceSizeOf } from '../transform/encrypt.ts'
export { COMPRESSION_CONTEXT_SIZE_BYTES } from '../transform/compress.ts'
export { xxh3128Matches } from '../checksum/xxh3.ts'
