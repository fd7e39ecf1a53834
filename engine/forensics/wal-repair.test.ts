// Tests of the repair's pieces that the scenario test (test/wal-repair.test.ts) does not reach:
// a second repair keeps the first one's copies in lost/, and the lock handover.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MemVfs } from '../vfs/mod.ts'
import { readFile, writeFile } from '../vfs/test-support.ts'
import { saveLogs, withHeldLock } from './wal-repair.ts'

describe('saveLogs()', () => {
  test('copies byte for byte, and never overwrites an earlier copy', async () => {
    const vfs = new MemVfs()
    vfs.mkdirp('/db')
    writeFile(vfs, '/db/000002.wal', Uint8Array.of(1, 2, 3))
    const first = await saveLogs(vfs, '/db', [{ file: '000002.wal', why: 'cut' }])
    writeFile(vfs, '/db/000002.wal', Uint8Array.of(4, 5))
    const second = await saveLogs(vfs, '/db', [{ file: '000002.wal', why: 'dropped' }])
    assert.deepEqual([first[0].savedAs, second[0].savedAs], ['lost/000002.wal', 'lost/000002.wal.1'])
    assert.deepEqual([...readFile(vfs, '/db/lost/000002.wal')], [1, 2, 3])
    assert.deepEqual([...readFile(vfs, '/db/lost/000002.wal.1')], [4, 5])
  })
})

describe('withHeldLock()', () => {
  test('hands the held lock to whoever locks that path, and delegates everything else', () => {
    const vfs = new MemVfs()
    vfs.mkdirp('/db')
    const held = vfs.lock('/db/LOCK')
    const handover = withHeldLock(vfs, '/db/LOCK', held)
    assert.equal(handover.lock('/db/../db/LOCK'), held)
    assert.throws(() => vfs.lock('/db/LOCK'), { code: 'LOCKED' }, 'the lock stays held')
    writeFile(handover, '/db/x', Uint8Array.of(9))
    assert.deepEqual([...readFile(vfs, '/db/x')], [9])
    held.release()
  })
})
