/**
 * WAL append (and replay) cost, plaintext vs each AEAD suite, side by side in one process, so
 * the ratios come from one machine state. Appends go to a MemVfs file (no fsync): this times
 * the CPU the log adds per record (framing, crc32, sealing), which is what encryption changes;
 * an fsync (~220 µs here, js-building-blocks.md §2) is the same for both and amortised by group
 * commit. Not a test: it times things and prints them. Run:
 *   node --import tsx engine/wal/wal-append.bench.ts
 * Optional: STRATA_WAL_BENCH_BASELINE=/path/to/an/old/checkout/engine/wal/mod.ts adds the
 * plaintext writer of another build (to show the plaintext path did not get slower).
 * Load on this shared machine drifts, so tasks are interleaved: ROUNDS rounds each run every
 * task over RECORD_COUNT records, and each task reports its median round.
 */
import { Buffer } from 'node:buffer'
import { MemVfs } from '../vfs/mod.ts'
import { Db } from '../db.ts'
import { LogCipher, readWal, WalWriter } from './mod.ts'
import type { CipherSuiteName } from '../transform/mod.ts'

const ROUNDS = Number(process.env.STRATA_BENCH_ROUNDS ?? 9)
const RECORD_COUNT = Number(process.env.STRATA_WAL_BENCH_RECORDS ?? 20_000)
const PAYLOAD_SIZES_BYTES = [64, 280, 4096]
const SUITES: CipherSuiteName[] = ['aes-256-gcm', 'chacha20-poly1305', 'xchacha20-poly1305', 'aes-256-gcm-siv']
const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7)

interface WalModule {
  WalWriter: { create(vfs: unknown, filePath: string, logNumber: number, options?: object): { add(payload: Uint8Array): void } }
  MemVfs: new () => { mkdirp(directory: string): void }
}

function payloadsOf(sizeBytes: number): Uint8Array[] {
  return Array.from({ length: 64 }, (_, i) => Buffer.alloc(sizeBytes, `batch-${i}-`))
}

/** ns per append of `payloads` (cycled) into a fresh log. */
function timeAppends(module: WalModule, payloads: Uint8Array[], options: object): number {
  const vfs = new module.MemVfs()
  vfs.mkdirp('/b')
  const writer = module.WalWriter.create(vfs, '/b/000001.wal', 1, options)
  const startNs = process.hrtime.bigint()
  for (let i = 0; i < RECORD_COUNT; i++) writer.add(payloads[i & 63])
  return Number(process.hrtime.bigint() - startNs) / RECORD_COUNT
}

/**
 * ns per record when a group-commit write of GROUP_RECORD_COUNT records is sealed once (the
 * alternative design, docs/encryption.md §7): concatenate, seal, frame as one record.
 */
const GROUP_RECORD_COUNT = 8
function timeGroupSealed(payloads: Uint8Array[], cipher: LogCipher): number {
  const vfs = new MemVfs()
  vfs.mkdirp('/b')
  const writer = WalWriter.create(vfs, '/b/000001.wal', 1)
  const fileKey = cipher.newFileKey('wal', 1)
  const startNs = process.hrtime.bigint()
  for (let i = 0; i < RECORD_COUNT; i += GROUP_RECORD_COUNT) {
    const group = Buffer.concat(payloads.slice(i & 63, (i & 63) + GROUP_RECORD_COUNT))
    writer.add(fileKey.seal(i / GROUP_RECORD_COUNT, group))
  }
  return Number(process.hrtime.bigint() - startNs) / RECORD_COUNT
}

async function timeReplay(payloads: Uint8Array[], cipher: LogCipher | undefined): Promise<number> {
  const vfs = new MemVfs()
  vfs.mkdirp('/b')
  const writer = WalWriter.create(vfs, '/b/000001.wal', 1, { cipher })
  for (let i = 0; i < RECORD_COUNT; i++) writer.add(payloads[i & 63])
  const startNs = process.hrtime.bigint()
  await readWal(vfs, '/b/000001.wal', { onTornTail: 'fail', cipher })
  return Number(process.hrtime.bigint() - startNs) / RECORD_COUNT
}

/** ns per Db.put (100-byte values, no sync) into a fresh MemVfs store: WAL + memtable. */
async function timeDbPuts(encryption: { suite: CipherSuiteName; keys: { epoch: number; key: Uint8Array }[]; activeEpoch: number } | undefined): Promise<number> {
  const db = await Db.open('/d', { vfs: new MemVfs(), integrity: encryption === undefined ? undefined : { encryption } })
  const value = Buffer.alloc(100, 'v')
  const startNs = process.hrtime.bigint()
  for (let i = 0; i < RECORD_COUNT; i++) await db.put(`key-${i}`, value)
  const ns = Number(process.hrtime.bigint() - startNs) / RECORD_COUNT
  await db.close()
  return ns
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main(): Promise<void> {
  const current: WalModule = { WalWriter: WalWriter as unknown as WalModule['WalWriter'], MemVfs }
  const baselinePath = process.env.STRATA_WAL_BENCH_BASELINE
  const baseline = baselinePath === undefined ? undefined : await loadBaseline(baselinePath)
  const ciphers = Object.fromEntries(SUITES.map((suite) => [suite, new LogCipher({ suite, keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } })]))
  console.log(`WAL append, ns/record (median of ${ROUNDS} interleaved rounds × ${RECORD_COUNT} records, MemVfs, no fsync)`)
  for (const sizeBytes of PAYLOAD_SIZES_BYTES) {
    const payloads = payloadsOf(sizeBytes)
    const samples: Record<string, number[]> = {}
    const tasks: [string, () => number | Promise<number>][] = [
      ['plaintext', () => timeAppends(current, payloads, {})],
      ...(baseline === undefined ? [] : [['plaintext (baseline build)', () => timeAppends(baseline, payloads, {})] as [string, () => number]]),
      ...SUITES.map((suite) => [suite, () => timeAppends(current, payloads, { cipher: ciphers[suite] })] as [string, () => number]),
      [`aes-256-gcm per ${GROUP_RECORD_COUNT}-record group`, () => timeGroupSealed(payloads, ciphers['aes-256-gcm'])],
      ['replay plaintext', () => timeReplay(payloads, undefined)],
      ['replay aes-256-gcm', () => timeReplay(payloads, ciphers['aes-256-gcm'])],
    ]
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of tasks) (samples[name] ??= []).push(await run())
    }
    if (sizeBytes === PAYLOAD_SIZES_BYTES[0]) {
      // Once: whole puts, where the WAL is one cost among several.
      const dbSamples: Record<string, number[]> = { plaintext: [], 'aes-256-gcm': [] }
      for (let round = 0; round < ROUNDS; round++) {
        dbSamples.plaintext.push(await timeDbPuts(undefined))
        dbSamples['aes-256-gcm'].push(await timeDbPuts({ suite: 'aes-256-gcm', keys: [{ epoch: 1, key }], activeEpoch: 1 }))
      }
      const dbPlainNs = median(dbSamples.plaintext)
      const dbAesNs = median(dbSamples['aes-256-gcm'])
      console.log(`\nDb.put, 100 B values, no sync: plaintext ${dbPlainNs.toFixed(0)} ns, aes-256-gcm ${dbAesNs.toFixed(0)} ns, ×${(dbAesNs / dbPlainNs).toFixed(2)}`)
    }
    const plainNs = median(samples.plaintext)
    const replayPlainNs = median(samples['replay plaintext'])
    console.log(`\npayload ${sizeBytes} B`)
    for (const [name] of tasks) {
      const ns = median(samples[name])
      const reference = name.startsWith('replay') ? replayPlainNs : plainNs
      const mbPerS = (sizeBytes / ns) * 1e3
      console.log(`  ${name.padEnd(28)} ${ns.toFixed(0).padStart(7)} ns  ${mbPerS.toFixed(0).padStart(5)} MB/s  ×${(ns / reference).toFixed(2)} of plaintext  (${(1e9 / ns / 1e3).toFixed(0)}k records/s)`)
    }
  }
}

async function loadBaseline(modulePath: string): Promise<WalModule> {
  const wal = await import(modulePath) as { WalWriter: WalModule['WalWriter'] }
  const vfs = await import(modulePath.replace(/wal\/mod\.ts$/, 'vfs/mod.ts')) as { MemVfs: WalModule['MemVfs'] }
  return { WalWriter: wal.WalWriter, MemVfs: vfs.MemVfs }
}

await main()
