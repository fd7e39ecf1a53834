/**
 * What a synced blob batch pays for the WAL's own sync, without the database around it: rounds
 * of BATCH_ROUNDS appends of one issue #4 batch (100 frames of 16,464 bytes) to a fresh file,
 * each followed by an fdatasync, in five ways interleaved per round: `dd oflag=dsync` itself
 * (the issue #4 yardstick, scripts/blob-sync-vs-dd.ts), write + fdatasync from JS (what dd
 * does), writev of 200 iovecs + fdatasync (the blob file), that plus a 4 KiB append to a second
 * file synced concurrently (blob file and WAL, as BlobDb does), and the two syncs one after the
 * other. Prints MiB/s per round and the medians.
 * Env: BATCH_ROUNDS (150), ROUND_COUNT (4), BENCH_DIR (os.tmpdir()). Benchmark, not test.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Buffer } from 'node:buffer'

const FRAME_SIZE_BYTES = 16464
const FRAME_COUNT = 100
const WAL_RECORD_SIZE_BYTES = 4096
const batchRounds = Number(process.env.BATCH_ROUNDS ?? 150)
const roundCount = Number(process.env.ROUND_COUNT ?? 4)
const directory = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'strata-sync-pair-'))
process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }))

const batch = Buffer.alloc(FRAME_COUNT * FRAME_SIZE_BYTES, 7)
const iovecs: Buffer[] = []
for (let index = 0; index < FRAME_COUNT; index++) {
  const start = index * FRAME_SIZE_BYTES
  iovecs.push(batch.subarray(start, start + 64), batch.subarray(start + 64, start + FRAME_SIZE_BYTES))
}
const walRecord = Buffer.alloc(WAL_RECORD_SIZE_BYTES, 3)

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())))
}

const ways: Record<string, (blob: number, wal: number) => Promise<void>> = {
  'write + fdatasync (dd)': async (blob) => {
    fs.writeSync(blob, batch)
    await fdatasync(blob)
  },
  'writev + fdatasync (blob only)': async (blob) => {
    fs.writevSync(blob, iovecs)
    await fdatasync(blob)
  },
  'blob and WAL synced concurrently': async (blob, wal) => {
    fs.writevSync(blob, iovecs)
    const blobSynced = fdatasync(blob)
    fs.writeSync(wal, walRecord)
    await Promise.all([blobSynced, fdatasync(wal)])
  },
  'blob, then WAL synced': async (blob, wal) => {
    fs.writevSync(blob, iovecs)
    fs.writeSync(wal, walRecord)
    await fdatasync(blob)
    await fdatasync(wal)
  },
}

function ddRate(): number {
  const target = path.join(directory, 'dd')
  const startedMs = performance.now()
  execFileSync('dd', ['if=/dev/zero', `of=${target}`, `bs=${batch.length}`, `count=${batchRounds}`, 'oflag=dsync'], { stdio: 'ignore' })
  const elapsedMs = performance.now() - startedMs
  fs.rmSync(target)
  return (batchRounds * batch.length) / 2 ** 20 / (elapsedMs / 1000)
}

const rates = new Map<string, number[]>([['dd oflag=dsync', []], ...Object.keys(ways).map((name): [string, number[]] => [name, []])])
for (let round = 0; round < roundCount; round++) {
  rates.get('dd oflag=dsync')!.push(ddRate())
  for (const [name, run] of Object.entries(ways)) {
    const blob = fs.openSync(path.join(directory, 'blob'), 'w')
    const wal = fs.openSync(path.join(directory, 'wal'), 'w')
    const startedMs = performance.now()
    for (let index = 0; index < batchRounds; index++) await run(blob, wal)
    const elapsedMs = performance.now() - startedMs
    fs.closeSync(blob)
    fs.closeSync(wal)
    rates.get(name)!.push((batchRounds * batch.length) / 2 ** 20 / (elapsedMs / 1000))
  }
}
const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
for (const [name, list] of rates) console.log(`${name.padEnd(34)} ${list.map((rate) => rate.toFixed(0)).join(' ')}  median ${median(list).toFixed(0)} MiB/s`)
