/**
 * FrameReferences: which blob frames the index names, gathered from one walk over every index
 * entry (`Db.walkValueHandles`: memtables and tables, every version of every key). Two rare jobs
 * use it: the stale recount after a recovery that dropped WAL records (recovery-recount.ts), and
 * GC for a file whose front-to-back scan meets a frame it cannot parse (collector.ts). Keys and
 * handles only: no blob file is read.
 *
 * Memory is one number per blob file, plus the keys of the files named at construction. Frames
 * are summed, not collected, because no two index entries name the same frame: every put and
 * every relocation writes a frame of its own, a streamed value moves whole (collector.ts
 * #moveStreamOf), and a job that moves entries (flush, compaction, table heal, WAL replay) swaps
 * its inputs for its outputs in one manifest edit.
 */
import { framesNamedBy } from '../value-handle.ts'

export class FrameReferences {
  /** Frame bytes the entries name, per file. */
  readonly #bytesByFile = new Map<number, number>()
  /** Of the files named at construction: the keys whose entries name a frame in them. */
  readonly #keysByFile = new Map<number, Set<string>>()

  /** `keyFileNumbers`: the files whose referencing keys are kept (every file's bytes are summed). */
  constructor(keyFileNumbers: Iterable<number> = []) {
    for (const fileNumber of keyFileNumbers) this.#keysByFile.set(fileNumber, new Set())
  }

  /** Records an index entry: `key` (latin1) and its encoded handle (a frame or a chunk list). */
  add(key: string, handleBytes: Uint8Array): void {
    for (const frame of framesNamedBy(handleBytes)) {
      this.#bytesByFile.set(frame.fileNumber, (this.#bytesByFile.get(frame.fileNumber) ?? 0) + frame.frameSizeBytes)
      this.#keysByFile.get(frame.fileNumber)?.add(key)
    }
  }

  /** Frame bytes of `fileNumber` that some entry names (0 when none does). */
  referencedBytesOf(fileNumber: number): number {
    return this.#bytesByFile.get(fileNumber) ?? 0
  }

  /** Keys whose entries (any version) name a frame of `fileNumber`, sorted; only for a file named at construction. */
  keysReferencing(fileNumber: number): string[] {
    const keys = this.#keysByFile.get(fileNumber)
    if (keys === undefined) throw new Error(`FrameReferences: keys of blob file ${fileNumber} were not gathered`)
    return [...keys].sort()
  }
}
