/**
 * Helpers the background worker's tests share (flushes and compactions): temporary directories
 * removed after each test, seeded write batches, placement for given options, a table's content
 * and record read back for comparing what the worker wrote with what the main thread wrote, and
 * the worker threads started while a test runs. Test-only.
 */
import { afterEach } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import type { Worker, WorkerOptions } from 'node:worker_threads'
import os from 'node:os'
import path from 'node:path'
import type { BatchOperation } from '../db.ts'
import { resolveOptions, type EngineOptions } from '../options.ts'
import { mulberry32 } from '../mulberry32.ts'
import { choosePlacement, type ThreadPlacement } from './placement.ts'
import { resolveIntegrity } from '../integrity-options.ts'
import { TableReader } from '../table/mod.ts'
import { parseFileName, type TableMeta } from '../manifest/mod.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import { forgetThreadFailures } from './shared-background-thread.ts'
import type { BackgroundWorkerRequest } from './background-worker-protocol.ts'

const directories: string[] = []
afterEach(() => {
  for (const directory of directories.splice(0)) fs.rmSync(directory, { recursive: true, force: true })
})

/** A new empty directory, removed after the current test. */
export function freshDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-worker-'))
  directories.push(directory)
  return directory
}

/**
 * A table's properties (but its creation time, and its file number unless `withFileNumber`),
 * range tombstones and every entry, read back.
 */
export function tableContent(file: string, options: EngineOptions, withFileNumber = true): unknown {
  const codec = options.integrity === undefined ? undefined : resolveIntegrity(options.integrity, () => undefined).codec
  const reader = TableReader.open(new NodeVfs(), file, tableFileNumberOf(path.basename(file)), { codec })
  try {
    const entries: unknown[] = []
    const iterator = reader.iterator()
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      entries.push([iterator.key(), iterator.seqno(), iterator.kind(), Buffer.from(iterator.value()).toString('hex')])
    }
    iterator.close()
    const properties = { ...reader.properties, creationTimeMs: 0, fileNumber: withFileNumber ? reader.properties.fileNumber : 0 }
    return { properties, rangeTombstones: reader.rangeTombstones, entries }
  } finally {
    reader.close()
  }
}

/** The file number in table file name `name` (manifest/file-names.ts). */
export function tableFileNumberOf(name: string): number {
  const parsed = parseFileName(name)
  assert.ok(parsed?.kind === 'table', `${name} is no table file name`)
  return parsed.fileNumber
}

/** Table `name` of `directory` (at level 0) as the manifest records it, read with the codec of `options`. */
export function tableMetaOf(directory: string, name: string, options: EngineOptions = {}): TableMeta {
  const codec = options.integrity === undefined ? undefined : resolveIntegrity(options.integrity, () => undefined).codec
  const fileNumber = tableFileNumberOf(name)
  const reader = TableReader.open(new NodeVfs(), path.join(directory, name), fileNumber, { codec })
  const p = reader.properties
  reader.close()
  const sizeBytes = fs.statSync(path.join(directory, name)).size
  return { level: 0, fileNumber, sizeBytes, smallestKey: p.smallestKey, largestKey: p.largestKey, smallestSeqno: p.smallestSeqno, largestSeqno: p.largestSeqno, entryCount: p.entryCount, tombstoneCount: p.tombstoneCount, rangeTombstoneCount: p.rangeTombstoneCount }
}

/**
 * Recorded threads still running, and the undoing of the recordThreads() still running. A test
 * that timed out waiting on a thread (a broken refusal, a leave never answered) never reaches
 * recordThreads' end: undone after it here, or the next tests would run with its Worker, and its
 * threads, still referenced, would keep the file's process from ever exiting.
 */
const runningThreads = new Set<Worker>()
let undoRecording: (() => void) | undefined
afterEach(async () => {
  undoRecording?.()
  await Promise.all([...runningThreads].map((worker) => worker.terminate()))
})

/** A worker thread started while recordThreads() ran, with the workerData it started with and the messages sent to it. */
export interface RecordedThread {
  worker: Worker
  workerData: unknown
  sent: BackgroundWorkerRequest[]
}

/**
 * Runs `body` with node:worker_threads' Worker swapped (for every module, through
 * syncBuiltinESMExports) for one that records each thread it starts and what is sent to it, so
 * a test can count the threads, end one as a crash would, and find a store's id in its
 * registration; with `failStart`, one whose construction throws; with `unheard`, one that never
 * hears the messages it names (recorded all the same), so that a test can leave a job or a
 * store's leave without an answer. The process's count of failed threads starts and ends at
 * zero, so that no test spends another's restarts.
 */
export async function recordThreads<T>(body: (threads: RecordedThread[]) => Promise<T>, options: { failStart?: boolean; unheard?: (request: BackgroundWorkerRequest) => boolean } = {}): Promise<T> {
  const workerThreads = createRequire(import.meta.url)('node:worker_threads') as { Worker: typeof Worker }
  const Original = workerThreads.Worker
  const threads: RecordedThread[] = []
  workerThreads.Worker = class RecordingWorker extends Original {
    readonly #sent: BackgroundWorkerRequest[] = []

    constructor(filename: string | URL, workerOptions?: WorkerOptions) {
      if (options.failStart === true) throw new Error('threads are refused in this test')
      super(filename, workerOptions)
      threads.push({ worker: this, workerData: workerOptions?.workerData, sent: this.#sent })
      runningThreads.add(this)
      this.once('exit', () => runningThreads.delete(this))
    }

    override postMessage(request: BackgroundWorkerRequest): void {
      this.#sent.push(request)
      if (options.unheard?.(request) === true) return
      super.postMessage(request)
    }
  }
  forgetThreadFailures()
  syncBuiltinESMExports()
  // Once only: the body of a test that timed out may end during a later test's recording.
  const undo = (): void => {
    if (undoRecording !== undo) return
    undoRecording = undefined
    workerThreads.Worker = Original
    syncBuiltinESMExports()
    forgetThreadFailures()
  }
  undoRecording = undo
  try {
    return await body(threads)
  } finally {
    undo()
  }
}

/** An encryption option whose keys must travel to the worker. */
export const TEST_ENCRYPTION = { suite: 'aes-256-gcm' as const, keys: [{ epoch: 1, key: new Uint8Array(32).fill(7) }], activeEpoch: 1 }

/** Where `job` runs for a store opened with `options` on the real file system. */
export function placementOf(job: 'flush' | 'compaction', options: EngineOptions): ThreadPlacement {
  return choosePlacement(job, options, resolveOptions(options, () => new NodeVfs()))
}

/** Seeded ops over few keys (overwrites, deletes, range deletes), in batches of 20. */
export function seededBatches(seed: number, batchCount: number): BatchOperation[][] {
  const next = mulberry32(seed)
  const key = () => `key-${String(next() % 300).padStart(4, '0')}`
  const batches: BatchOperation[][] = []
  for (let b = 0; b < batchCount; b++) {
    const ops: BatchOperation[] = []
    for (let i = 0; i < 20; i++) {
      const roll = next() % 100
      if (roll < 80) ops.push({ type: 'put', key: key(), value: `value-${b}-${i}-${'x'.repeat(next() % 200)}` })
      else if (roll < 95) ops.push({ type: 'del', key: key() })
      else {
        const [start, end] = [key(), key()].sort()
        if (start < end) ops.push({ type: 'delRange', start, end })
      }
    }
    batches.push(ops)
  }
  return batches
}
