// Sealed manifests through the Db (docs/encryption.md §8): with integrity.encryption no user
// key reaches a manifest (plaintext control), in both manifest formats; a store written before
// encryption converts at its first open with keys and its plaintext logs still replay; after
// that, a plaintext WAL or a plaintext successor manifest is refused (stripping); a checkpoint's
// manifest is sealed too. MemVfs; deterministic inputs.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import path from 'node:path'
import { Db } from '../db.ts'
import { MemVfs, type Vfs } from '../vfs/mod.ts'
import { StrataError } from '../errors.ts'
import type { IntegrityOptions } from '../integrity-options.ts'
import { CURRENT_FILE_NAME, manifestFileName } from './file-names.ts'
import { createManifestWriter } from './manifest-writer.ts'
import { encodeVersionEdit } from './edit-codec.ts'
import { writeCurrentFile } from './current-file.ts'
import { VersionSet } from './version-set.ts'
import { readBytes, writeBytes } from './test-support.ts'

const DIR = '/db'
const KEY = Uint8Array.from({ length: 32 }, (_, i) => 3 * i + 1)

function integrityOf(encrypted: boolean, manifestHardening: boolean): IntegrityOptions {
  return {
    manifestHardening,
    ...(encrypted ? { encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: KEY }], activeEpoch: 1 } } : {}),
  }
}

function manifestPathIn(vfs: Vfs, directory: string): string {
  return path.join(directory, Buffer.from(readBytes(vfs, path.join(directory, CURRENT_FILE_NAME))).toString('latin1').trim())
}

function walNames(vfs: Vfs, directory: string): string[] {
  return vfs.list(directory).filter((name) => name.endsWith('.wal')).sort()
}

/** A store holding flushed keys `table-key-*` and, unflushed in its WAL, `wal-key`. */
async function writeStore(vfs: Vfs, directory: string, integrity: IntegrityOptions): Promise<void> {
  const db = await Db.open(directory, { vfs, integrity, backgroundWork: false })
  for (let i = 0; i < 20; i++) await db.put(`table-key-${i}`, `value-${i}`)
  await db.flush()
  await db.put('wal-key', 'wal-value', { sync: true })
  await db.close()
}

function isStripped(error: unknown): true {
  assert.ok(error instanceof StrataError, String(error))
  assert.equal(error.code, 'DECRYPT_FAILED', error.message)
  return true
}

describe('Db with a sealed manifest', () => {
  for (const manifestHardening of [false, true]) {
    test(`no user key in the manifest, and a reopen reads everything (manifestHardening ${manifestHardening})`, async () => {
      for (const encrypted of [false, true]) {
        const vfs = new MemVfs()
        const integrity = integrityOf(encrypted, manifestHardening)
        await writeStore(vfs, DIR, integrity)
        const manifest = Buffer.from(readBytes(vfs, manifestPathIn(vfs, DIR)))
        const leaked = manifest.includes(Buffer.from('table-key-'))
        assert.equal(leaked, !encrypted, encrypted ? 'a user key in a sealed manifest' : 'the control sees the plaintext keys')
        if (encrypted) assert.equal(manifest[4], manifestHardening ? 4 : 2)
        const db = await Db.open(DIR, { vfs, integrity })
        assert.equal((await db.get('table-key-7'))?.toString(), 'value-7')
        assert.equal((await db.get('wal-key'))?.toString(), 'wal-value')
        assert.equal(db.stats().manifestRecovery?.encrypted, encrypted)
        await db.close()
      }
    })
  }

  test('a store written without keys converts at the first open with them; its plaintext WAL replays once', async () => {
    // Only logs: the table codec refuses plaintext tables once keys are configured (a
    // limitation of the block layer, outside the manifest), so the old store holds no table.
    const vfs = new MemVfs()
    const plain = await Db.open(DIR, { vfs, integrity: integrityOf(false, false) })
    await plain.put('wal-key', 'wal-value', { sync: true })
    await plain.close()
    const plaintextLog = readBytes(vfs, path.join(DIR, walNames(vfs, DIR).at(-1)!))
    assert.equal(plaintextLog[4], 1, 'the write sits in a plaintext log')
    assert.equal(readBytes(vfs, manifestPathIn(vfs, DIR))[4], 1)
    const integrity = integrityOf(true, false)
    const converted = await Db.open(DIR, { vfs, integrity })
    assert.equal((await converted.get('wal-key'))?.toString(), 'wal-value')
    assert.equal(converted.stats().manifestRecovery?.encrypted, false, 'the manifest read was the old plaintext one')
    await converted.put('after', 'conversion')
    await converted.close()
    assert.equal(readBytes(vfs, manifestPathIn(vfs, DIR))[4], 2, 'the manifest written at open is sealed')
    const again = await Db.open(DIR, { vfs, integrity })
    assert.equal((await again.get('wal-key'))?.toString(), 'wal-value')
    assert.equal((await again.get('after'))?.toString(), 'conversion')
    assert.equal(again.stats().manifestRecovery?.encrypted, true)
    await again.close()
  })

  test('stripping the WAL: a plaintext log in place of an encrypted store\'s log is refused', async () => {
    const plain = new MemVfs()
    await writeStore(plain, DIR, integrityOf(false, false))
    const forged = readBytes(plain, path.join(DIR, walNames(plain, DIR).at(-1)!))
    for (const manifestHardening of [false, true]) {
      const vfs = new MemVfs()
      const integrity = integrityOf(true, manifestHardening)
      await writeStore(vfs, DIR, integrity)
      const live = walNames(vfs, DIR).at(-1)!
      assert.ok([2, 6].includes(readBytes(vfs, path.join(DIR, live))[4]), 'the live log is encrypted (version 2, or 6 after a switch)')
      writeBytes(vfs, path.join(DIR, live), forged)
      await assert.rejects(Db.open(DIR, { vfs, integrity }), (error: unknown) => {
        isStripped(error)
        assert.match((error as StrataError).message, /not encrypted but encryption is required/)
        return true
      })
    }
  })

  test('stripping the manifest: a plaintext successor manifest is refused', async () => {
    for (const manifestHardening of [false, true]) {
      const vfs = new MemVfs()
      const integrity = integrityOf(true, manifestHardening)
      await writeStore(vfs, DIR, integrity)
      // The attacker's manifest: what the store holds, without the "encrypted" fact.
      const versions = await VersionSet.recover(vfs, DIR, { readOnly: true, cipher: undefined }).catch((error: unknown) => error)
      assert.ok(versions instanceof StrataError && versions.code === 'UNKNOWN_KEY_EPOCH', 'a sealed manifest needs the key')
      const successor = 90
      const writer = createManifestWriter(vfs, path.join(DIR, manifestFileName(successor)), successor, { hardened: manifestHardening })
      writer.add(encodeVersionEdit({ logNumber: 0, lastSeqno: 0, nextFileNumber: successor + 1 }))
      await writer.close()
      await writeCurrentFile(vfs, DIR, successor)
      await assert.rejects(Db.open(DIR, { vfs, integrity }), isStripped)
    }
  })

  test('a checkpoint of an encrypted store writes a sealed manifest that marks the copy encrypted', async () => {
    for (const manifestHardening of [false, true]) {
      const vfs = new MemVfs()
      const integrity = integrityOf(true, manifestHardening)
      const db = await Db.open(DIR, { vfs, integrity, backgroundWork: false })
      for (let i = 0; i < 20; i++) await db.put(`table-key-${i}`, `value-${i}`)
      await db.checkpoint('/copy')
      await db.close()
      const manifest = Buffer.from(readBytes(vfs, manifestPathIn(vfs, '/copy')))
      assert.equal(manifest[4], manifestHardening ? 4 : 2)
      assert.ok(!manifest.includes(Buffer.from('table-key-')), 'no user key in the copy\'s manifest')
      const copy = await Db.open('/copy', { vfs, integrity })
      assert.equal((await copy.get('table-key-11'))?.toString(), 'value-11')
      await copy.close()
      await assert.rejects(Db.open('/copy', { vfs }), (error: unknown) => error instanceof StrataError && error.code === 'UNKNOWN_KEY_EPOCH')
      const set = await VersionSet.recover(vfs, '/copy', { readOnly: true, cipher: undefined }).catch(() => undefined)
      assert.equal(set, undefined)
    }
  })
})
