// Tests of the background worker: where flushes run (placement), that the worker writes the very table
// the main thread writes, and that its failures surface as typed errors.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { Db } from '../db.ts'
import { resolveOptions, type EngineOptions } from '../options.ts'
import { MemVfs } from '../vfs/mem-vfs.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import { PlainCodec } from '../transform/plain-codec.ts'
import { mulberry32 } from '../mulberry32.ts'
import { BlobDb } from '../../blobtree/blob-db.ts'
import { WORKER_FLUSH_SIZE_BYTES_MIN } from './placement.ts'
import { BackgroundWorker } from './background-worker.ts'
import { flushFromWal } from './wal-flush.ts'
import { flushContextOf } from './background-worker-protocol.ts'
import { backgroundWorkerEntry } from './worker-bundle.ts'
import { JIT_WARM_UP_PLAN } from './jit-warm-up.ts'
import { tableFileName } from '../manifest/mod.ts'
import { freshDirectory, placementOf, seededBatches, tableContent, TEST_ENCRYPTION } from './worker-test-support.ts'

describe("choosePlacement('flush')", () => {
  test("'auto' uses the worker on the real file system, for memtables of at least WORKER_FLUSH_SIZE_BYTES_MIN", () => {
    const placement = placementOf('flush', { integrity: { encryption: TEST_ENCRYPTION } })
    assert.equal(placement.kind, 'worker')
    assert.equal(placement.kind === 'worker' && placement.sizeBytesMin, WORKER_FLUSH_SIZE_BYTES_MIN)
    assert.deepEqual(placement.kind === 'worker' && placement.settings.integrity, { encryption: TEST_ENCRYPTION })
  })

  test("the worker's settings copy the keys at open, each in a buffer of its own: zeroing the caller's key later leaves them whole", () => {
    // A small Buffer views a slab of Node's pool, which a structured clone would copy whole.
    const callerKey = Buffer.from('33'.repeat(32), 'hex')
    const placement = placementOf('flush', { integrity: { encryption: { ...TEST_ENCRYPTION, keys: [{ epoch: 1, key: callerKey }] } } })
    callerKey.fill(0)
    const key = placement.kind === 'worker' ? placement.settings.integrity?.encryption?.keys[0].key : undefined
    assert.deepEqual(key, new Uint8Array(32).fill(0x33))
    assert.equal(key?.buffer.byteLength, 32)
  })

  test("'worker' flushes every memtable there; 'main' none", () => {
    const worker = placementOf('flush', { flushThread: 'worker' })
    assert.equal(worker.kind === 'worker' && worker.sizeBytesMin, 0)
    assert.equal(placementOf('flush', { flushThread: 'main' }).kind, 'main')
  })

  test("'auto' stays on the main thread for a MemVfs or a custom codec, and says why", () => {
    const memVfs = placementOf('flush', { vfs: new MemVfs() })
    assert.equal(memVfs.kind, 'main')
    assert.match(memVfs.kind === 'main' ? memVfs.reason : '', /NodeVfs/)
    const codec = placementOf('flush', { blockCodec: new PlainCodec() })
    assert.match(codec.kind === 'main' ? codec.reason : '', /blockCodec/)
  })

  test("'worker' where the worker cannot work is INVALID_ARGUMENT", () => {
    for (const options of [{ vfs: new MemVfs() }, { blockCodec: new PlainCodec() }] as EngineOptions[]) {
      assert.throws(() => placementOf('flush', { ...options, flushThread: 'worker' }), { code: 'INVALID_ARGUMENT' })
    }
  })

  test('open() refuses an unknown flushThread', () => {
    assert.throws(() => resolveOptions({ flushThread: 'both' as 'auto' }, () => new MemVfs()), { code: 'INVALID_ARGUMENT' })
  })
})

/** Writes the seeded batches (holding a snapshot midway, so some shadowed versions stay), flushes, returns the table files. */
async function flushSeeded(directory: string, options: EngineOptions, seed: number): Promise<{ tables: Map<string, Buffer>; workerFlushCount: number; entries: [string, string][] }> {
  const db = await Db.open(directory, { memtableSizeBytes: 1024 * 1024, backgroundWork: false, ...options })
  try {
    const batches = seededBatches(seed, 120)
    let snapshot
    for (const [index, ops] of batches.entries()) {
      await db.batch(ops)
      if (index === 60) snapshot = db.snapshot()
    }
    await db.flush()
    snapshot?.release()
    const entries: [string, string][] = []
    for await (const [key, value] of db.iterator()) entries.push([Buffer.from(key).toString(), Buffer.from(value).toString()])
    const tables = new Map<string, Buffer>()
    for (const name of fs.readdirSync(directory).filter((n) => n.endsWith('.sst'))) tables.set(name, fs.readFileSync(path.join(directory, name)))
    return { tables, workerFlushCount: db.stats().workerFlushCount, entries }
  } finally {
    await db.close()
  }
}

describe('flush in the worker', () => {
  for (const [name, options] of [
    ['checksums only', {}],
    ['per-KV checksums, zstd at level 0', { integrity: { perKeyChecksums: true, compression: { kind: 'zstd', level: 3, perLevel: [{ kind: 'zstd', level: 1 }] } } }],
  ] as [string, EngineOptions][]) {
    test(`writes the same table as the main thread, entry for entry (${name})`, async () => {
      const seed = 20261126
      const mainDirectory = freshDirectory()
      const workerDirectory = freshDirectory()
      const main = await flushSeeded(mainDirectory, { ...options, flushThread: 'main' }, seed)
      const worker = await flushSeeded(workerDirectory, { ...options, flushThread: 'worker' }, seed)
      assert.equal(main.workerFlushCount, 0)
      assert.equal(worker.workerFlushCount, 1, `seed ${seed}`)
      assert.equal(worker.tables.size, 1)
      assert.deepEqual([...worker.tables.keys()], [...main.tables.keys()])
      for (const table of main.tables.keys()) {
        assert.deepEqual(tableContent(path.join(workerDirectory, table), options), tableContent(path.join(mainDirectory, table), options), `table ${table} (seed ${seed})`)
      }
      assert.deepEqual(worker.entries, main.entries)
    })
  }

  test('writes the same bytes as the main thread but for the creation time in the properties block', async () => {
    const seed = 5
    const main = await flushSeeded(freshDirectory(), { flushThread: 'main' }, seed)
    const worker = await flushSeeded(freshDirectory(), { flushThread: 'worker' }, seed)
    const [[table, mainBytes]] = [...main.tables]
    const workerBytes = worker.tables.get(table)!
    assert.equal(workerBytes.length, mainBytes.length)
    // The properties block: its 24-byte envelope header (with the checksum) and its payload up to the footer.
    const propertiesStart = mainBytes.indexOf('\rformatVersion') - 1 - 24
    const differing = [...mainBytes.keys()].filter((index) => mainBytes[index] !== workerBytes[index])
    assert.ok(propertiesStart > 0)
    for (const index of differing) assert.ok(index >= propertiesStart && index < mainBytes.indexOf('creator'), `byte ${index} differs outside the properties block`)
  })

  test('flushes an encrypted log (the keys travel in its registration) to the same entries; reopen reads them', async () => {
    const seed = 7
    const options: EngineOptions = { integrity: { encryption: TEST_ENCRYPTION } }
    const main = await flushSeeded(freshDirectory(), { ...options, flushThread: 'main' }, seed)
    const directory = freshDirectory()
    const worker = await flushSeeded(directory, { ...options, flushThread: 'worker' }, seed)
    assert.equal(worker.workerFlushCount, 1)
    assert.deepEqual(worker.entries, main.entries)
    const reopened = await Db.open(directory, options)
    try {
      const entries: [string, string][] = []
      for await (const [key, value] of reopened.iterator()) entries.push([Buffer.from(key).toString(), Buffer.from(value).toString()])
      assert.deepEqual(entries, main.entries)
    } finally {
      await reopened.close()
    }
  })

  test('with KV separation, reports the same dropped handles (stale blob bytes) as the main thread', async () => {
    const staleBytes = async (flushThread: 'main' | 'worker') => {
      const db = await BlobDb.open(freshDirectory(), { flushThread, backgroundWork: false }, { minBlobSize: 64 })
      try {
        const snapshotless = mulberry32(99)
        for (let round = 0; round < 30; round++) {
          await db.batch(Array.from({ length: 10 }, (_, i) => ({ type: 'put' as const, key: `k${(snapshotless() % 40)}`, value: `${round}-${i}-${'v'.repeat(100)}` })))
        }
        await db.flush()
        return { stale: db.stats().blob.staleBytes, worker: db.stats().workerFlushCount }
      } finally {
        await db.close()
      }
    }
    const main = await staleBytes('main')
    const worker = await staleBytes('worker')
    assert.equal(worker.worker, 1)
    assert.ok(main.stale > 0, 'overwrites within the memtable drop handles')
    assert.equal(worker.stale, main.stale)
  })

  test('close() waits for a flush in flight in the worker; everything reads back after reopen', async () => {
    const directory = freshDirectory()
    const db = await Db.open(directory, { flushThread: 'worker', memtableSizeBytes: 64 * 1024 })
    const value = 'v'.repeat(500)
    for (let i = 0; i < 400; i++) await db.put(`key-${String(i).padStart(5, '0')}`, value)
    assert.ok(db.stats().immutableMemtableCount + db.stats().flushCount > 0, 'a memtable froze')
    await db.close()
    const reopened = await Db.open(directory)
    try {
      for (let i = 0; i < 400; i += 7) assert.equal(Buffer.from((await reopened.get(`key-${String(i).padStart(5, '0')}`))!).toString(), value)
    } finally {
      await reopened.close()
    }
  })
})

describe('backgroundWorkerEntry()', () => {
  test('starts the worker from a plain-JavaScript bundle in a private directory, the same one for the whole process', async () => {
    const entry = await backgroundWorkerEntry()
    const file = fileURLToPath(entry)
    assert.ok(file.startsWith(os.tmpdir()) && file.endsWith('.mjs'), `the bundle, not the tsx entry: ${file}`)
    assert.equal((fs.statSync(path.dirname(file)).mode & 0o077), 0, 'only this user may write there')
    assert.equal(await backgroundWorkerEntry(), entry)
  })
})

describe('background worker failures', () => {
  const settings = { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10, integrity: undefined }
  const job = (directory: string) => ({
    directory,
    logNumber: 999,
    encrypted: false,
    tableFileNumber: 1000,
    snapshots: [],
    expected: { entryCount: 1, rangeTombstoneCount: 0, smallestSeqno: 1, largestSeqno: 1 },
  })

  test("a job's StrataError comes back typed (a missing log: NOT_FOUND)", async () => {
    const worker = new BackgroundWorker(settings)
    try {
      await assert.rejects(worker.run(job(freshDirectory())), (error: any) => error.name === 'StrataError' && error.code === 'NOT_FOUND')
      assert.equal(worker.usable, true, 'a failed job leaves the worker usable')
    } finally {
      await worker.close()
    }
  })

  test('a closed worker is unusable: run() resolves undefined, so the database flushes on its own thread', async () => {
    const worker = new BackgroundWorker(settings)
    await worker.close()
    assert.equal(worker.usable, false)
    assert.equal(await worker.run(job(freshDirectory())), undefined)
  })

  test('a log that does not hold what the memtable held is CORRUPTION naming the log', async () => {
    const directory = freshDirectory()
    const db = await Db.open(directory, { flushThread: 'main', backgroundWork: false })
    await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '2' }])
    await db.close()
    const logNumber = Number(fs.readdirSync(directory).filter((n) => n.endsWith('.wal')).sort().at(-1)!.slice(0, -4))
    const context = flushContextOf(settings, new NodeVfs())
    const request = { ...job(directory), logNumber, expected: { entryCount: 3, rangeTombstoneCount: 0, smallestSeqno: 1, largestSeqno: 2 } }
    await assert.rejects(flushFromWal(context, request), (error: any) => error.code === 'CORRUPTION' && /\.wal/.test(error.details.fileName))
  })
})

describe('background worker JIT warm-up', () => {
  const settings = { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10, integrity: undefined }

  // With the warm-up turned off the worker reports no progress: nothing to wait for here.
  test('a flush sent as the worker starts stops the warm-up early and writes the table the main thread writes', { skip: process.env.STRATA_WORKER_WARM_UP === '0' }, async () => {
    const directory = freshDirectory()
    const db = await Db.open(directory, { flushThread: 'main', backgroundWork: false })
    const batchCount = 50
    for (let b = 0; b < batchCount; b++) {
      await db.batch(Array.from({ length: 20 }, (_, i) => ({ type: 'put' as const, key: `key-${String((b * 7 + i * 13) % 500).padStart(4, '0')}`, value: `value-${b}-${i}` })))
    }
    // Closed without a flush: the log keeps the memtable's 1000 entries (seqnos 1 to 1000).
    await db.close()
    const logNumber = Number(fs.readdirSync(directory).filter((n) => n.endsWith('.wal')).sort().at(-1)!.slice(0, -4))
    const job = (tableFileNumber: number) => ({
      directory,
      logNumber,
      encrypted: false,
      tableFileNumber,
      snapshots: [],
      expected: { entryCount: 1000, rangeTombstoneCount: 0, smallestSeqno: 1, largestSeqno: 1000 },
    })
    const worker = new BackgroundWorker(settings)
    try {
      // Sent before the worker has started: it meets the job as its warm-up begins.
      const inWorker = await worker.run(job(1000))
      const inThread = await flushFromWal(flushContextOf(settings, new NodeVfs()), job(1001))
      assert.equal(inWorker?.added.length, 1)
      assert.deepEqual(tableContent(path.join(directory, tableFileName(1000)), {}, false), tableContent(path.join(directory, tableFileName(1001)), {}, false))
      assert.deepEqual({ ...inWorker!.added[0], fileNumber: 0 }, { ...inThread.added[0], fileNumber: 0 })
      // The warm-up reports its end once the job stopped it; waiting for that report decides nothing.
      while (!worker.warmUp.ended) await sleep(5)
      assert.ok(worker.warmUp.roundCount < JIT_WARM_UP_PLAN.roundCount, `the warm-up ran all ${worker.warmUp.roundCount} rounds`)
    } finally {
      await worker.close()
    }
  })

  test('close() during the warm-up ends the worker, and the process exits on its own', () => {
    const moduleUrl = new URL('./background-worker.ts', import.meta.url).href
    const script = `
      import { BackgroundWorker } from ${JSON.stringify(moduleUrl)}
      const worker = new BackgroundWorker(${JSON.stringify(settings)})
      worker.prewarm()
      while (worker.warmUp.roundCount === 0) await new Promise((resolve) => setTimeout(resolve, 1))
      const during = worker.warmUp
      await worker.close()
      console.log(JSON.stringify({ during, after: worker.warmUp, usable: worker.usable }))
    `
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })
    assert.equal(child.status, 0, child.stderr)
    const report = JSON.parse(child.stdout) as { during: { roundCount: number; ended: boolean }; after: { ended: boolean }; usable: boolean }
    assert.equal(report.during.ended, false, 'closed during the warm-up')
    assert.ok(report.during.roundCount < JIT_WARM_UP_PLAN.roundCount)
    assert.equal(report.after.ended, true)
    assert.equal(report.usable, false)
  })
})
