import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Version } from './version.ts'
import { table } from './test-support.ts'

describe('Version.apply()', () => {
  test('returns a new version and leaves the old one untouched', () => {
    const empty = Version.empty()
    const next = empty.apply({ addedTables: [table(0, 5, 'a', 'c')] })
    assert.equal(empty.tableCount(), 0)
    assert.equal(next.tableCount(), 1)
    assert.equal(next.levels.length, 7)
    assert.ok(Object.isFrozen(next.levels[0]))
  })

  test('orders L0 newest first and deeper levels by smallestKey', () => {
    const version = Version.empty().apply({
      addedTables: [
        table(0, 5, 'a', 'z', 100), table(0, 6, 'b', 'c', 300), table(0, 7, 'a', 'b', 200),
        table(2, 8, 'm', 'n'), table(2, 9, 'a', 'c'), table(2, 10, 'd', 'f'),
      ],
    })
    assert.deepEqual(version.levels[0].map((t) => t.fileNumber), [6, 7, 5])
    assert.deepEqual(version.levels[2].map((t) => t.fileNumber), [9, 10, 8])
  })

  test('moves a table between levels in one edit (removals first)', () => {
    const version = Version.empty().apply({ addedTables: [table(0, 5, 'a', 'c')] })
    const moved = version.apply({ removedTables: [{ level: 0, fileNumber: 5 }], addedTables: [{ ...table(0, 5, 'a', 'c'), level: 1 }] })
    assert.equal(moved.levels[0].length, 0)
    assert.deepEqual(moved.levels[1].map((t) => t.fileNumber), [5])
  })

  test('rejects overlapping tables in L1+ with INVALID_ARGUMENT', () => {
    const version = Version.empty().apply({ addedTables: [table(1, 5, 'a', 'c')] })
    assert.throws(() => version.apply({ addedTables: [table(1, 6, 'c', 'd')] }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => version.apply({ addedTables: [table(1, 6, 'b', 'b')] }), { code: 'INVALID_ARGUMENT' })
    assert.doesNotThrow(() => version.apply({ addedTables: [table(1, 6, 'c\u0000', 'd')] }))
    assert.doesNotThrow(() => version.apply({ addedTables: [table(0, 6, 'a', 'c')] }), 'L0 may overlap')
  })

  test('rejects removing what is absent and adding a live file number twice', () => {
    const version = Version.empty().apply({
      addedTables: [table(1, 5, 'a', 'c')],
      addedBlobFiles: [{ fileNumber: 6, sizeBytes: 10, valueCount: 1, totalValueBytes: 8 }],
    })
    assert.throws(() => version.apply({ removedTables: [{ level: 2, fileNumber: 5 }] }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => version.apply({ addedTables: [table(3, 5, 'x', 'y')] }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => version.apply({ addedTables: [table(3, 6, 'x', 'y')] }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => version.apply({ removedBlobFiles: [7] }), { code: 'INVALID_ARGUMENT' })
    // Stale bytes for a blob file no longer live (removed by GC before a compaction's edit) are ignored.
    assert.equal(version.apply({ blobStaleBytes: [{ fileNumber: 7, staleBytesDelta: 1 }] }).blobFiles.has(7), false)
    assert.throws(() => version.apply({ addedTables: [table(7, 9, 'a', 'b')] }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => version.apply({ addedTables: [table(2, 9, 'b', 'a')] }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => version.apply({ addedTables: [{ ...table(2, 9, 'a', 'b'), sizeBytes: -1 }] }), { code: 'INVALID_ARGUMENT' })
  })

  test('tracks blob stale bytes and round-trips through toSnapshotEdit()', () => {
    const version = Version.empty()
      .apply({ addedBlobFiles: [{ fileNumber: 3, sizeBytes: 100, valueCount: 2, totalValueBytes: 90 }], addedTables: [table(4, 2, 'a', 'b')] })
      .apply({ blobStaleBytes: [{ fileNumber: 3, staleBytesDelta: 40 }], compactPointers: [{ level: 4, key: 'b' }] })
      .apply({ blobStaleBytes: [{ fileNumber: 3, staleBytesDelta: 5 }] })
    assert.equal(version.blobFiles.get(3)?.staleBytes, 45)
    const rebuilt = Version.empty().apply(version.toSnapshotEdit())
    assert.deepEqual(rebuilt.toJSON(), version.toJSON())
    assert.equal(rebuilt.compactPointers[4], 'b')
  })
})
