/**
 * NodeVfs: the Vfs over node:fs. Synchronous reads and appends (see vfs.ts for why);
 * `sync()` runs fdatasync on libuv's thread pool so the event loop keeps serving while a
 * group commit waits for the disk.
 */
import fs from 'node:fs'
import path from 'node:path'
import { StrataError, ioError } from '../errors.ts'
import type { Vfs, VfsFile, VfsLock } from './vfs.ts'

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))
  })
}

class NodeFile implements VfsFile {
  readonly path: string
  #fd: number
  #sizeBytes: number

  constructor(filePath: string, fd: number) {
    this.path = filePath
    this.#fd = fd
    this.#sizeBytes = fs.fstatSync(fd).size
  }

  read(target: Uint8Array, positionBytes: number): number {
    try {
      return fs.readSync(this.#fd, target, 0, target.length, positionBytes)
    } catch (error) {
      throw ioError('read', this.path, error)
    }
  }

  append(chunks: readonly Uint8Array[]): void {
    let totalBytes = 0
    for (const chunk of chunks) totalBytes += chunk.length
    try {
      let writtenBytes = fs.writevSync(this.#fd, chunks as Uint8Array[], this.#sizeBytes)
      // writev may write short (rare, large batches); finish the rest chunk by chunk.
      if (writtenBytes < totalBytes) writtenBytes = this.#finishShortWrite(chunks, writtenBytes)
    } catch (error) {
      throw ioError('append to', this.path, error)
    }
    this.#sizeBytes += totalBytes
  }

  #finishShortWrite(chunks: readonly Uint8Array[], writtenBytes: number): number {
    let skipBytes = writtenBytes
    for (const chunk of chunks) {
      if (skipBytes >= chunk.length) {
        skipBytes -= chunk.length
        continue
      }
      let offset = skipBytes
      skipBytes = 0
      while (offset < chunk.length) {
        const n = fs.writeSync(this.#fd, chunk, offset, chunk.length - offset, this.#sizeBytes + writtenBytes)
        offset += n
        writtenBytes += n
      }
    }
    return writtenBytes
  }

  async sync(): Promise<void> {
    try {
      await fdatasync(this.#fd)
    } catch (error) {
      throw ioError('sync', this.path, error)
    }
  }

  sizeBytes(): number {
    return this.#sizeBytes
  }

  truncate(sizeBytes: number): void {
    try {
      fs.ftruncateSync(this.#fd, sizeBytes)
    } catch (error) {
      throw ioError('truncate', this.path, error)
    }
    this.#sizeBytes = sizeBytes
  }

  close(): void {
    if (this.#fd < 0) return
    try {
      fs.closeSync(this.#fd)
    } finally {
      this.#fd = -1
    }
  }
}

function openFile(filePath: string, flags: string): NodeFile {
  try {
    return new NodeFile(filePath, fs.openSync(filePath, flags))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StrataError('NOT_FOUND', `Cannot open ${filePath}: no such file`, {
        cause: error,
        details: { path: filePath },
      })
    }
    throw ioError('open', filePath, error)
  }
}

/** Lock paths held by this process: a second open in the same process is LOCKED too. */
const heldLocks = new Set<string>()

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Node has no flock(2), so the lock is a file created with O_EXCL that holds the owner's pid.
 * A lock file whose pid is no longer alive (the owner was killed) is taken over. PID reuse
 * could make a stale lock look held; the error then names the pid so an operator can check.
 */
function takeLock(lockPath: string): VfsLock {
  const resolved = path.resolve(lockPath)
  if (heldLocks.has(resolved)) {
    throw new StrataError('LOCKED', `Cannot lock ${lockPath}: already open in this process`, {
      details: { path: lockPath, pid: process.pid },
    })
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(resolved, String(process.pid), { flag: 'wx' })
      heldLocks.add(resolved)
      let released = false
      return {
        release() {
          if (released) return
          released = true
          heldLocks.delete(resolved)
          fs.rmSync(resolved, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('lock', lockPath, error)
      const ownerPid = Number(fs.readFileSync(resolved, 'utf8'))
      if (Number.isInteger(ownerPid) && ownerPid > 0 && processAlive(ownerPid)) {
        throw new StrataError('LOCKED', `Cannot lock ${lockPath}: held by process ${ownerPid}`, {
          details: { path: lockPath, pid: ownerPid },
        })
      }
      fs.rmSync(resolved, { force: true })
    }
  }
  throw new StrataError('LOCKED', `Cannot lock ${lockPath}: lock file keeps reappearing`, {
    details: { path: lockPath },
  })
}

/** The Vfs over the real file system. */
export class NodeVfs implements Vfs {
  openRead(filePath: string): VfsFile {
    return openFile(filePath, 'r')
  }
  openAppend(filePath: string): VfsFile {
    return openFile(filePath, fs.existsSync(filePath) ? 'r+' : 'w+')
  }
  create(filePath: string): VfsFile {
    return openFile(filePath, 'w+')
  }
  createExclusive(filePath: string): VfsFile {
    return openFile(filePath, 'wx+')
  }
  exists(filePath: string): boolean {
    return fs.existsSync(filePath)
  }
  list(directory: string): string[] {
    try {
      return fs.readdirSync(directory)
    } catch (error) {
      throw ioError('list', directory, error)
    }
  }
  remove(filePath: string): void {
    try {
      fs.rmSync(filePath, { force: true })
    } catch (error) {
      throw ioError('remove', filePath, error)
    }
  }
  rename(source: string, target: string): void {
    try {
      fs.renameSync(source, target)
    } catch (error) {
      throw ioError('rename', source, error)
    }
  }
  mkdirp(directory: string): void {
    try {
      fs.mkdirSync(directory, { recursive: true })
    } catch (error) {
      throw ioError('create directory', directory, error)
    }
  }
  async syncDirectory(directory: string): Promise<void> {
    let fd = -1
    try {
      fd = fs.openSync(directory, 'r')
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())))
    } catch (error) {
      throw ioError('sync directory', directory, error)
    } finally {
      if (fd >= 0) fs.closeSync(fd)
    }
  }
  sizeBytes(filePath: string): number {
    try {
      return fs.statSync(filePath).size
    } catch (error) {
      throw ioError('stat', filePath, error)
    }
  }
  link(source: string, target: string): void {
    try {
      fs.linkSync(source, target)
    } catch (error) {
      // No copy here: a copy must be synced before anything names it, and copying a large file
      // synchronously stalls the event loop, so the caller copies (engine/checkpoint.ts).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StrataError('NOT_FOUND', `Cannot link ${source} to ${target}: no such file or directory`, { cause: error, details: { path: source } })
      }
      throw ioError(`link ${source} to`, target, error)
    }
  }
  lock(lockPath: string): VfsLock {
    return takeLock(lockPath)
  }
}
