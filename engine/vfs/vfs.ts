/**
 * The file-system interface: the only way the engine reaches the disk.
 *
 * Reads and appends are synchronous on purpose: on the 2-core reference machine `readSync`
 * beats any async read 7–25x (../shared/reference/js-building-blocks.md §5) and `writevSync`
 * of a batch reaches 3.2 GB/s into the page cache (§7). Only `sync()` is asynchronous, so
 * that writers can queue behind an in-flight fsync (group commit) without blocking the loop.
 *
 * Implementations: NodeVfs (node:fs), MemVfs (tests; can simulate a crash that drops every
 * byte not synced). Fault injection wraps a Vfs (issue #8).
 * Errors: every method throws a StrataError `IO_ERROR` (with the errno in details) or
 * `NOT_FOUND` for a missing path.
 */
import { StrataError } from '../errors.ts'

/** An open file. Positions and sizes are in bytes. */
export interface VfsFile {
  /** The path the file was opened with. */
  readonly path: string
  /** Reads up to `target.length` bytes at `positionBytes`; returns the count read (short at EOF). */
  read(target: Uint8Array, positionBytes: number): number
  /** Appends the chunks at the end of the file, in order, as one write. */
  append(chunks: readonly Uint8Array[]): void
  /** Makes every appended byte durable (fdatasync). */
  sync(): Promise<void>
  /** Current size, including bytes appended but not yet synced. */
  sizeBytes(): number
  /** Shrinks the file to `sizeBytes` (used to cut a torn log tail). */
  truncate(sizeBytes: number): void
  /** Releases the file descriptor; bytes not synced are not made durable by closing. */
  close(): void
}

/** A file system rooted anywhere; paths are absolute or relative to the process. */
export interface Vfs {
  /** Opens for reading only. Throws NOT_FOUND when absent. */
  openRead(path: string): VfsFile
  /** Opens for appending (and reading), creating an empty file when absent. */
  openAppend(path: string): VfsFile
  /** Creates a new empty file for appending; an existing file is truncated. */
  create(path: string): VfsFile
  /** Creates a new empty file for appending; throws IO_ERROR (errno EEXIST) when `path` exists. */
  createExclusive(path: string): VfsFile
  /** True when a file or directory exists at `path`. */
  exists(path: string): boolean
  /** Names (not paths) of the entries of a directory. */
  list(directory: string): string[]
  /** Deletes a file; absent files are ignored. Durable only after `syncDirectory`. */
  remove(path: string): void
  /** Atomically replaces `target` with `source`. Durable only after `syncDirectory`. */
  rename(source: string, target: string): void
  /** Creates `directory` and its missing parents. */
  mkdirp(directory: string): void
  /** Makes creations, renames and removals in `directory` durable. */
  syncDirectory(directory: string): Promise<void>
  /** Size of the file at `path`, in bytes. Throws NOT_FOUND when absent. */
  sizeBytes(path: string): number
  /**
   * Creates a hard link `target` to the file `source`; never copies, never replaces. Throws
   * IO_ERROR with errno EEXIST when `target` exists, and with an errno of
   * LINK_UNSUPPORTED_ERRNOS when this file system cannot link here (the caller may copy).
   */
  link(source: string, target: string): void
  /** Takes an exclusive advisory lock on `path`; throws LOCKED when another holder has it. */
  lock(path: string): VfsLock
}

/**
 * The errnos of link(2) that mean "no hard link possible here", as opposed to a failure: the
 * target is on another file system (EXDEV), the file system has no hard links (EPERM on Linux,
 * ENOTSUP/EOPNOTSUPP elsewhere), or the source has its file system's maximum link count (EMLINK).
 */
export const LINK_UNSUPPORTED_ERRNOS: ReadonlySet<string> = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'])

/** True when `error` is Vfs.link's IO_ERROR for a file system that cannot hard-link there. */
export function isLinkUnsupported(error: unknown): boolean {
  if (!(error instanceof StrataError) || error.code !== 'IO_ERROR') return false
  const errno = error.details.errno
  return typeof errno === 'string' && LINK_UNSUPPORTED_ERRNOS.has(errno)
}

/** A held lock; release is idempotent. */
export interface VfsLock {
  /** Releases the lock. Idempotent. */
  release(): void
}
