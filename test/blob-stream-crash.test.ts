/**
 * Goal: a stream cut short leaves neither a partial value nor blob space behind, and a stream
 * whose chunk list reached the index stays readable even when the process stops before its
 * files were listed in the manifest (docs/formats/blob-stream.md §5).
 * Method: (1) SIGKILL: a child (blobtree/testing/stream-crash-child.ts) streams an endless value
 * over a stored streamed value on the real file system and is killed after a seeded delay; on
 * reopen the old value reads back whole, the unlisted stream files are gone from disk, and after
 * compact + GC the blob files hold only live bytes plus at most the configured staleness.
 * (2) FaultVfs on MemVfs: the manifest append that lists a finished stream's files fails, then
 * the machine crashes; on reopen the synced value reads back and its file is listed again.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { BlobDb, MemVfs } from '../index.ts'
import { FaultVfs } from '../engine/vfs/fault-vfs.ts'
import { STREAM_CRASH_KV_OPTIONS } from '../blobtree/testing/stream-crash-workload.ts'
import { readStream } from '../blobtree/testing/read-stream.ts'
import { runAndKill } from './support/kill-child.ts'
import { Rng, seedFromEnv } from './support/seed.ts'

const ROUND_COUNT = 2
const OLD_VALUE = Buffer.alloc(300 * 1024 + 5, 0x33)

function blobFilesOn(directory: string): string[] {
  return fs.readdirSync(directory).filter((name) => name.endsWith('.blob')).sort()
}


describe('putStream() crash safety', () => {
  test('SIGKILL mid-stream: the old value stays, and no stream file survives reopen and GC', async (t) => {
    const seed = seedFromEnv('blob-stream sigkill')
    t.diagnostic(`seed=${seed}`)
    const rng = new Rng(seed)
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-stream-crash-'))
    try {
      let db = await BlobDb.open(directory, {}, STREAM_CRASH_KV_OPTIONS)
      await db.putStream('k', [OLD_VALUE], { sync: true })
      await db.put('other', Buffer.alloc(4000, 1), { sync: true })
      await db.close()
      for (let round = 0; round < ROUND_COUNT; round++) {
        const label = `seed=${seed} round=${round}`
        const acked = await runAndKill({
          script: path.join(import.meta.dirname, '..', 'blobtree', 'testing', 'stream-crash-child.ts'),
          args: [directory],
          cwd: path.join(import.meta.dirname, '..'),
          killedBeforeReady: false,
          killDelayMs: 300 + rng.below(400),
          label,
        })
        const filesBeforeReopen = blobFilesOn(directory)
        db = await BlobDb.open(directory, {}, STREAM_CRASH_KV_OPTIONS)
        assert.deepEqual(await readStream(db, 'k'), OLD_VALUE, `${label}: the old value, whole`)
        assert.equal(db.valueSize('k'), OLD_VALUE.length, label)
        const blob = db.stats().blob
        assert.equal(blobFilesOn(directory).length, blob.fileCount, `${label}: every blob file on disk is listed`)
        if (acked.size > 0) {
          assert.ok(filesBeforeReopen.length > blob.fileCount, `${label}: the cut stream had left ${filesBeforeReopen.length - blob.fileCount} unlisted files, open deleted them`)
        }
        await db.compact()
        const after = db.stats().blob
        const frameBytes = after.liveBytes + after.staleBytes
        assert.ok(after.staleBytes <= STREAM_CRASH_KV_OPTIONS.stalenessThreshold! * frameBytes, `${label}: stale ${after.staleBytes} of ${frameBytes} frame bytes after GC`)
        // Live frames: the old value's chunks and 'other', plus per-frame headers and keys.
        assert.ok(after.liveBytes < OLD_VALUE.length + 4000 + 16 * 1024, `${label}: live bytes ${after.liveBytes}`)
        assert.deepEqual(await db.get('k'), OLD_VALUE, label)
        await db.close()
        t.diagnostic(`${label}: child handed over ${acked.size} MiB; ${filesBeforeReopen.length} blob files before reopen, ${after.fileCount} after GC`)
      }
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  test('a chunk list in the index whose files never reached the manifest is adopted at open', async () => {
    const memVfs = new MemVfs()
    const vfs = new FaultVfs(memVfs)
    const kv = { ...STREAM_CRASH_KV_OPTIONS, gcOnCompact: false }
    const db = await BlobDb.open('/adopt', { vfs }, kv)
    const value = Buffer.alloc(200 * 1024 + 3, 0x44)
    // The only manifest append of a putStream is the edit listing its files.
    vfs.addRule({ op: 'append', path: /MANIFEST/, nth: 1 })
    await assert.rejects(db.putStream('k', [value], { sync: true }), { code: 'IO_ERROR' })
    const crashed = memVfs.crash()
    const reopened = await BlobDb.open('/adopt', { vfs: crashed }, kv)
    assert.deepEqual(await readStream(reopened, 'k'), value, 'the synced chunk list reads back')
    const listed = reopened.stats().blob.fileCount
    assert.equal(crashed.list('/adopt').filter((name) => name.endsWith('.blob')).length, listed, 'the stream file is listed again')
    await reopened.compact()
    assert.deepEqual(await reopened.get('k'), value)
    await reopened.close()
  })

  test('putStream without sync is durable once it resolves, so a crash leaves no listed file unreferenced', async () => {
    const memVfs = new MemVfs()
    const db = await BlobDb.open('/nosync', { vfs: memVfs }, STREAM_CRASH_KV_OPTIONS)
    const value = Buffer.alloc(300 * 1024 + 1, 0x55)
    await db.putStream('k', [value], { sync: false })
    const crashed = memVfs.crash()
    await db.close()
    const reopened = await BlobDb.open('/nosync', { vfs: crashed }, STREAM_CRASH_KV_OPTIONS)
    assert.deepEqual(await readStream(reopened, 'k'), value)
    assert.equal(crashed.list('/nosync').filter((name) => name.endsWith('.blob')).length, reopened.stats().blob.fileCount)
    await reopened.close()
  })
})
