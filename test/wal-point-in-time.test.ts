// Goal: `walRecovery: 'point-in-time'` opens a store whose WAL is damaged (where the default
// refuses with CORRUPTION) at the last consistent point: every write before the first damaged
// record, none after it, later logs included, and says where it stopped
// (`stats().recovery.walDamage`). A clean store recovers the same in every mode.
// Method: synced writes on MemVfs while the flush hangs on its table's fsync, so the logs are
// still needed at the power loss; MemVfs.crash() keeps the synced bytes; then one bit of a log
// is flipped (or a log removed).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import zlib from 'node:zlib'
import { open, MemVfs, type OpenOptions } from '../index.ts'
import { HookedVfs } from '../engine/wal/hooked-vfs.ts'
import { readFile } from '../engine/vfs/test-support.ts'
import { LINKED_LOG_FILE_HEADER_SIZE_BYTES, LOG_FILE_HEADER_SIZE_BYTES, RECORD_HEADER_SIZE_BYTES } from '../engine/wal/mod.ts'
import { encodeRecordHeader, recordChecksumSeed } from '../engine/wal/record.ts'
import { WRITE_COUNT, keyOf, presentPrefix as prefixOf, valueOf } from './support/wal-prefix.ts'

const DIRECTORY = '/db'

function walNames(vfs: MemVfs): string[] {
  return vfs.list(DIRECTORY).filter((name) => name.endsWith('.wal'))
}

/**
 * WRITE_COUNT synced puts over two logs (the memtable switches once), then a power loss while
 * the flush of the first memtable still waits for its table's fsync, so both logs are needed.
 */
async function syncedStore(): Promise<MemVfs> {
  const image = new MemVfs()
  const vfs = new HookedVfs(image, { beforeSync: (_op, filePath) => filePath.endsWith('.sst') ? new Promise<void>(() => {}) : undefined })
  const db = await open(DIRECTORY, { vfs, memtableSizeBytes: 6 * 1024, flushThread: 'main' })
  for (let i = 0; i < WRITE_COUNT; i++) await db.put(keyOf(i), valueOf(i), { sync: true })
  assert.equal(walNames(image).length, 2, 'one switch, no flush')
  // The store is abandoned with its flush hanging: the power goes now.
  return image.crash()
}

/** Replaces a file durably, so `crash()` copies of the image carry the damage. */
async function rewriteDurably(vfs: MemVfs, filePath: string, bytes: Uint8Array): Promise<void> {
  const file = vfs.create(filePath)
  file.append([bytes])
  await file.sync()
  file.close()
  await vfs.syncDirectory(DIRECTORY)
}

/** Flips one bit of the value of write `index` where it sits in its log; returns the log's name. */
async function flipValueOf(vfs: MemVfs, index: number): Promise<string> {
  for (const name of walNames(vfs)) {
    const filePath = `${DIRECTORY}/${name}`
    const bytes = readFile(vfs, filePath)
    const at = Buffer.from(bytes).indexOf(Buffer.from(valueOf(index)))
    if (at < 0) continue
    bytes[at + 20] ^= 0x04
    await rewriteDurably(vfs, filePath, bytes)
    return name
  }
  assert.fail(`no log holds write ${index}`)
}

/** The payloads of a log's records, read from `headerSizeBytes` on (the log must be whole). */
function recordsOf(bytes: Uint8Array, headerSizeBytes: number): Uint8Array[] {
  const payloads: Uint8Array[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let offsetBytes = headerSizeBytes; offsetBytes < bytes.length;) {
    const sizeBytes = view.getUint32(offsetBytes, true)
    payloads.push(bytes.slice(offsetBytes + RECORD_HEADER_SIZE_BYTES, offsetBytes + RECORD_HEADER_SIZE_BYTES + sizeBytes))
    offsetBytes += RECORD_HEADER_SIZE_BYTES + sizeBytes
  }
  return payloads
}

async function presentPrefix(vfs: MemVfs, options: OpenOptions): ReturnType<typeof prefixOf> {
  return prefixOf(DIRECTORY, { ...options, vfs })
}

describe("walRecovery: 'point-in-time'", () => {
  test('a damaged record with valid ones after it: the default refuses, point-in-time stops before it', async () => {
    for (const damaged of [3, 25]) { // in the older log, then in the newer one
      const vfs = await syncedStore()
      const log = await flipValueOf(vfs, damaged)
      await assert.rejects(open(DIRECTORY, { vfs: vfs.crash() }), { code: 'CORRUPTION' })
      const { prefix, recovery } = await presentPrefix(vfs, { walRecovery: 'point-in-time' })
      assert.equal(prefix, damaged, `write ${damaged} damaged: the writes before it, none after`)
      assert.equal(recovery.walDamage?.fileName, log)
      assert.equal(recovery.walDamage?.reason, 'checksum-mismatch')
      assert.equal(recovery.walFilesDropped, damaged === 3 ? 1 : 0, 'a later log is dropped with the damage')
    }
  })

  test('a whole older log with a bad last record: the default refuses, point-in-time stops there', async () => {
    const vfs = await syncedStore()
    const [olderLog] = walNames(vfs)
    const filePath = `${DIRECTORY}/${olderLog}`
    const bytes = readFile(vfs, filePath)
    bytes[bytes.length - 3] ^= 0x01
    await rewriteDurably(vfs, filePath, bytes)
    await assert.rejects(open(DIRECTORY, { vfs: vfs.crash() }), { code: 'CORRUPTION', message: /is complete but/ })
    const { prefix, recovery } = await presentPrefix(vfs, { walRecovery: 'point-in-time' })
    assert.ok(prefix > 0 && prefix < WRITE_COUNT, `stopped inside the writes (${prefix})`)
    assert.equal(recovery.walDamage?.fileName, olderLog)
    assert.equal(recovery.walFilesDropped, 1)
  })

  test('a missing older log: the default refuses, point-in-time replays nothing past the gap', async () => {
    const vfs = await syncedStore()
    const [olderLog, newerLog] = walNames(vfs)
    vfs.remove(`${DIRECTORY}/${olderLog}`)
    await vfs.syncDirectory(DIRECTORY)
    await assert.rejects(open(DIRECTORY, { vfs: vfs.crash() }), { code: 'CORRUPTION', message: /which is missing/ })
    const { prefix, recovery } = await presentPrefix(vfs, { walRecovery: 'point-in-time' })
    assert.equal(prefix, 0)
    assert.deepEqual(recovery.walDamage, { fileName: newerLog, offsetBytes: 0, reason: 'predecessor-missing' })
  })

  test('bytes past the final size the newer log recorded, even a valid record, do not replay', async () => {
    const vfs = await syncedStore()
    const [olderLog, newerLog] = walNames(vfs)
    // The older log is the first after open (version 1: a 20-byte header); copy the newer log's
    // last write into a record valid for the older log and append it there.
    const newer = readFile(vfs, `${DIRECTORY}/${newerLog}`)
    const lastOfNewer = recordsOf(newer, LINKED_LOG_FILE_HEADER_SIZE_BYTES).at(-1)!
    const older = readFile(vfs, `${DIRECTORY}/${olderLog}`)
    const olderRecords = recordsOf(older, LOG_FILE_HEADER_SIZE_BYTES)
    const forged = encodeRecordHeader(lastOfNewer, olderRecords.length, recordChecksumSeed(Number.parseInt(olderLog, 10)))
    await rewriteDurably(vfs, `${DIRECTORY}/${olderLog}`, Buffer.concat([older, forged, lastOfNewer]))
    await assert.rejects(open(DIRECTORY, { vfs: vfs.crash() }), { code: 'CORRUPTION', message: /bytes long/ })
    const { prefix, recovery } = await presentPrefix(vfs, { walRecovery: 'point-in-time' })
    assert.equal(prefix, olderRecords.length, 'the older log\'s own writes, none after')
    assert.deepEqual(recovery.walDamage, { fileName: olderLog, offsetBytes: older.length, reason: 'longer-than-final-size' })
  })

  test('a damaged header in a later log stops replay before it', async () => {
    const vfs = await syncedStore()
    const [olderLog, newerLog] = walNames(vfs)
    const bytes = readFile(vfs, `${DIRECTORY}/${newerLog}`)
    bytes[LINKED_LOG_FILE_HEADER_SIZE_BYTES - 3] ^= 0x01 // its checksum
    await rewriteDurably(vfs, `${DIRECTORY}/${newerLog}`, bytes)
    const olderRecordCount = recordsOf(readFile(vfs, `${DIRECTORY}/${olderLog}`), LOG_FILE_HEADER_SIZE_BYTES).length
    await assert.rejects(open(DIRECTORY, { vfs: vfs.crash() }), { code: 'CORRUPTION', message: /header checksum/ })
    const { prefix, recovery } = await presentPrefix(vfs, { walRecovery: 'point-in-time' })
    assert.equal(prefix, olderRecordCount)
    assert.deepEqual(recovery.walDamage, { fileName: newerLog, offsetBytes: 0, reason: 'header-damaged' })
  })

  test('a log without a link (an older format) with a bad last record: later logs do not replay', async () => {
    const vfs = await syncedStore()
    const [olderLog, newerLog] = walNames(vfs)
    // Rewrite the newer log's header as version 1, as a build before the link wrote it.
    const newer = readFile(vfs, `${DIRECTORY}/${newerLog}`)
    const v1 = new Uint8Array(LOG_FILE_HEADER_SIZE_BYTES)
    v1.set(newer.subarray(0, 16))
    v1[4] = 1
    new DataView(v1.buffer).setUint32(16, zlib.crc32(v1.subarray(0, 16)), true)
    await rewriteDurably(vfs, `${DIRECTORY}/${newerLog}`, Buffer.concat([v1, newer.subarray(LINKED_LOG_FILE_HEADER_SIZE_BYTES)]))
    const older = readFile(vfs, `${DIRECTORY}/${olderLog}`)
    const olderRecordCount = recordsOf(older, LOG_FILE_HEADER_SIZE_BYTES).length
    older[older.length - 3] ^= 0x01
    await rewriteDurably(vfs, `${DIRECTORY}/${olderLog}`, older)
    const { prefix, recovery } = await presentPrefix(vfs, { walRecovery: 'point-in-time' })
    assert.equal(prefix, olderRecordCount - 1)
    assert.equal(recovery.walDamage?.fileName, olderLog)
    assert.equal(recovery.walFilesDropped, 1)
  })

  test('the first damage is the one reported when a later log is also missing', async () => {
    const image = new MemVfs()
    const vfs = new HookedVfs(image, { beforeSync: (_op, filePath) => filePath.endsWith('.sst') ? new Promise<void>(() => {}) : undefined })
    const db = await open(DIRECTORY, { vfs, memtableSizeBytes: 4096, immutableMemtableCountMax: 4, flushThread: 'main' })
    for (let i = 0; i < WRITE_COUNT; i++) await db.put(keyOf(i), valueOf(i), { sync: true })
    const crashed = image.crash()
    const logs = walNames(crashed)
    assert.ok(logs.length >= 3, `${logs.length} logs`)
    const damagedLog = await flipValueOf(crashed, 2)
    assert.equal(damagedLog, logs[0])
    crashed.remove(`${DIRECTORY}/${logs[1]}`)
    const { prefix, recovery } = await presentPrefix(crashed, { walRecovery: 'point-in-time' })
    assert.equal(prefix, 2)
    assert.equal(recovery.walDamage?.fileName, logs[0])
  })

  test('an undamaged store recovers every write in every mode', async () => {
    for (const walRecovery of ['truncate', 'fail', 'point-in-time'] as const) {
      const vfs = await syncedStore()
      const { prefix, recovery } = await presentPrefix(vfs, { walRecovery })
      assert.equal(prefix, WRITE_COUNT, walRecovery)
      assert.equal(recovery.walDamage, undefined, walRecovery)
      assert.equal(recovery.walFilesDropped, 0, walRecovery)
    }
  })
})
