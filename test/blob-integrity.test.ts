/**
 * Goal: blob frames go through the same integrity stack as table blocks: with `integrity`
 * (zstd + encryption), no separated value reaches a blob file in plaintext, values read back
 * across reopen and GC relocation (frames copied verbatim keep their origin file in the AAD),
 * a wrong key is DECRYPT_FAILED and opening without the stack fails loudly, never with wrong data.
 * Method: MemVfs; values with a recognisable 64-byte marker; scan the raw blob file bytes.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import { BlobDb, MemVfs } from '../index.ts'
import type { IntegrityOptions } from '../engine/integrity-options.ts'

const MARKER = Buffer.from('PLAINTEXT-MARKER-'.repeat(4), 'latin1')
const KEY_COUNT = 40
const keyOf = (index: number): string => `key${String(index).padStart(3, '0')}`
/** The marker, then about 3 KiB of hex digits (zstd halves them: real but imperfect compression). */
function valueOf(round: number, index: number): Buffer {
  const parts = [MARKER]
  for (let part = 0; part < 47; part++) parts.push(Buffer.from(createHash('sha256').update(`r${round}k${index}p${part}`).digest('hex'), 'latin1'))
  return Buffer.concat(parts)
}
function integrityWith(key: number): IntegrityOptions {
  return {
    compression: { kind: 'zstd', level: 3 },
    encryption: { suite: 'aes-256-gcm', keys: [{ epoch: 1, key: new Uint8Array(32).fill(key) }], activeEpoch: 1 },
  }
}
const kv = { minBlobSize: 512, blobFileSizeBytesTarget: 32 * 1024, gcOnCompact: false }

function blobBytes(vfs: MemVfs, directory: string): Buffer[] {
  return vfs
    .list(directory)
    .filter((name) => name.endsWith('.blob'))
    .map((name) => {
      const file = vfs.openRead(`${directory}/${name}`)
      const bytes = Buffer.alloc(file.sizeBytes())
      file.read(bytes, 0)
      file.close()
      return bytes
    })
}

describe('blob files under the integrity stack', () => {
  test('zstd + AES-GCM: no plaintext in blob files; reads survive reopen and relocation', async () => {
    const vfs = new MemVfs()
    const open = (key = 7, integrity: IntegrityOptions | undefined = integrityWith(key)): Promise<BlobDb> => BlobDb.open('/enc', { vfs, integrity }, kv)
    let db = await open()
    for (let index = 0; index < KEY_COUNT; index++) await db.put(keyOf(index), valueOf(0, index))
    for (let index = 0; index < KEY_COUNT; index += 2) await db.put(keyOf(index), valueOf(1, index))
    await db.compact()
    const report = await db.gc()
    assert.ok(report.relocatedFileNumbers.length > 0, 'GC relocated encrypted frames')
    await db.close()
    const files = blobBytes(vfs, '/enc')
    assert.ok(files.length > 0)
    for (const bytes of files) assert.equal(bytes.indexOf(MARKER), -1, 'a separated value reached a blob file in plaintext')
    const totalBytes = files.reduce((sum, bytes) => sum + bytes.length, 0)
    assert.ok(totalBytes < KEY_COUNT * 1.5 * 3000 * 0.75, `zstd compressed the blob files (${totalBytes} bytes)`)
    db = await open()
    for (let index = 0; index < KEY_COUNT; index++) assert.deepEqual(await db.get(keyOf(index)), valueOf(index % 2 === 0 ? 1 : 0, index), keyOf(index))
    assert.equal((await db.verify()).ok, true)
    await db.close()
    // A wrong key: the engine refuses its own tables first or the blob read fails; never data.
    await assert.rejects(
      (async () => {
        const wrong = await open(9)
        try {
          await wrong.get(keyOf(1))
        } finally {
          await wrong.close()
        }
      })(),
      { code: 'DECRYPT_FAILED' },
    )
  })

  test('an encrypted store with KV separation does not open without its key chain (WAL and manifest are sealed too)', async () => {
    const vfs = new MemVfs()
    const db = await BlobDb.open('/enc2', { vfs, integrity: integrityWith(3) }, kv)
    await db.put('k', valueOf(0, 0), { sync: true })
    await db.close()
    // The manifest and the WAL are sealed too: without the key chain the store does not open.
    await assert.rejects(BlobDb.open('/enc2', { vfs }, kv), { code: 'UNKNOWN_KEY_EPOCH' })
  })
})
