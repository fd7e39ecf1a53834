/**
 * Forensics: tools over a store's files, all read-only but the WAL repair — block anatomy (header, contexts, AAD, ECC
 * trailer, without a key), store inspection from the manifest, file- and block-level
 * verification of tables, the port through which the blob layer checks blob files
 * (blob-file-check.ts), the survey of a store's WAL files (wal-survey.ts) and the offline WAL
 * repair (wal-repair.ts) — and the `strata` subcommands built on them (cli.ts, loaded lazily by bin/).
 */
export { anatomize, blockExtentAt, formatAnatomy, type BlockAnatomy } from './block-anatomy.ts'
export { loadKeyFile, readingCodec, type LoadedKeys } from './key-file.ts'
export { readVersion, tableCodecSummary, verifyStore, walkTableBlocks, type BlockCheck } from './store-reader.ts'
export { runForensics, main, type CliIo } from './cli.ts'
export { surveyWals, type WalSurvey, type WalSurveyInput, type WalFileFacts, type RecoveryVerdict, type DamageFacts, type LinkFacts, type StopFacts, type ErrorFacts } from './wal-survey.ts'
export { LOST_DIRECTORY_NAME, type StoreOpener, type RepairableStore, type RepairOpenOptions } from './wal-repair.ts'
export type { BlobFileCheck, BlobFileChecker, BlobFileCheckRequest, FrameCheck } from './blob-file-check.ts'
