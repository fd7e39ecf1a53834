/**
 * What each integrity axis costs on a flush + read workload through the Db (not a test; prints
 * a table). Every configuration runs the same seeded workload in the same process, rounds
 * interleaved, and is reported as a ratio to the baseline (no integrity option) of that run.
 * Workload: N puts of 100-byte values (half repetitive text, half pseudo-random), one flush,
 * reopen, N point gets in a shuffled order with the block cache off (every get decodes a block),
 * then a full scan.
 * Run: node --import tsx engine/scrub/integrity-overhead.bench.ts [N=20000] [rounds=3]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { open, type OpenOptions } from '../../index.ts'
import type { IntegrityOptions } from '../integrity-options.ts'

const KEY_COUNT = Number(process.argv[2] ?? 20000)
const ROUND_COUNT = Number(process.argv[3] ?? 3)
const KEY = new Uint8Array(32).fill(7)
const encryption = (suite: 'aes-256-gcm' | 'chacha20-poly1305' | 'xchacha20-poly1305' | 'aes-256-gcm-siv'): IntegrityOptions => ({ encryption: { suite, keys: [{ epoch: 1, key: KEY }], activeEpoch: 1 } })

const configurations: [string, IntegrityOptions | undefined][] = [
  ['baseline (checksum only)', undefined],
  ['integrity {} (checksum only)', {}],
  ['zstd level 3', { compression: { kind: 'zstd', level: 3 } }],
  ['aes-256-gcm', encryption('aes-256-gcm')],
  ['chacha20-poly1305', encryption('chacha20-poly1305')],
  ['xchacha20-poly1305', encryption('xchacha20-poly1305')],
  ['aes-256-gcm-siv', encryption('aes-256-gcm-siv')],
  ['ecc sec-ded', { ecc: 'sec-ded' }],
  ['ecc xor(4)', { ecc: 'xor' }],
  ['ecc reed-solomon(8,2)', { ecc: 'reed-solomon' }],
  ['zstd + aes-256-gcm + rs(8,2)', { compression: { kind: 'zstd', level: 3 }, ...encryption('aes-256-gcm'), ecc: 'reed-solomon' }],
]

/** xorshift32: the same keys and values on every run. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

const random = rng(42)
const keys = Array.from({ length: KEY_COUNT }, (_, index) => `user${String(index).padStart(10, '0')}`)
const values = keys.map((_, index) => {
  const text = `value of entry ${index} `.repeat(3).slice(0, 50)
  const noise = Buffer.from(Array.from({ length: 25 }, () => Math.floor(random() * 256))).toString('hex')
  return Buffer.from(text + noise)
})
const order = keys.map((_, index) => index)
for (let index = order.length - 1; index > 0; index--) {
  const other = Math.floor(random() * (index + 1))
  ;[order[index], order[other]] = [order[other], order[index]]
}

interface Sample { writeMs: number; getMs: number; scanMs: number; tableBytes: number }

async function runOnce(integrity: IntegrityOptions | undefined): Promise<Sample> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-overhead-'))
  const options: OpenOptions = { integrity, blockCacheSizeBytes: 0, backgroundWork: false }
  try {
    let db = await open(directory, options)
    let started = performance.now()
    for (let index = 0; index < KEY_COUNT; index++) await db.put(keys[index], values[index])
    await db.flush()
    const writeMs = performance.now() - started
    const tableBytes = db.stats().tableBytes
    await db.close()
    db = await open(directory, options)
    started = performance.now()
    for (const index of order) if ((await db.get(keys[index])) === undefined) throw new Error(`missing ${keys[index]}`)
    const getMs = performance.now() - started
    started = performance.now()
    let count = 0
    for await (const _ of db.iterator()) count++
    if (count !== KEY_COUNT) throw new Error(`scan saw ${count} of ${KEY_COUNT}`)
    const scanMs = performance.now() - started
    await db.close()
    return { writeMs, getMs, scanMs, tableBytes }
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const samples = new Map<string, Sample[]>(configurations.map(([name]) => [name, []]))
await runOnce(undefined) // warm-up: JIT, zstd and cipher initialisation
for (let round = 0; round < ROUND_COUNT; round++) {
  for (const [name, integrity] of configurations) samples.get(name)!.push(await runOnce(integrity))
}
const summary = configurations.map(([name]) => {
  const list = samples.get(name)!
  return { name, writeMs: median(list.map((s) => s.writeMs)), getMs: median(list.map((s) => s.getMs)), scanMs: median(list.map((s) => s.scanMs)), tableBytes: list[0].tableBytes }
})
const base = summary[0]
console.log(`${KEY_COUNT} keys x 100 B values, median of ${ROUND_COUNT} interleaved rounds; ratios to the baseline of this run\n`)
console.log(`${'configuration'.padEnd(30)} ${'put+flush'.padStart(16)} ${'random get'.padStart(16)} ${'scan'.padStart(16)} ${'table bytes'.padStart(18)}`)
for (const row of summary) {
  const cell = (ms: number, baseMs: number) => `${ms.toFixed(0)} ms ${(ms / baseMs).toFixed(2)}x`.padStart(16)
  console.log(`${row.name.padEnd(30)} ${cell(row.writeMs, base.writeMs)} ${cell(row.getMs, base.getMs)} ${cell(row.scanMs, base.scanMs)} ${`${row.tableBytes} ${(row.tableBytes / base.tableBytes).toFixed(2)}x`.padStart(18)}`)
}
