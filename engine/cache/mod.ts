/** The caches of the engine: decoded blocks (byte-bounded LRU) and open files (count-bounded, reference-counted). */
export { BlockCache, BLOCK_CACHE_CAPACITY_BYTES_DEFAULT } from './block-cache.ts'
export type { BlockCacheOptions, BlockCacheStats } from './block-cache.ts'
export { FileCache, FILE_CACHE_ENTRY_COUNT_MAX_DEFAULT } from './file-cache.ts'
export type { Closable, FileCacheHandle, FileCacheOptions, FileCacheStats } from './file-cache.ts'
