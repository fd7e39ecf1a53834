/**
 * Manifest and versions: which files are live, durably. The DB uses VersionSet; the blob layer
 * reads BlobFileMeta from versions; everyone names files through file-names.ts.
 * Format: docs/formats/manifest.md.
 */
export { VersionSet, type VersionSetOptions, type ManifestRecoveryReport } from './version-set.ts'
export { Version, type BlobFileState } from './version.ts'
export type { VersionEdit, TableMeta, BlobFileMeta } from './version-edit.ts'
export { encodeVersionEdit, decodeVersionEdit, EditTag } from './edit-codec.ts'
export {
  walFileName, tableFileName, blobFileName, manifestFileName, parseFileName,
  CURRENT_FILE_NAME, CURRENT_TEMP_FILE_NAME, LOCK_FILE_NAME, type ParsedFileName,
} from './file-names.ts'
export { LEVEL_COUNT, MANIFEST_ROTATE_SIZE_BYTES } from './limits.ts'
export { createManifestWriter, type ManifestWriter, type ManifestWriterOptions } from './manifest-writer.ts'
export { MANIFEST_FORMAT_VERSION_PLAIN, MANIFEST_FORMAT_VERSION_HARDENED } from './hardened-framing.ts'
export type { ManifestTailReason } from './manifest-read-result.ts'
