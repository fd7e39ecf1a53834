import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { StrataError } from '../index.ts'
import { damagedStoreValue, openDamagedStore, openTooLargeStore } from './test-support.ts'

const C_BIG_HEX = Buffer.from('c-big').toString('hex')
const KEY3_HEX = Buffer.from('key3').toString('hex')

/** The StrataError behind a level rejection: the error itself, or the cause of a LEVEL_* one. */
function strataErrorOf(error: unknown): StrataError {
  const strata = error instanceof StrataError ? error : (error as { cause?: unknown }).cause
  assert.ok(strata instanceof StrataError, String(error))
  return strata
}

function isTooLarge(error: unknown): true {
  const strata = strataErrorOf(error)
  assert.equal(strata.code, 'VALUE_TOO_LARGE')
  assert.equal(strata.details.keyHex, C_BIG_HEX)
  return true
}

function isDamagedKey3(error: unknown): true {
  assert.equal((error as { code?: string }).code, 'LEVEL_CORRUPTION')
  const strata = strataErrorOf(error)
  assert.equal(strata.code, 'CHECKSUM_MISMATCH')
  assert.equal(strata.details.keyHex, KEY3_HEX)
  return true
}

describe('StrataLevelIterator when a value fails to read', () => {
  test('nextv() returns the entries read before it, rejects on the next call, then goes on after it', async () => {
    const db = await openTooLargeStore()
    const iterator = db.iterator()
    assert.deepEqual(await iterator.nextv(10), [['a', 'A'], ['b', 'B']])
    await assert.rejects(iterator.nextv(10), isTooLarge)
    assert.deepEqual(await iterator.nextv(10), [['d', 'D'], ['e', 'E']])
    assert.deepEqual(await iterator.nextv(10), [])
    await iterator.close()
    await db.close()
  })

  test('next() rejects for the failing entry only', async () => {
    const db = await openTooLargeStore()
    const iterator = db.iterator()
    assert.deepEqual(await iterator.next(), ['a', 'A'])
    assert.deepEqual(await iterator.next(), ['b', 'B'])
    await assert.rejects(iterator.next(), isTooLarge)
    assert.deepEqual(await iterator.next(), ['d', 'D'])
    await iterator.close()
    await db.close()
  })

  test('values() defers the error past the values read before it', async () => {
    const db = await openTooLargeStore()
    const iterator = db.values({ reverse: true })
    assert.deepEqual(await iterator.nextv(10), ['E', 'D'])
    await assert.rejects(iterator.nextv(10), isTooLarge)
    assert.deepEqual(await iterator.nextv(10), ['B', 'A'])
    await iterator.close()
    await db.close()
  })

  test('all() rejects as a whole, also when a nextv() deferred the error', async () => {
    const db = await openTooLargeStore()
    await assert.rejects(db.iterator().all(), isTooLarge)
    const iterator = db.iterator()
    assert.deepEqual(await iterator.nextv(10), [['a', 'A'], ['b', 'B']])
    await assert.rejects(iterator.all(), isTooLarge)
    await db.close()
  })

  test('seek() drops a deferred error: the caller no longer reads that entry', async () => {
    const db = await openTooLargeStore()
    const iterator = db.iterator()
    assert.deepEqual(await iterator.nextv(10), [['a', 'A'], ['b', 'B']])
    iterator.seek('d')
    assert.deepEqual(await iterator.nextv(10), [['d', 'D'], ['e', 'E']])
    iterator.seek('c-big')
    await assert.rejects(iterator.next(), isTooLarge, 'seeking back to the key retries its read')
    await iterator.close()
    await db.close()
  })

  test('iterator({ values: false }) and keys() read no value', async () => {
    const db = await openTooLargeStore()
    assert.deepEqual(await db.iterator({ values: false }).all(), [['a', undefined], ['b', undefined], ['c-big', undefined], ['d', undefined], ['e', undefined]])
    assert.deepEqual(await db.keys().all(), ['a', 'b', 'c-big', 'd', 'e'])
    await db.close()
  })

  test('a salvage loop over nextv() reads every value but the damaged one and learns its key', async () => {
    const db = await openDamagedStore()
    const iterator = db.iterator()
    const read: [string, string][] = []
    const failed: unknown[] = []
    for (let callCount = 0; callCount < 100; callCount++) {
      let entries: [string, string][]
      try {
        entries = await iterator.nextv(4)
      } catch (error) {
        failed.push(error)
        continue
      }
      if (entries.length === 0) break
      read.push(...entries)
    }
    await iterator.close()
    assert.equal(failed.length, 1)
    isDamagedKey3(failed[0])
    const expected = Array.from({ length: 10 }, (_, index): [string, string] => [`key${index}`, damagedStoreValue(index)])
    assert.deepEqual(read, expected.filter(([key]) => key !== 'key3'))
    await db.close()
  })
})
