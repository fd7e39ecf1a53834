/**
 * What checking ECC regions adds to a verify pass (not a test; prints a table). One store per
 * configuration, written once; then, in interleaved rounds, every table is verified with
 * verifyTable twice: as Db.verify() runs it (the codec's checking view recomputes each verified
 * block's ECC region) and as it ran before the check existed (the same codec behind a plain
 * BlockCodec wrapper, which checkingEccRegions passes through unchanged). The ratio is taken
 * within each round and the median over rounds reported (bench-rounds.ts).
 * Workload: N puts of 100-byte values (half repetitive text, half pseudo-random), compacted.
 * Run: node --import tsx engine/scrub/ecc-region-scrub.bench.ts [N=50000] [rounds=7]
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { open } from '../../index.ts'
import { resolveIntegrity, type IntegrityOptions } from '../integrity-options.ts'
import { mulberry32 } from '../mulberry32.ts'
import { medianOfRounds, medianRoundRatio, roundsUs } from '../transform/bench-rounds.ts'
import type { BlockCodec } from '../transform/mod.ts'
import { NodeVfs } from '../vfs/mod.ts'
import { verifyTable } from './verify-table.ts'

const KEY_COUNT = Number(process.argv[2] ?? 50000)
const ROUND_COUNT = Number(process.argv[3] ?? 7)
const ROUND_TIME_MS = 1500
const KEY = new Uint8Array(32).fill(7)
const RS_4_2 = { kind: 'reed-solomon', dataShards: 4, parityShards: 2 } as const
const configurations: [string, IntegrityOptions][] = [
  ['rs(4,2)', { ecc: RS_4_2 }],
  ['zstd-3 + aes-256-gcm + rs(4,2)', { compression: { kind: 'zstd', level: 3 }, encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: KEY }], activeEpoch: 1 }, ecc: RS_4_2 }],
]

async function writeStore(directory: string, integrity: IntegrityOptions): Promise<void> {
  const random = mulberry32(42)
  const db = await open(directory, { integrity, backgroundWork: false })
  for (let index = 0; index < KEY_COUNT; index++) {
    const text = `value of entry ${index} `.repeat(3).slice(0, 50)
    const noise = Buffer.from(Array.from({ length: 25 }, () => random() & 0xff)).toString('hex')
    await db.put(`user${String(index).padStart(10, '0')}`, text + noise)
  }
  await db.compact()
  await db.close()
}

/** One verify pass over every table of the store, through `codec`; returns the entries read. */
function verifyAll(directory: string, codec: BlockCodec, tables: Parameters<typeof verifyTable>[0][]): number {
  const settings = { vfs: new NodeVfs(), directory, codec, repairCountOf: () => 0 }
  let entryCount = 0
  for (const table of tables) {
    const check = verifyTable(table, settings)
    assert.equal(check.status, 'clean')
    entryCount += check.entries
  }
  assert.equal(entryCount, KEY_COUNT)
  return entryCount
}

console.log(`${KEY_COUNT} keys x 100 B values, compacted; ${ROUND_COUNT} interleaved rounds of ${ROUND_TIME_MS} ms per arm\n`)
for (const [name, integrity] of configurations) {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ecc-scrub-'))
  try {
    await writeStore(directory, integrity)
    const db = await open(directory, { integrity, backgroundWork: false })
    const tables = db.currentVersion().levels.flat()
    const tableBytes = db.stats().tableBytes
    await db.close()
    const codec = resolveIntegrity(integrity, () => undefined).codec
    // Not an IntegrityCodec, so checkingEccRegions hands it back as it is: verify as before.
    const unchecked: BlockCodec = { encode: (raw, context) => codec.encode(raw, context), decode: (onDisk, context) => codec.decode(onDisk, context) }
    const rounds = await roundsUs([
      ['regions checked', () => verifyAll(directory, codec, tables)],
      ['regions unchecked', () => verifyAll(directory, unchecked, tables)],
    ], ROUND_COUNT, ROUND_TIME_MS)
    const medians = medianOfRounds(rounds)
    const ratio = medianRoundRatio(rounds, (us) => us('regions checked') / us('regions unchecked'))
    const checkedMs = (medians.get('regions checked') ?? 0) / 1000
    const uncheckedMs = (medians.get('regions unchecked') ?? 0) / 1000
    console.log(`${name.padEnd(32)} ${tables.length} tables, ${(tableBytes / 2 ** 20).toFixed(1)} MiB: unchecked ${uncheckedMs.toFixed(1)} ms, checked ${checkedMs.toFixed(1)} ms per pass, ratio ${ratio.toFixed(3)}x (median of per-round ratios)`)
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
}
