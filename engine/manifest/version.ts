/**
 * Version: an immutable picture of the live files: the tables of each level and the blob
 * files with their stale bytes. `apply(edit)` returns a new Version and leaves this one
 * untouched, so readers holding an old Version keep a consistent view while flushes and
 * compactions install new ones.
 *
 * Level order: L0 tables may overlap and are ordered newest first (largestSeqno descending,
 * then fileNumber descending), which is the order a read must consult them in. L1 and deeper
 * are sorted by smallestKey and do not overlap (each table's largestKey < the next one's
 * smallestKey). `apply` rejects an edit that breaks either rule with INVALID_ARGUMENT, so a bad
 * edit never reaches the manifest; the VersionSet turns that into CORRUPTION during recovery.
 */
import assert from 'node:assert/strict'
import { StrataError, type StrataErrorDetails } from '../errors.ts'
import { LEVEL_COUNT } from './limits.ts'
import type { BlobFileMeta, TableMeta, VersionEdit } from './version-edit.ts'

/** A blob file in a version: its meta and how many of its bytes no live handle reaches. */
export interface BlobFileState {
  readonly meta: Readonly<BlobFileMeta>
  readonly staleBytes: number
}

const INVARIANTS = process.env.STRATA_INVARIANTS === '1'

function invalidEdit(message: string, details: StrataErrorDetails = {}): StrataError {
  return new StrataError('INVALID_ARGUMENT', `Cannot apply version edit: ${message}`, { details })
}

function checkCount(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidEdit(`${name} ${String(value)} is not a non-negative safe integer`)
  }
}

function checkLevel(level: unknown): void {
  checkCount('level', level)
  if ((level as number) >= LEVEL_COUNT) throw invalidEdit(`level ${String(level)} is not below ${LEVEL_COUNT}`)
}

function checkTable(table: TableMeta): void {
  checkLevel(table.level)
  for (const name of ['fileNumber', 'sizeBytes', 'smallestSeqno', 'largestSeqno', 'entryCount', 'tombstoneCount', 'rangeTombstoneCount'] as const) {
    checkCount(`table ${name}`, table[name])
  }
  const details = { fileNumber: table.fileNumber, level: table.level }
  if (typeof table.smallestKey !== 'string' || typeof table.largestKey !== 'string') throw invalidEdit('table keys must be latin1 strings', details)
  if (table.smallestKey > table.largestKey) throw invalidEdit(`table ${table.fileNumber} has smallestKey > largestKey`, details)
  if (table.smallestSeqno > table.largestSeqno) throw invalidEdit(`table ${table.fileNumber} has smallestSeqno > largestSeqno`, details)
}

/** L0 order: newest first. */
function compareLevel0(a: TableMeta, b: TableMeta): number {
  return b.largestSeqno - a.largestSeqno || b.fileNumber - a.fileNumber
}

/** L1+ order: by smallestKey. */
function compareByKey(a: TableMeta, b: TableMeta): number {
  return a.smallestKey < b.smallestKey ? -1 : a.smallestKey > b.smallestKey ? 1 : a.fileNumber - b.fileNumber
}

/** Throws INVALID_ARGUMENT when two neighbouring tables of a sorted level L1+ overlap. */
function checkNoOverlap(level: number, tables: readonly TableMeta[]): void {
  for (let index = 1; index < tables.length; index++) {
    const previous = tables[index - 1]
    const next = tables[index]
    if (previous.largestKey >= next.smallestKey) {
      throw invalidEdit(`tables ${previous.fileNumber} and ${next.fileNumber} overlap in level ${level}`,
        { level, fileNumber: next.fileNumber })
    }
  }
}

/** The immutable set of live files. */
export class Version {
  /** Tables per level, LEVEL_COUNT levels; see the file comment for the order. */
  readonly levels: readonly (readonly TableMeta[])[]
  /** Live blob files by file number. */
  readonly blobFiles: ReadonlyMap<number, BlobFileState>
  /** Per level, where its next compaction starts (undefined: from the start). */
  readonly compactPointers: readonly (string | undefined)[]

  private constructor(
    levels: readonly (readonly TableMeta[])[],
    blobFiles: ReadonlyMap<number, BlobFileState>,
    compactPointers: readonly (string | undefined)[],
  ) {
    assert.equal(levels.length, LEVEL_COUNT)
    this.levels = Object.freeze(levels)
    this.blobFiles = blobFiles
    this.compactPointers = Object.freeze(compactPointers)
    if (INVARIANTS) this.#assertInvariants()
  }

  /** The version of a new database: no files. */
  static empty(): Version {
    const levels = Array.from({ length: LEVEL_COUNT }, () => Object.freeze([] as TableMeta[]))
    return new Version(levels, new Map(), Array.from({ length: LEVEL_COUNT }, () => undefined))
  }

  /**
   * Returns the version after `edit`: table removals, then additions; blob file removals, then
   * additions, then stale-byte deltas; compact pointers. Counters (logNumber, lastSeqno,
   * nextFileNumber) are the VersionSet's, not the Version's.
   * @throws {StrataError} `INVALID_ARGUMENT` when the edit removes what is absent, adds a file
   * number twice, breaks level order or carries a malformed field.
   */
  apply(edit: VersionEdit): Version {
    const levels = this.levels.slice() as TableMeta[][]
    const touched = new Set<number>()
    const copyLevel = (level: number): TableMeta[] => {
      if (!touched.has(level)) {
        levels[level] = levels[level].slice()
        touched.add(level)
      }
      return levels[level]
    }
    for (const removed of edit.removedTables ?? []) {
      checkLevel(removed.level)
      const tables = copyLevel(removed.level)
      const index = tables.findIndex((table) => table.fileNumber === removed.fileNumber)
      if (index < 0) throw invalidEdit(`table ${removed.fileNumber} is not in level ${removed.level}`, { ...removed })
      tables.splice(index, 1)
    }
    const fileNumbers = new Set<number>(this.blobFiles.keys())
    for (const tables of levels) for (const table of tables) fileNumbers.add(table.fileNumber)
    for (const added of edit.addedTables ?? []) {
      checkTable(added)
      if (fileNumbers.has(added.fileNumber)) throw invalidEdit(`file number ${added.fileNumber} is already live`, { fileNumber: added.fileNumber })
      fileNumbers.add(added.fileNumber)
      copyLevel(added.level).push(Object.freeze({ ...added }))
    }
    for (const level of touched) {
      if (level === 0) levels[0].sort(compareLevel0)
      else {
        levels[level].sort(compareByKey)
        checkNoOverlap(level, levels[level])
      }
      Object.freeze(levels[level])
    }
    return new Version(levels, this.#applyBlobFiles(edit, fileNumbers), this.#applyCompactPointers(edit))
  }

  #applyBlobFiles(edit: VersionEdit, fileNumbers: Set<number>): ReadonlyMap<number, BlobFileState> {
    const removed = edit.removedBlobFiles ?? []
    const added = edit.addedBlobFiles ?? []
    const stale = edit.blobStaleBytes ?? []
    if (removed.length + added.length + stale.length === 0) return this.blobFiles
    const blobFiles = new Map(this.blobFiles)
    for (const fileNumber of removed) {
      if (!blobFiles.delete(fileNumber)) throw invalidEdit(`blob file ${fileNumber} is not live`, { fileNumber })
      fileNumbers.delete(fileNumber)
    }
    for (const meta of added) {
      for (const name of ['fileNumber', 'sizeBytes', 'valueCount', 'totalValueBytes'] as const) checkCount(`blob file ${name}`, meta[name])
      if (fileNumbers.has(meta.fileNumber)) throw invalidEdit(`file number ${meta.fileNumber} is already live`, { fileNumber: meta.fileNumber })
      fileNumbers.add(meta.fileNumber)
      blobFiles.set(meta.fileNumber, Object.freeze({ meta: Object.freeze({ ...meta }), staleBytes: 0 }))
    }
    for (const { fileNumber, staleBytesDelta } of stale) {
      checkCount('staleBytesDelta', staleBytesDelta)
      const state = blobFiles.get(fileNumber)
      // A compaction may drop a handle into a blob file that GC already relocated and removed
      // (its edit was queued first): such a delta describes nothing live and is ignored. Treating
      // it as an error turned a 60 s soak read-only (scripts/reliability.ts, issue #8).
      if (state === undefined) continue
      const staleBytes = state.staleBytes + staleBytesDelta
      checkCount('staleBytes', staleBytes)
      blobFiles.set(fileNumber, Object.freeze({ meta: state.meta, staleBytes }))
    }
    return blobFiles
  }

  #applyCompactPointers(edit: VersionEdit): readonly (string | undefined)[] {
    if (edit.compactPointers === undefined || edit.compactPointers.length === 0) return this.compactPointers
    const pointers = this.compactPointers.slice()
    for (const { level, key } of edit.compactPointers) {
      checkLevel(level)
      if (typeof key !== 'string') throw invalidEdit('a compact pointer key must be a latin1 string')
      pointers[level] = key
    }
    return pointers
  }

  /** An edit that rebuilds this version from an empty one: the first record of a manifest. */
  toSnapshotEdit(): VersionEdit {
    const edit: VersionEdit = { addedTables: this.levels.flatMap((tables) => tables.map((table) => ({ ...table }))) }
    edit.addedBlobFiles = [...this.blobFiles.values()].map((state) => ({ ...state.meta }))
    edit.blobStaleBytes = [...this.blobFiles.values()]
      .filter((state) => state.staleBytes > 0)
      .map((state) => ({ fileNumber: state.meta.fileNumber, staleBytesDelta: state.staleBytes }))
    edit.compactPointers = []
    this.compactPointers.forEach((key, level) => {
      if (key !== undefined) edit.compactPointers!.push({ level, key })
    })
    return edit
  }

  /** Number of tables across all levels. */
  tableCount(): number {
    return this.levels.reduce((sum, tables) => sum + tables.length, 0)
  }

  /** Sum of the table sizes of one level. */
  levelSizeBytes(level: number): number {
    return this.levels[level].reduce((sum, table) => sum + table.sizeBytes, 0)
  }

  /** File numbers of every table and blob file in this version. */
  fileNumbers(): Set<number> {
    const numbers = new Set<number>(this.blobFiles.keys())
    for (const tables of this.levels) for (const table of tables) numbers.add(table.fileNumber)
    return numbers
  }

  /** Plain data for comparisons and debugging; blob files sorted by number. */
  toJSON(): { levels: TableMeta[][]; blobFiles: BlobFileState[]; compactPointers: (string | null)[] } {
    return {
      levels: this.levels.map((tables) => tables.map((table) => ({ ...table }))),
      blobFiles: [...this.blobFiles.values()].sort((a, b) => a.meta.fileNumber - b.meta.fileNumber)
        .map((state) => ({ meta: { ...state.meta }, staleBytes: state.staleBytes })),
      compactPointers: this.compactPointers.map((key) => key ?? null),
    }
  }

  /** Full-scan checks, run when STRATA_INVARIANTS=1 (every test run). */
  #assertInvariants(): void {
    const seen = new Set<number>(this.blobFiles.keys())
    this.levels.forEach((tables, level) => {
      for (let index = 0; index < tables.length; index++) {
        const table = tables[index]
        assert.equal(table.level, level, `table ${table.fileNumber} sits in level ${level} but says ${table.level}`)
        assert(!seen.has(table.fileNumber), `file number ${table.fileNumber} is live twice`)
        seen.add(table.fileNumber)
        if (index === 0) continue
        const previous = tables[index - 1]
        if (level === 0) assert(compareLevel0(previous, table) < 0, `L0 is not newest first at ${table.fileNumber}`)
        else assert(previous.largestKey < table.smallestKey, `level ${level} overlaps at ${table.fileNumber}`)
      }
    })
  }
}
