/** The caches of the engine: decoded blocks (byte-bounded, CLOCK eviction) and open files (count-bounded, reference-counted). */
export { BlockCache, BLOCK_CACHE_CAPACITY_BYTES_DEFAULT, createBlockSlots } from './block-cache.ts'
export type { BlockCacheOptions, BlockCacheStats, BlockSlots, CachedBlock } from './block-cache.ts'
export { BlockBufferPool, bufferClassBytes } from './block-buffer-pool.ts'
export type { BlockBufferPoolStats } from './block-buffer-pool.ts'
export { FileCache, FILE_CACHE_ENTRY_COUNT_MAX_DEFAULT } from './file-cache.ts'
export type { Closable, FileCacheHandle, FileCacheOptions, FileCacheStats } from './file-cache.ts'
