// The encrypted WAL through the Db: integrity.encryption seals every log the DB writes (the
// first and each one after a memtable switch), recovery opens them, a power loss keeps every
// acknowledged sync write, the key errors surface at open, and plaintext logs written before
// WAL encryption still replay. Runs on MemVfs; everything random flows from a seed.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import path from 'node:path'
import { Db } from '../db.ts'
import { MemVfs, type Vfs } from '../vfs/mod.ts'
import { mulberry32Float } from '../mulberry32.ts'
import type { IntegrityOptions } from '../integrity-options.ts'

const SEED = Number(process.env.STRATA_SEED ?? 20261126)
const DIRECTORY = '/db'
const KEY_1 = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const KEY_2 = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)

function encryption(key: Uint8Array, epoch = 1): IntegrityOptions {
  return { encryption: { suite: 'aes-256-gcm', keys: [{ epoch, key }], activeEpoch: epoch } }
}

function walBytes(vfs: Vfs): Uint8Array[] {
  return vfs.list(DIRECTORY).filter((name) => name.endsWith('.wal')).map((name) => {
    const file = vfs.openRead(path.join(DIRECTORY, name))
    const bytes = new Uint8Array(file.sizeBytes())
    file.read(bytes, 0)
    file.close()
    return bytes
  })
}

describe('Db with an encrypted WAL', () => {
  test('unflushed keys and values never reach a log in the clear, and replay after a power loss', async () => {
    for (const integrity of [undefined, encryption(KEY_1)]) {
      const vfs = new MemVfs()
      const db = await Db.open(DIRECTORY, { vfs, integrity, memtableSizeBytes: 4096 })
      // Enough writes to switch memtables: the log after the switch must be sealed too.
      for (let i = 0; i < 60; i++) await db.put(`user-key-${i}`, `secret-value-${i}-${'v'.repeat(80)}`, { sync: i % 7 === 0 })
      await db.put('last-key', 'last-secret', { sync: true })
      const crashed = vfs.crash()
      const logs = walBytes(crashed)
      assert.ok(logs.length >= 1)
      const text = Buffer.concat(logs)
      const leaked = text.includes(Buffer.from('last-key')) || text.includes(Buffer.from('secret-value-'))
      assert.equal(leaked, integrity === undefined, integrity === undefined ? 'the check can see plaintext' : 'plaintext in an encrypted log')
      // The first log after an open is version 2; one made at a switch is 6 (2 with a link).
      if (integrity !== undefined) for (const log of logs) assert.ok(log[4] === 2 || log[4] === 6, 'every log is encrypted')
      const reopened = await Db.open(DIRECTORY, { vfs: crashed, integrity })
      assert.equal((await reopened.get('last-key'))?.toString(), 'last-secret')
      assert.ok(reopened.stats().recovery.batchesReplayed > 0, 'the value came from WAL replay')
      await reopened.close()
      await db.close().catch(() => undefined)
    }
  })

  test('a power loss keeps every acknowledged sync write; every log of every reopen has its own salt', async (t) => {
    t.diagnostic(`seed=${SEED}`)
    const random = mulberry32Float(SEED)
    let vfs = new MemVfs()
    const integrity = encryption(KEY_1)
    const acknowledged = new Map<string, string>()
    const saltByLog = new Map<string, string>()
    for (let round = 0; round < 6; round++) {
      const db = await Db.open(DIRECTORY, { vfs, integrity, memtableSizeBytes: 4096 })
      for (const [key, value] of acknowledged) assert.equal((await db.get(key))?.toString(), value, `seed=${SEED} round=${round} lost ${key}`)
      const writeCount = 20 + Math.floor(random() * 40)
      for (let i = 0; i < writeCount; i++) {
        const key = `k${round}-${i}`
        const value = `v${round}-${i}-${'x'.repeat(Math.floor(random() * 200))}`
        const sync = random() < 0.3
        await db.put(key, value, { sync })
        if (sync) acknowledged.set(key, value)
      }
      vfs = vfs.crash()
      await db.close().catch(() => undefined)
      // Salts live at header bytes 20–35 (formats/wal.md §2.2); a log seen again keeps its salt.
      for (const log of walBytes(vfs)) {
        if (log.length < 56) continue // created but its header never synced
        const salt = Buffer.from(log.subarray(20, 36)).toString('hex')
        const logNumber = String(new DataView(log.buffer, log.byteOffset).getUint32(8, true))
        assert.equal(saltByLog.get(logNumber) ?? salt, salt)
        saltByLog.set(logNumber, salt)
      }
    }
    assert.ok(saltByLog.size >= 6, `at least one log per reopen, saw ${saltByLog.size}`)
    assert.equal(new Set(saltByLog.values()).size, saltByLog.size, 'no two logs share a salt (file key)')
  })

  test('wrong key, unknown epoch and no keys fail open with distinct typed errors', async () => {
    const vfs = new MemVfs()
    const db = await Db.open(DIRECTORY, { vfs, integrity: encryption(KEY_1) })
    await db.put('k', 'v', { sync: true })
    const crashed = vfs.crash()
    await db.close()
    const outcomes: string[] = []
    for (const integrity of [encryption(KEY_2), encryption(KEY_1, 2), undefined]) {
      await assert.rejects(Db.open(DIRECTORY, { vfs: crashed, integrity }), (error: Error & { code?: string }) => {
        outcomes.push(error.code ?? '')
        return true
      })
    }
    assert.deepEqual(outcomes, ['DECRYPT_FAILED', 'UNKNOWN_KEY_EPOCH', 'UNKNOWN_KEY_EPOCH'])
    const reopened = await Db.open(DIRECTORY, { vfs: crashed, integrity: encryption(KEY_1) })
    assert.equal((await reopened.get('k'))?.toString(), 'v', 'the failed opens changed nothing')
    await reopened.close()
  })

  test('a plaintext log written before WAL encryption replays when encryption is turned on', async () => {
    const vfs = new MemVfs()
    const db = await Db.open(DIRECTORY, { vfs })
    await db.put('old', 'plaintext-era', { sync: true })
    const crashed = vfs.crash()
    await db.close()
    const reopened = await Db.open(DIRECTORY, { vfs: crashed, integrity: encryption(KEY_1) })
    assert.equal((await reopened.get('old'))?.toString(), 'plaintext-era')
    await reopened.close()
  })
})
