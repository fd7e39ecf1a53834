// Goal: after a power loss, recovery returns a prefix of the writes even when the kernel wrote a
// newer log's unsynced pages back while an older log lost its unsynced tail (no fsync failed, so
// nothing acknowledged as durable was lost, but replaying the newer log would return later writes
// without earlier ones). A log made at a memtable switch records its predecessor's final size
// (docs/formats/wal.md §4.1): a predecessor shorter than that lost a tail, and replay stops there;
// one that long with a bad last record is damage, and open fails with CORRUPTION instead of
// silently dropping the record.
// Method: FaultVfs makes every WAL fsync lie (so the logs hold unsynced writes only), and
// MemVfs.crash({ writtenBackBytes }) chooses, per file, how much of its unsynced tail survives.
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { describe, test } from 'node:test'
import { open, MemVfs, type OpenOptions } from '../index.ts'
import { FaultVfs } from '../engine/vfs/fault-vfs.ts'
import { LOG_FILE_HEADER_SIZE_BYTES } from '../engine/wal/mod.ts'
import { readFile, writeFile } from '../engine/vfs/test-support.ts'

const DIRECTORY = '/db'
const WRITES_AFTER_SWITCH = 20

const keyOf = (i: number): string => `key${String(i).padStart(5, '0')}`
const valueOf = (i: number, sizeBytes: number): string => `v${i}-`.padEnd(sizeBytes, 'x')

function walNames(vfs: MemVfs): string[] {
  return vfs.list(DIRECTORY).filter((name) => name.endsWith('.wal'))
}

/** Which unsynced bytes of a file survive: of `filePath`, whose older log is `olderLog`. */
type Writeback = (filePath: string, unsyncedBytes: number, olderLog: string) => number

interface TwoLogs {
  /** One power-loss image per writeback asked for, all taken at the same instant. */
  crashed: MemVfs[]
  olderLog: string
  /** Writes logged into the older log; the WRITES_AFTER_SWITCH after them went into the newer one. */
  olderWriteCount: number
  options: OpenOptions
}

/**
 * A store whose writes (none synced) fill one log, switch, and go on into the next; then the
 * power goes, before the flush of the older memtable could start. The puts are not awaited in
 * between: each appends its record within the call, and the images are taken in the same turn.
 */
async function twoLogs(kvSeparation: boolean, writebacks: Writeback[], extra: OpenOptions = {}, afterSwitchValueSizeBytes?: number): Promise<TwoLogs> {
  const image = new MemVfs()
  const vfs = new FaultVfs(image, { rules: [{ op: 'sync', path: /\.wal$/, mode: 'lying-sync' }] })
  const options: OpenOptions = { memtableSizeBytes: 4096, ...extra, ...(kvSeparation ? { kvSeparation: { minBlobSize: 64 } } : {}) }
  const db = await open(DIRECTORY, { ...options, vfs })
  const valueSizeBytes = kvSeparation ? 100 : 40
  const [olderLog] = walNames(image)
  const puts: Promise<void>[] = []
  let count = 0
  while (walNames(image).length === 1) {
    puts.push(db.put(keyOf(count), valueOf(count, valueSizeBytes)))
    count++
  }
  for (let i = count; i < count + WRITES_AFTER_SWITCH; i++) puts.push(db.put(keyOf(i), valueOf(i, afterSwitchValueSizeBytes ?? valueSizeBytes)))
  assert.equal(walNames(image).length, 2, 'one switch')
  const crashed = writebacks.map((writeback) => image.crash({
    writtenBackBytes: (filePath, unsyncedBytes) => writeback(filePath, unsyncedBytes, olderLog),
  }))
  // The store is abandoned, not closed: its writes were acknowledged without sync.
  await Promise.all(puts)
  return { crashed, olderLog, olderWriteCount: count, options }
}

/** How many of the first writes the reopened store holds, after checking they form a prefix. */
async function recoveredPrefix(vfs: MemVfs, options: OpenOptions, writeCount: number): Promise<{ prefix: number, walFilesDropped: number }> {
  const db = await open(DIRECTORY, { ...options, vfs })
  const present: boolean[] = []
  for (let i = 0; i < writeCount; i++) present.push((await db.get(keyOf(i))) !== undefined)
  const prefix = present.indexOf(false) === -1 ? writeCount : present.indexOf(false)
  assert.deepEqual(present.slice(prefix).filter(Boolean), [], `writes after the first missing one (${keyOf(prefix)}) came back`)
  const { walFilesDropped } = db.stats().recovery
  await db.close()
  return { prefix, walFilesDropped }
}

const WHOLE: Writeback = (_filePath, unsyncedBytes) => unsyncedBytes

for (const kvSeparation of [false, true]) {
  describe(`a power loss across a log switch${kvSeparation ? ' (values in blob files)' : ''}`, () => {
    test('an older log that lost its unsynced tail stops replay before the newer log', async () => {
      const keptShares = [0, 0.5]
      const logs = await twoLogs(kvSeparation, keptShares.map((keptShare) => (filePath, unsyncedBytes, olderLog) =>
        filePath.endsWith(olderLog) ? Math.floor(unsyncedBytes * keptShare) : unsyncedBytes))
      const total = logs.olderWriteCount + WRITES_AFTER_SWITCH
      for (const [index, crashed] of logs.crashed.entries()) {
        const { prefix, walFilesDropped } = await recoveredPrefix(crashed, logs.options, total)
        assert.ok(prefix < logs.olderWriteCount, `kept ${keptShares[index]} of the older log: a lost tail (recovered ${prefix} of ${logs.olderWriteCount})`)
        assert.equal(walFilesDropped, 1, 'the newer log is not replayed')
      }
    })

    test('logs written back whole replay in full', async () => {
      const logs = await twoLogs(kvSeparation, [WHOLE])
      const total = logs.olderWriteCount + WRITES_AFTER_SWITCH
      assert.deepEqual(await recoveredPrefix(logs.crashed[0], logs.options, total), { prefix: total, walFilesDropped: 0 })
    })

    test('a damaged last record in an older log that is whole is CORRUPTION, not a torn tail', async () => {
      const logs = await twoLogs(kvSeparation, [WHOLE])
      const [crashed] = logs.crashed
      const filePath = `${DIRECTORY}/${logs.olderLog}`
      const bytes = readFile(crashed, filePath)
      bytes[bytes.length - 1] ^= 0x01
      writeFile(crashed, filePath, bytes)
      await assert.rejects(open(DIRECTORY, { ...logs.options, vfs: crashed }), (error: { code?: string, details?: { fileName?: string } }) => {
        assert.equal(error.code, 'CORRUPTION')
        assert.ok(error.details?.fileName?.endsWith(logs.olderLog), `names ${logs.olderLog}: ${error.details?.fileName}`)
        return true
      })
    })

    test('an older log whole in size but zero-filled after its header lost its tail: replay stops there', async () => {
      // The file system recorded the size and never wrote the pages (docs/formats/wal.md §4.1).
      const logs = await twoLogs(kvSeparation, [WHOLE])
      const [crashed] = logs.crashed
      const filePath = `${DIRECTORY}/${logs.olderLog}`
      const bytes = readFile(crashed, filePath)
      bytes.fill(0, LOG_FILE_HEADER_SIZE_BYTES)
      writeFile(crashed, filePath, bytes)
      const total = logs.olderWriteCount + WRITES_AFTER_SWITCH
      assert.deepEqual(await recoveredPrefix(crashed, logs.options, total), { prefix: 0, walFilesDropped: 1 })
    })

    test('a bit flip in a synced log whose last value ends in zeros is CORRUPTION, not a silent lost tail', async () => {
      // Acknowledged synced writes; flushes fail (ENOSPC), so the logs are still needed at the crash.
      const image = new MemVfs()
      const vfs = new FaultVfs(image, { rules: [{ op: 'append', path: /\.sst$/, errno: 'ENOSPC' }] })
      const options: OpenOptions = { memtableSizeBytes: 8192, ...(kvSeparation ? { kvSeparation: { minBlobSize: 64 * 1024 } } : {}) }
      const db = await open(DIRECTORY, { ...options, vfs })
      await db.put('a', 'first', { sync: true })
      await db.put('big', new Uint8Array(9000), { sync: true }) // fills the memtable: the next put switches logs
      await db.put('b', 'in the next log', { sync: true })
      assert.equal(walNames(image).length, 2, 'one switch, no flush')
      const crashed = image.crash() // synced bytes only: both logs whole
      const olderLog = `${DIRECTORY}/${walNames(crashed)[0]}`
      const bytes = readFile(crashed, olderLog)
      bytes[bytes.findLastIndex((byte) => byte !== 0) - 2] ^= 0x01
      writeFile(crashed, olderLog, bytes)
      await assert.rejects(open(DIRECTORY, { ...options, vfs: crashed }), { code: 'CORRUPTION', message: /is complete but/ })
      assert.equal(crashed.sizeBytes(olderLog), bytes.length, 'the evidence is not cut')
      await db.close().catch(() => undefined)
    })

    test('an I/O error reading a later log\'s header fails the open instead of replaying without the link', async () => {
      const logs = await twoLogs(kvSeparation, [(filePath, unsyncedBytes, olderLog) => filePath.endsWith(olderLog) ? 0 : unsyncedBytes])
      const newerLog = logs.crashed[0].list(DIRECTORY).find((name) => name.endsWith('.wal') && name !== logs.olderLog)!
      const vfs = new FaultVfs(logs.crashed[0], { rules: [{ op: 'openRead', path: new RegExp(`${newerLog}$`), nth: 1 }] })
      await assert.rejects(open(DIRECTORY, { ...logs.options, vfs }), { code: 'IO_ERROR' })
      assert.equal(vfs.injected.length, 1)
    })

    test('a missing older log is CORRUPTION naming the log that succeeds it', async () => {
      const logs = await twoLogs(kvSeparation, [WHOLE])
      const [crashed] = logs.crashed
      crashed.remove(`${DIRECTORY}/${logs.olderLog}`)
      await assert.rejects(open(DIRECTORY, { ...logs.options, vfs: crashed }), { code: 'CORRUPTION', message: /succeeds log \d+, which is missing/ })
    })
  })
}

describe('a power loss that keeps the logs and loses the blob frames', () => {
  test("a record whose frame never reached the disk stops replay: a later log's inline writes do not come back", async () => {
    // Separated values fill the older log, inline ones (below minBlobSize) go into the newer one.
    // Every log byte is written back, the blob file's unsynced frames are not: the older log's
    // records point at nothing, and the newer log's writes came after them.
    const logs = await twoLogs(true, [(filePath, unsyncedBytes) => filePath.endsWith('.blob') ? 0 : unsyncedBytes], {}, 10)
    const total = logs.olderWriteCount + WRITES_AFTER_SWITCH
    const db = await open(DIRECTORY, { ...logs.options, vfs: logs.crashed[0] })
    try {
      for (let i = 0; i < total; i++) assert.equal(await db.get(keyOf(i)), undefined, `${keyOf(i)} came back (${i < logs.olderWriteCount ? 'older' : 'newer'} log)`)
      const { recovery } = db.stats()
      assert.equal(recovery.tailReason, 'blob-not-durable')
      assert.equal(recovery.walFilesDropped, 1, 'the newer log is not replayed')
    } finally {
      await db.close()
    }
  })
})

describe('the link of an encrypted log', () => {
  const integrity = { encryption: { suite: 'aes-256-gcm' as const, keys: [{ epoch: 1, key: new Uint8Array(32).fill(7) }], activeEpoch: 1 } }

  test('a link changed (with a fixed-up checksum) fails the header tag before recovery acts on it', async () => {
    const logs = await twoLogs(false, [WHOLE], { integrity })
    const [crashed] = logs.crashed
    const newerLog = crashed.list(DIRECTORY).find((name) => name.endsWith('.wal') && name !== logs.olderLog)!
    const filePath = `${DIRECTORY}/${newerLog}`
    const bytes = readFile(crashed, filePath)
    assert.equal(bytes[4], 6, 'the newer log is version 6')
    // predecessorSizeBytes at offset 44 one larger: the older log would read as short, and replay
    // would silently stop before every write of the newer log.
    const view = new DataView(bytes.buffer)
    view.setUint32(44, view.getUint32(44, true) + 1, true)
    view.setUint32(68, zlib.crc32(bytes.subarray(0, 68)), true)
    writeFile(crashed, filePath, bytes)
    await assert.rejects(open(DIRECTORY, { ...logs.options, vfs: crashed }), { code: 'DECRYPT_FAILED' })
  })
})
