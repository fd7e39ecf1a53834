import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { keyWindowOf, keyWindowOfBytes, SortedKeyWindows } from './key-windows.ts'
import { Prng, seedFromEnv } from './test-support.ts'

/** Index of the first key >= key (> key when strict): the model lowerBound. */
function modelLowerBound(keys: readonly string[], key: string, strict: boolean): number {
  const index = keys.findIndex((candidate) => (strict ? candidate > key : candidate >= key))
  return index === -1 ? keys.length : index
}

describe('key windows', () => {
  const seed = seedFromEnv()

  test('a key\'s window from its string and from its bytes agree, zero-padded past its end', () => {
    for (const key of ['', 'a', 'ab\u0000', 'abcdefgh', '\u00ff\u00ff\u00ff\u00ff\u00ff']) {
      const bytes = Buffer.from(key, 'latin1')
      for (const start of [0, 1, 3, 6]) assert.equal(keyWindowOfBytes(bytes, 0, bytes.length, start), keyWindowOf(key, start), `${JSON.stringify(key)} @${start}`)
    }
    assert.equal(keyWindowOf('ab', 0), 0x61620000)
    assert.equal(keyWindowOf('\u00ff\u00ff\u00ff\u00ff', 0), 0xffffffff)
  })

  test(`lowerBound matches the model over keys whose windows tie, pad and share prefixes (seed ${seed})`, () => {
    const prng = new Prng(seed + 5)
    for (const [count, prefix] of [[0, ''], [1, 'k'], [7, ''], [200, 'pre'], [200, '\u0000\u0000\u0000\u0000']] as const) {
      const set = new Set<string>()
      while (set.size < count) set.add(prefix + prng.key(9, '\u0000a\u00ff'))
      const keys = [...set].sort()
      const windows = new SortedKeyWindows(keys)
      const probes = new Set<string>(['', 'a', 'q', '\u00ff', prefix, prefix.slice(0, -1), prefix + '\u0000'])
      for (const key of keys) for (const probe of [key, key + '\u0000', key.slice(0, -1), key.slice(0, -1) + 'b', key + '\u00ff']) probes.add(probe)
      for (const probe of probes) {
        for (const strict of [false, true]) {
          assert.equal(windows.lowerBound(probe, strict), modelLowerBound(keys, probe, strict), `count ${count} probe ${JSON.stringify(probe)} strict=${strict} seed=${seed}`)
        }
      }
    }
  })

  test(`lowerBound matches the model where a long run of windows ties (seed ${seed})`, () => {
    // Half the keys share their first 4 bytes (one window for all of them), so a search lands in
    // a tie run of ~100 and must compare keys there; the other half have distinct windows.
    const prng = new Prng(seed + 6)
    const set = new Set<string>()
    while (set.size < 100) set.add('azzz' + prng.key(6, 'abc\u0000'))
    while (set.size < 200) set.add('b' + prng.key(8, '\u0000a\u00ff'))
    const keys = [...set].sort()
    const windows = new SortedKeyWindows(keys)
    const probes = new Set<string>(['', 'a', 'azzz', 'azzy\u00ff', 'azzz\u00ff', 'b', 'c'])
    for (const key of keys) for (const probe of [key, key + '\u0000', key.slice(0, -1)]) probes.add(probe)
    for (const probe of probes) {
      for (const strict of [false, true]) {
        assert.equal(windows.lowerBound(probe, strict), modelLowerBound(keys, probe, strict), `probe ${JSON.stringify(probe)} strict=${strict} seed=${seed}`)
      }
    }
  })
})
