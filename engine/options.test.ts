import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { integrityCodecOf, resolveOptions } from './options.ts'
import { IntegrityMonitor } from './scrub/mod.ts'
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

describe('integrityCodecOf()', () => {
  test('builds no codec and leaves the monitor at its defaults without integrity options', () => {
    const monitor = new IntegrityMonitor()
    assert.equal(integrityCodecOf(undefined, monitor, () => undefined), undefined)
    assert.deepEqual(monitor.description, { compression: 'none', encryption: undefined, ecc: 'none' })
    assert.equal(monitor.autoHeal, false)
  })
  test('builds the codec and records the description and auto-heal switch open() records', () => {
    const integrity = { compression: { kind: 'zstd' as const }, ecc: 'sec-ded' as const, autoHeal: true, perKeyChecksums: true }
    const monitor = new IntegrityMonitor()
    assert.notEqual(integrityCodecOf(integrity, monitor, () => undefined), undefined)
    assert.deepEqual(monitor.description, { compression: 'zstd level 3', encryption: undefined, ecc: 'sec-ded', perKeyChecksums: true })
    // open() records the same description: resolveOptions builds its codec through integrityCodecOf too.
    assert.deepEqual(resolveOptions({ integrity }, () => new MemVfs()).integrity.description, monitor.description)
    assert.equal(monitor.autoHeal, true)
  })
  test('throws INVALID_ARGUMENT naming a wrong integrity field', () => {
    assert.throws(() => integrityCodecOf({ ecc: 'hamming' } as never, new IntegrityMonitor(), () => undefined), { code: 'INVALID_ARGUMENT' })
  })
})
