// Goal: every decoder of bytes that come from disk (WAL record and file, write batch, table
// footer / index / filter / properties / data / range-tombstone blocks and whole tables,
// manifest edit, blob handle, blob frame and file, block envelope with AEAD and ECC) answers
// any input with a valid result or a typed StrataError: never another throw, never a hang,
// never a huge allocation from a forged length, and never data the writer did not write when
// a MAC guards the block.
// Method: test/support/fuzz-decoders.ts builds valid samples and feeds seeded mutations of
// them (bit flips, forged u32 lengths, truncation, extension, splices, resealed checksums) and
// random bytes; test/support/fuzz-worker.ts runs it in a worker with a watchdog.
// STRATA_SEED=<n> replays; STRATA_FUZZ_INPUTS=<n> sets inputs per decoder;
// `node --import tsx scripts/reliability.ts` runs many more.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildTargets } from './support/fuzz-decoders.ts'
import { runFuzzInWorker } from './support/fuzz-worker.ts'
import { seedFromEnv } from './support/seed.ts'

/** About 35 µs per input here: 19 decoders x 3000 inputs take about 2 s. */
const INPUTS_PER_TARGET = Number(process.env.STRATA_FUZZ_INPUTS ?? 3000)

describe('decoder fuzzing', () => {
  test('every decoder accepts its own valid samples (the fuzz starts from real encodings)', async () => {
    for (const target of await buildTargets(seedFromEnv('fuzz-decoders'))) {
      assert.ok(target.samples.length > 0, `${target.name}: no samples`)
      for (const sample of target.samples) await target.decode(new Uint8Array(sample))
    }
  })

  test(`${INPUTS_PER_TARGET} mutated and random inputs per decoder end in a result or a typed error`, async (t) => {
    const seed = seedFromEnv('fuzz-decoders')
    t.diagnostic(`seed=${seed}`)
    const reports = await runFuzzInWorker(seed, INPUTS_PER_TARGET)
    for (const report of reports) {
      t.diagnostic(`${report.name}: ${report.inputCount} inputs, ${report.validCount} valid, ${JSON.stringify(report.errorCodes)}`)
      assert.equal(report.inputCount, INPUTS_PER_TARGET)
    }
    assert.ok(reports.length >= 15, 'every decoder ran')
    // The fuzz reaches the decoders: most targets both reject and accept some inputs.
    const rejecting = reports.filter((report) => Object.keys(report.errorCodes).length > 0)
    assert.ok(rejecting.length >= reports.length - 1, 'some decoder never saw a bad input')
  })

  test('the watchdog reports a hang instead of freezing', async () => {
    await assert.rejects(runFuzzInWorker(1, 10, 1000, { injectHang: true }), /fuzz hang: injected hang made no progress/)
  })
})
