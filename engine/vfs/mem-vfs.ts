/**
 * MemVfs: an in-memory Vfs for tests. It models what survives a power loss: file bytes count
 * as durable only once `sync()` returned, and directory entries (creations, renames, removals)
 * only once `syncDirectory()` of their directory returned. `crash()` returns a new MemVfs
 * holding exactly the durable state, as a machine would see it after rebooting.
 */
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { StrataError } from '../errors.ts'
import type { Vfs, VfsFile, VfsLock } from './vfs.ts'

/** One inode: bytes written so far and the prefix made durable by the last sync. */
class MemInode {
  bytes = new Uint8Array(0)
  sizeBytes = 0
  durable = new Uint8Array(0)

  ensureCapacity(sizeBytes: number): void {
    if (sizeBytes <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(sizeBytes, this.bytes.length * 2, 256))
    grown.set(this.bytes.subarray(0, this.sizeBytes))
    this.bytes = grown
  }
}

class MemFile implements VfsFile {
  readonly path: string
  readonly #inode: MemInode
  readonly #writable: boolean
  #closed = false

  constructor(filePath: string, inode: MemInode, writable: boolean) {
    this.path = filePath
    this.#inode = inode
    this.#writable = writable
  }

  #checkOpen(): void {
    if (this.#closed) throw new StrataError('IO_ERROR', `Cannot use ${this.path}: file is closed`)
  }

  read(target: Uint8Array, positionBytes: number): number {
    this.#checkOpen()
    const end = Math.min(this.#inode.sizeBytes, positionBytes + target.length)
    if (end <= positionBytes) return 0
    target.set(this.#inode.bytes.subarray(positionBytes, end))
    return end - positionBytes
  }

  append(chunks: readonly Uint8Array[]): void {
    this.#checkOpen()
    if (!this.#writable) throw new StrataError('IO_ERROR', `Cannot append to ${this.path}: read-only`)
    const inode = this.#inode
    let totalBytes = 0
    for (const chunk of chunks) totalBytes += chunk.length
    inode.ensureCapacity(inode.sizeBytes + totalBytes)
    for (const chunk of chunks) {
      inode.bytes.set(chunk, inode.sizeBytes)
      inode.sizeBytes += chunk.length
    }
  }

  async sync(): Promise<void> {
    this.#checkOpen()
    this.#inode.durable = this.#inode.bytes.slice(0, this.#inode.sizeBytes)
  }

  sizeBytes(): number {
    return this.#inode.sizeBytes
  }

  truncate(sizeBytes: number): void {
    this.#checkOpen()
    this.#inode.sizeBytes = Math.min(sizeBytes, this.#inode.sizeBytes)
  }

  close(): void {
    this.#closed = true
  }
}

/** How many of `inode`'s unsynced bytes a crash keeps: 0 unless it was only appended to since its sync. */
function writtenBack(
  filePath: string, inode: MemInode, writtenBackBytes: ((filePath: string, unsyncedBytes: number) => number) | undefined,
): number {
  const durableBytes = inode.durable.length
  const unsyncedBytes = inode.sizeBytes - durableBytes
  if (writtenBackBytes === undefined || unsyncedBytes <= 0) return 0
  // A file truncated and rewritten since its sync has no appended-only tail to write back.
  if (Buffer.compare(inode.bytes.subarray(0, durableBytes), inode.durable) !== 0) return 0
  const keptBytes = writtenBackBytes(filePath, unsyncedBytes)
  if (!Number.isSafeInteger(keptBytes) || keptBytes < 0 || keptBytes > unsyncedBytes) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot crash: writtenBackBytes returned ${keptBytes} for ${filePath}, outside 0 … ${unsyncedBytes} unsynced bytes`,
      { details: { path: filePath, unsyncedBytes } })
  }
  return keptBytes
}

function normalize(filePath: string): string {
  return path.posix.resolve('/', filePath)
}

/** The in-memory Vfs. */
export class MemVfs implements Vfs {
  /** Directory entries as the running system sees them. */
  readonly #entries = new Map<string, MemInode>()
  /** Directory entries as they would survive a crash. */
  readonly #durableEntries = new Map<string, MemInode>()
  readonly #directories = new Set<string>(['/'])
  readonly #locks = new Set<string>()

  #inode(filePath: string): MemInode {
    const inode = this.#entries.get(normalize(filePath))
    if (inode === undefined) {
      throw new StrataError('NOT_FOUND', `Cannot open ${filePath}: no such file`, {
        details: { path: filePath },
      })
    }
    return inode
  }

  openRead(filePath: string): VfsFile {
    return new MemFile(filePath, this.#inode(filePath), false)
  }
  openAppend(filePath: string): VfsFile {
    if (!this.exists(filePath)) return this.create(filePath)
    return new MemFile(filePath, this.#inode(filePath), true)
  }
  create(filePath: string): VfsFile {
    const key = this.#newEntryKey('create', filePath)
    const inode = new MemInode()
    this.#entries.set(key, inode)
    return new MemFile(filePath, inode, true)
  }
  createExclusive(filePath: string): VfsFile {
    this.#refuseExisting('create', filePath)
    return this.create(filePath)
  }
  /** The key of a new entry at `filePath`, whose directory must exist. */
  #newEntryKey(action: string, filePath: string): string {
    const key = normalize(filePath)
    if (!this.#directories.has(path.posix.dirname(key))) {
      throw new StrataError('NOT_FOUND', `Cannot ${action} ${filePath}: no such directory`, { details: { path: filePath } })
    }
    return key
  }
  /** Throws the IO_ERROR (errno EEXIST) NodeVfs throws for an exclusive creation over `filePath`. */
  #refuseExisting(action: string, filePath: string): void {
    if (this.exists(filePath)) {
      throw new StrataError('IO_ERROR', `Cannot ${action} ${filePath}: EEXIST`, { details: { path: filePath, errno: 'EEXIST' } })
    }
  }
  exists(filePath: string): boolean {
    const key = normalize(filePath)
    return this.#entries.has(key) || this.#directories.has(key)
  }
  list(directory: string): string[] {
    const key = normalize(directory)
    const names: string[] = []
    for (const entry of this.#entries.keys()) {
      if (path.posix.dirname(entry) === key) names.push(path.posix.basename(entry))
    }
    for (const entry of this.#directories) {
      if (entry !== '/' && path.posix.dirname(entry) === key) names.push(path.posix.basename(entry))
    }
    return names.sort()
  }
  remove(filePath: string): void {
    this.#entries.delete(normalize(filePath))
  }
  rename(source: string, target: string): void {
    const inode = this.#inode(source)
    this.#entries.delete(normalize(source))
    this.#entries.set(normalize(target), inode)
  }
  mkdirp(directory: string): void {
    let key = normalize(directory)
    while (key !== '/') {
      this.#directories.add(key)
      key = path.posix.dirname(key)
    }
  }
  async syncDirectory(directory: string): Promise<void> {
    const key = normalize(directory)
    for (const entry of [...this.#durableEntries.keys()]) {
      if (path.posix.dirname(entry) === key && !this.#entries.has(entry)) this.#durableEntries.delete(entry)
    }
    for (const [entry, inode] of this.#entries) {
      if (path.posix.dirname(entry) === key) this.#durableEntries.set(entry, inode)
    }
  }
  sizeBytes(filePath: string): number {
    return this.#inode(filePath).sizeBytes
  }
  link(source: string, target: string): void {
    const inode = this.#inode(source)
    this.#refuseExisting(`link ${source} to`, target)
    this.#entries.set(this.#newEntryKey(`link ${source} to`, target), inode)
  }
  lock(lockPath: string): VfsLock {
    const key = normalize(lockPath)
    if (this.#locks.has(key)) {
      throw new StrataError('LOCKED', `Cannot lock ${lockPath}: already held`, { details: { path: lockPath } })
    }
    this.#locks.add(key)
    return { release: () => void this.#locks.delete(key) }
  }

  /**
   * Simulates a power loss: returns a new MemVfs with only the durable state: entries made
   * durable by syncDirectory, each holding the bytes of its last sync. Locks are dropped.
   *
   * `writtenBackBytes` models the kernel's writeback, which may have written some of a file's
   * unsynced appends before the power went, independently per file: it is asked, for each
   * surviving file (by path) that was only appended to since its last sync, how many of those
   * unsynced bytes (0 … `unsyncedBytes`) reached the disk. The survivor keeps that prefix of them:
   * a per-file prefix, what a file system shows whose size follows its data. Not modelled: a size
   * recorded over unwritten (zero-filled) pages, pages persisted out of order, unsynced directory
   * operations a journal commit persisted. Without it only synced bytes survive.
   */
  crash(options: { writtenBackBytes?: (filePath: string, unsyncedBytes: number) => number } = {}): MemVfs {
    const after = new MemVfs()
    for (const directory of this.#directories) after.#directories.add(directory)
    for (const [entry, inode] of this.#durableEntries) {
      const survivor = new MemInode()
      const writtenBackBytes = writtenBack(entry, inode, options.writtenBackBytes)
      // The written-back bytes follow the durable ones (writtenBack checked they are unchanged).
      survivor.bytes = writtenBackBytes === 0 ? inode.durable.slice() : inode.bytes.slice(0, inode.durable.length + writtenBackBytes)
      survivor.sizeBytes = survivor.bytes.length
      survivor.durable = survivor.bytes.slice()
      after.#entries.set(entry, survivor)
      after.#durableEntries.set(entry, survivor)
    }
    return after
  }
}
