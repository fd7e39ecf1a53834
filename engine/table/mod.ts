/**
 * Sorted tables (SSTs): the writer, the reader and its iterator, and the table's properties.
 * Format: docs/formats/table.md. Values returned by reads are views into cached blocks: copy
 * them before handing them to users.
 */
export { TableWriter, TABLE_CREATOR } from './writer.ts'
export type { TableWriterOptions, FinishedTable, TableJob } from './writer.ts'
export { TableReader } from './reader.ts'
export type { TableReaderOptions, TableGetResult } from './reader.ts'
export { TableIterator } from './table-iterator.ts'
export type { TableIteratorOptions } from './table-iterator.ts'
export type { TableProperties } from './properties.ts'
export { TABLE_FORMAT_VERSION, TABLE_MAGIC, FOOTER_SIZE_BYTES } from './footer.ts'
export { murmur3Hash32 } from './key-hash.ts'
export * as tableLimits from './limits.ts'
