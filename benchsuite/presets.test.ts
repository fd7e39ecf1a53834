// Goal: the preset table never claims a protection the store it configures does not have.
// Method: open a real store with each preset's strataOptions (plain and with KV separation, on
// MemVfs), write, reopen, and compare what stats() reports with the preset's `protections`.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { open } from '../index.ts'
import { MemVfs } from '../engine/vfs/mod.ts'
import { PRESET_NAMES, PRESETS, resolvePreset } from './presets.ts'

describe('presets', () => {
  for (const name of PRESET_NAMES) {
    for (const kvSeparation of [undefined, { minBlobSize: 1024 }]) {
      test(`${name}${kvSeparation ? ' with KV separation' : ''}: open() accepts the options and stats() shows the protections the table names`, async () => {
        const preset = PRESETS[name]
        const vfs = new MemVfs()
        const options = { ...preset.strataOptions, vfs, ...(kvSeparation ? { kvSeparation } : {}) }
        let db = await open('/db', options)
        await db.put('small', 'value')
        await db.put('large', Buffer.alloc(4096, 7))
        await db.flush()
        await db.close()
        db = await open('/db', options)
        try {
          assert.equal((await db.get('small'))?.toString(), 'value')
          assert.deepEqual(await db.get('large'), Buffer.alloc(4096, 7))
          const { integrity, manifestRecovery } = db.stats()
          const p = preset.protections
          assert.equal(integrity.perKeyChecksums, p.perKeyChecksums === true, 'per-KV checksums')
          // Hardened manifests are format 3, or 4 when also sealed (docs/formats/manifest.md).
          assert.equal([3, 4].includes(manifestRecovery?.formatVersion ?? 0), p.manifestHardening === true, 'manifest hardening')
          assert.equal(integrity.encryption?.suite ?? 'off', p.encryption === 'aes-256-gcm' ? 'aes-256-gcm' : 'off', 'encryption')
          assert.equal(integrity.ecc !== 'none', p.ecc.startsWith('reed-solomon'), `ecc ${integrity.ecc}`)
        } finally {
          await db.close()
        }
      })
    }
  }

  test('resolvePreset: the flag wins over LSM_BENCH_PRESET; unknown names are INVALID_ARGUMENT naming the source', () => {
    assert.equal(resolvePreset(undefined, {}).name, 'rocksdb-parity')
    assert.equal(resolvePreset(undefined, { LSM_BENCH_PRESET: 'lsm-paranoid' }).name, 'lsm-paranoid')
    assert.equal(resolvePreset('lsm-default', { LSM_BENCH_PRESET: 'lsm-paranoid' }).name, 'lsm-default')
    assert.throws(() => resolvePreset('fast', {}), { code: 'INVALID_ARGUMENT', message: /--preset/ })
    assert.throws(() => resolvePreset(undefined, { LSM_BENCH_PRESET: 'fast' }), { code: 'INVALID_ARGUMENT', message: /LSM_BENCH_PRESET/ })
  })
})
