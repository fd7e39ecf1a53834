// Tests of the background worker thread shared by every store of the process: one thread for
// all, each job run with its own store's settings (codec, block shape, keys), its ECC repairs and
// its compaction's file numbers going to its own store, failures isolated per job, and the thread's
// death or refused start sending its jobs back to their main threads, with a new thread for the
// next job until too many failed.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { once } from 'node:events'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Worker } from 'node:worker_threads'
import { Db, type BatchOperation } from '../db.ts'
import type { EngineOptions } from '../options.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import { mulberry32 } from '../mulberry32.ts'
import { parseFileName, tableFileName, walFileName, type TableMeta } from '../manifest/mod.ts'
import type { RepairEvent } from '../transform/mod.ts'
import { compactFromFiles } from '../compaction/compact-from-files.ts'
import type { CompactionJob } from '../compaction/compact-tables.ts'
import { BackgroundWorker } from './background-worker.ts'
import { THREAD_FAILURE_COUNT_MAX } from './shared-background-thread.ts'
import { flushContextOf, type BackgroundWorkerReply, type BackgroundWorkerRequest, type BackgroundWorkerSettings } from './background-worker-protocol.ts'
import { flushFromWal, type WalFlushJob } from './wal-flush.ts'
import { JIT_WARM_UP_PLAN } from './jit-warm-up.ts'
import { freshDirectory, placementOf, recordThreads, tableContent, tableMetaOf, TEST_ENCRYPTION } from './worker-test-support.ts'

/** Three stores whose every setting the worker uses differs; the first two are encrypted under different keys. */
const STORES: { name: string; options: EngineOptions }[] = [
  { name: 'AES-GCM key 7, zstd, per-KV checksums', options: { integrity: { encryption: TEST_ENCRYPTION, compression: { kind: 'zstd', level: 3 }, perKeyChecksums: true } } },
  {
    name: 'XChaCha key 9, SEC-DED, 2 KiB blocks',
    options: { blockSizeBytes: 2048, blockRestartInterval: 4, integrity: { encryption: { suite: 'xchacha20-poly1305', keys: [{ epoch: 3, key: new Uint8Array(32).fill(9) }], activeEpoch: 3 }, ecc: 'sec-ded' } },
  },
  { name: 'plain, 8 KiB blocks, 5 bloom bits', options: { blockSizeBytes: 8192, blockRestartInterval: 32, bloomBitsPerKey: 5 } },
]

/**
 * Every test waits on the thread (its start, jobs, leaves and exit): one that broke a refusal or
 * an answer fails after this long rather than hanging the run. The slowest passes in ~1 s.
 */
const TIMEOUT_MS = 30_000

function settingsOf(options: EngineOptions): BackgroundWorkerSettings {
  const placement = placementOf('flush', { ...options, flushThread: 'worker' })
  assert.ok(placement.kind === 'worker')
  return placement.settings
}

/** Puts (with overwrites) and deletes only, one seqno each, so a log's entry count is its op count. */
function batchesOf(seed: number, batchCount: number): BatchOperation[][] {
  const next = mulberry32(seed)
  return Array.from({ length: batchCount }, (_, b) =>
    Array.from({ length: 20 }, (_, i): BatchOperation => {
      const key = `key-${String(next() % 400).padStart(4, '0')}`
      return next() % 8 === 0 ? { type: 'del', key } : { type: 'put', key, value: `value-${seed}-${b}-${i}-${'x'.repeat(next() % 120)}` }
    }),
  )
}

/** A store's directory holding two level-0 tables and a log of 600 entries not yet flushed, with the jobs that take them. */
async function storeWithWork(options: EngineOptions, seed: number): Promise<{ directory: string; flush: WalFlushJob; compaction: CompactionJob }> {
  const directory = freshDirectory()
  const db = await Db.open(directory, { ...options, backgroundWork: false, flushThread: 'main', compactionThread: 'main' })
  let opCount = 0
  for (const round of [0, 1, 2]) {
    for (const ops of batchesOf(seed * 10 + round, 30)) {
      await db.batch(ops)
      opCount += ops.length
    }
    if (round < 2) await db.flush()
  }
  // Closed without a flush: the log keeps the last round's 600 entries.
  await db.close()
  const names = fs.readdirSync(directory)
  const logNumber = Math.max(...names.filter((name) => name.endsWith('.wal')).map((name) => Number(name.slice(0, -4))))
  assert.ok(fs.existsSync(path.join(directory, walFileName(logNumber))))
  const tables = names.filter((name) => parseFileName(name)?.kind === 'table').map((name) => tableMetaOf(directory, name, options))
  assert.equal(tables.length, 2)
  const flush: WalFlushJob = {
    directory,
    logNumber,
    encrypted: options.integrity?.encryption !== undefined,
    tableFileNumber: 1000,
    snapshots: [],
    expected: { entryCount: 600, rangeTombstoneCount: 0, smallestSeqno: opCount - 599, largestSeqno: opCount },
  }
  const compaction: CompactionJob = { directory, inputs: tables, outputLevel: 1, snapshots: [], targetTableSizeBytes: 4096, otherTables: [] }
  return { directory, flush, compaction }
}

/** A source of file numbers from `first` on that remembers what it handed out. */
function numbersFrom(first: number): { next(): number; handedOut: number[] } {
  const handedOut: number[] = []
  return { next: () => handedOut[handedOut.push(first + handedOut.length) - 1], handedOut }
}

/**
 * The result's table records without their file numbers (the two runs number them apart) and
 * sizes (a compressed properties block's size varies with its creation time and file number).
 */
function unnumbered(tables: readonly TableMeta[]): unknown[] {
  return tables.map((table) => ({ ...table, fileNumber: 0, sizeBytes: 0 }))
}

/** The bound on a leave's answer in the test of a stuck thread: short, the thread never answers. */
const STUCK_WAIT_MS = 100

/** The replies `worker` sends from now on, as they arrive. */
function repliesOf(worker: Worker): BackgroundWorkerReply[] {
  const replies: BackgroundWorkerReply[] = []
  worker.on('message', (reply: BackgroundWorkerReply) => replies.push(reply))
  return replies
}

/** `workerData` holds no byte string of `key`. */
function assertKeyAbsent(workerData: unknown, key: Uint8Array): void {
  const seen: Uint8Array[] = []
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) seen.push(value)
    else if (typeof value === 'object' && value !== null) for (const field of Object.values(value)) walk(field)
  }
  walk(workerData)
  for (const bytes of seen) assert.notDeepEqual(Buffer.from(bytes), Buffer.from(key), "a store's key is in the thread's workerData")
}

describe('the shared background thread', () => {
  test("three stores' flushes and compactions run at once in one thread, each with its own settings and keys, writing what the main thread writes", { timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const stores = await Promise.all(STORES.map(async ({ options }, index) => ({ options, settings: settingsOf(options), work: await storeWithWork(options, index + 1), worker: new BackgroundWorker(settingsOf(options)) })))
      try {
        // Every job of every store is sent before any ends; each compaction numbers its outputs from its own range.
        const numbers = stores.map((_, index) => numbersFrom(2000 + 100 * index))
        const flushes = stores.map(({ worker, work }) => worker.run(work.flush))
        const compactions = stores.map(({ worker, work }, index) => worker.compact(work.compaction, numbers[index].next))
        const [flushed, compacted] = [await Promise.all(flushes), await Promise.all(compactions)]
        assert.equal(threads.length, 1, 'one thread for the three stores')
        assertKeyAbsent(threads[0].workerData, TEST_ENCRYPTION.keys[0].key)
        for (const [index, { options, settings, work }] of stores.entries()) {
          const message = `store ${STORES[index].name}`
          const context = flushContextOf(settings, new NodeVfs())
          const flushHere = await flushFromWal(context, { ...work.flush, tableFileNumber: 1001 })
          assert.deepEqual(unnumbered(flushed[index]!.added), unnumbered(flushHere.added), message)
          assert.deepEqual(tableContent(path.join(work.directory, tableFileName(1000)), options, false), tableContent(path.join(work.directory, tableFileName(1001)), options, false), message)
          const inWorker = compacted[index]!
          assert.ok(inWorker.added.length > 1, `several 4 KiB outputs (${message})`)
          assert.deepEqual(inWorker.added.map((table) => table.fileNumber), numbers[index].handedOut, `its own file numbers (${message})`)
          const here = numbersFrom(3000)
          const compactHere = await compactFromFiles(context.settings, work.compaction, async () => here.next())
          assert.deepEqual(unnumbered(inWorker.added), unnumbered(compactHere.added), message)
          for (const [output, table] of inWorker.added.entries()) {
            const hereTable = compactHere.added[output]
            assert.deepEqual(tableContent(path.join(work.directory, tableFileName(table.fileNumber)), options, false), tableContent(path.join(work.directory, tableFileName(hereTable.fileNumber)), options, false), message)
          }
        }
        // Each encrypted store's table is sealed under its own key: the other store's options cannot read it.
        assert.throws(() => tableContent(path.join(stores[1].work.directory, tableFileName(1000)), stores[0].options))
        assert.throws(() => tableContent(path.join(stores[0].work.directory, tableFileName(1000)), stores[1].options))
      } finally {
        await Promise.all(stores.map(({ worker }) => worker.close()))
      }
    })
  })

  // With the warm-up turned off the thread reports no progress: nothing to compare.
  test('runs one JIT warm-up, stopped by the first job of any store; every store sees that one', { skip: process.env.STRATA_WORKER_WARM_UP === '0', timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const [first, second] = [new BackgroundWorker(settingsOf(STORES[0].options)), new BackgroundWorker(settingsOf(STORES[2].options))]
      try {
        first.prewarm()
        second.prewarm()
        const work = await storeWithWork(STORES[2].options, 4)
        while (second.warmUp.roundCount === 0) await sleep(1)
        assert.ok((await second.run(work.flush)) !== undefined)
        while (!first.warmUp.ended) await sleep(5)
        assert.equal(threads.length, 1)
        assert.deepEqual(second.warmUp, first.warmUp, 'one warm-up for both stores')
        assert.ok(first.warmUp.roundCount >= 1 && first.warmUp.roundCount < JIT_WARM_UP_PLAN.roundCount, `rounds: ${first.warmUp.roundCount}`)
        // The warm-up started from the first store's settings, with a throwaway key in place of its own.
        const encryption = (threads[0].workerData as BackgroundWorkerSettings).integrity?.encryption
        assert.equal(encryption?.suite, TEST_ENCRYPTION.suite)
        assertKeyAbsent(threads[0].workerData, TEST_ENCRYPTION.keys[0].key)
      } finally {
        await Promise.all([first.close(), second.close()])
      }
    })
  })

  test('each compaction hears only of the ECC repairs its own reads made, while both run at once', { timeout: TIMEOUT_MS }, async () => {
    const options: EngineOptions = { integrity: { ecc: 'sec-ded' } }
    const settings = settingsOf(options)
    const repairs: RepairEvent[][] = [[], []]
    // Store 0 has one damaged block, store 1 one in each input (more repairs, in other files).
    const stores = await Promise.all([1, 2].map(async (damagedCount, index) => {
      const work = await storeWithWork(options, 10 + index)
      for (const table of work.compaction.inputs.slice(0, damagedCount)) {
        const file = path.join(work.directory, tableFileName(table.fileNumber))
        const bytes = fs.readFileSync(file)
        bytes[100] ^= 1 << 3 // inside the first data block
        fs.writeFileSync(file, bytes)
      }
      return { work, worker: new BackgroundWorker(settings, (event) => repairs[index].push(event)) }
    }))
    try {
      const results = await Promise.all(stores.map(({ work, worker }, index) => worker.compact(work.compaction, numbersFrom(2000 + 100 * index).next)))
      assert.ok(results.every((result) => result !== undefined))
      for (const [index, { work }] of stores.entries()) {
        const expected: RepairEvent[] = []
        const here = numbersFrom(3000)
        await compactFromFiles(flushContextOf(settings, new NodeVfs(), (event) => expected.push({ ...event })).settings, work.compaction, async () => here.next())
        assert.equal(expected.length, index + 1, 'one repair per damaged block')
        assert.deepEqual(repairs[index], expected, `store ${index}`)
      }
    } finally {
      await Promise.all(stores.map(({ worker }) => worker.close()))
    }
  })

  test("a job's error goes to its own store; the other store's job in flight completes, and both stay usable", { timeout: TIMEOUT_MS }, async () => {
    const settings = settingsOf({})
    const work = await storeWithWork({}, 20)
    const [failing, healthy] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
    try {
      const missing = failing.run({ ...work.flush, logNumber: 999_999 })
      const flushed = healthy.run(work.flush)
      await assert.rejects(missing, (error: any) => error.name === 'StrataError' && error.code === 'NOT_FOUND')
      assert.equal((await flushed)?.added.length, 1)
      assert.ok(failing.usable && healthy.usable)
    } finally {
      await Promise.all([failing.close(), healthy.close()])
    }
  })

  test("a store's close() while another store's compaction runs leaves that compaction and the thread alone; its own job out resolves undefined", { timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const settings = settingsOf({})
      const [closing, staying] = [await storeWithWork({}, 30), await storeWithWork({}, 31)]
      const [leaver, stayer] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
      try {
        let closed: Promise<void> | undefined
        const staysNumbers = numbersFrom(2000)
        const ownJob = leaver.compact(closing.compaction, numbersFrom(3000).next)
        const otherJob = stayer.compact(staying.compaction, () => {
          // The leaver closes while both compactions are in the thread.
          closed ??= leaver.close()
          return staysNumbers.next()
        })
        assert.equal(await ownJob, undefined)
        const result = await otherJob
        assert.ok(result !== undefined && result.added.length > 1)
        assert.deepEqual(result.added.map((table) => table.fileNumber), staysNumbers.handedOut)
        await closed
        assert.equal(leaver.usable, false)
        assert.equal(stayer.usable, true)
        assert.equal((await stayer.run(staying.flush))?.added.length, 1, 'the thread still runs the other store')
        assert.equal(threads.length, 1)
      } finally {
        await Promise.all([leaver.close(), stayer.close()])
      }
    })
  })

  test("every call of close() resolves only once the thread dropped the store's settings", { timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const settings = settingsOf({})
      const work = await storeWithWork({}, 32)
      const [leaver, stayer] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
      try {
        assert.equal((await leaver.run(work.flush))?.added.length, 1)
        stayer.prewarm()
        const replies = repliesOf(threads[0].worker)
        const calls = [leaver.close(), leaver.close()]
        await calls[1]
        assert.ok(replies.some((reply) => 'unregistered' in reply), 'the second call waited for the drop')
        await calls[0]
      } finally {
        await Promise.all([leaver.close(), stayer.close()])
      }
    })
  })

  test('close() of a store that is not the last resolves once the thread ended its job and dropped its settings', { timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const settings = settingsOf({})
      const [leaving, staying] = [await storeWithWork({}, 33), await storeWithWork({}, 34)]
      const [leaver, stayer] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
      try {
        stayer.prewarm()
        let closed: Promise<void> | undefined
        let replies: BackgroundWorkerReply[] = []
        // The leaver closes as its compaction asks for its first number: the job goes on in the thread until its next ask is refused.
        const ownJob = leaver.compact(leaving.compaction, () => {
          replies = repliesOf(threads[0].worker)
          closed ??= leaver.close()
          return 2000
        })
        assert.equal(await ownJob, undefined)
        await closed
        const sent = threads[0].sent.find((request) => 'compaction' in request && request.compaction.directory === leaving.directory)
        assert.ok(sent !== undefined && 'jobId' in sent && 'storeId' in sent)
        assert.ok(replies.some((reply) => 'jobId' in reply && reply.jobId === sent.jobId && 'error' in reply), 'the job ended (refused its next number) before close() resolved')
        // The thread holds the leaver's settings no more: a job for it is refused.
        const probeJobId = 1_000_000
        const probe = new Promise<BackgroundWorkerReply>((resolve) => threads[0].worker.on('message', (reply: BackgroundWorkerReply) => 'jobId' in reply && reply.jobId === probeJobId && resolve(reply)))
        threads[0].worker.ref() // the probe is no job of the shared thread's: keep the process up until it is answered
        threads[0].worker.postMessage({ jobId: probeJobId, storeId: sent.storeId, job: { ...leaving.flush, logNumber: 999_999 } } satisfies BackgroundWorkerRequest)
        const answer = await probe
        assert.ok('error' in answer && /not registered/.test(answer.error.message), JSON.stringify(answer))
        assert.equal((await stayer.run(staying.flush))?.added.length, 1, 'the thread still runs the other store')
      } finally {
        await Promise.all([leaver.close(), stayer.close()])
      }
    })
  })

  test("a store that joins while the last store's close() stops the thread (starting or running) runs its jobs in a new thread", { timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const settings = settingsOf({})
      const work = await storeWithWork({}, 35)
      const [first, second, third] = [new BackgroundWorker(settings), new BackgroundWorker(settings), new BackgroundWorker(settings)]
      try {
        // The first store's thread is still starting when it closes; the second joins in the same turn.
        first.prewarm()
        const firstClosed = first.close()
        second.prewarm()
        await firstClosed
        assert.equal((await second.run(work.flush))?.added.length, 1)
        // The second store's thread runs (it just ran a job) when it closes; the third joins in the same turn.
        const secondClosed = second.close()
        third.prewarm()
        await secondClosed
        assert.equal(third.usable, true)
        assert.equal((await third.run({ ...work.flush, tableFileNumber: 1001 }))?.added.length, 1)
        assert.equal(threads.length, 2)
        assert.equal(threads[0].worker.threadId, -1, "the second store's thread ended")
      } finally {
        await Promise.all([first.close(), second.close(), third.close()])
      }
      assert.ok(threads.every(({ worker }) => worker.threadId === -1), 'no thread outlives its stores')
    })
  })

  test("a thread that does not answer a store's leave in time is failed: close() resolves, the other store's job out resolves undefined, its next job starts a new thread", { timeout: TIMEOUT_MS }, async () => {
    // No compaction hears its file number: its job is stuck, and so is the leave that waits for it.
    await recordThreads(async (threads) => {
      const settings = settingsOf({})
      const [leaving, staying] = [await storeWithWork({}, 36), await storeWithWork({}, 37)]
      const [leaver, stayer] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
      try {
        const otherJob = stayer.compact(staying.compaction, () => 2000)
        let closed: Promise<void> | undefined
        let exited: Promise<unknown> | undefined
        const ownJob = leaver.compact(leaving.compaction, () => {
          exited = once(threads[0].worker, 'exit')
          closed ??= leaver.close(STUCK_WAIT_MS)
          return 3000
        })
        assert.equal(await ownJob, undefined)
        await closed
        assert.equal(await otherJob, undefined, 'the database merges on its own thread')
        await exited // the stuck thread was terminated
        assert.equal(stayer.usable, true)
        assert.equal((await stayer.run(staying.flush))?.added.length, 1)
        assert.equal(threads.length, 2)
      } finally {
        await Promise.all([leaver.close(), stayer.close()])
      }
    }, { unheard: (request) => 'outputFileNumber' in request })
  })

  test('a thread that dies mid-job resolves its jobs out undefined; the next job of any store starts a new thread, which every store joins', { timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const settings = settingsOf({})
      const work = await storeWithWork({}, 40)
      const [first, second] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
      const later = new BackgroundWorker(settings)
      try {
        second.prewarm()
        // The first ask for a file number ends the thread, as a crash would, while the job is out.
        const result = await first.compact(work.compaction, () => {
          void threads[0].worker.terminate()
          return 2000
        })
        assert.equal(result, undefined, 'the database merges on its own thread')
        assert.equal(second.warmUp.ended, true)
        assert.ok(first.usable && second.usable, 'the stores of the dead thread may use a new one')
        assert.equal((await second.run(work.flush))?.added.length, 1)
        assert.equal(threads.length, 2, 'the next job started a new thread')
        assert.equal((await first.run({ ...work.flush, tableFileNumber: 1001 }))?.added.length, 1)
        assert.equal((await later.run({ ...work.flush, tableFileNumber: 1002 }))?.added.length, 1)
        assert.equal(threads.length, 2, 'every store joined the new thread')
      } finally {
        await Promise.all([first.close(), second.close(), later.close()])
      }
    })
  })

  test(`after ${THREAD_FAILURE_COUNT_MAX} threads died no thread starts: every store stays on its main thread`, { timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const settings = settingsOf({})
      const work = await storeWithWork({}, 45)
      const [crashing, other] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
      try {
        for (let death = 1; death <= THREAD_FAILURE_COUNT_MAX; death++) {
          // A job that kills its thread every time, as a crash loop would.
          const result = await crashing.compact(work.compaction, () => {
            void threads.at(-1)!.worker.terminate()
            return 2000 + death
          })
          assert.equal(result, undefined)
          assert.equal(threads.length, death)
          assert.equal(crashing.usable && other.usable, death < THREAD_FAILURE_COUNT_MAX, `after death ${death}`)
        }
        other.prewarm()
        assert.equal(await other.run(work.flush), undefined, 'the database flushes on its own thread')
        assert.equal(await crashing.run(work.flush), undefined)
        assert.equal(threads.length, THREAD_FAILURE_COUNT_MAX, 'no thread started after the last death')
        assert.ok(other.warmUp.ended && crashing.warmUp.ended)
      } finally {
        await Promise.all([crashing.close(), other.close()])
      }
    })
  })

  test('a thread that cannot start sends its jobs to their main threads; once threads start again, the next job uses one', { timeout: TIMEOUT_MS }, async () => {
    const settings = settingsOf({})
    const work = await storeWithWork({}, 50)
    const [first, second] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
    try {
      await recordThreads(async (threads) => {
        second.prewarm()
        assert.equal(await first.run(work.flush), undefined)
        assert.equal(threads.length, 0)
        assert.ok(first.usable && second.usable, 'a refused start leaves the next job a new try')
      }, { failStart: true })
      assert.equal((await first.run(work.flush))?.added.length, 1)
      assert.equal((await second.run({ ...work.flush, tableFileNumber: 1001 }))?.added.length, 1)
    } finally {
      await Promise.all([first.close(), second.close()])
    }
  })

  test('the last store to close stops the thread; the next store starts another', { timeout: TIMEOUT_MS }, async () => {
    await recordThreads(async (threads) => {
      const settings = settingsOf({})
      const work = await storeWithWork({}, 60)
      const [first, second] = [new BackgroundWorker(settings), new BackgroundWorker(settings)]
      first.prewarm()
      second.prewarm()
      await first.close()
      assert.equal((await second.run(work.flush))?.added.length, 1, 'one store left: the thread runs on')
      assert.equal(threads.length, 1)
      const exited = new Promise((resolve) => threads[0].worker.once('exit', resolve))
      await second.close()
      await exited
      const next = new BackgroundWorker(settings)
      try {
        assert.equal((await next.run({ ...work.flush, tableFileNumber: 1001 }))?.added.length, 1)
        assert.equal(threads.length, 2)
      } finally {
        await next.close()
      }
    })
  })
})
