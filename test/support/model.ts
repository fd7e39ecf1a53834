/**
 * The model-based test driver, shared by test/model.test.ts and the KV-separation variant.
 * Goal: every read Strata answers equals what a sorted-Map model answers, whatever mix of 
 * writes, deletes, range deletes, batches, snapshots, flushes, compactions and reopens led there. 
 * Method: a seeded random sequence of operations runs against Strata (on MemVfs, with tiny 
 * memtables and levels so that flushes and compactions happen constantly) and against a Map. 
 * After every read the answers are compared; the seed is printed and in every message. 
 * STRATA_SEED=<n> replays one run; STRATA_MODEL_OPS=<n> changes its length.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { open, MemVfs, type Db, type Snapshot, type OpenOptions } from '../../index.ts'
import { Rng } from './seed.ts'

type Model = Map<string, string>

export interface Configuration {
  name: string
  options: OpenOptions
  /** Run on the real file system (a fresh temporary directory), where the background worker can work; default MemVfs. */
  realFileSystem?: boolean
}

export const configurations: Configuration[] = [
  { name: 'tiny memtable, tiny levels', options: { memtableSizeBytes: 8 * 1024, l1SizeBytes: 16 * 1024, targetTableSizeBytes: 8 * 1024, l0CompactionTrigger: 2, blockSizeBytes: 512 } },
  { name: 'defaults', options: {} },
  { name: 'no filters, restart interval 1, no background work', options: { memtableSizeBytes: 16 * 1024, bloomBitsPerKey: 0, blockRestartInterval: 1, backgroundWork: false } },
  {
    name: 'tiny levels, flushes and compactions in the worker thread',
    options: { memtableSizeBytes: 8 * 1024, l1SizeBytes: 16 * 1024, targetTableSizeBytes: 8 * 1024, l0CompactionTrigger: 2, blockSizeBytes: 512, flushThread: 'worker', compactionThread: 'worker' },
    realFileSystem: true,
  },
  // A few blocks of cache: nearly every get misses, evicts, and reads into a recycled buffer.
  { name: 'tiny block cache', options: { memtableSizeBytes: 8 * 1024, l1SizeBytes: 16 * 1024, targetTableSizeBytes: 8 * 1024, blockSizeBytes: 512, blockCacheSizeBytes: 4096 } },
]

const OPERATION_COUNT = Number(process.env.STRATA_MODEL_OPS ?? 2500)
const KEY_SPACE = 400

function keyOf(rng: Rng): string {
  // Keys share prefixes (prefix compression) and vary in length; a few hold bytes >= 0x80.
  const n = rng.below(KEY_SPACE)
  return n % 17 === 0 ? `k\u00e9${n}` : `key${String(n).padStart(n % 3 === 0 ? 3 : 5, '0')}`
}

function valueOf(rng: Rng, step: number): string {
  return `v${step}-`.padEnd(rng.chance(0.1) ? 300 + rng.below(2000) : 8 + rng.below(40), 'x')
}

function sortedEntries(model: Model): [string, string][] {
  const encoded = [...model].map(([k, v]) => [Buffer.from(k, 'utf8').toString('latin1'), k, v] as const)
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return encoded.map(([, k, v]) => [k, v])
}

function inRange(key: string, range: { gte?: string; lt?: string }): boolean {
  const k = Buffer.from(key, 'utf8').toString('latin1')
  if (range.gte !== undefined && k < Buffer.from(range.gte, 'utf8').toString('latin1')) return false
  if (range.lt !== undefined && k >= Buffer.from(range.lt, 'utf8').toString('latin1')) return false
  return true
}

async function readAll(source: Db | Snapshot, options: { gte?: string; lt?: string; reverse?: boolean; limit?: number; snapshot?: Snapshot }): Promise<[string, string][]> {
  const out: [string, string][] = []
  for await (const [k, v] of source.iterator(options)) out.push([k.toString('utf8'), v.toString('utf8')])
  return out
}

function expectedRange(model: Model, options: { gte?: string; lt?: string; reverse?: boolean; limit?: number }): [string, string][] {
  let entries = sortedEntries(model).filter(([k]) => inRange(k, options))
  if (options.reverse) entries.reverse()
  if (options.limit !== undefined && options.limit >= 0) entries = entries.slice(0, options.limit)
  return entries
}

/**
 * Runs the seeded operation sequence against the store `open` returns and a Map; throws an
 * AssertionError naming the seed, configuration and step at the first disagreement.
 */
export async function runModel(
  configuration: Configuration,
  seed: number,
  openStore: (directory: string, options: OpenOptions) => Promise<Db> = open,
): Promise<void> {
  const rng = new Rng(seed)
  const directory = configuration.realFileSystem === true ? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-model-')) : '/model'
  const options = configuration.realFileSystem === true ? configuration.options : { ...configuration.options, vfs: new MemVfs() }
  let db = await openStore(directory, options)
  const model: Model = new Map()
  const snapshots: { snapshot: Snapshot; model: Model }[] = []
  const where = (step: number, what: string) => `seed=${seed} config="${configuration.name}" step=${step} ${what}`
  try {
    for (let step = 0; step < OPERATION_COUNT; step++) {
      const roll = rng.below(100)
      if (roll < 35) {
        const key = keyOf(rng)
        const value = valueOf(rng, step)
        await db.put(key, value)
        model.set(key, value)
      } else if (roll < 45) {
        const key = keyOf(rng)
        await db.delete(key)
        model.delete(key)
      } else if (roll < 48) {
        let [a, b] = [keyOf(rng), keyOf(rng)]
        if (Buffer.compare(Buffer.from(a), Buffer.from(b)) > 0) [a, b] = [b, a]
        if (a === b) continue
        await db.deleteRange(a, b)
        for (const key of [...model.keys()]) if (inRange(key, { gte: a, lt: b })) model.delete(key)
      } else if (roll < 55) {
        const ops: ({ type: 'put'; key: string; value: string } | { type: 'del'; key: string })[] = []
        const count = 1 + rng.below(20)
        for (let i = 0; i < count; i++) {
          const key = keyOf(rng)
          ops.push(rng.chance(0.8) ? { type: 'put', key, value: valueOf(rng, step) } : { type: 'del', key })
        }
        await db.batch(ops)
        for (const op of ops) {
          if (op.type === 'put') model.set(op.key, op.value)
          else model.delete(op.key)
        }
      } else if (roll < 75) {
        const key = keyOf(rng)
        const got = await db.get(key)
        assert.equal(got?.toString('utf8'), model.get(key), where(step, `get ${key}`))
      } else if (roll < 80) {
        if (snapshots.length < 4) snapshots.push({ snapshot: db.snapshot(), model: new Map(model) })
        else {
          const index = rng.below(snapshots.length)
          snapshots[index].snapshot.release()
          snapshots.splice(index, 1)
        }
      } else if (roll < 86 && snapshots.length > 0) {
        const { snapshot, model: frozen } = rng.pick(snapshots)
        const key = keyOf(rng)
        // Every other step reads through the snapshot's own get / iterator instead of the
        // database's with { snapshot } (by step parity, so the seeded draws stay as they were).
        const own = step % 2 === 0
        const value = own ? await snapshot.get(key) : await db.get(key, { snapshot })
        assert.equal(value?.toString('utf8'), frozen.get(key), where(step, `snapshot get ${key} (${own ? 'snapshot.get' : 'db.get'})`))
        const range = { gte: rng.chance(0.5) ? keyOf(rng) : undefined, reverse: rng.chance(0.5), limit: rng.chance(0.3) ? rng.below(30) : undefined }
        const scanned = own ? await readAll(snapshot, range) : await readAll(db, { ...range, snapshot })
        assert.deepEqual(scanned, expectedRange(frozen, range), where(step, `snapshot scan ${JSON.stringify(range)} (${own ? 'snapshot.iterator' : 'db.iterator'})`))
      } else if (roll < 93) {
        let [gte, lt] = [rng.chance(0.6) ? keyOf(rng) : undefined, rng.chance(0.6) ? keyOf(rng) : undefined]
        if (gte !== undefined && lt !== undefined && inRange(lt, { lt: gte })) [gte, lt] = [lt, gte]
        const range = { gte, lt, reverse: rng.chance(0.5), limit: rng.chance(0.3) ? rng.below(50) : undefined }
        assert.deepEqual(await readAll(db, range), expectedRange(model, range), where(step, `scan ${JSON.stringify(range)}`))
      } else if (roll < 96) {
        await db.flush()
      } else if (roll < 98) {
        await db.compact()
      } else {
        for (const { snapshot } of snapshots) snapshot.release()
        snapshots.length = 0
        await db.close()
        db = await openStore(directory, options)
      }
    }
    assert.deepEqual(await readAll(db, {}), expectedRange(model, {}), where(OPERATION_COUNT, 'final scan'))
  } finally {
    await db.close()
    if (configuration.realFileSystem === true) fs.rmSync(directory, { recursive: true, force: true })
  }
}

