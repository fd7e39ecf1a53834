import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { decodeVersionEdit, encodeVersionEdit, EditTag } from './edit-codec.ts'
import type { VersionEdit } from './version-edit.ts'
import { table } from './test-support.ts'

const SOURCE = { fileName: '/db/MANIFEST-000003', recordIndex: 4 }

function fullEdit(): VersionEdit {
  return {
    logNumber: 9,
    nextFileNumber: 2 ** 40 + 3,
    lastSeqno: Number.MAX_SAFE_INTEGER,
    addedTables: [table(0, 12, 'a', 'm\u00ff\u0000'), table(3, 14, '', '\u0000')],
    removedTables: [{ level: 2, fileNumber: 7 }],
    addedBlobFiles: [{ fileNumber: 13, sizeBytes: 5 << 20, valueCount: 77, totalValueBytes: 4 << 20 }],
    removedBlobFiles: [8, 10],
    blobStaleBytes: [{ fileNumber: 13, staleBytesDelta: 4096 }],
    compactPointers: [{ level: 1, key: 'q\u0080' }],
  }
}

function field(tag: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length)
  out[0] = tag
  new DataView(out.buffer).setUint32(1, body.length, true)
  out.set(body, 5)
  return out
}

describe('encodeVersionEdit() / decodeVersionEdit()', () => {
  test('decode returns what encode wrote, every field and latin1 key byte included', () => {
    const edit = fullEdit()
    assert.deepEqual(decodeVersionEdit(encodeVersionEdit(edit), SOURCE), edit)
    assert.deepEqual(decodeVersionEdit(encodeVersionEdit({}), SOURCE), {})
  })

  test('the encoding matches the byte table (golden hex)', () => {
    const hex = Buffer.from(encodeVersionEdit({ logNumber: 5, removedTables: [{ level: 1, fileNumber: 2 }] })).toString('hex')
    assert.equal(hex, '01' + '08000000' + '0500000000000000' + '05' + '09000000' + '01' + '0200000000000000')
  })

  test('the worked example of docs/formats/manifest.md §3 matches byte for byte', () => {
    const edit: VersionEdit = {
      nextFileNumber: 13, lastSeqno: 100,
      addedTables: [{ level: 0, fileNumber: 12, sizeBytes: 4096, smallestKey: 'a', largestKey: 'k', smallestSeqno: 1,
        largestSeqno: 100, entryCount: 100, tombstoneCount: 2, rangeTombstoneCount: 0 }],
    }
    const expected = '02080000000d00000000000000' + '03080000006400000000000000' +
      '044300000000' + '0c00000000000000' + '0010000000000000' + '0100000000000000' + '6400000000000000' +
      '6400000000000000' + '0200000000000000' + '0000000000000000' + '0100000061' + '010000006b'
    assert.equal(Buffer.from(encodeVersionEdit(edit)).toString('hex'), expected)
    assert.deepEqual(decodeVersionEdit(Buffer.from(expected, 'hex'), SOURCE), edit)
  })

  test('an unknown tag below 128 is UNSUPPORTED_FORMAT_VERSION', () => {
    const bytes = Buffer.concat([encodeVersionEdit({ logNumber: 1 }), field(10, new Uint8Array(3))])
    assert.throws(() => decodeVersionEdit(bytes, SOURCE), { code: 'UNSUPPORTED_FORMAT_VERSION' })
  })

  test('an unknown tag from 128 is skipped', () => {
    const bytes = Buffer.concat([field(200, new Uint8Array([1, 2, 3])), encodeVersionEdit({ logNumber: 1 })])
    assert.deepEqual(decodeVersionEdit(bytes, SOURCE), { logNumber: 1 })
    assert.equal(EditTag.CompactPointer >= EditTag.SafeToSkipMin, true)
  })

  test('malformed fields are CORRUPTION naming the file and record', () => {
    const good = encodeVersionEdit(fullEdit())
    const cases: Uint8Array[] = [
      good.subarray(0, good.length - 1), // body runs past the edit
      good.subarray(0, 3), // truncated field header
      field(EditTag.LogNumber, new Uint8Array(7)), // short body
      field(EditTag.LogNumber, new Uint8Array(9)), // extra bytes in a known body
      field(EditTag.LogNumber, new Uint8Array([0, 0, 0, 0, 0, 0, 0x20, 0])), // u64 past 2^53
    ]
    for (const bytes of cases) {
      assert.throws(() => decodeVersionEdit(bytes, SOURCE), (error: any) => {
        assert.equal(error.code, 'CORRUPTION')
        assert.equal(error.details.fileName, SOURCE.fileName)
        assert.equal(error.details.recordIndex, SOURCE.recordIndex)
        return true
      })
    }
  })
})
