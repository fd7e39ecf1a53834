/**
 * ValueLog on MemVfs with the manifest faked: what holds once the log is closed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Buffer } from 'node:buffer'
import { MemVfs } from '../engine/vfs/mem-vfs.ts'
import { Version, type VersionEdit } from '../engine/manifest/mod.ts'
import { encodeBlobHandle } from './handle.ts'
import { ValueLog } from './value-log.ts'

test('a closed log opens no reader: reads fail CLOSED instead of caching a descriptor nothing closes', async () => {
  // A getStream stream reading on after close() reopened readers into a cache already cleared,
  // up to blobReaderCountMax descriptors per closed store (review, 2026-11-26).
  const vfs = new MemVfs()
  vfs.mkdirp('/v')
  let version = Version.empty()
  let nextFileNumber = 1
  const log = new ValueLog({ vfs, directory: '/v', fileSizeBytesTarget: 4096, readerCountMax: 4 })
  log.attach({ logValueEdit: async (edit: VersionEdit) => (version = version.apply(edit)), currentVersion: () => version, allocateFileNumber: () => nextFileNumber++ })
  await log.ensureActive()
  const key = Buffer.from('k', 'latin1')
  const [handle] = log.append([{ key, value: Buffer.alloc(700, 5) }])
  await log.syncAll()
  await log.close()
  assert.throws(() => log.readerOf(handle.fileNumber, key), { code: 'CLOSED' })
  assert.throws(() => log.read('k', encodeBlobHandle(handle)), { code: 'CLOSED' })
  assert.equal(log.readerCacheStats().openCount, 0, 'no reader cached after close')
})
