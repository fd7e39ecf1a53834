// Goal: the settle wait ends after the background work's CPU use stops (not before), and gives
// up with settled: false when it never stops. A fake clock: no real waiting, no timing asserts.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { SettleClock } from './settle.ts'
import { SETTLE_POLL_MS, SETTLE_QUIET_POLLS, SETTLE_WAIT_MS_MAX, settleBackgroundWork } from './settle.ts'

/** A process busy (one core) until `busyUntilMs`, then idle. */
function fakeClock(busyUntilMs: number): SettleClock {
  let nowMs = 0
  return {
    nowMs: () => nowMs,
    cpuUs: () => Math.min(nowMs, busyUntilMs) * 1000,
    sleep: async (ms) => { nowMs += ms },
  }
}

describe('settleBackgroundWork()', () => {
  test('waits until the CPU use has stopped for several polls', async () => {
    const outcome = await settleBackgroundWork(fakeClock(1000))
    assert.equal(outcome.settled, true)
    assert.equal(outcome.settleMs, 1000 + SETTLE_QUIET_POLLS * SETTLE_POLL_MS)
  })

  test('an idle process settles after the quiet polls alone', async () => {
    assert.deepEqual(await settleBackgroundWork(fakeClock(0)), { settleMs: SETTLE_QUIET_POLLS * SETTLE_POLL_MS, settled: true })
  })

  test('gives up at the cap when the work never stops', async () => {
    const outcome = await settleBackgroundWork(fakeClock(Number.POSITIVE_INFINITY))
    assert.deepEqual(outcome, { settleMs: SETTLE_WAIT_MS_MAX, settled: false })
  })
})
