// Goal: one damaged frame in a blob file a crash left unfinished (no footer) costs only its own
// value, as in a sealed file: the read of that key fails typed, every later synced write stays.
// Before 2026-11-26 (found by review) the open treated the first frame that did not verify as
// a torn tail: it cut the file there, taking the intact frames after it (whose handles a table
// held), or WAL replay stopped at that record and dropped it and every later synced write in
// silence. A frame that fails with a verified frame after it was made durable by the same sync
// (blobtree/blob-file/scan.ts verifiedExtentOf); only bytes after the last verified frame are
// the torn tail.
// Method: ten synced puts, a crash before close (the file stays unfinished), one byte of the
// third value's body flipped (past the 32 bytes the frame checksum covers), or of its key (the
// frame checksum fails, so its length cannot be trusted), reopen.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs } from '../index.ts'
import { readFile, writeFile } from '../engine/vfs/test-support.ts'

const OPTIONS = { minBlobSize: 16, gcOnCompact: false }
const VALUE_COUNT = 10
const DAMAGED = 2
const valueOf = (i: number): string => `value-${i}-`.padEnd(200, String.fromCharCode(97 + i))

/** Where the flipped byte goes, from the start of DAMAGED's value: its body, or its key. */
const BODY_BYTE = 50
/** Frame layout: 40-byte header, the 2-byte key, a 24-byte envelope header, then the value. */
const KEY_BYTE = -25

/** Ten synced puts (flushed to a table when `flush`), then a crash image with one flipped byte in DAMAGED's frame. */
async function damagedUnfinishedFile(flush: boolean, byteFromValue = BODY_BYTE): Promise<MemVfs> {
  const vfs = new MemVfs()
  const db = await BlobDb.open('/db', { vfs }, OPTIONS)
  for (let i = 0; i < VALUE_COUNT; i++) await db.put(`k${i}`, valueOf(i), { sync: true })
  if (flush) await db.flush()
  const crashed = vfs.crash()
  await db.close()
  const blobPath = `/db/${crashed.list('/db').find((name) => name.endsWith('.blob'))}`
  const bytes = readFile(crashed, blobPath)
  const at = Buffer.from(bytes).indexOf(valueOf(DAMAGED))
  assert.ok(at > 0, 'the value is stored as is (no compression)')
  bytes[at + byteFromValue] ^= 0xff
  writeFile(crashed, blobPath, bytes)
  return crashed
}

async function assertOnlyTheDamagedValueFails(vfs: MemVfs): Promise<void> {
  const db = await BlobDb.open('/db', { vfs }, OPTIONS)
  try {
    for (let i = 0; i < VALUE_COUNT; i++) {
      if (i === DAMAGED) await assert.rejects(db.get(`k${i}`), { code: 'CHECKSUM_MISMATCH' })
      else assert.equal((await db.get(`k${i}`))?.toString(), valueOf(i), `k${i}: intact and synced`)
    }
    await db.put('after', 'writes go on')
  } finally {
    await db.close()
  }
  // Sealed at that open with the damaged frame inside: the next open reads the same.
  const again = await BlobDb.open('/db', { vfs }, OPTIONS)
  try {
    assert.equal((await again.get(`k${VALUE_COUNT - 1}`))?.toString(), valueOf(VALUE_COUNT - 1))
    await assert.rejects(again.get(`k${DAMAGED}`), { code: 'CHECKSUM_MISMATCH' })
  } finally {
    await again.close()
  }
}

describe('a damaged frame in a blob file a crash left unfinished', () => {
  test('handles in a table: the open does not cut the intact frames after it', async () => {
    await assertOnlyTheDamagedValueFails(await damagedUnfinishedFile(true))
  })

  test('handles still in the WAL: replay keeps the damaged record and every later one', async () => {
    await assertOnlyTheDamagedValueFails(await damagedUnfinishedFile(false))
  })

  test('its key damaged (its length untrusted): the next verified frame is found past it', async () => {
    await assertOnlyTheDamagedValueFails(await damagedUnfinishedFile(true, KEY_BYTE))
    await assertOnlyTheDamagedValueFails(await damagedUnfinishedFile(false, KEY_BYTE))
  })
})
