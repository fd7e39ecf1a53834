import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { resolveOptions } from './options.ts'
import { TableOutputs } from './table-outputs.ts'
import { MemVfs } from './vfs/mem-vfs.ts'

describe('TableOutputs.reserve()', () => {
  test('hands out the counter\'s numbers in order, shared with create()', () => {
    let next = 7
    const vfs = new MemVfs()
    vfs.mkdirp('/db')
    const outputs = new TableOutputs(resolveOptions({ vfs }, () => vfs), '/db', () => next++)
    assert.deepEqual([outputs.reserve(), outputs.reserve()], [7, 8])
    assert.equal(outputs.create(0, 'flush').fileNumber, 9, 'create() numbers from the same counter')
  })
})
