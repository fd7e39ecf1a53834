/**
 * Micro-benchmark of manifest hardening (a benchmark, not a test), format 1 and format 3 side
 * by side in one process: the CPU a record costs the writer (format 1: its CRC-32; format 3:
 * CRC-32, XXH3-128 and the header), logAndApply of flush-shaped edits on the real file system
 * in a temp directory (one fsync per edit either way, which dominates), and the read-only
 * recovery of a manifest of `editCount` edits. Not MemVfs for logAndApply: its sync() copies
 * the whole file, which would charge format 3 for its size, not for its work.
 * Run: node --import tsx engine/manifest/manifest-hardening.bench.ts [editCount]
 */
import { Bench } from 'tinybench'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MemVfs, NodeVfs, type Vfs } from '../vfs/mod.ts'
import { VersionSet } from './version-set.ts'
import { encodeVersionEdit } from './edit-codec.ts'
import { encodeHardenedRecordHeader, logRecordCrc32 } from './hardened-framing.ts'
import { table } from './test-support.ts'

const EDIT_COUNT = Number(process.argv[2] ?? 2000)

async function appendEdits(vfs: Vfs, directory: string, manifestHardening: boolean, count: number): Promise<VersionSet> {
  const set = await VersionSet.create(vfs, directory, { manifestHardening })
  for (let i = 0; i < count; i++) {
    // Flush-shaped edits; L0 grows, as between compactions, and stays within the edit bound.
    await set.logAndApply({ addedTables: [table(0, set.nextFileNumber(), `k${i % 50}`, `k${i % 50}z`, i)], lastSeqno: i, logNumber: i })
  }
  return set
}

const temporary = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-manifest-bench-'))
let round = 0
const bench = new Bench({ time: 2000, iterations: 3 })
const payload = encodeVersionEdit({ addedTables: [table(0, 12, 'k1', 'k1z', 5)], lastSeqno: 5, logNumber: 5 })
const prefix = payload.subarray(0, 8)
bench.add(`record CPU (${payload.length} B edit), format 1: CRC-32`, () => {
  for (let i = 0; i < 1000; i++) assert.ok(logRecordCrc32(prefix, payload, i) >= 0)
})
bench.add(`record CPU (${payload.length} B edit), format 3: CRC-32 + XXH3-128 header`, () => {
  for (let i = 0; i < 1000; i++) assert.equal(encodeHardenedRecordHeader(payload, i, 7).length, 28)
})
for (const manifestHardening of [false, true]) {
  bench.add(`NodeVfs (fsync each): 100 logAndApply, ${manifestHardening ? 'format 3 (hardened)' : 'format 1'}`, async () => {
    const directory = path.join(temporary, String(round++))
    const set = await appendEdits(new NodeVfs(), directory, manifestHardening, 100)
    assert.equal(set.current.tableCount(), 100)
    await set.close()
  })
}
const recoverVfs = [new MemVfs(), new MemVfs()]
for (const [index, manifestHardening] of [false, true].entries()) {
  await (await appendEdits(recoverVfs[index], '/db', manifestHardening, EDIT_COUNT)).close()
  bench.add(`MemVfs: recover ${EDIT_COUNT} edits (read-only), ${manifestHardening ? 'format 3 (hardened)' : 'format 1'}`, async () => {
    const set = await VersionSet.recover(recoverVfs[index], '/db', { readOnly: true })
    assert.equal(set.current.tableCount(), EDIT_COUNT)
  })
}
try {
  await bench.run()
  console.table(bench.table())
} finally {
  fs.rmSync(temporary, { recursive: true, force: true })
}
