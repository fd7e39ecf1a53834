/**
 * Side-by-side cost of per-KV checksums (docs/per-kv-checksums.md), in one process so the ratio
 * survives a loaded machine: memtable insert / get / frozen walk with value(), and table write /
 * cached get / forward scan, each with the option off and on; then the two merges that rewrite
 * entries, through mergeRun as the engine runs them: a flush (frozen memtable to a table) and a
 * compaction of one table into another. With STRATA_BASELINE=<dir> (a copy
 * of an older engine/ tree, e.g. `git archive <commit> engine | tar -x -C <dir>` plus a
 * node_modules link) the same tasks also run on that code, giving "off vs before".
 * Tasks run interleaved in rounds; the report is the median per operation and the ratios.
 * Run: node --import tsx engine/table/kv-checksums.bench.ts [keyCount] [rounds]
 * (STRATA_BENCH_VARIANTS=before,off picks variants).
 */
import { Buffer } from 'node:buffer'
import path from 'node:path'
import assert from 'node:assert/strict'
import { EntryKind, SEQNO_MAX } from '../entry.ts'
import { MemVfs } from '../vfs/mod.ts'
import { BlockCache } from '../cache/mod.ts'
import { Memtable } from '../memtable/memtable.ts'
import { scatteredKeys } from '../memtable/bench-keys.ts'
import { mergeRun } from '../compaction/merge-run.ts'
import type { InternalIterator } from '../iterator/internal-iterator.ts'
import { TableReader, TableWriter } from './mod.ts'

const KEY_COUNT = Number(process.argv[2] ?? 50_000)
const ROUND_COUNT = Number(process.argv[3] ?? 7)

interface Variant {
  name: string
  newMemtable(): Memtable
  newWriter(file: ReturnType<MemVfs['create']>): TableWriter
  openReader(vfs: MemVfs, filePath: string, cache: BlockCache): TableReader
  /** The variant's own merge, so a baseline tree runs its merge with its iterators and writer. */
  mergeRun: typeof mergeRun
}

const variants: Variant[] = [
  { name: 'off', newMemtable: () => new Memtable(), newWriter: (file) => new TableWriter(file, { fileNumber: 1 }), openReader: (vfs, p, blockCache) => TableReader.open(vfs, p, 1, { blockCache }), mergeRun },
  { name: 'on', newMemtable: () => new Memtable({ perKeyChecksums: true }), newWriter: (file) => new TableWriter(file, { fileNumber: 1, perKeyChecksums: true }), openReader: (vfs, p, blockCache) => TableReader.open(vfs, p, 1, { blockCache }), mergeRun },
]
if (process.env.STRATA_BASELINE !== undefined) {
  const root = path.resolve(process.env.STRATA_BASELINE)
  const memtableModule = await import(path.join(root, 'engine/memtable/memtable.ts'))
  const tableModule = await import(path.join(root, 'engine/table/mod.ts'))
  const mergeRunModule = await import(path.join(root, 'engine/compaction/merge-run.ts'))
  variants.unshift({
    name: 'before',
    newMemtable: () => new memtableModule.Memtable(),
    newWriter: (file) => new tableModule.TableWriter(file, { fileNumber: 1 }),
    openReader: (vfs, p, blockCache) => tableModule.TableReader.open(vfs, p, 1, { blockCache }),
    mergeRun: mergeRunModule.mergeRun,
  })
}

// STRATA_BENCH_VARIANTS=before,off runs only those (more rounds in the same time).
const only = process.env.STRATA_BENCH_VARIANTS?.split(',')
if (only !== undefined) variants.splice(0, variants.length, ...variants.filter((variant) => only.includes(variant.name)))

const keys = scatteredKeys(KEY_COUNT)
const sortedKeys = [...keys].sort()
const value = Buffer.from('{"id":12345,"name":"strata","tags":["lsm","kv"],"payload":"'.padEnd(255, 'x') + '}')

/**
 * CPU time of this process (user + system), not wall time: on the shared 2-core machine (load
 * average 8–10 while this was written) wall time counts the periods other jobs held the core.
 */
function cpuMs(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

function timeMs(run: () => void): number {
  const start = cpuMs()
  run()
  return cpuMs() - start
}

async function timeMsAsync(run: () => Promise<void>): Promise<number> {
  const start = cpuMs()
  await run()
  return cpuMs() - start
}

/**
 * Runs `input` through mergeRun into one table written by `variant`, as a flush or compaction
 * does (nothing to drop: one version per key, no snapshot, no tombstone); returns the entries written.
 */
async function mergeIntoTable(variant: Variant, input: InternalIterator, file: ReturnType<MemVfs['create']>): Promise<number> {
  const writer = variant.newWriter(file)
  const stats = await variant.mergeRun({
    input,
    rangeTombstones: [],
    snapshots: [],
    deeperDataMayExist: () => true,
    otherDataMayExist: () => true,
    newOutput: () => ({
      add: (key, seqno, kind, entryValue, sourceChecksum) => writer.add(key, seqno, kind, entryValue, sourceChecksum),
      addRangeTombstone: (tombstone) => writer.addRangeTombstone(tombstone),
      estimatedSizeBytes: () => writer.estimatedSizeBytes(),
    }),
    finishOutput: async () => {
      await writer.finish()
    },
    targetTableSizeBytes: Number.MAX_SAFE_INTEGER,
    attachTombstones: true,
  })
  input.close()
  file.close()
  return stats.entriesWritten
}

/** One round of every task for one variant; returns ns per operation by task. */
async function round(variant: Variant): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  let memtable = variant.newMemtable()
  out['memtable insert'] = timeMs(() => {
    memtable = variant.newMemtable()
    for (let i = 0; i < KEY_COUNT; i++) memtable.add(keys[i], i + 1, EntryKind.Put, value)
  })
  let found = 0
  out['memtable get'] = timeMs(() => {
    for (let i = 0; i < KEY_COUNT; i++) if (memtable.get(keys[i], SEQNO_MAX) !== undefined) found++
  })
  memtable.freeze()
  out['memtable walk + value()'] = timeMs(() => {
    const iterator = memtable.iterator()
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) found += iterator.value().length > 0 ? 1 : 0
  })
  const vfs = new MemVfs()
  out['flush (mergeRun)'] = await timeMsAsync(async () => {
    found += (await mergeIntoTable(variant, memtable.iterator(), vfs.create('/flushed.sst'))) > 0 ? 1 : 0
  })
  out['table write'] = await timeMsAsync(async () => {
    const file = vfs.create('/t.sst')
    const writer = variant.newWriter(file)
    for (const key of sortedKeys) writer.add(key, 1, EntryKind.Put, value)
    await writer.finish()
    file.close()
  })
  const cache = new BlockCache({ capacityBytes: 256 * 1024 * 1024 })
  const reader = variant.openReader(vfs, '/t.sst', cache)
  for (const key of sortedKeys) reader.get(key, SEQNO_MAX)
  out['table get (cached block)'] = timeMs(() => {
    for (let i = 0; i < KEY_COUNT; i++) if (reader.get(keys[i], SEQNO_MAX) !== undefined) found++
  })
  out['table scan + value()'] = timeMs(() => {
    const iterator = reader.iterator()
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) found += iterator.value().length > 0 ? 1 : 0
    iterator.close()
  })
  out['compaction (mergeRun)'] = await timeMsAsync(async () => {
    found += (await mergeIntoTable(variant, reader.iterator(), vfs.create('/compacted.sst'))) > 0 ? 1 : 0
  })
  reader.close()
  assert.equal(found, 4 * KEY_COUNT + 2)
  for (const task of Object.keys(out)) out[task] = (out[task] * 1e6) / KEY_COUNT
  return out
}

const samples = new Map<string, Map<string, number[]>>()
for (let roundIndex = 0; roundIndex < ROUND_COUNT; roundIndex++) {
  // Rotate the order each round so no variant always runs first (warm-up, GC debt).
  for (let v = 0; v < variants.length; v++) {
    const variant = variants[(v + roundIndex) % variants.length]
    const result = await round(variant)
    for (const [task, ns] of Object.entries(result)) {
      const byVariant = samples.get(task) ?? new Map<string, number[]>()
      samples.set(task, byVariant)
      byVariant.set(variant.name, [...(byVariant.get(variant.name) ?? []), ns])
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

console.log(`${KEY_COUNT} keys (16 B), 256 B values, ${ROUND_COUNT} rounds (first dropped), median CPU ns/op; node ${process.version}`)
for (const [task, byVariant] of samples) {
  const medians = new Map([...byVariant].map(([name, values]) => [name, median(values.slice(1))]))
  const cells = [...medians].map(([name, ns]) => `${name} ${ns.toFixed(0).padStart(5)}`).join('  ')
  const ratio = (a: string, b: string) => (medians.has(a) && medians.has(b) ? ` ${a}/${b} ${(medians.get(a)! / medians.get(b)!).toFixed(3)}` : '')
  console.log(`${task.padEnd(26)} ${cells}  |${ratio('on', 'off')}${ratio('off', 'before')}`)
}
