/**
 * Bounded memory with KV separation (issue #4): ingests N GiB of 64 KiB values with default
 * options (`open(dir, { kvSeparation: {} })`, no sync), samples the process RSS every 50 ms and
 * after every batch, and fails (exit 1) when the peak reaches RSS_BYTES_MAX (512 MiB). Values are
 * made per batch from a 1 MiB seeded pool, so the ingest holds no user data itself.
 * Usage: node --import tsx scripts/blob-rss.ts [--gib 4] [--dir /tmp]   (STRATA_SEED, default 42)
 * Prints one JSON line last: { gib, peakRssBytes, ... } (test/blob-rss.test.ts parses it).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../index.ts'
import { createValueSource, encodeKey } from '../datasets/mod.ts'

/** The bound on peak RSS. */
const RSS_BYTES_MAX = 512 * 1024 * 1024
const VALUE_SIZE_BYTES = 64 * 1024
const KEY_SIZE_BYTES = 16
/** 16 values: a 1 MiB batch. */
const BATCH_COUNT = 16
const SAMPLE_INTERVAL_MS = 50

const { values: args } = parseArgs({ options: { gib: { type: 'string', default: '4' }, dir: { type: 'string', default: os.tmpdir() } } })
const gib = Number(args.gib)
if (!(gib > 0)) throw new Error(`--gib must be positive, got ${args.gib}`)
const seed = Number(process.env.STRATA_SEED ?? 42)
const valueCount = Math.ceil((gib * 2 ** 30) / VALUE_SIZE_BYTES)
const source = createValueSource({ kind: 'compressible', ratio: 0.5 }, seed)
const directory = fs.mkdtempSync(path.join(args.dir!, 'strata-rss-'))

let peakRssBytes = process.memoryUsage.rss()
const sample = (): void => {
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss())
}
const timer = setInterval(sample, SAMPLE_INTERVAL_MS)
const startedMs = performance.now()
let rssAfterOpenBytes = 0
try {
  const db = await open(directory, { kvSeparation: {} })
  rssAfterOpenBytes = process.memoryUsage.rss()
  for (let start = 0; start < valueCount; start += BATCH_COUNT) {
    const batch = []
    for (let index = start; index < Math.min(valueCount, start + BATCH_COUNT); index++) {
      batch.push({ type: 'put' as const, key: encodeKey(index, KEY_SIZE_BYTES), value: source.value(index, VALUE_SIZE_BYTES) })
    }
    await db.batch(batch)
    sample()
  }
  await db.flush()
  sample()
  // Reads back a sample, so a store that dropped writes cannot pass on memory alone.
  for (let index = 0; index < valueCount; index += Math.max(1, Math.floor(valueCount / 100))) {
    const value = await db.get(encodeKey(index, KEY_SIZE_BYTES))
    if (value === undefined || value.length !== VALUE_SIZE_BYTES) throw new Error(`value ${index} missing after ingest`)
  }
  await db.close()
} finally {
  clearInterval(timer)
  fs.rmSync(directory, { recursive: true, force: true })
}
const seconds = (performance.now() - startedMs) / 1000
const MIB = 2 ** 20
console.log(`ingested ${gib} GiB (${valueCount} x ${VALUE_SIZE_BYTES} B) in ${seconds.toFixed(1)} s; RSS after open ${(rssAfterOpenBytes / MIB).toFixed(0)} MiB, peak ${(peakRssBytes / MIB).toFixed(0)} MiB (bound ${RSS_BYTES_MAX / MIB} MiB)`)
console.log(JSON.stringify({ gib, valueCount, seed, seconds, rssAfterOpenBytes, peakRssBytes, rssBytesMax: RSS_BYTES_MAX, ok: peakRssBytes < RSS_BYTES_MAX }))
if (peakRssBytes >= RSS_BYTES_MAX) process.exitCode = 1
