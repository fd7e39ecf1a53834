/**
 * The log layer: the write-ahead log and the record framing the manifest shares with it.
 * Format: docs/formats/wal.md.
 */
export { WalWriter, type WalWriterOptions } from './writer.ts'
export { readWal, readLogFileHeader, countRecordsAfterDamage, type WalReadOptions, type WalReadReport, type WalReadResult, type WalTailReason } from './reader.ts'
export {
  LOG_FORMAT_VERSION, LOG_FORMAT_VERSION_ENCRYPTED, LOG_FORMAT_VERSION_LINKED, LOG_FORMAT_VERSION_LINKED_ENCRYPTED,
  LOG_FILE_HEADER_SIZE_BYTES, ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES, LINKED_LOG_FILE_HEADER_SIZE_BYTES,
  LINKED_ENCRYPTED_LOG_FILE_HEADER_SIZE_BYTES, type LogFileKind, type LogPredecessor,
} from './file-header.ts'
export { LogCipher, LOG_SEAL_OVERHEAD_BYTES, type LogCipherOptions, type LogEncryptionOption } from './log-cipher.ts'
export { RECORD_HEADER_SIZE_BYTES } from './record.ts'
export { WAL_RECORD_PAYLOAD_BYTES_MAX } from './limits.ts'
