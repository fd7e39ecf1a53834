/**
 * HookedVfs: a test Vfs that delegates to another Vfs and calls hooks around operations, to
 * count fsyncs, fail one, hold one open, or snapshot a MemVfs after every step (crash points).
 * Test-only; lives here until engine/vfs grows a FaultVfs (issue #8), which should replace it.
 */
import type { Vfs, VfsFile, VfsLock } from '../vfs/mod.ts'

/** The operations a hook sees. */
export type HookedOp =
  | 'create' | 'openAppend' | 'append' | 'sync' | 'truncate' | 'rename' | 'remove' | 'syncDirectory'

/** Hooks; each is optional. */
export interface VfsHooks {
  /** Runs before a file sync or directory sync; may delay it or throw to fail it. */
  beforeSync?: (op: 'sync' | 'syncDirectory', path: string) => Promise<void> | void
  /** Runs after every mutating operation completed. */
  afterOp?: (op: HookedOp, path: string) => void
}

class HookedFile implements VfsFile {
  readonly #inner: VfsFile
  readonly #hooks: VfsHooks
  constructor(inner: VfsFile, hooks: VfsHooks) {
    this.#inner = inner
    this.#hooks = hooks
  }
  get path(): string {
    return this.#inner.path
  }
  read(target: Uint8Array, positionBytes: number): number {
    return this.#inner.read(target, positionBytes)
  }
  append(chunks: readonly Uint8Array[]): void {
    this.#inner.append(chunks)
    this.#hooks.afterOp?.('append', this.path)
  }
  async sync(): Promise<void> {
    await this.#hooks.beforeSync?.('sync', this.path)
    await this.#inner.sync()
    this.#hooks.afterOp?.('sync', this.path)
  }
  sizeBytes(): number {
    return this.#inner.sizeBytes()
  }
  truncate(sizeBytes: number): void {
    this.#inner.truncate(sizeBytes)
    this.#hooks.afterOp?.('truncate', this.path)
  }
  close(): void {
    this.#inner.close()
  }
}

/** A Vfs wrapper calling `hooks`. */
export class HookedVfs implements Vfs {
  readonly #inner: Vfs
  readonly hooks: VfsHooks
  constructor(inner: Vfs, hooks: VfsHooks = {}) {
    this.#inner = inner
    this.hooks = hooks
  }
  openRead(path: string): VfsFile {
    return new HookedFile(this.#inner.openRead(path), this.hooks)
  }
  openAppend(path: string): VfsFile {
    const file = new HookedFile(this.#inner.openAppend(path), this.hooks)
    this.hooks.afterOp?.('openAppend', path)
    return file
  }
  create(path: string): VfsFile {
    const file = new HookedFile(this.#inner.create(path), this.hooks)
    this.hooks.afterOp?.('create', path)
    return file
  }
  createExclusive(path: string): VfsFile {
    const file = new HookedFile(this.#inner.createExclusive(path), this.hooks)
    this.hooks.afterOp?.('create', path)
    return file
  }
  exists(path: string): boolean {
    return this.#inner.exists(path)
  }
  list(directory: string): string[] {
    return this.#inner.list(directory)
  }
  remove(path: string): void {
    this.#inner.remove(path)
    this.hooks.afterOp?.('remove', path)
  }
  rename(source: string, target: string): void {
    this.#inner.rename(source, target)
    this.hooks.afterOp?.('rename', target)
  }
  mkdirp(directory: string): void {
    this.#inner.mkdirp(directory)
  }
  async syncDirectory(directory: string): Promise<void> {
    await this.hooks.beforeSync?.('syncDirectory', directory)
    await this.#inner.syncDirectory(directory)
    this.hooks.afterOp?.('syncDirectory', directory)
  }
  sizeBytes(path: string): number {
    return this.#inner.sizeBytes(path)
  }
  link(source: string, target: string): void {
    this.#inner.link(source, target)
  }
  lock(path: string): VfsLock {
    return this.#inner.lock(path)
  }
}
