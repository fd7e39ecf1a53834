import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Version } from '../../engine/manifest/mod.ts'
import { encodeBlobHandle } from '../handle.ts'
import { encodeChunkList } from '../chunk-list.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES } from '../blob-file/mod.ts'
import { FrameReferences } from './frame-references.ts'
import { droppedRecords, staleRecountOf } from './recovery-recount.ts'

const OVERHEAD_BYTES = FILE_HEADER_SIZE_BYTES + FOOTER_SIZE_BYTES

/** A version listing sealed files of `frameBytes` each (or unsealed for 0), with stale figures. */
function versionOf(files: { fileNumber: number; frameBytes: number; staleBytes?: number }[]): Version {
  return Version.empty().apply({
    addedBlobFiles: files.map(({ fileNumber, frameBytes }) => ({ fileNumber, sizeBytes: frameBytes === 0 ? 0 : frameBytes + OVERHEAD_BYTES, valueCount: 1, totalValueBytes: 1 })),
    blobStaleBytes: files.filter((file) => (file.staleBytes ?? 0) > 0).map((file) => ({ fileNumber: file.fileNumber, staleBytesDelta: file.staleBytes! })),
  })
}

const frame = (fileNumber: number, offsetBytes: number, frameSizeBytes: number): Uint8Array =>
  encodeBlobHandle({ fileNumber, offsetBytes, frameSizeBytes, rawValueSizeBytes: 10 })

describe('staleRecountOf()', () => {
  test('counts the frame bytes no entry names, less what is counted or pending', () => {
    const version = versionOf([{ fileNumber: 5, frameBytes: 1000, staleBytes: 100 }, { fileNumber: 7, frameBytes: 600 }])
    const references = new FrameReferences()
    references.add('a', frame(5, 40, 300))
    references.add('b', frame(5, 340, 200))
    // A streamed value's chunks count by file: one in file 5, one in file 7.
    references.add('s', encodeChunkList({ totalSizeBytes: 2048, chunkSizeBytes: 1024, chunks: [{ fileNumber: 5, offsetBytes: 540, frameSizeBytes: 150 }, { fileNumber: 7, offsetBytes: 40, frameSizeBytes: 150 }] }))
    const deltas = staleRecountOf(version, references, (fileNumber) => (fileNumber === 5 ? 150 : 0))
    // File 5: 1000 - 650 named = 350 unnamed; 100 counted + 150 pending leaves 100.
    assert.deepEqual(deltas, [{ fileNumber: 5, staleBytesDelta: 100 }, { fileNumber: 7, staleBytesDelta: 450 }])
  })

  test('keeps a higher count, skips unsealed files, and uses the final meta of a file being sealed', () => {
    const version = versionOf([{ fileNumber: 3, frameBytes: 500, staleBytes: 500 }, { fileNumber: 4, frameBytes: 0 }, { fileNumber: 6, frameBytes: 0 }])
    const references = new FrameReferences()
    references.add('a', frame(3, 40, 200))
    references.add('b', frame(6, 40, 100))
    const sealing = [{ fileNumber: 6, sizeBytes: 400 + OVERHEAD_BYTES, valueCount: 2, totalValueBytes: 20 }]
    assert.deepEqual(staleRecountOf(version, references, () => 0, sealing), [{ fileNumber: 6, staleBytesDelta: 300 }])
  })

  test('a handle that does not decode names nothing', () => {
    const references = new FrameReferences()
    references.add('bad', new Uint8Array([0xee, 1, 2]))
    assert.deepEqual(staleRecountOf(versionOf([{ fileNumber: 2, frameBytes: 80 }]), references, () => 0), [{ fileNumber: 2, staleBytesDelta: 80 }])
  })
})

describe('droppedRecords()', () => {
  test('is true for a cut tail, a damage stop or dropped logs, false for a clean replay', () => {
    const clean = { walFilesReplayed: 1, batchesReplayed: 3, tablesWritten: 1, tailBytesDropped: 0, walFilesDropped: 0 }
    assert.equal(droppedRecords(clean), false)
    assert.equal(droppedRecords({ ...clean, tailBytesDropped: 9, tailFile: '000004.wal' }), true)
    assert.equal(droppedRecords({ ...clean, walFilesDropped: 1, tailFile: '000004.wal', tailReason: 'lost-tail' }), true)
    assert.equal(droppedRecords({ ...clean, walDamage: { fileName: '000004.wal', offsetBytes: 0, reason: 'predecessor-missing' } }), true)
  })
})

describe('FrameReferences', () => {
  test('keeps the keys naming a file asked about, any version', () => {
    const references = new FrameReferences([5])
    references.add('b', frame(5, 40, 100))
    references.add('a', frame(5, 140, 100))
    references.add('b', frame(5, 240, 100))
    references.add('c', frame(6, 40, 100))
    assert.deepEqual(references.keysReferencing(5), ['a', 'b'])
    assert.equal(references.referencedBytesOf(5), 300)
    assert.equal(references.referencedBytesOf(6), 100)
    assert.throws(() => references.keysReferencing(6))
  })
})
