import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { MemVfs } from './mem-vfs.ts'
import { readFile, writeFile } from './test-support.ts'
import { COPY_CHUNK_BYTES, copyFileSynced } from './copy-file.ts'

/** A file of `sizeBytes` bytes whose every byte depends on its offset, so a shifted copy differs. */
function patterned(sizeBytes: number): Buffer {
  return Buffer.from(Array.from({ length: sizeBytes }, (_, index) => (index * 7 + (index >> 8)) & 0xff))
}

describe('copyFileSynced', () => {
  test('copies the whole file across chunk boundaries, durably (it survives a crash)', async () => {
    const vfs = new MemVfs()
    vfs.mkdirp('/d')
    const bytes = patterned(2 * COPY_CHUNK_BYTES + 123)
    writeFile(vfs, '/d/from', bytes)
    await copyFileSynced(vfs, '/d/from', '/d/to')
    await vfs.syncDirectory('/d')
    assert.ok(Buffer.from(readFile(vfs.crash(), '/d/to')).equals(bytes))
  })

  test('a prefix copies exactly that many bytes; a prefix of 0 makes an empty file', async () => {
    const vfs = new MemVfs()
    vfs.mkdirp('/d')
    const bytes = patterned(COPY_CHUNK_BYTES + 5000)
    writeFile(vfs, '/d/from', bytes)
    await copyFileSynced(vfs, '/d/from', '/d/prefix', COPY_CHUNK_BYTES + 17)
    assert.ok(Buffer.from(readFile(vfs, '/d/prefix')).equals(bytes.subarray(0, COPY_CHUNK_BYTES + 17)))
    await copyFileSynced(vfs, '/d/from', '/d/empty', 0)
    assert.equal(vfs.sizeBytes('/d/empty'), 0)
  })

  test('a prefix longer than the file is a short read (IO_ERROR naming the file), and the target is never replaced', async () => {
    const vfs = new MemVfs()
    vfs.mkdirp('/d')
    writeFile(vfs, '/d/from', patterned(1000))
    await assert.rejects(copyFileSynced(vfs, '/d/from', '/d/to', 1001), (error: Error & { code?: string }) => error.code === 'IO_ERROR' && error.message.includes('/d/from'))
    writeFile(vfs, '/d/existing', Buffer.from('keep'))
    await assert.rejects(copyFileSynced(vfs, '/d/from', '/d/existing'), { code: 'IO_ERROR' })
    assert.equal(Buffer.from(readFile(vfs, '/d/existing')).toString(), 'keep')
  })
})
