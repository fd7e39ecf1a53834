// Goal: the bytes of table format versions 1 and 2 cannot drift from docs/formats/table.md.
// Method: a tiny table written with fixed inputs must encode to these exact bytes (the worked
// example of the doc; version 2 with per-KV checksums), and today's reader must decode them and
// the frozen bytes written before the shadowedEntryCount property (docs/formats/table.md §5).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { EntryKind, SEQNO_MAX } from '../entry.ts'
import { MemVfs } from '../vfs/mod.ts'
import { TableReader, TableWriter } from './mod.ts'
import { decodeFooter, encodeFooter, FOOTER_SIZE_BYTES } from './footer.ts'

/** The docs' worked example: ("ab", 300, Put, "x"), ("ac", 1, Delete); file number 1. */
const VERSION_1_TABLE_HEX = [
  '0101000017000000d0d9d81a60638c072d37ac76d16d7c5000020101ac02616278010100000163000000000100000001',
  '03000048000000cc403b35a741530ec7871cee849bdea208000100030000400000000008080000000000020000000000',
  '000000000000000080000000000004000020000000000000000000000008000800000000000800010000000701000001',
  '02000006000000611094c0e41754a5c21ad25aeee9c47501026163002f0104000085010000b13c2e89d28b9d1ebdb300',
  '211e810647160d666f726d617456657273696f6e00010a66696c654e756d62657200010d736d616c6c6573745365716e',
  '6f00010c6c6172676573745365716e6f00ac020a656e747279436f756e7400020e746f6d6273746f6e65436f756e7400',
  '010f626c6f6248616e646c65436f756e7400001372616e6765546f6d6273746f6e65436f756e7400000e64617461426c',
  '6f636b436f756e7400010f7261774b657953697a65427974657300041172617756616c756553697a6542797465730001',
  '0d6461746153697a654279746573002f0e696e64657853697a654279746573001e0f66696c74657253697a6542797465',
  '7300600e626c6f636b53697a6542797465730080200f72657374617274496e74657276616c00101066696c7465724269',
  '74735065724b6579000a0e6372656174696f6e54696d654d730080d095ffbc3112736861646f776564456e747279436f',
  '756e7400000b736d616c6c6573744b6579010261620a6c6172676573744b6579010261630763726561746f72010c7374',
  '7261746120302e312e308f000000000000001e0000002f0000000000000060000000ad000000000000009d0100000000',
  '00000000000000000000000000000000000095d3ef2fe4791bd87c9e7d3f3b87b5b7010000005354424c',
].join('')

/** The same table as written before the shadowedEntryCount property (645 bytes). */
const VERSION_1_NO_SHADOWED_COUNT_TABLE_HEX = [
  '0101000017000000d0d9d81a60638c072d37ac76d16d7c5000020101ac02616278010100000163000000000100000001',
  '03000048000000cc403b35a741530ec7871cee849bdea208000100030000400000000008080000000000020000000000',
  '000000000000000080000000000004000020000000000000000000000008000800000000000800010000000701000001',
  '02000006000000611094c0e41754a5c21ad25aeee9c47501026163002f0104000070010000452ebd0f56d4822c759438',
  '75078ef274150d666f726d617456657273696f6e00010a66696c654e756d62657200010d736d616c6c6573745365716e',
  '6f00010c6c6172676573745365716e6f00ac020a656e747279436f756e7400020e746f6d6273746f6e65436f756e7400',
  '010f626c6f6248616e646c65436f756e7400001372616e6765546f6d6273746f6e65436f756e7400000e64617461426c',
  '6f636b436f756e7400010f7261774b657953697a65427974657300041172617756616c756553697a6542797465730001',
  '0d6461746153697a654279746573002f0e696e64657853697a654279746573001e0f66696c74657253697a6542797465',
  '7300600e626c6f636b53697a6542797465730080200f72657374617274496e74657276616c00101066696c7465724269',
  '74735065724b6579000a0e6372656174696f6e54696d654d730080d095ffbc310b736d616c6c6573744b657901026162',
  '0a6c6172676573744b6579010261630763726561746f72010c73747261746120302e312e308f000000000000001e0000',
  '002f0000000000000060000000ad0000000000000088010000000000000000000000000000000000000000000037b35f',
  '9f83edd9969a9f158e94a67cf1010000005354424c',
].join('')

/** The docs' example table, written with or without per-KV checksums, as hex. */
async function exampleTableHex(perKeyChecksums: boolean): Promise<string> {
  const vfs = new MemVfs()
  const file = vfs.create('/000001.sst')
  const writer = new TableWriter(file, { fileNumber: 1, creationTimeMs: 1_700_000_000_000, perKeyChecksums })
  writer.add('ab', 300, EntryKind.Put, Buffer.from('x'))
  writer.add('ac', 1, EntryKind.Delete, new Uint8Array(0))
  const finished = await writer.finish()
  const bytes = new Uint8Array(finished.sizeBytes)
  file.read(bytes, 0)
  return Buffer.from(bytes).toString('hex')
}

/** A reader over frozen table bytes given as hex (file number 1). */
function openHex(hex: string): TableReader {
  const vfs = new MemVfs()
  const file = vfs.create('/000001.sst')
  file.append([Buffer.from(hex, 'hex')])
  return TableReader.open(vfs, '/000001.sst', 1)
}

describe('table format version 1', () => {
  test('TableWriter encodes the documented example byte for byte', async () => {
    assert.equal(await exampleTableHex(false), VERSION_1_TABLE_HEX)
  })

  for (const [bytes, hex, shadowedEntryCount] of [['today\'s', VERSION_1_TABLE_HEX, 0], ['the frozen (no shadowedEntryCount)', VERSION_1_NO_SHADOWED_COUNT_TABLE_HEX, undefined]] as const) {
    test(`TableReader decodes ${bytes} version 1 bytes`, () => {
      const reader = openHex(hex)
      assert.deepEqual(reader.get('ab', SEQNO_MAX), { seqno: 300, kind: EntryKind.Put, value: Buffer.from([0x78]), owned: true })
      assert.equal(reader.get('ac', SEQNO_MAX)?.kind, EntryKind.Delete)
      assert.equal(reader.get('ab', 299), undefined)
      assert.equal(reader.properties.creator, 'strata 0.1.0')
      assert.equal(reader.properties.formatVersion, 1)
      assert.equal(reader.properties.shadowedEntryCount, shadowedEntryCount)
      reader.close()
    })
  }

  test('encodeFooter round-trips handles above 2^32', () => {
    const footer = {
      formatVersion: 1,
      index: { offsetBytes: 2 ** 40 + 5, sizeBytes: 77 },
      filter: { offsetBytes: 0, sizeBytes: 0 },
      properties: { offsetBytes: 2 ** 33, sizeBytes: 1 },
      rangeTombstones: { offsetBytes: 9, sizeBytes: 2 ** 32 - 1 },
    }
    assert.deepEqual(decodeFooter(encodeFooter(footer), '/f.sst', 0), footer)
  })
})

/** The same example written with perKeyChecksums: table format version 2 (674 bytes). */
const VERSION_2_TABLE_HEX = [
  '010100001f0000002f1057872b1e011dc23a2525a89c45d600020101ac0261627814503bdd010100000163ec44ee9b00',
  '000000010000000103000048000000cc403b35a741530ec7871cee849bdea20800010003000040000000000808000000',
  '000002000000000000000000000000008000000000000400002000000000000000000000000800080000000000080001',
  '000000070100000102000006000000a42956cd0cfb8b152a3d9e66c6a152d10102616300370104000085010000d02820',
  '28d380c1e6a66f88ad134c78ae160d666f726d617456657273696f6e00020a66696c654e756d62657200010d736d616c',
  '6c6573745365716e6f00010c6c6172676573745365716e6f00ac020a656e747279436f756e7400020e746f6d6273746f',
  '6e65436f756e7400010f626c6f6248616e646c65436f756e7400001372616e6765546f6d6273746f6e65436f756e7400',
  '000e64617461426c6f636b436f756e7400010f7261774b657953697a65427974657300041172617756616c756553697a',
  '65427974657300010d6461746153697a65427974657300370e696e64657853697a654279746573001e0f66696c746572',
  '53697a65427974657300600e626c6f636b53697a6542797465730080200f72657374617274496e74657276616c001010',
  '66696c746572426974735065724b6579000a0e6372656174696f6e54696d654d730080d095ffbc3112736861646f7765',
  '64456e747279436f756e7400000b736d616c6c6573744b6579010261620a6c6172676573744b65790102616307637265',
  '61746f72010c73747261746120302e312e3097000000000000001e000000370000000000000060000000b50000000000',
  '00009d0100000000000000000000000000000000000000000000490f01497844d5da76e0c2dad6313ad0020000005354',
  '424c',
].join('')

/** The version 2 table as written before the shadowedEntryCount property (653 bytes). */
const VERSION_2_NO_SHADOWED_COUNT_TABLE_HEX = [
  '010100001f0000002f1057872b1e011dc23a2525a89c45d600020101ac0261627814503bdd010100000163ec44ee9b00',
  '000000010000000103000048000000cc403b35a741530ec7871cee849bdea20800010003000040000000000808000000',
  '000002000000000000000000000000008000000000000400002000000000000000000000000800080000000000080001',
  '000000070100000102000006000000a42956cd0cfb8b152a3d9e66c6a152d10102616300370104000070010000566ed7',
  '20a7ef5d3f7ff7ada63cd72fea150d666f726d617456657273696f6e00020a66696c654e756d62657200010d736d616c',
  '6c6573745365716e6f00010c6c6172676573745365716e6f00ac020a656e747279436f756e7400020e746f6d6273746f',
  '6e65436f756e7400010f626c6f6248616e646c65436f756e7400001372616e6765546f6d6273746f6e65436f756e7400',
  '000e64617461426c6f636b436f756e7400010f7261774b657953697a65427974657300041172617756616c756553697a',
  '65427974657300010d6461746153697a65427974657300370e696e64657853697a654279746573001e0f66696c746572',
  '53697a65427974657300600e626c6f636b53697a6542797465730080200f72657374617274496e74657276616c001010',
  '66696c746572426974735065724b6579000a0e6372656174696f6e54696d654d730080d095ffbc310b736d616c6c6573',
  '744b6579010261620a6c6172676573744b6579010261630763726561746f72010c73747261746120302e312e30970000',
  '00000000001e000000370000000000000060000000b50000000000000088010000000000000000000000000000000000',
  '000000000061d5701255a9bd599c35a012041d9f47020000005354424c',
].join('')

describe('table format version 2 (per-KV checksums)', () => {
  test('TableWriter with perKeyChecksums encodes the example byte for byte', async () => {
    assert.equal(await exampleTableHex(true), VERSION_2_TABLE_HEX)
  })

  for (const [bytes, hex, shadowedEntryCount] of [['today\'s', VERSION_2_TABLE_HEX, 0], ['the frozen (no shadowedEntryCount)', VERSION_2_NO_SHADOWED_COUNT_TABLE_HEX, undefined]] as const) {
    test(`TableReader decodes ${bytes} version 2 bytes and checks their entries`, () => {
      const reader = openHex(hex)
      assert.equal(reader.properties.formatVersion, 2)
      assert.equal(reader.kvChecksums, true)
      assert.deepEqual(reader.get('ab', SEQNO_MAX), { seqno: 300, kind: EntryKind.Put, value: Buffer.from([0x78]), owned: true })
      assert.equal(reader.get('ac', SEQNO_MAX)?.kind, EntryKind.Delete)
      assert.equal(reader.properties.shadowedEntryCount, shadowedEntryCount)
      reader.close()
    })
  }

  test('a footer of version 3 is UNSUPPORTED_FORMAT_VERSION; properties that disagree with the footer are CORRUPTION', () => {
    const footer = { index: { offsetBytes: 0, sizeBytes: 1 }, filter: { offsetBytes: 0, sizeBytes: 0 }, properties: { offsetBytes: 0, sizeBytes: 1 }, rangeTombstones: { offsetBytes: 0, sizeBytes: 0 } }
    const bytes = encodeFooter({ ...footer, formatVersion: 2 })
    assert.equal(decodeFooter(bytes, '/f.sst', 0).formatVersion, 2)
    bytes[72] = 3
    assert.throws(() => decodeFooter(bytes, '/f.sst', 0), { code: 'UNSUPPORTED_FORMAT_VERSION' })
    // A version 2 table relabelled as version 1 (footer re-sealed): its properties still say 2.
    const table = Buffer.from(VERSION_2_TABLE_HEX, 'hex')
    const body = table.subarray(0, table.length - FOOTER_SIZE_BYTES)
    const decoded = decodeFooter(table.subarray(table.length - FOOTER_SIZE_BYTES), '/f.sst', body.length)
    const relabelled = Buffer.concat([body, encodeFooter({ ...decoded, formatVersion: 1 })])
    assert.throws(() => openHex(relabelled.toString('hex')), { code: 'CORRUPTION' })
  })
})
