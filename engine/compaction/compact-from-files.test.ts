// Tests of compactions in the background worker: where they run (placement), that the worker
// writes the very tables the main thread writes and reports the same dropped blob handles, that
// it numbers outputs with numbers the database hands out, and that failures come back typed or
// make the database merge on its own thread.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Db } from '../db.ts'
import { resolveOptions, type EngineOptions } from '../options.ts'
import { MemVfs } from '../vfs/mem-vfs.ts'
import { PlainCodec } from '../transform/plain-codec.ts'
import { mulberry32 } from '../mulberry32.ts'
import { parseFileName, tableFileName, type TableMeta } from '../manifest/mod.ts'
import { BlobDb } from '../../blobtree/blob-db.ts'
import { WORKER_COMPACTION_INPUT_BYTES_MIN } from '../background/placement.ts'
import { BackgroundWorker } from '../background/background-worker.ts'
import { freshDirectory, placementOf, seededBatches, tableContent, tableFileNumberOf, tableMetaOf, TEST_ENCRYPTION } from '../background/worker-test-support.ts'
import type { CompactionJob } from './compact-tables.ts'

describe("choosePlacement('compaction')", () => {
  test("'auto' uses the worker on the real file system, for inputs of at least WORKER_COMPACTION_INPUT_BYTES_MIN", () => {
    const placement = placementOf('compaction', { integrity: { encryption: TEST_ENCRYPTION } })
    assert.equal(placement.kind === 'worker' && placement.sizeBytesMin, WORKER_COMPACTION_INPUT_BYTES_MIN)
    assert.deepEqual(placement.kind === 'worker' && placement.settings.integrity, { encryption: TEST_ENCRYPTION })
  })

  test("'worker' takes every compaction; 'main' none; flushThread does not decide it", () => {
    const worker = placementOf('compaction', { compactionThread: 'worker', flushThread: 'main' })
    assert.equal(worker.kind === 'worker' && worker.sizeBytesMin, 0)
    const main = placementOf('compaction', { compactionThread: 'main', flushThread: 'worker' })
    assert.match(main.kind === 'main' ? main.reason : '', /compactionThread is 'main'/)
  })

  test("'worker' where the worker cannot work is INVALID_ARGUMENT naming compactionThread; 'auto' stays on the main thread", () => {
    for (const options of [{ vfs: new MemVfs() }, { blockCodec: new PlainCodec() }] as EngineOptions[]) {
      assert.throws(() => placementOf('compaction', { ...options, compactionThread: 'worker' }), (error: any) => error.code === 'INVALID_ARGUMENT' && /compactionThread/.test(error.message))
      assert.equal(placementOf('compaction', options).kind, 'main')
    }
  })

  test('open() refuses an unknown compactionThread', () => {
    assert.throws(() => resolveOptions({ compactionThread: 'both' as 'auto' }, () => new MemVfs()), { code: 'INVALID_ARGUMENT' })
  })
})

interface SeededRun {
  /** Every table left, in file-number (creation) order. */
  tables: unknown[]
  entries: [string, string][]
  /** Not compactionBytesWritten: a compressed properties block's size varies with its creation time. */
  stats: { compactionCount: number; workerCompactionCount: number; compactionEntriesDropped: number }
}

/**
 * Writes seeded batches with a flush every 20 and a full compaction every 60 (a snapshot held
 * over the first two, so shadowed versions and tombstones must stay for it), with 4 KiB output
 * tables so a compaction writes several; returns the tables left and what reads back.
 */
async function compactSeeded(directory: string, options: EngineOptions, seed: number): Promise<SeededRun> {
  const db = await Db.open(directory, { backgroundWork: false, flushThread: 'main', targetTableSizeBytes: 4096, ...options })
  try {
    let snapshot
    for (const [index, ops] of seededBatches(seed, 180).entries()) {
      await db.batch(ops)
      if (index === 30) snapshot = db.snapshot()
      if (index % 20 === 19) await db.flush()
      if (index % 60 === 59) await db.compact()
      if (index === 130) snapshot?.release()
    }
    const entries: [string, string][] = []
    for await (const [key, value] of db.iterator()) entries.push([Buffer.from(key).toString(), Buffer.from(value).toString()])
    const names = fs.readdirSync(directory).filter((name) => parseFileName(name)?.kind === 'table')
    names.sort((a, b) => tableFileNumberOf(a) - tableFileNumberOf(b))
    const tables = names.map((name) => [name, tableContent(path.join(directory, name), options)])
    const { compactionCount, workerCompactionCount, compactionEntriesDropped } = db.stats()
    return { tables, entries, stats: { compactionCount, workerCompactionCount, compactionEntriesDropped } }
  } finally {
    await db.close()
  }
}

describe('compaction in the worker', () => {
  for (const [name, options] of [
    ['checksums only', {}],
    ['per-KV checksums, zstd on deeper levels only', { integrity: { perKeyChecksums: true, compression: { kind: 'none', perLevel: [{ kind: 'none' }, { kind: 'zstd', level: 3 }] } } }],
    ['encrypted (the keys travel in its registration)', { integrity: { encryption: TEST_ENCRYPTION } }],
  ] as [string, EngineOptions][]) {
    test(`writes the same tables as the main thread, table for table (${name})`, async () => {
      const seed = 20261126
      const main = await compactSeeded(freshDirectory(), { ...options, compactionThread: 'main' }, seed)
      const worker = await compactSeeded(freshDirectory(), { ...options, compactionThread: 'worker' }, seed)
      assert.equal(main.stats.workerCompactionCount, 0)
      assert.ok(main.stats.compactionCount >= 3, `compactions ran (seed ${seed})`)
      assert.equal(worker.stats.workerCompactionCount, worker.stats.compactionCount, 'every compaction ran in the worker')
      assert.deepEqual({ ...worker.stats, workerCompactionCount: 0 }, main.stats)
      assert.ok(main.tables.length > 1, 'outputs were split at the target size')
      assert.equal(worker.tables.length, main.tables.length)
      for (const [index, table] of main.tables.entries()) assert.deepEqual(worker.tables[index], table, `table ${index} (seed ${seed})`)
      assert.deepEqual(worker.entries, main.entries)
    })
  }

  test('with KV separation, counts the same stale and live blob bytes as the main thread', async () => {
    const blobStats = async (compactionThread: 'main' | 'worker') => {
      const db = await BlobDb.open(freshDirectory(), { compactionThread, flushThread: 'main', backgroundWork: false }, { minBlobSize: 64 })
      try {
        const next = mulberry32(41)
        for (let round = 0; round < 12; round++) {
          await db.batch(Array.from({ length: 30 }, (_, i) => ({ type: 'put' as const, key: `k${next() % 80}`, value: `${round}-${i}-${'v'.repeat(100 + (next() % 50))}` })))
          if (round % 3 === 2) await db.batch([{ type: 'del', key: `k${next() % 80}` }])
          await db.flush()
        }
        const beforeCompaction = db.stats().blob.staleBytes
        await db.compact()
        const { blob, workerCompactionCount, compactionEntriesDropped } = db.stats()
        return { staleBeforeCompaction: beforeCompaction, stale: blob.staleBytes, live: blob.liveBytes, workerCompactionCount, compactionEntriesDropped }
      } finally {
        await db.close()
      }
    }
    const main = await blobStats('main')
    const worker = await blobStats('worker')
    assert.ok(worker.workerCompactionCount > 0)
    assert.ok(main.stale > main.staleBeforeCompaction, 'the compaction dropped handles')
    assert.deepEqual({ ...worker, workerCompactionCount: 0 }, { ...main, workerCompactionCount: 0 })
  })
})

/** Writes a few flushed L0 tables with backgroundWork off; returns the directory and their records. */
async function levelZeroTables(tableCount: number): Promise<{ directory: string; tables: TableMeta[] }> {
  const directory = freshDirectory()
  const db = await Db.open(directory, { backgroundWork: false, flushThread: 'main' })
  for (let t = 0; t < tableCount; t++) {
    await db.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: `key-${String(i * tableCount + t).padStart(6, '0')}`, value: 'v'.repeat(200) })))
    await db.flush()
  }
  await db.close()
  const tables = fs.readdirSync(directory).filter((name) => parseFileName(name)?.kind === 'table').map((name) => tableMetaOf(directory, name))
  return { directory, tables }
}

function jobOf(directory: string, inputs: TableMeta[]): CompactionJob {
  return { directory, inputs, outputLevel: 1, snapshots: [], targetTableSizeBytes: 4096, otherTables: [] }
}

describe('compaction in the worker with ECC', () => {
  test('counts the repairs its reads of a damaged input make, as the main thread does', async () => {
    const repairs = async (compactionThread: 'main' | 'worker') => {
      const options: EngineOptions = { backgroundWork: false, flushThread: 'main', compactionThread, integrity: { ecc: 'sec-ded' } }
      const directory = freshDirectory()
      let db = await Db.open(directory, options)
      for (const ops of seededBatches(3, 30)) await db.batch(ops)
      await db.flush()
      for (const ops of seededBatches(4, 30)) await db.batch(ops)
      await db.flush()
      await db.close()
      const [first] = fs.readdirSync(directory).filter((name) => name.endsWith('.sst')).sort()
      const bytes = fs.readFileSync(path.join(directory, first))
      bytes[100] ^= 1 << 3 // inside the first data block
      fs.writeFileSync(path.join(directory, first), bytes)
      db = await Db.open(directory, options)
      try {
        await db.compact()
        const { integrity, workerCompactionCount } = db.stats()
        return { repairsByKind: integrity.repairsByKind, filesRepairedCount: integrity.filesRepairedCount, workerCompactionCount }
      } finally {
        await db.close()
      }
    }
    const main = await repairs('main')
    const worker = await repairs('worker')
    assert.equal(worker.workerCompactionCount, 1)
    assert.ok(main.repairsByKind['sec-ded'] >= 1, JSON.stringify(main))
    assert.deepEqual({ ...worker, workerCompactionCount: 0 }, { ...main, workerCompactionCount: 0 })
  })
})

describe('BackgroundWorker.compact()', () => {
  const settings = { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10, integrity: undefined }

  test('asks the database for one file number per output, as the output starts, and uses them in order', async () => {
    const { directory, tables } = await levelZeroTables(2)
    const worker = new BackgroundWorker(settings)
    try {
      const handedOut: number[] = []
      const result = await worker.compact(jobOf(directory, tables), () => {
        handedOut.push(1000 + 3 * handedOut.length)
        return handedOut.at(-1)!
      })
      assert.ok(result !== undefined)
      assert.ok(result.added.length > 2, 'several 4 KiB outputs')
      assert.deepEqual(result.added.map((t) => t.fileNumber), handedOut)
      assert.equal(result.added.reduce((sum, t) => sum + t.entryCount, 0), 400)
    } finally {
      await worker.close()
    }
  })

  test("an input's checksum mismatch comes back as CHECKSUM_MISMATCH naming the table; the worker stays usable", async () => {
    const { directory, tables } = await levelZeroTables(2)
    const file = path.join(directory, tableFileName(tables[0].fileNumber))
    const bytes = fs.readFileSync(file)
    bytes[40] ^= 0x01 // inside the first data block
    fs.writeFileSync(file, bytes)
    const worker = new BackgroundWorker(settings)
    try {
      let next = 1000
      await assert.rejects(worker.compact(jobOf(directory, tables), () => next++), (error: any) => {
        return error.name === 'StrataError' && error.code === 'CHECKSUM_MISMATCH' && String(error.details.fileName).endsWith(path.basename(file))
      })
      assert.equal(worker.usable, true)
    } finally {
      await worker.close()
    }
  })

  test('a worker that dies mid-compaction resolves undefined (the database merges on its own thread)', async () => {
    const { directory, tables } = await levelZeroTables(2)
    const worker = new BackgroundWorker(settings)
    // The first ask for a file number stops the worker while its job is out.
    const result = await worker.compact(jobOf(directory, tables), () => {
      void worker.close()
      return 1000
    })
    assert.equal(result, undefined)
    assert.equal(worker.usable, false)
  })
})
