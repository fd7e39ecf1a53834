import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'
import { KeyChain } from './key-chain.ts'

const keyA = new Uint8Array(32).fill(0xa1)
const keyB = new Uint8Array(32).fill(0xb2)
const keyHexes = [Buffer.from(keyA).toString('hex'), Buffer.from(keyB).toString('hex')]

function assertNoKeyIn(text: string): void {
  for (const hex of keyHexes) assert.ok(!text.includes(hex), 'key hex leaked')
  assert.ok(!text.includes('161, 161, 161'), 'key bytes leaked')
  assert.ok(!text.includes(Buffer.from(keyA).toString('base64')), 'key base64 leaked')
}

describe('KeyChain', () => {
  const chain = new KeyChain({ keys: [{ epoch: 1, key: keyA }, { epoch: 2, key: keyB }, { epoch: 3 }], activeEpoch: 2, retiredEpochs: [0] })

  test('keyFor() returns the key of each keyed epoch, a copy of what the caller gave', () => {
    assert.deepEqual(chain.keyFor(1), keyA)
    assert.deepEqual(chain.keyFor(2), keyB)
    assert.notEqual(chain.keyFor(1), keyA)
    assert.equal(chain.activeEpoch, 2)
  })

  test('keyFor() throws UNKNOWN_KEY_EPOCH for an epoch the chain never heard of', () => {
    assert.throws(() => chain.keyFor(9), { code: 'UNKNOWN_KEY_EPOCH' })
  })

  test('keyFor() throws MISSING_KEY for a retired epoch and for an epoch listed without a key', () => {
    assert.throws(() => chain.keyFor(0), { code: 'MISSING_KEY' })
    assert.throws(() => chain.keyFor(3), { code: 'MISSING_KEY' })
  })

  test('constructor rejects bad keys and epochs without printing key bytes', () => {
    const cases = [
      { keys: [{ epoch: 1, key: new Uint8Array(16).fill(0xa1) }], activeEpoch: 1 },
      { keys: [{ epoch: 1, key: keyA }, { epoch: 1, key: keyB }], activeEpoch: 1 },
      { keys: [{ epoch: -1, key: keyA }], activeEpoch: -1 },
      { keys: [{ epoch: 1, key: keyA }], activeEpoch: 2 },
      { keys: [{ epoch: 1, key: keyA }, { epoch: 2 }], activeEpoch: 2 },
      { keys: [{ epoch: 1, key: keyA }], activeEpoch: 1, retiredEpochs: [1] },
    ]
    for (const options of cases) {
      assert.throws(() => new KeyChain(options), (error: Error & { code?: string; details?: unknown }) => {
        assert.equal(error.code, 'INVALID_ARGUMENT')
        assertNoKeyIn(error.message + JSON.stringify(error.details) + String(error))
        return true
      })
    }
  })

  test('toString(), JSON and util.inspect never show key material', () => {
    assertNoKeyIn(String(chain))
    assertNoKeyIn(JSON.stringify(chain))
    assertNoKeyIn(inspect(chain, { depth: 10, showHidden: true }))
    assertNoKeyIn(inspect({ nested: chain }, { depth: 10 }))
    assert.match(String(chain), /activeEpoch=2/)
  })
})
