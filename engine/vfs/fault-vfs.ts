/**
 * FaultVfs: a test Vfs that wraps any Vfs and injects faults chosen by rules: a failing
 * operation (EIO, ENOSPC, …), a short write (a prefix of the bytes lands, then the error), or a
 * lying sync (reports success, makes nothing durable). Modelled on Pebble's vfs/errorfs.
 *
 * It composes with MemVfs.crash(): wrap a MemVfs, let the engine run into faults, then call
 * `crash()` on the inner MemVfs (or use `crashAt` to take the crash image at a chosen operation
 * and halt the disk from there on). Page-cache loss and the loss of un-synced directory entries
 * are MemVfs's model; a lying sync leaves MemVfs's durable state untouched, so a later crash
 * loses what the engine believed synced.
 *
 * Randomness (`probability`) flows from a seeded PRNG: the same seed and the same operation
 * sequence inject the same faults. Single-threaded use from one event loop.
 */
import { StrataError } from '../errors.ts'
import { mulberry32Float } from '../mulberry32.ts'
import type { Vfs, VfsFile, VfsLock } from './vfs.ts'

/** Operations a rule can target. */
export type FaultOp =
  | 'sync'
  | 'append'
  | 'read'
  | 'create'
  | 'openRead'
  | 'openAppend'
  | 'truncate'
  | 'rename'
  | 'remove'
  | 'link'
  | 'syncDirectory'

/** The system error codes a fault may carry (what the kernel returns for the failure modelled). */
export type FaultErrno = 'EIO' | 'ENOSPC' | 'EDQUOT' | 'EROFS' | 'EACCES' | 'EMFILE' | 'EBADF' | 'EXDEV' | 'EMLINK'

/**
 * `fail`: the operation does nothing and throws (a sync rejects).
 * `short-write`: (append only) a seeded prefix of the bytes is appended, then it throws.
 * `lying-sync`: (sync, syncDirectory only) resolves without making anything durable.
 */
export type FaultMode = 'fail' | 'short-write' | 'lying-sync'

/** One fault rule. A rule matches an operation by `op` and `path`; then `nth` / `probability` decide. */
export interface FaultRule {
  op: FaultOp
  /** Only paths matching this pattern (the file path, or the directory for syncDirectory). */
  path?: RegExp
  /** Fire only on the nth matching operation (1-based), once. */
  nth?: number
  /** Fire on each matching operation with this probability (seeded). Default 1. */
  probability?: number
  /** The error code the fault carries. Default EIO. */
  errno?: FaultErrno
  /** Default 'fail'. */
  mode?: FaultMode
  /** Stop firing after this many faults. Default: 1 with `nth`, unbounded otherwise. */
  countMax?: number
}

/** One injected fault, for test messages and the reliability report. */
export interface InjectedFault {
  op: FaultOp
  path: string
  errno: FaultErrno
  mode: FaultMode
  /** Index (0-based) of the operation among all operations this FaultVfs saw. */
  opIndex: number
}

/** Options of FaultVfs. */
export interface FaultVfsOptions {
  /** Seed of the PRNG behind `probability` and short-write lengths. Default 1. */
  seed?: number
  rules?: readonly FaultRule[]
  /** Called for every operation before it runs (after a rule decided nothing), with its index. */
  onOp?: (op: FaultOp, path: string, opIndex: number) => void
}

interface ActiveRule {
  rule: FaultRule
  matchCount: number
  firedCount: number
}

/** A wrapper injecting faults into `inner`; see the file comment. */
export class FaultVfs implements Vfs {
  readonly inner: Vfs
  readonly #random: () => number
  #rules: ActiveRule[] = []
  #opCount = 0
  #halted: string | undefined
  readonly #injected: InjectedFault[] = []
  #onOp: FaultVfsOptions['onOp']

  constructor(inner: Vfs, options: FaultVfsOptions = {}) {
    this.inner = inner
    this.#random = mulberry32Float(options.seed ?? 1)
    this.#onOp = options.onOp
    for (const rule of options.rules ?? []) this.addRule(rule)
  }

  /** Adds a rule; it applies to operations from now on. */
  addRule(rule: FaultRule): void {
    checkRule(rule)
    this.#rules.push({ rule, matchCount: 0, firedCount: 0 })
  }

  /** Removes every rule: the fault is gone (a halted disk stays halted). */
  clearRules(): void {
    this.#rules = []
  }

  /** Operations seen so far (including failed ones). */
  get opCount(): number {
    return this.#opCount
  }

  /** Every fault injected so far, in order. */
  get injected(): readonly InjectedFault[] {
    return this.#injected
  }

  /** Sets the per-operation observer (see FaultVfsOptions.onOp). */
  set onOp(observer: FaultVfsOptions['onOp']) {
    this.#onOp = observer
  }

  /**
   * Fails every later operation with EIO, as a machine that lost power would (nothing more can
   * reach the disk). Used with a crash image taken at the same instant.
   */
  halt(reason: string): void {
    this.#halted = reason
  }

  get halted(): boolean {
    return this.#halted !== undefined
  }

  /**
   * Runs before each operation: counts it, and returns the fault to apply or undefined.
   * Throws for `fail` faults (and when halted) so each call site stays one line.
   */
  check(op: FaultOp, filePath: string): FaultMode | undefined {
    const opIndex = this.#opCount++
    if (this.#halted !== undefined) throw faultError(op, filePath, 'EIO', `disk halted (${this.#halted})`)
    this.#onOp?.(op, filePath, opIndex)
    if (this.#halted !== undefined) throw faultError(op, filePath, 'EIO', `disk halted (${this.#halted})`)
    for (const active of this.#rules) {
      const { rule } = active
      if (rule.op !== op) continue
      if (rule.path !== undefined && !rule.path.test(filePath)) continue
      active.matchCount++
      const countMax = rule.countMax ?? (rule.nth !== undefined ? 1 : Number.POSITIVE_INFINITY)
      if (active.firedCount >= countMax) continue
      if (rule.nth !== undefined && active.matchCount !== rule.nth) continue
      if (rule.probability !== undefined && this.#random() >= rule.probability) continue
      active.firedCount++
      const mode = rule.mode ?? 'fail'
      const errno = rule.errno ?? 'EIO'
      this.#injected.push({ op, path: filePath, errno, mode, opIndex })
      if (mode === 'fail') throw faultError(op, filePath, errno, 'injected fault')
      return mode
    }
    return undefined
  }

  /** A seeded length in [0, totalBytes) for a short write. */
  shortLength(totalBytes: number): number {
    return totalBytes <= 1 ? 0 : Math.floor(this.#random() * totalBytes)
  }

  /** The errno of the most recent injected fault (for short writes, which throw after writing). */
  lastErrno(): FaultErrno {
    return this.#injected.at(-1)?.errno ?? 'EIO'
  }

  openRead(filePath: string): VfsFile {
    this.check('openRead', filePath)
    return new FaultFile(this, this.inner.openRead(filePath))
  }
  openAppend(filePath: string): VfsFile {
    this.check('openAppend', filePath)
    return new FaultFile(this, this.inner.openAppend(filePath))
  }
  create(filePath: string): VfsFile {
    this.check('create', filePath)
    return new FaultFile(this, this.inner.create(filePath))
  }
  createExclusive(filePath: string): VfsFile {
    this.check('create', filePath)
    return new FaultFile(this, this.inner.createExclusive(filePath))
  }
  exists(filePath: string): boolean {
    return this.inner.exists(filePath)
  }
  list(directory: string): string[] {
    return this.inner.list(directory)
  }
  remove(filePath: string): void {
    this.check('remove', filePath)
    this.inner.remove(filePath)
  }
  rename(source: string, target: string): void {
    this.check('rename', target)
    this.inner.rename(source, target)
  }
  mkdirp(directory: string): void {
    this.inner.mkdirp(directory)
  }
  async syncDirectory(directory: string): Promise<void> {
    if (this.check('syncDirectory', directory) === 'lying-sync') return
    await this.inner.syncDirectory(directory)
  }
  sizeBytes(filePath: string): number {
    return this.inner.sizeBytes(filePath)
  }
  link(source: string, target: string): void {
    this.check('link', target)
    this.inner.link(source, target)
  }
  lock(lockPath: string): VfsLock {
    return this.inner.lock(lockPath)
  }
}

class FaultFile implements VfsFile {
  readonly #vfs: FaultVfs
  readonly #inner: VfsFile

  constructor(vfs: FaultVfs, inner: VfsFile) {
    this.#vfs = vfs
    this.#inner = inner
  }
  get path(): string {
    return this.#inner.path
  }
  read(target: Uint8Array, positionBytes: number): number {
    this.#vfs.check('read', this.path)
    return this.#inner.read(target, positionBytes)
  }
  append(chunks: readonly Uint8Array[]): void {
    if (this.#vfs.check('append', this.path) !== 'short-write') {
      this.#inner.append(chunks)
      return
    }
    // A short write: a prefix of the bytes lands, then the call fails (as write(2) returning
    // fewer bytes followed by ENOSPC on the retry would look to the caller).
    let totalBytes = 0
    for (const chunk of chunks) totalBytes += chunk.length
    let leftBytes = this.#vfs.shortLength(totalBytes)
    const prefix: Uint8Array[] = []
    for (const chunk of chunks) {
      if (leftBytes === 0) break
      const part = chunk.subarray(0, Math.min(chunk.length, leftBytes))
      prefix.push(part)
      leftBytes -= part.length
    }
    if (prefix.length > 0) this.#inner.append(prefix)
    throw faultError('append', this.path, this.#vfs.lastErrno(), 'injected short write')
  }
  async sync(): Promise<void> {
    if (this.#vfs.check('sync', this.path) === 'lying-sync') return
    await this.#inner.sync()
  }
  sizeBytes(): number {
    return this.#inner.sizeBytes()
  }
  truncate(sizeBytes: number): void {
    this.#vfs.check('truncate', this.path)
    this.#inner.truncate(sizeBytes)
  }
  close(): void {
    this.#inner.close()
  }
}

/** The IO_ERROR a real failure would produce, with the errno in details and a Node-like cause. */
function faultError(op: FaultOp, filePath: string, errno: FaultErrno, what: string): StrataError {
  const cause = Object.assign(new Error(`${errno}: ${what}, ${op} '${filePath}'`), { code: errno, syscall: op })
  return new StrataError('IO_ERROR', `Cannot ${op} ${filePath}: ${errno} (${what})`, {
    cause,
    details: { path: filePath, errno, injected: true },
  })
}

function checkRule(rule: FaultRule): void {
  const mode = rule.mode ?? 'fail'
  if (mode === 'short-write' && rule.op !== 'append') {
    throw new StrataError('INVALID_ARGUMENT', `Cannot add fault rule: short-write applies to append, not ${rule.op}`)
  }
  if (mode === 'lying-sync' && rule.op !== 'sync' && rule.op !== 'syncDirectory') {
    throw new StrataError('INVALID_ARGUMENT', `Cannot add fault rule: lying-sync applies to sync or syncDirectory, not ${rule.op}`)
  }
  if (rule.nth !== undefined && !(Number.isInteger(rule.nth) && rule.nth >= 1)) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot add fault rule: nth must be an integer >= 1, got ${rule.nth}`)
  }
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot add fault rule: probability must be in [0, 1], got ${rule.probability}`)
  }
}
