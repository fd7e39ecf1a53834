/**
 * TombstoneSet: the range tombstones a read must respect. Kept whole in memory: range
 * deletions are rare and few (each costs one entry), and a flat list lets every read apply
 * them by seqno alone, whatever table or level holds them. A key version is deleted when a
 * tombstone visible at the snapshot covers its key and is newer than it.
 */
import type { RangeTombstone } from '../entry.ts'

export class TombstoneSet {
  readonly #tombstones: readonly RangeTombstone[]

  constructor(tombstones: readonly RangeTombstone[]) {
    this.#tombstones = tombstones
  }

  get size(): number {
    return this.#tombstones.length
  }

  /** True when a tombstone with seqno in (versionSeqno, snapshotSeqno] covers `key`. */
  covers(key: string, versionSeqno: number, snapshotSeqno: number): boolean {
    for (const tombstone of this.#tombstones) {
      if (
        tombstone.seqno > versionSeqno &&
        tombstone.seqno <= snapshotSeqno &&
        key >= tombstone.start &&
        key < tombstone.end
      ) {
        return true
      }
    }
    return false
  }
}
