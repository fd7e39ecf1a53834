import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { RetentionFilter, stripeOf } from './retention.ts'

describe('stripeOf()', () => {
  test('places seqnos between snapshots', () => {
    assert.equal(stripeOf(1, [5, 10]), 0)
    assert.equal(stripeOf(5, [5, 10]), 0)
    assert.equal(stripeOf(6, [5, 10]), 1)
    assert.equal(stripeOf(11, [5, 10]), 2)
  })
})

describe('RetentionFilter.isShadowed()', () => {
  test('keeps only the newest version without snapshots', () => {
    const filter = new RetentionFilter([])
    assert.deepEqual([9, 7, 3].map((s) => filter.isShadowed('k', s)), [false, true, true])
    assert.equal(filter.isShadowed('l', 2), false)
  })
  test('keeps the newest version each snapshot sees', () => {
    // Snapshot at 5 sees version 4; latest sees version 9; version 3 is hidden from both.
    const filter = new RetentionFilter([5])
    assert.deepEqual([9, 7, 4, 3].map((s) => filter.isShadowed('k', s)), [false, true, false, true])
  })
})
