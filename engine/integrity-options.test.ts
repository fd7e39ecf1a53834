// Tests of resolveIntegrity(): validation of the `integrity` option of open().
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { resolveIntegrity, type IntegrityOptions } from './integrity-options.ts'

const ignoreRepair = (): void => undefined

describe('resolveIntegrity() manifestHardening', () => {
  test('accepts true, false and absence', () => {
    for (const manifestHardening of [true, false, undefined]) {
      assert.doesNotThrow(() => resolveIntegrity({ manifestHardening }, ignoreRepair), String(manifestHardening))
    }
  })

  test('throws INVALID_ARGUMENT naming integrity.manifestHardening for a non-boolean', () => {
    for (const value of ['yes', 1, null, {}]) {
      assert.throws(() => resolveIntegrity({ manifestHardening: value } as unknown as IntegrityOptions, ignoreRepair), (error: any) => {
        assert.equal(error.code, 'INVALID_ARGUMENT', JSON.stringify(value))
        assert.equal(error.details.option, 'integrity.manifestHardening')
        return true
      })
    }
  })
})
