/**
 * The engine's public surface: what blobtree/, benchsuite/ and the package entry may use.
 */
export { Db, type WriteOptions, type ReadOptions, type BatchOperation, type IteratorOptions, type ValueHooks } from './db.ts'
export type { EngineOptions } from './options.ts'
export type { EngineStats, LevelStats } from './stats.ts'
export type { RecoveryReport } from './recovery.ts'
export type { WalTailReason } from './wal/mod.ts'
export type { ManifestRecoveryReport, ManifestTailReason } from './manifest/mod.ts'
export { Snapshot } from './snapshot.ts'
export { StrataIterator } from './iterator/async-iterator.ts'
export { StrataError, isStrataError, type StrataErrorCode, type StrataErrorDetails } from './errors.ts'
export { EntryKind, keyToString, stringToKey } from './entry.ts'
export { OpKind, type BatchOp } from './batch/write-batch.ts'
export type { BytesLike } from './keys.ts'
export { NodeVfs, MemVfs, type Vfs, type VfsFile, type VfsLock } from './vfs/mod.ts'
export type { BlockCodec, BlockContext } from './transform/block-codec.ts'
export type { IntegrityOptions, IntegrityEcc } from './integrity-options.ts'
export type { IntegrityStats, VerifyReport, FileCheck, FileStatus } from './scrub/mod.ts'
