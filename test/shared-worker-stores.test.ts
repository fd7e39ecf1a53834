// Goal: three stores open in one process, each encrypted under its own key (one with KV
// separation), whose flushes and compactions all run in the one background worker thread they
// share (engine/background/shared-background-thread.ts), each keep exactly what was written to
// them: after interleaved writes, deletes and explicit compactions running at once, every store
// reopened with its own key (its work now on the main thread) reads back what a sorted-Map model
// holds.
// Method: a seeded sequence of writes spread over the three stores, each with a 16 KiB memtable
// (a flush every few dozen batches) and an L0 trigger of 2 (compactions in the background), with
// full compactions of all three at once every 150 steps. STRATA_SEED=<n> replays a run.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { BlobDb, open, type OpenOptions } from '../index.ts'
import { Rng, seedFromEnv } from './support/seed.ts'
import { recordThreads } from '../engine/background/worker-test-support.ts'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-shared-worker-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

const STEP_COUNT = 600
const KEY_SPACE = 500

type Store = Awaited<ReturnType<typeof open>> | BlobDb

function encryption(
  suite: 'aes-256-gcm' | 'xchacha20-poly1305',
  keyByte: number,
): NonNullable<NonNullable<OpenOptions['integrity']>['encryption']> {
  return { suite, keys: [{ epoch: 1, key: new Uint8Array(32).fill(keyByte) }], activeEpoch: 1 }
}

const WORKER_ONLY: OpenOptions = {
  flushThread: 'worker',
  compactionThread: 'worker',
  memtableSizeBytes: 16 * 1024,
  l0CompactionTrigger: 2,
  l1SizeBytes: 64 * 1024,
  targetTableSizeBytes: 16 * 1024,
}

const STORES: { name: string; options: OpenOptions; blob: boolean }[] = [
  {
    name: 'aes-key-1',
    options: { ...WORKER_ONLY, integrity: { encryption: encryption('aes-256-gcm', 1) } },
    blob: false,
  },
  {
    name: 'xchacha-key-2',
    options: {
      ...WORKER_ONLY,
      blockSizeBytes: 1024,
      integrity: {
        encryption: encryption('xchacha20-poly1305', 2),
        compression: { kind: 'zstd', level: 1 },
        ecc: 'sec-ded',
      },
    },
    blob: false,
  },
  {
    name: 'blob-aes-key-3',
    options: { ...WORKER_ONLY, integrity: { encryption: encryption('aes-256-gcm', 3), perKeyChecksums: true } },
    blob: true,
  },
]

async function openStore(index: number, options: OpenOptions): Promise<Store> {
  const directory = path.join(root, STORES[index].name)
  return STORES[index].blob ? BlobDb.open(directory, options, { minBlobSize: 64 }) : open(directory, options)
}

async function readAll(store: Store): Promise<[string, string][]> {
  const entries: [string, string][] = []
  for await (const [key, value] of store.iterator()) entries.push([key.toString(), value.toString()])
  return entries
}

test(
  'three stores with their own keys share the worker thread for flushes and compactions, and each reads back its own model',
  { timeout: 120_000 },
  async () => {
    const seed = seedFromEnv('shared-worker-stores')
    const rng = new Rng(seed)
    const models = STORES.map(() => new Map<string, string>())
    const stores = await Promise.all(STORES.map((store, index) => openStore(index, store.options)))
    await recordThreads(async (threads) => {
      try {
        for (let step = 0; step < STEP_COUNT; step++) {
          const index = rng.below(STORES.length)
          const ops = Array.from({ length: 10 }, (_, i) => {
            const key = `key-${String(rng.below(KEY_SPACE)).padStart(4, '0')}`
            return rng.chance(0.1)
              ? { type: 'del' as const, key }
              : {
                  type: 'put' as const,
                  key,
                  value: `${STORES[index].name}-${step}-${i}-`.padEnd(rng.chance(0.3) ? 200 : 40, 'v'),
                }
          })
          await stores[index].batch(ops)
          for (const op of ops) {
            if (op.type === 'del') models[index].delete(op.key)
            else models[index].set(op.key, op.value)
          }
          // Every store compacts fully at once: three worker compactions in flight together.
          if (step % 150 === 149) await Promise.all(stores.map((store) => store.compact()))
        }
        for (const [index, store] of stores.entries()) {
          const { workerFlushCount, workerCompactionCount } = store.stats()
          assert.ok(
            workerFlushCount > 0 && workerCompactionCount > 0,
            `store ${STORES[index].name} flushed and compacted in the worker (seed ${seed}): ${workerFlushCount}, ${workerCompactionCount}`,
          )
        }
        assert.equal(threads.length, 1, 'one worker thread for the three stores')
      } finally {
        await Promise.all(stores.map((store) => store.close()))
      }
    })
    for (const [index, { options }] of STORES.entries()) {
      const reopened = await openStore(index, { ...options, flushThread: 'main', compactionThread: 'main' })
      try {
        const expected = [...models[index]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        assert.deepEqual(await readAll(reopened), expected, `store ${STORES[index].name} (seed ${seed})`)
      } finally {
        await reopened.close()
      }
    }
  },
)
