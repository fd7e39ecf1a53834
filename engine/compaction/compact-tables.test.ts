// Tests of which tables outside a compaction's inputs keep a point tombstone alive: only those
// below the output level may hold an older version of its key (compact-tables.ts says why).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { EntryKind } from '../entry.ts'
import type { TableMeta } from '../manifest/mod.ts'
import { Memtable } from '../memtable/memtable.ts'
import { resolveOptions } from '../options.ts'
import { TableOutputs } from '../table-outputs.ts'
import { MemVfs } from '../vfs/mem-vfs.ts'
import { compactTables, type OtherTable } from './compact-tables.ts'

const OUTPUT_LEVEL = 2

/** Compacts one level-1 input holding `k` put at seqno 1 and deleted at seqno 2; returns the entries dropped. */
async function droppedWith(otherTables: OtherTable[]): Promise<number> {
  const memtable = new Memtable()
  memtable.add('k', 1, EntryKind.Put, new Uint8Array([1]))
  memtable.add('k', 2, EntryKind.Delete, new Uint8Array(0))
  const input: TableMeta = {
    level: OUTPUT_LEVEL - 1, fileNumber: 1, sizeBytes: 100, smallestKey: 'k', largestKey: 'k', smallestSeqno: 1, largestSeqno: 2,
    entryCount: 2, tombstoneCount: 1, rangeTombstoneCount: 0,
  }
  const vfs = new MemVfs()
  vfs.mkdirp('/db')
  let nextFileNumber = 10
  const outputs = new TableOutputs(resolveOptions({ vfs }, () => vfs), '/db', () => nextFileNumber++)
  const job = { directory: '/db', inputs: [input], outputLevel: OUTPUT_LEVEL, snapshots: [], targetTableSizeBytes: 4096, otherTables }
  const result = await compactTables(job, { iterator: () => memtable.iterator(), rangeTombstones: () => [] }, outputs)
  return result.entriesDropped
}

describe('compactTables() point tombstones', () => {
  test('drops the tombstone with the version it deletes when no other table holds its key', async () => {
    assert.equal(await droppedWith([]), 2)
    assert.equal(await droppedWith([{ level: OUTPUT_LEVEL + 1, smallestKey: 'l', largestKey: 'z' }]), 2)
  })

  test('keeps the tombstone when a table just below the output level may hold its key', async () => {
    assert.equal(await droppedWith([{ level: OUTPUT_LEVEL + 1, smallestKey: 'a', largestKey: 'k' }]), 1)
  })

  test('drops the tombstone when only tables above the output level hold its key: their versions are newer', async () => {
    assert.equal(await droppedWith([{ level: 0, smallestKey: 'a', largestKey: 'z' }, { level: OUTPUT_LEVEL - 1, smallestKey: 'k', largestKey: 'k' }]), 2)
  })

  test('asserts that no table of the output level outside the inputs overlaps them', async () => {
    await assert.rejects(droppedWith([{ level: OUTPUT_LEVEL, smallestKey: 'j', largestKey: 'l' }]), { name: 'AssertionError' })
  })
})
