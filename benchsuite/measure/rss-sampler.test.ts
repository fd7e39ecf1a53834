// Goal: the phase's peak RSS includes a spike inside synchronous code (where no timer can sample),
// and a peak from before the phase does not leak into it.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { RssSampler } from './rss-sampler.ts'

const SPIKE_BYTES = 96 * 1024 * 1024

function spike(): number {
  const buffer = Buffer.alloc(SPIKE_BYTES, 1) // touched: resident
  return buffer[SPIKE_BYTES - 1]
}

describe('RssSampler', () => {
  test('sees a synchronous spike, and a new phase starts from the current RSS', (t) => {
    const sampler = new RssSampler()
    sampler.start()
    if (!sampler.exact) {
      sampler.stop()
      t.skip('the kernel peak (/proc/self/clear_refs) is unavailable here; RSS is only sampled')
      return
    }
    const before = process.memoryUsage.rss()
    spike()
    const peak = sampler.stop()
    assert.ok(peak - before >= SPIKE_BYTES * 0.9, `peak ${peak} vs rss before ${before}`)
    // A new phase starts from the current RSS, not from the earlier spike's high-water mark.
    const quiet = new RssSampler()
    quiet.start()
    const quietPeak = quiet.stop()
    const slackBytes = 16 * 1024 * 1024
    assert.ok(quietPeak <= process.memoryUsage.rss() + slackBytes, `quiet phase peak ${quietPeak}, rss now ${process.memoryUsage.rss()}`)
  })
})
