import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { resolveOptions } from './options.ts'
import { MemVfs } from './vfs/mem-vfs.ts'

describe('resolveOptions()', () => {
  test('applies the documented defaults', () => {
    const resolved = resolveOptions({}, () => new MemVfs())
    assert.equal(resolved.memtableSizeBytes, 32 * 1024 * 1024)
    assert.equal(resolved.blockCacheSizeBytes, 16 * 1024 * 1024)
    assert.equal(resolved.bloomBitsPerKey, 10)
  })
  test('rejects an unknown option name with INVALID_ARGUMENT naming it', () => {
    assert.throws(() => resolveOptions({ ecc: { scheme: 'off' } } as never, () => new MemVfs()), (error: { code?: string; message?: string }) => {
      return error.code === 'INVALID_ARGUMENT' && /unknown option ecc/.test(error.message ?? '')
    })
  })
  test('rejects a non-object and an array', () => {
    assert.throws(() => resolveOptions('fast' as never, () => new MemVfs()), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => resolveOptions([] as never, () => new MemVfs()), { code: 'INVALID_ARGUMENT' })
  })
})
