/**
 * The reliability report: re-measures what docs/RELIABILITY.md states and rewrites it.
 *
 * 1. Crash torture (test/support/fault-torture.ts): thousands of simulated power losses at
 *    seeded Vfs operations, with KV separation, flush, compaction and blob GC running and
 *    seeded EIO / ENOSPC / short-write faults in a share of the rounds, a tenth of them inside
 *    recovery (open()); every recovery is compared with the model of acknowledged writes. Three
 *    configurations: KV separation, inline values, and KV separation with encryption at rest.
 * 2. Decoder fuzzing (test/support/fuzz-decoders.ts) in a worker with a hang watchdog.
 * 3. Soak: concurrent writers, readers, snapshot scans, flush, compaction and blob GC on the
 *    real file system for a bounded time, checking invariants continuously and sampling memory
 *    and open file descriptors.
 *
 * Usage: `node --import tsx scripts/reliability.ts --help` (USAGE below).
 * --torture-only runs the KV-separation torture alone (--encryption: on an encrypted store, the
 * third configuration; its seed there is --seed + 2) and writes no doc; with --save-round it
 * writes a checkpoint when that round starts, and --resume runs from such a checkpoint, so a
 * failure at round N of a long run replays in seconds (test/support/fault-torture.ts).
 * --writeback-share and --recovery-crash-share set the torture's writebackRoundShare and
 * recoveryCrashRoundShare (defaults 0.25 and 0.1): rounds found before those modes existed
 * (before 2026-11-26's session 6) replay with both at 0.
 * Exit status 1 on any violation (the doc is then not written).
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { execSync } from 'node:child_process'
import { open, isStrataError, type BlobDb } from '../index.ts'
import { runCrashTorture, type TortureReport } from '../test/support/fault-torture.ts'
import { runFuzzInWorker } from '../test/support/fuzz-worker.ts'
import type { FuzzTargetReport } from '../test/support/fuzz-decoders.ts'
import { Rng } from '../test/support/seed.ts'

interface SoakReport {
  durationMs: number
  writerCount: number
  writeCount: number
  readCount: number
  scanCount: number
  flushCount: number
  compactionCount: number
  gcRoundCount: number
  invariantChecks: number
  rssBytesStart: number
  rssBytesPeak: number
  rssBytesEnd: number
  openFdCountStart: number
  openFdCountPeak: number
  openFdCountEnd: number
}

const ACCOUNT_COUNT = 50
const ACCOUNT_START = 1000

function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length
}

/**
 * Soak: writers move amounts between accounts in atomic batches (the total never changes) and
 * also write their own keys with separated values; readers check their own last write; scans
 * on snapshots check the total; a maintenance loop flushes, compacts and collects garbage.
 */
async function runSoak(seed: number, durationMs: number): Promise<SoakReport> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-soak-'))
  const rng = new Rng(seed)
  const options = { memtableSizeBytes: 256 * 1024, l0CompactionTrigger: 4, targetTableSizeBytes: 256 * 1024, kvSeparation: { minBlobSize: 256, blobFileSizeBytesTarget: 1024 * 1024, stalenessThreshold: 0.3 } }
  const db = (await open(directory, options)) as unknown as BlobDb
  const report: SoakReport = {
    durationMs: 0, writerCount: 4, writeCount: 0, readCount: 0, scanCount: 0, flushCount: 0, compactionCount: 0, gcRoundCount: 0,
    invariantChecks: 0, rssBytesStart: process.memoryUsage.rss(), rssBytesPeak: 0, rssBytesEnd: 0,
    openFdCountStart: openFdCount(), openFdCountPeak: 0, openFdCountEnd: 0,
  }
  const accountKey = (index: number): string => `acct${String(index).padStart(3, '0')}`
  await db.batch(Array.from({ length: ACCOUNT_COUNT }, (_, index) => ({ type: 'put' as const, key: accountKey(index), value: String(ACCOUNT_START) })), { sync: true })
  const balances = new Map<string, number>()
  for (let index = 0; index < ACCOUNT_COUNT; index++) balances.set(accountKey(index), ACCOUNT_START)
  const models = Array.from({ length: report.writerCount }, () => new Map<string, string>())
  const startedMs = Date.now()
  const running = (): boolean => Date.now() - startedMs < durationMs
  const sample = setInterval(() => {
    report.rssBytesPeak = Math.max(report.rssBytesPeak, process.memoryUsage.rss())
    report.openFdCountPeak = Math.max(report.openFdCountPeak, openFdCount())
  }, 200)

  async function writer(index: number): Promise<void> {
    const writerRng = new Rng(seed + index + 1)
    const model = models[index]
    for (let step = 0; running(); step++) {
      // A transfer: read two balances (serialised through this loop's await order) and move an amount.
      const from = accountKey(writerRng.below(ACCOUNT_COUNT))
      const to = accountKey(writerRng.below(ACCOUNT_COUNT))
      const amount = writerRng.below(10)
      const key = `w${index}-${String(writerRng.below(2000)).padStart(5, '0')}`
      const value = `w${index}s${step}-`.padEnd(writerRng.chance(0.5) ? 300 + writerRng.below(3000) : 20, 'x')
      const ops: { type: 'put'; key: string; value: string }[] = [{ type: 'put', key, value }]
      if (from !== to) {
        // Balances live in this process's map as the source of truth for the next transfer;
        // the batch writes both sides at once, so every snapshot sees the same total.
        const fromBalance = balances.get(from)! - amount
        const toBalance = balances.get(to)! + amount
        balances.set(from, fromBalance)
        balances.set(to, toBalance)
        ops.push({ type: 'put', key: from, value: String(fromBalance) }, { type: 'put', key: to, value: String(toBalance) })
      }
      await db.batch(ops, { sync: writerRng.chance(0.05) })
      model.set(key, value)
      report.writeCount++
      const probe = [...model.keys()][writerRng.below(model.size)]
      const found = await db.get(probe)
      report.readCount++
      assert.equal(found?.toString('latin1'), model.get(probe), `soak seed=${seed}: writer ${index} read ${probe}`)
      report.invariantChecks++
    }
  }

  async function scanner(): Promise<void> {
    while (running()) {
      const snapshot = db.snapshot()
      try {
        let total = 0
        let count = 0
        for await (const [, value] of db.iterator({ gte: 'acct', lt: 'acct~', snapshot })) {
          total += Number(value.toString('latin1'))
          count++
        }
        assert.equal(count, ACCOUNT_COUNT, `soak seed=${seed}: account count`)
        assert.equal(total, ACCOUNT_COUNT * ACCOUNT_START, `soak seed=${seed}: a snapshot saw a partial transfer`)
        report.scanCount++
        report.invariantChecks++
      } finally {
        snapshot.release()
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  async function maintenance(): Promise<void> {
    while (running()) {
      await new Promise((resolve) => setTimeout(resolve, 200 + rng.below(800)))
      const roll = rng.below(10)
      if (roll < 5) {
        await db.flush()
        report.flushCount++
      } else if (roll < 7) {
        await db.compact()
        report.compactionCount++
      } else {
        await db.gc()
        report.gcRoundCount++
      }
    }
  }

  try {
    await Promise.all([...models.map((_, index) => writer(index)), scanner(), scanner(), maintenance()])
    report.durationMs = Date.now() - startedMs
    clearInterval(sample)
    await db.close()
    const reopened = (await open(directory, options)) as unknown as BlobDb
    for (const model of models) for (const [key, value] of model) assert.equal((await reopened.get(key))?.toString('latin1'), value, `soak seed=${seed}: ${key} after reopen`)
    for (const [key, balance] of balances) assert.equal((await reopened.get(key))?.toString('latin1'), String(balance), `soak seed=${seed}: ${key} after reopen`)
    const verification = await reopened.verify()
    assert.equal(verification.ok, true, `soak seed=${seed}: verify after reopen`)
    await reopened.close()
    report.rssBytesEnd = process.memoryUsage.rss()
    report.openFdCountEnd = openFdCount()
    // Bounded: every descriptor the store opened is closed again, and the peak stayed small.
    assert.ok(report.openFdCountEnd <= report.openFdCountStart + 2, `soak seed=${seed}: ${report.openFdCountEnd - report.openFdCountStart} descriptors leaked`)
    return report
  } finally {
    clearInterval(sample)
    fs.rmSync(directory, { recursive: true, force: true })
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** One configuration of the crash torture and what its run measured. */
interface TortureRun {
  configuration: string
  report: TortureReport
}

function writeDoc(file: string, facts: { command: string; seed: number; commit: string; torture: TortureRun[]; fuzz: FuzzTargetReport[]; soak: SoakReport; elapsedMs: number }): void {
  const { torture, fuzz, soak } = facts
  const sum = (pick: (report: TortureReport) => number): number => torture.reduce((total, run) => total + pick(run.report), 0)
  const fuzzInputs = fuzz.reduce((total, report) => total + report.inputCount, 0)
  const lines = [
    '# Reliability',
    '',
    `Generated by \`${facts.command}\` (seed ${facts.seed}, commit ${facts.commit}, ${os.cpus().length} cores, Node ${process.version}, ${Math.round(facts.elapsedMs / 1000)} s).`,
    'Re-run the command to re-measure; `STRATA_SEED` / `--seed` replays a run exactly. Every count below was measured by',
    'that run; a violation stops the script with exit status 1 and the document is not written.',
    '',
    '## Summary',
    '',
    '| measure | value |',
    '|---|---:|',
    `| simulated power losses survived | ${sum((r) => r.crashCount)} |`,
    `| of which inside recovery (open()) | ${sum((r) => r.recoveryCrashCount)} |`,
    `| faults injected (EIO, ENOSPC, short writes, failed renames, …) besides the crashes | ${sum((r) => r.faultsInjected)} |`,
    `| acknowledged durable writes checked after a crash | ${sum((r) => r.acknowledgedDurableWriteCount)} |`,
    `| **acknowledged durable writes lost** | **${sum((r) => r.acknowledgedWritesLost)}** |`,
    `| **bytes lost** (acknowledged durable data missing or wrong after recovery) | **0** |`,
    `| decoder fuzz inputs tried | ${fuzzInputs} |`,
    `| decoder inputs ending in anything but a result or a typed StrataError | 0 |`,
    `| soak duration | ${Math.round(soak.durationMs / 1000)} s |`,
    `| soak peak RSS | ${mib(soak.rssBytesPeak)} (start ${mib(soak.rssBytesStart)}, end ${mib(soak.rssBytesEnd)}) |`,
    `| soak open file descriptors | start ${soak.openFdCountStart}, peak ${soak.openFdCountPeak}, end ${soak.openFdCountEnd} |`,
    '',
    '## Crash torture',
    '',
    'Method: `test/support/fault-torture.ts`. FaultVfs over MemVfs; each round crashes at a seeded Vfs',
    'operation (MemVfs.crash() keeps synced bytes and synced directory entries, and in a quarter of the',
    'rounds a random prefix of each file\'s unsynced bytes, as the kernel\'s writeback may), reopens, and',
    'requires the recovered store to equal the state after some write of the round, no older than the',
    'last acknowledged durable point: no lost acknowledged write, no partial batch, no resurrected delete.',
    'A quarter of the rounds also inject a seeded fault before the crash. A tenth arm the crash before',
    'open(), at a seeded operation of the recovery itself that changes the disk (WAL replay and torn-tail',
    'truncation, the flush of replayed memtables, the manifest edit, obsolete-file deletion, blob-file',
    'sealing): a crash that lands there leaves the model as it was, and the next recovery is checked the',
    'same way. The encrypted configuration opens every round with AES-256-GCM at rest (WAL, manifest,',
    'tables and blob files sealed) and fails if a value is found in the clear in a crash image (checked',
    'every 10 rounds). Bounded copy in the default suite: `test/fault-torture.test.ts`.',
    '',
    '| configuration | crashes | inside recovery | with writeback | Vfs ops | writes | durable writes | faults | unsynced writes dropped (allowed) | flushes | compactions | blob files relocated / deleted | lost |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...torture.map(({ configuration, report: r }) => `| ${configuration} | ${r.crashCount} | ${r.recoveryCrashCount} | ${r.writebackCrashCount} | ${r.vfsOpCount} | ${r.writeCount} | ${r.acknowledgedDurableWriteCount} | ${r.faultsInjected} | ${r.unsyncedWritesLost} | ${r.flushCount} | ${r.compactionCount} | ${r.blobFilesRelocated} / ${r.blobFilesDeleted} | ${r.acknowledgedWritesLost} |`),
    '',
    'Found by this script and fixed: a MANIFEST append failing with ENOSPC while blob files rotate,',
    'seal and get collected could leave, after the next crash, a handle into a deleted blob file (seed',
    '20250101 round 412). Fixed by 73b91d6; replayed by `test/fault-torture.test.ts`. And an EIO from the',
    'fsync that seals a rotated blob file let the next flush persist a table with handles into frames that',
    'fsync may have lost; recovery cut the file at its last synced frame and the read failed (seed 20250101',
    'round 2596: "frame ... lies outside the frames region"). Fixed by d433123 (a failed seal fails every',
    'later blob sync, so the flush fails instead); `test/blob-crash.test.ts` replays it deterministically.',
    'With another seed (`--torture-only --seed 20261126 --crashes 1500 --writeback-share 0 --recovery-crash-share 0`, round 695): at a memtable switch the',
    'frozen WAL\'s fsync failed with EIO while a synced write\'s record in the new WAL was fsynced; the write',
    'was refused, but recovery returned it without the unsynced writes before it, a state no prefix of the',
    'writes had. Fixed by 495251b (a new WAL\'s fsyncs wait for the older logs\' syncs); replayed by',
    '`test/fault-behaviour.test.ts` (faults at a log switch). On the fixed tree, seeds 1-6, 8-13 and',
    '100-119 (1,500 crashes with KV separation and 600 without, each) and 7 and 31337 (1,500 with KV',
    'separation) found nothing else. Once crashes kept written-back bytes too (2026-11-26), seed 12 (3,000',
    'crashes, with and without KV separation) recovered a newer log\'s unsynced writes while an older log',
    'had lost its unsynced tail: a state no prefix of the writes had, though no acknowledged write was lost.',
    'Fixed by the WAL link (format versions 5 and 6: a new log records its predecessor\'s final size, and',
    'replay stops after a log shorter than that; docs/formats/wal.md §4.1); `test/wal-writeback.test.ts`.',
    'A failing round replays in seconds from a checkpoint: `--torture-only --save-round N` / `--resume FILE`.',
    '',
    'Behaviour under single faults (a failing WAL fsync, short WAL writes, ENOSPC in flush and in',
    'compaction, disk full, EIO on read, a failing manifest fsync) is proven case by case in',
    '`test/fault-behaviour.test.ts`; real SIGKILL rounds are in `test/crash-recovery.test.ts` and',
    '`scripts/torture-crash.ts`.',
    '',
    '## Decoder fuzzing',
    '',
    'Method: `test/support/fuzz-decoders.ts`: seeded mutations of valid encodings (bit flips, forged',
    'u32 lengths, truncation, extension, splices, resealed checksums) and random bytes, run in a worker',
    'whose watchdog reports a hang; array-buffer memory is checked after every input and each input must',
    'finish within 2 s. For AEAD envelopes a successful decode must return the bytes the writer wrote.',
    '',
    '| decoder | inputs | valid results | typed errors by code |',
    '|---|---:|---:|---|',
    ...fuzz.map((r) => `| ${r.name} | ${r.inputCount} | ${r.validCount} | ${Object.entries(r.errorCodes).map(([code, count]) => `${code} ${count}`).join(', ')} |`),
    '',
    '## Soak',
    '',
    `${soak.writerCount} concurrent writers (atomic transfer batches plus separated values), 2 snapshot scanners`,
    'checking that the account total never changes (batch atomicity and snapshot isolation), every',
    'writer reading back its own writes, and a maintenance loop running flush, compaction and blob GC,',
    'on the real file system (NodeVfs). After the run the store is reopened, every key is compared',
    'with the model and `verify()` must pass; descriptors must return to their starting count.',
    '',
    '| measure | value |',
    '|---|---:|',
    `| duration | ${Math.round(soak.durationMs / 1000)} s |`,
    `| batches written | ${soak.writeCount} |`,
    `| reads checked | ${soak.readCount} |`,
    `| snapshot scans checked | ${soak.scanCount} |`,
    `| invariant checks | ${soak.invariantChecks} |`,
    `| flushes / compactions / GC rounds | ${soak.flushCount} / ${soak.compactionCount} / ${soak.gcRoundCount} |`,
    `| RSS start / peak / end | ${mib(soak.rssBytesStart)} / ${mib(soak.rssBytesPeak)} / ${mib(soak.rssBytesEnd)} |`,
    `| open descriptors start / peak / end | ${soak.openFdCountStart} / ${soak.openFdCountPeak} / ${soak.openFdCountEnd} |`,
    '',
  ]
  fs.writeFileSync(file, lines.join('\n'))
}

const OPTIONS = {
  seed: { type: 'string', default: process.env.STRATA_SEED ?? '20250101' },
  crashes: { type: 'string', default: '3000' },
  'fuzz-inputs': { type: 'string', default: '20000' },
  'soak-seconds': { type: 'string', default: '60' },
  'no-doc': { type: 'boolean', default: false },
  'torture-only': { type: 'boolean', default: false },
  encryption: { type: 'boolean', default: false },
  'writeback-share': { type: 'string' },
  'recovery-crash-share': { type: 'string' },
  'save-round': { type: 'string' },
  checkpoint: { type: 'string' },
  resume: { type: 'string' },
} as const

const USAGE = `Usage: node --import tsx scripts/reliability.ts [--seed N] [--crashes N] [--fuzz-inputs N]
         [--soak-seconds N] [--no-doc]
       node --import tsx scripts/reliability.ts --torture-only [--seed N] [--crashes N]
         [--encryption] [--writeback-share F] [--recovery-crash-share F]
         [--save-round N --checkpoint FILE | --resume FILE]
Defaults: --seed 20250101 (or STRATA_SEED), --crashes 3000, --fuzz-inputs 20000, --soak-seconds 60,
--writeback-share 0.25, --recovery-crash-share 0.1. Without --torture-only it rewrites
docs/RELIABILITY.md unless --no-doc. Exit status 1 on any violation, 2 for bad arguments.
`

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE)
    return
  }
  let parsed
  try {
    parsed = parseArgs({ options: OPTIONS })
  } catch (error) {
    process.stderr.write(`reliability: ${(error as Error).message}\n\n${USAGE}`)
    process.exitCode = 2
    return
  }
  const { values } = parsed
  const seed = Number(values.seed) >>> 0
  const crashCount = Number(values.crashes)
  const fuzzInputs = Number(values['fuzz-inputs'])
  const soakSeconds = Number(values['soak-seconds'])
  const command = `node --import tsx scripts/reliability.ts --seed ${seed} --crashes ${crashCount} --fuzz-inputs ${fuzzInputs} --soak-seconds ${soakSeconds}`
  const unhandled: unknown[] = []
  process.on('unhandledRejection', (reason) => void unhandled.push(reason))
  const startedMs = Date.now()
  console.log(`reliability: seed=${seed}`)
  if (values['torture-only']) {
    const saveCheckpoint = values['save-round'] === undefined ? undefined : { round: Number(values['save-round']), file: values.checkpoint ?? `torture-${seed}-${values['save-round']}.json` }
    const share = (value: string | undefined) => value === undefined ? undefined : Number(value)
    const report = await runCrashTorture({
      seed, crashCount, encryption: values.encryption, saveCheckpoint, resumeFrom: values.resume,
      writebackRoundShare: share(values['writeback-share']), recoveryCrashRoundShare: share(values['recovery-crash-share']),
    })
    console.log(`torture (KV separation${values.encryption ? ', encrypted' : ''}): ${JSON.stringify(report)}`)
    return
  }
  const configurations = [
    { configuration: 'KV separation (minBlobSize 64)', options: { seed, crashCount } },
    { configuration: 'inline values', options: { seed: seed + 1, crashCount: Math.ceil(crashCount / 4), kvSeparation: false } },
    { configuration: 'KV separation, encrypted (aes-256-gcm)', options: { seed: seed + 2, crashCount: Math.ceil(crashCount / 4), encryption: true } },
  ]
  const torture: TortureRun[] = []
  for (const { configuration, options } of configurations) {
    torture.push({ configuration, report: await runCrashTorture(options) })
    console.log(`torture (${configuration}): ${JSON.stringify(torture.at(-1)!.report)}`)
  }
  const fuzz = await runFuzzInWorker(seed, fuzzInputs)
  console.log(`fuzz: ${fuzz.reduce((total, report) => total + report.inputCount, 0)} inputs over ${fuzz.length} decoders`)
  const soak = await runSoak(seed, soakSeconds * 1000)
  console.log(`soak: ${JSON.stringify(soak)}`)
  assert.deepEqual(unhandled, [], 'unhandled rejections')
  if (!values['no-doc']) {
    const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim()
    const file = path.join(import.meta.dirname, '..', 'docs', 'RELIABILITY.md')
    writeDoc(file, { command, seed, commit, torture, fuzz, soak, elapsedMs: Date.now() - startedMs })
    console.log(`wrote ${file}`)
  }
}

main().catch((error: unknown) => {
  console.error(isStrataError(error) ? `${error.code}: ${error.message}` : error)
  process.exitCode = 1
})
