// Goal: Vfs.link and Vfs.createExclusive keep one contract on NodeVfs and MemVfs: a link never
// copies and never replaces a file, an exclusive creation never truncates one, and the errors a
// caller may fall back on (a file system that cannot link) are told apart from the rest.
// Method: run the same cases on a temporary directory and on a MemVfs; on NodeVfs also link
// across two file systems (/dev/shm and the temporary directory) when the machine has both.
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { StrataError } from '../errors.ts'
import { MemVfs, NodeVfs, isLinkUnsupported, type Vfs } from './mod.ts'
import { readFile, writeFile } from './test-support.ts'

function tempDirectory(t: TestContext, parent = os.tmpdir()): string {
  const directory = fs.mkdtempSync(path.join(parent, 'strata-link-'))
  t.after(() => fs.rmSync(directory, { recursive: true, force: true }))
  return directory
}

const VFSES: { name: string; make(t: TestContext): { vfs: Vfs; root: string } }[] = [
  { name: 'NodeVfs', make: (t) => ({ vfs: new NodeVfs(), root: tempDirectory(t) }) },
  { name: 'MemVfs', make: () => ({ vfs: new MemVfs(), root: '/' }) },
]

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString()

for (const { name, make } of VFSES) {
  describe(`${name}.link()`, () => {
    test('shares the file: bytes appended through one name read through the other', (t) => {
      const { vfs, root } = make(t)
      writeFile(vfs, path.join(root, 'a'), Buffer.from('one'))
      vfs.link(path.join(root, 'a'), path.join(root, 'b'))
      const file = vfs.openAppend(path.join(root, 'a'))
      file.append([Buffer.from('two')])
      file.close()
      assert.equal(text(readFile(vfs, path.join(root, 'b'))), 'onetwo')
    })

    test('throws IO_ERROR with errno EEXIST over an existing file and leaves it as it was', (t) => {
      const { vfs, root } = make(t)
      writeFile(vfs, path.join(root, 'a'), Buffer.from('source'))
      writeFile(vfs, path.join(root, 'b'), Buffer.from('kept'))
      assert.throws(() => vfs.link(path.join(root, 'a'), path.join(root, 'b')), (error: StrataError) => {
        assert.equal(error.code, 'IO_ERROR')
        assert.equal(error.details.errno, 'EEXIST')
        assert.equal(isLinkUnsupported(error), false, 'EEXIST is no reason to copy')
        return true
      })
      assert.equal(text(readFile(vfs, path.join(root, 'b'))), 'kept')
    })

    test('throws NOT_FOUND for a missing source', (t) => {
      const { vfs, root } = make(t)
      assert.throws(() => vfs.link(path.join(root, 'absent'), path.join(root, 'b')), { code: 'NOT_FOUND' })
      assert.equal(vfs.exists(path.join(root, 'b')), false)
    })
  })

  describe(`${name}.createExclusive()`, () => {
    test('creates an empty file, and throws IO_ERROR with errno EEXIST over an existing one without truncating it', (t) => {
      const { vfs, root } = make(t)
      const file = vfs.createExclusive(path.join(root, 'new'))
      file.append([Buffer.from('x')])
      file.close()
      assert.equal(text(readFile(vfs, path.join(root, 'new'))), 'x')
      assert.throws(() => vfs.createExclusive(path.join(root, 'new')), { code: 'IO_ERROR', details: { path: path.join(root, 'new'), errno: 'EEXIST' } })
      assert.equal(text(readFile(vfs, path.join(root, 'new'))), 'x')
    })
  })
}

describe('isLinkUnsupported()', () => {
  test('is true for the errnos of a file system that cannot link, false for any other error', () => {
    for (const errno of ['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']) {
      assert.equal(isLinkUnsupported(new StrataError('IO_ERROR', 'Cannot link', { details: { errno } })), true, errno)
    }
    for (const errno of ['EEXIST', 'EIO', 'ENOSPC', 'EACCES']) {
      assert.equal(isLinkUnsupported(new StrataError('IO_ERROR', 'Cannot link', { details: { errno } })), false, errno)
    }
    assert.equal(isLinkUnsupported(new StrataError('NOT_FOUND', 'Cannot link', { details: { errno: 'EXDEV' } })), false)
    assert.equal(isLinkUnsupported(Object.assign(new Error('EXDEV'), { code: 'EXDEV' })), false, 'only the Vfs error counts')
  })
})

describe('NodeVfs.link() across file systems', () => {
  test('throws the IO_ERROR isLinkUnsupported recognises (EXDEV) and copies nothing', (t) => {
    const shm = '/dev/shm'
    if (!fs.existsSync(shm) || fs.statSync(shm).dev === fs.statSync(os.tmpdir()).dev) return t.skip('no second file system at /dev/shm')
    const sourceDirectory = tempDirectory(t, shm)
    const targetDirectory = tempDirectory(t)
    const vfs = new NodeVfs()
    writeFile(vfs, path.join(sourceDirectory, 'a'), Buffer.from('bytes'))
    assert.throws(() => vfs.link(path.join(sourceDirectory, 'a'), path.join(targetDirectory, 'a')), (error: StrataError) => {
      assert.equal(error.details.errno, 'EXDEV')
      assert.equal(isLinkUnsupported(error), true)
      return true
    })
    assert.equal(vfs.exists(path.join(targetDirectory, 'a')), false, 'no copy behind the caller\'s back')
  })
})
