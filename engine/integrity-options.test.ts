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

describe('resolveIntegrity() compression overrides', () => {
  test('describes the default, then each override with its effective choice', () => {
    const { description } = resolveIntegrity({
      compression: {
        kind: 'zstd',
        perLevel: [{ kind: 'none' }, undefined, { kind: 'zstd', level: 1 }, null],
        perBlockKind: { index: { kind: 'none' }, blob: { kind: 'zstd', level: 19 }, filter: { kind: 'zstd' } },
      },
    }, ignoreRepair)
    assert.equal(description.compression, 'zstd level 3; level 0 none; level 2 zstd level 1; index none; filter zstd level 3; blob zstd level 19')
  })

  test('without overrides (absent, empty or all-undefined) the description is the default alone', () => {
    for (const compression of [
      { kind: 'zstd', level: 5 },
      { kind: 'zstd', level: 5, perLevel: [] },
      { kind: 'zstd', level: 5, perLevel: [undefined, null], perBlockKind: {} },
    ] as IntegrityOptions['compression'][]) {
      assert.equal(resolveIntegrity({ compression }, ignoreRepair).description.compression, 'zstd level 5', JSON.stringify(compression))
    }
    assert.equal(resolveIntegrity({ compression: { kind: 'none', perLevel: [undefined, { kind: 'zstd' }] } }, ignoreRepair).description.compression, 'none; level 1 zstd level 3')
  })

  test('throws INVALID_ARGUMENT naming the field of a bad override', () => {
    const cases: [unknown, string][] = [
      [{ kind: 'zstd', perLevel: { 0: { kind: 'none' } } }, 'integrity.compression.perLevel'],
      [{ kind: 'zstd', perLevel: new Array(8).fill(undefined) }, 'integrity.compression.perLevel'],
      [{ kind: 'zstd', perLevel: ['none'] }, 'integrity.compression.perLevel[0]'],
      [{ kind: 'zstd', perLevel: [undefined, { kind: 'lz4' }] }, 'integrity.compression.perLevel[1].kind'],
      [{ kind: 'none', perLevel: [undefined, undefined, { kind: 'zstd', level: 0 }] }, 'integrity.compression.perLevel[2].level'],
      [{ kind: 'zstd', perLevel: [{ kind: 'zstd', level: 2.5 }] }, 'integrity.compression.perLevel[0].level'],
      [{ kind: 'zstd', perLevel: [{ kind: 'none', level: 3 }] }, 'integrity.compression.perLevel[0].level'],
      [{ kind: 'zstd', perBlockKind: [] }, 'integrity.compression.perBlockKind'],
      [{ kind: 'zstd', perBlockKind: { manifest: { kind: 'none' } } }, 'integrity.compression.perBlockKind.manifest'],
      [{ kind: 'zstd', perBlockKind: { index: { kind: 'zstd', level: 23 } } }, 'integrity.compression.perBlockKind.index.level'],
      [{ kind: 'zstd', perBlockKind: { blob: { kind: 'zstd', dictionary: { id: 1, bytes: new Uint8Array(8) } } } }, 'integrity.compression.perBlockKind.blob.dictionary'],
      [{ kind: 'zstd', perBlockKind: { data: null } }, 'integrity.compression.perBlockKind.data'],
    ]
    for (const [compression, option] of cases) {
      assert.throws(() => resolveIntegrity({ compression } as unknown as IntegrityOptions, ignoreRepair), (error: any) => {
        assert.equal(error.code, 'INVALID_ARGUMENT', JSON.stringify(compression))
        assert.equal(error.details.option, option, JSON.stringify(compression))
        return true
      })
    }
  })
})
