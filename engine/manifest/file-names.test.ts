import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  blobFileName, manifestFileName, parseFileName, tableFileName, walFileName,
} from './file-names.ts'

describe('file names', () => {
  test('builders pad to six digits and parseFileName inverts them', () => {
    assert.equal(walFileName(7), '000007.wal')
    assert.equal(tableFileName(12), '000012.sst')
    assert.equal(blobFileName(13), '000013.blob')
    assert.equal(manifestFileName(5), 'MANIFEST-000005')
    assert.equal(tableFileName(12345678), '12345678.sst')
    for (const n of [0, 1, 999999, 1000000, 2 ** 40]) {
      assert.deepEqual(parseFileName(walFileName(n)), { kind: 'wal', fileNumber: n })
      assert.deepEqual(parseFileName(tableFileName(n)), { kind: 'table', fileNumber: n })
      assert.deepEqual(parseFileName(blobFileName(n)), { kind: 'blob', fileNumber: n })
      assert.deepEqual(parseFileName(manifestFileName(n)), { kind: 'manifest', fileNumber: n })
    }
  })

  test('parseFileName knows CURRENT, CURRENT.tmp and LOCK', () => {
    assert.deepEqual(parseFileName('CURRENT'), { kind: 'current' })
    assert.deepEqual(parseFileName('CURRENT.tmp'), { kind: 'current-temp' })
    assert.deepEqual(parseFileName('LOCK'), { kind: 'lock' })
  })

  test('parseFileName rejects foreign and non-canonical names', () => {
    for (const name of ['7.wal', '0000007.wal', '000007.WAL', '000007.sst.tmp', 'MANIFEST-7', 'MANIFEST-', 'notes.txt',
      '99999999999999999999.sst', '-00001.sst', 'MANIFEST-000001 ', '']) {
      assert.equal(parseFileName(name), undefined, name)
    }
  })
})
