// Tests of the background worker's JIT warm-up (jit-warm-up.ts): it runs its rounds with every
// integrity stack, in memory only, and stops at the first turn of the event loop after a job arrived.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import type { BackgroundWorkerSettings } from './background-worker-protocol.ts'
import { warmUpJit, warmUpSettings, type JitWarmUpPlan } from './jit-warm-up.ts'
import { TEST_ENCRYPTION } from './worker-test-support.ts'

const SETTINGS: BackgroundWorkerSettings = { blockSizeBytes: 4096, blockRestartInterval: 16, bloomBitsPerKey: 10, integrity: undefined }
/** Small rounds: the tests prove behaviour, the plan's size is the benchmark's business. */
const PLAN: JitWarmUpPlan = { roundCount: 3, entryCountPerLogMin: 50, entryCountPerLogMax: 100 }

describe('warmUpJit()', () => {
  test('runs every round of the plan and reports each one', async () => {
    const reported: number[] = []
    const roundCount = await warmUpJit(SETTINGS, { stopRequested: () => false, roundDone: (count) => reported.push(count) }, PLAN)
    assert.equal(roundCount, 3)
    assert.deepEqual(reported, [1, 2, 3])
  })

  test('writes no file: its directory exists only in its own MemVfs', async () => {
    await warmUpJit(SETTINGS, { stopRequested: () => false }, PLAN)
    assert.equal(fs.existsSync('/jit-warm-up'), false)
  })

  for (const [name, integrity] of [
    ['zstd, per-KV checksums', { compression: { kind: 'zstd', level: 3 }, perKeyChecksums: true }],
    ['encryption (a throwaway key)', { encryption: TEST_ENCRYPTION }],
    ['Reed-Solomon ECC and XChaCha20-Poly1305', { ecc: { kind: 'reed-solomon', dataShards: 4, parityShards: 2 }, encryption: { ...TEST_ENCRYPTION, suite: 'xchacha20-poly1305' } }],
  ] as [string, BackgroundWorkerSettings['integrity']][]) {
    test(`completes with the store's integrity stack (${name})`, async () => {
      assert.equal(await warmUpJit({ ...SETTINGS, integrity }, { stopRequested: () => false }, PLAN), PLAN.roundCount)
    })
  }

  test("warmUpSettings() seals with a fresh key of the store's suite and epoch, never the store's", () => {
    const store: BackgroundWorkerSettings = { ...SETTINGS, integrity: { encryption: TEST_ENCRYPTION, perKeyChecksums: true } }
    const first = warmUpSettings(store).integrity!
    const second = warmUpSettings(store).integrity!
    assert.equal(first.perKeyChecksums, true)
    assert.equal(first.encryption!.suite, TEST_ENCRYPTION.suite)
    assert.equal(first.encryption!.activeEpoch, TEST_ENCRYPTION.activeEpoch)
    assert.deepEqual(first.encryption!.keys.map((k) => k.epoch), [TEST_ENCRYPTION.activeEpoch])
    assert.notDeepEqual(Buffer.from(first.encryption!.keys[0].key), Buffer.from(TEST_ENCRYPTION.keys[0].key))
    assert.notDeepEqual(Buffer.from(first.encryption!.keys[0].key), Buffer.from(second.encryption!.keys[0].key))
    assert.equal(store.integrity!.encryption, TEST_ENCRYPTION, "the store's settings are left alone")
    assert.deepEqual(warmUpSettings(SETTINGS), SETTINGS, 'nothing to swap without encryption')
  })

  test('warmUpSettings() of settings already swapped (the thread gets them so, and swaps again) keeps their shape and draws another throwaway key', () => {
    const store: BackgroundWorkerSettings = { ...SETTINGS, blockSizeBytes: 1024 * 1024, integrity: { encryption: TEST_ENCRYPTION, compression: { kind: 'zstd', level: 19 } } }
    const crossed = warmUpSettings(store)
    const again = warmUpSettings(crossed)
    assert.deepEqual({ ...again, integrity: { ...again.integrity, encryption: undefined } }, { ...crossed, integrity: { ...crossed.integrity, encryption: undefined } })
    assert.equal(again.integrity!.encryption!.suite, TEST_ENCRYPTION.suite)
    for (const key of [TEST_ENCRYPTION.keys[0].key, crossed.integrity!.encryption!.keys[0].key]) {
      assert.notDeepEqual(Buffer.from(again.integrity!.encryption!.keys[0].key), Buffer.from(key))
    }
  })

  test('warmUpSettings() caps zstd levels at 3 and blocks at 64 KiB, leaving the rest as the store has them', () => {
    const store: BackgroundWorkerSettings = {
      ...SETTINGS,
      blockSizeBytes: 4 * 1024 * 1024,
      integrity: { compression: { kind: 'zstd', level: 22, perLevel: [{ kind: 'none' }, { kind: 'zstd', level: 19 }, null], perBlockKind: { index: { kind: 'zstd', level: 2 }, blob: { kind: 'zstd', level: 12 } } }, perKeyChecksums: true },
    }
    const capped = warmUpSettings(store)
    assert.equal(capped.blockSizeBytes, 64 * 1024)
    assert.deepEqual(capped.integrity, {
      compression: { kind: 'zstd', level: 3, perLevel: [{ kind: 'none' }, { kind: 'zstd', level: 3 }, null], perBlockKind: { index: { kind: 'zstd', level: 2 }, blob: { kind: 'zstd', level: 3 } } },
      encryption: undefined,
      perKeyChecksums: true,
    })
    assert.equal(store.blockSizeBytes, 4 * 1024 * 1024, "the store's settings are left alone")
  })

  test('stops at the first turn after stopRequested turns true', async () => {
    let jobArrived = false
    let askedCount = 0
    const stopRequested = (): boolean => {
      askedCount++
      return jobArrived
    }
    // A job arrives during round 2: the warm-up ends there, the round unfinished.
    const roundCount = await warmUpJit(SETTINGS, { stopRequested, roundDone: (count) => (jobArrived = count === 1) }, PLAN)
    assert.equal(roundCount, 1)
    // Three turns per round (before each log and before the compaction): round 2 stopped at its first.
    assert.equal(askedCount, 4)
    assert.equal(await warmUpJit(SETTINGS, { stopRequested: () => true }, PLAN), 0)
  })

  test('stops between the steps of a round (after a log, before the next one)', async () => {
    let askedCount = 0
    const reported: number[] = []
    const roundCount = await warmUpJit(SETTINGS, { stopRequested: () => ++askedCount === 2, roundDone: (count) => reported.push(count) }, PLAN)
    assert.equal(roundCount, 0)
    assert.equal(askedCount, 2)
    assert.deepEqual(reported, [])
  })
})
