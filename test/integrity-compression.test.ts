// Goal: integrity.compression's perLevel and perBlockKind overrides reach the blocks the Db
// writes: a flush writes level-0 blocks, a compaction writes blocks of its output level, index
// blocks and blob frames follow their block-kind override, and everything reads back through
// flush, compaction, reopen, encryption and KV separation. stats() names the overrides.
// Method: MemVfs stores; each table is walked block by block (forensics' blockExtentAt) and every
// zstd body is compared with a fresh zstd compression of the decoded block at the expected level
// (zstd is deterministic per level), which proves the level, not just the flag.
// Values come from mulberry32 with a fixed seed (printed), so every run writes the same bytes.
import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, test } from 'node:test'
import { open, MemVfs, type Db, type IntegrityOptions, type OpenOptions } from '../index.ts'
import { readVersion, blockExtentAt, type LoadedKeys } from '../engine/forensics/mod.ts'
import { tableFileName, blobFileName, type TableMeta } from '../engine/manifest/mod.ts'
import { FOOTER_SIZE_BYTES } from '../engine/table/mod.ts'
import { BlockType, BlockFlag, IntegrityCodec, KeyChain, BLOCK_HEADER_SIZE_BYTES } from '../engine/transform/mod.ts'
import { BlockCompressor, COMPRESSION_CONTEXT_SIZE_BYTES } from '../engine/transform/compress.ts'
import { BlobFileReader, scanBlobFile, FRAME_HEADER_SIZE_BYTES } from '../blobtree/blob-file/mod.ts'
import { mulberry32Float } from '../engine/mulberry32.ts'
import { readBytes } from '../engine/manifest/test-support.ts'

const SEED = 20261126
const DIRECTORY = '/db'
const SMALL: OpenOptions = { memtableSizeBytes: 64 * 1024, blockSizeBytes: 1024, backgroundWork: false }
const WORDS = ['amber', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'garnet', 'harbor', 'indigo', 'jasper']

/** Seeded, compressible text values (different bytes at zstd levels 1, 3 and 19). */
function valueOf(random: () => number, sizeBytes: number): string {
  let text = ''
  while (text.length < sizeBytes) text += `${WORDS[Math.floor(random() * WORDS.length)]}${Math.floor(random() * 100)} `
  return text.slice(0, sizeBytes)
}

async function writeKeys(db: Db, model: Map<string, string>, random: () => number, from: number, count: number, sizeBytes: number): Promise<void> {
  for (let index = from; index < from + count; index++) {
    const key = `key${String(index).padStart(5, '0')}`
    const value = valueOf(random, sizeBytes)
    await db.put(key, value)
    model.set(key, value)
  }
}

async function assertMatches(db: Db, model: Map<string, string>, message: string): Promise<void> {
  const actual: [string, string][] = []
  for await (const [key, value] of db.iterator()) actual.push([key.toString(), value.toString()])
  assert.deepEqual(actual, [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1)), message)
}

/** What a block shows of its compression: 'none', or the zstd level its body was made at. */
type Observed = 'none' | `zstd ${number}`

/**
 * The compression of an unencrypted block: its flag, and for a zstd body the level among
 * `candidates` that reproduces it byte for byte ('zstd ?' when none does).
 */
function observe(block: Uint8Array, raw: Uint8Array, candidates: readonly number[]): Observed {
  if ((block[2] & BlockFlag.Compressed) === 0) return 'none'
  const body = block.subarray(BLOCK_HEADER_SIZE_BYTES + COMPRESSION_CONTEXT_SIZE_BYTES)
  for (const level of candidates) {
    const packed = new BlockCompressor({ kind: 'zstd', level }).compress(raw, COMPRESSION_CONTEXT_SIZE_BYTES)
    if (packed !== undefined && Buffer.compare(packed.body, body) === 0) return `zstd ${level}`
  }
  return 'zstd ?' as Observed
}

/** Every block of a table: its type and its observed compression. */
function tableBlocks(vfs: MemVfs, table: TableMeta, reader: IntegrityCodec): { blockType: number; observed: Observed }[] {
  const bytes = readBytes(vfs, path.join(DIRECTORY, tableFileName(table.fileNumber)))
  const endBytes = bytes.length - FOOTER_SIZE_BYTES
  const blocks: { blockType: number; observed: Observed }[] = []
  for (let offsetBytes = 0; offsetBytes < endBytes;) {
    const extent = blockExtentAt(bytes.subarray(offsetBytes, endBytes))
    assert.ok(extent, `block at ${offsetBytes} of table ${table.fileNumber}`)
    const block = bytes.subarray(offsetBytes, offsetBytes + extent.sizeBytes)
    const context = { fileNumber: table.fileNumber, blockType: block[1], fileName: tableFileName(table.fileNumber), offsetBytes }
    blocks.push({ blockType: block[1], observed: observe(block, reader.decode(block, context), [1, 3, 19]) })
    offsetBytes += extent.sizeBytes
  }
  return blocks
}

async function liveTables(vfs: MemVfs, keys?: LoadedKeys): Promise<TableMeta[]> {
  return (await readVersion(vfs, DIRECTORY, keys)).version.levels.flat()
}

describe('integrity.compression overrides through the Db', () => {
  console.log(`seed ${SEED}`)
  const reader = new IntegrityCodec({ compression: { kind: 'zstd', level: 3 } })

  test('level 0 none, deeper levels zstd 1, index blocks none: through flush, compaction and reopen', async () => {
    const vfs = new MemVfs()
    const integrity: IntegrityOptions = {
      compression: { kind: 'zstd', level: 3, perLevel: [{ kind: 'none' }, { kind: 'zstd', level: 1 }], perBlockKind: { index: { kind: 'none' } } },
    }
    const random = mulberry32Float(SEED)
    const model = new Map<string, string>()
    let db = await open(DIRECTORY, { ...SMALL, vfs, integrity })
    await writeKeys(db, model, random, 0, 300, 200)
    await db.flush()
    const flushed = await liveTables(vfs)
    assert.ok(flushed.length > 0 && flushed.every((table) => table.level === 0))
    for (const table of flushed) {
      for (const { blockType, observed } of tableBlocks(vfs, table, reader)) assert.equal(observed, 'none', `L0 table ${table.fileNumber} block type ${blockType}`)
    }
    await db.compact()
    await writeKeys(db, model, random, 300, 100, 200)
    await db.flush()
    const tables = await liveTables(vfs)
    assert.ok(tables.some((table) => table.level === 0) && tables.some((table) => table.level >= 1), 'tables at level 0 and deeper')
    let deepDataBlockCount = 0
    for (const table of tables) {
      for (const { blockType, observed } of tableBlocks(vfs, table, reader)) {
        const where = `L${table.level} table ${table.fileNumber} block type ${blockType}`
        if (table.level === 0 || blockType === BlockType.Index) assert.equal(observed, 'none', where)
        // Filter bits do not compress; any block that was compressed used level 1.
        else if (blockType === BlockType.Filter) assert.ok(observed === 'none' || observed === 'zstd 1', `${where}: ${observed}`)
        else {
          assert.equal(observed, 'zstd 1', where)
          if (blockType === BlockType.Data) deepDataBlockCount++
        }
      }
    }
    assert.ok(deepDataBlockCount > 10, `${deepDataBlockCount} compressed data blocks below level 0`)
    assert.equal(db.stats().integrity.compression, 'zstd level 3; level 0 none; level 1 zstd level 1; index none')
    await assertMatches(db, model, 'before reopen')
    await db.close()
    // Reopen without the overrides: decoding needs only the blocks themselves.
    db = await open(DIRECTORY, { ...SMALL, vfs, integrity: { compression: { kind: 'zstd', level: 3 } } })
    await assertMatches(db, model, 'after reopen without overrides')
    await db.compact()
    await assertMatches(db, model, 'after a compaction under the default')
    await db.close()
  })

  test('without overrides the blocks are byte-identical to those written with empty override fields', async () => {
    const runs: Uint8Array[][] = []
    for (const compression of [{ kind: 'zstd', level: 3 }, { kind: 'zstd', level: 3, perLevel: [undefined], perBlockKind: {} }] as IntegrityOptions['compression'][]) {
      const vfs = new MemVfs()
      const db = await open(DIRECTORY, { ...SMALL, vfs, integrity: { compression } })
      await writeKeys(db, new Map(), mulberry32Float(SEED), 0, 200, 150)
      await db.flush()
      const blocks: Uint8Array[] = []
      for (const table of await liveTables(vfs)) {
        const bytes = readBytes(vfs, path.join(DIRECTORY, tableFileName(table.fileNumber)))
        const endBytes = bytes.length - FOOTER_SIZE_BYTES
        for (let offsetBytes = 0; offsetBytes < endBytes;) {
          const sizeBytes = blockExtentAt(bytes.subarray(offsetBytes, endBytes))!.sizeBytes
          // The properties block records the creation time, which differs between the runs.
          if (bytes[offsetBytes + 1] !== BlockType.Properties) blocks.push(bytes.slice(offsetBytes, offsetBytes + sizeBytes))
          offsetBytes += sizeBytes
        }
      }
      await db.close()
      runs.push(blocks)
    }
    assert.ok(runs[0].length > 10)
    assert.deepEqual(runs[1], runs[0])
  })

  test('encrypted store: the overrides show in the flags and everything reads back after reopen', async () => {
    const vfs = new MemVfs()
    const encryption = { suite: 'chacha20-poly1305' as const, keys: [{ epoch: 1, key: new Uint8Array(32).fill(0x5a) }], activeEpoch: 1 }
    const integrity: IntegrityOptions = { compression: { kind: 'none', perLevel: [undefined, { kind: 'zstd', level: 19 }] }, encryption, ecc: 'sec-ded' }
    const random = mulberry32Float(SEED + 1)
    const model = new Map<string, string>()
    let db = await open(DIRECTORY, { ...SMALL, vfs, integrity })
    await writeKeys(db, model, random, 0, 200, 300)
    await db.compact()
    await writeKeys(db, model, random, 200, 50, 300)
    await db.flush()
    const keys = { suite: encryption.suite, keyChain: new KeyChain({ keys: encryption.keys, activeEpoch: 1 }) }
    const tables = await liveTables(vfs, keys)
    assert.ok(tables.some((table) => table.level === 0) && tables.some((table) => table.level >= 1), 'tables at level 0 and deeper')
    for (const table of tables) {
      const bytes = readBytes(vfs, path.join(DIRECTORY, tableFileName(table.fileNumber)))
      const extent = blockExtentAt(bytes)
      assert.ok(extent)
      assert.equal(bytes[1], BlockType.Data)
      assert.equal((bytes[2] & BlockFlag.Compressed) !== 0, table.level >= 1, `first data block of L${table.level} table ${table.fileNumber}`)
      assert.notEqual(bytes[2] & BlockFlag.Encrypted, 0)
    }
    await db.close()
    db = await open(DIRECTORY, { ...SMALL, vfs, integrity })
    await assertMatches(db, model, 'encrypted, after reopen')
    await db.close()
  })

  test('KV separation: blob frames use perBlockKind.blob (zstd 19), tables their own choice', async () => {
    const vfs = new MemVfs()
    const integrity: IntegrityOptions = { compression: { kind: 'zstd', level: 3, perLevel: [{ kind: 'zstd', level: 1 }], perBlockKind: { blob: { kind: 'zstd', level: 19 } } } }
    const random = mulberry32Float(SEED + 2)
    const model = new Map<string, string>()
    let db = await open(DIRECTORY, { ...SMALL, vfs, integrity, kvSeparation: { minBlobSize: 512 } })
    await writeKeys(db, model, random, 0, 40, 2000) // blobs
    await writeKeys(db, model, random, 40, 100, 100) // inline
    await db.flush()
    const blobFiles = vfs.list(DIRECTORY).filter((name) => name.endsWith('.blob'))
    assert.ok(blobFiles.length > 0, 'blob files written')
    let frameCount = 0
    for (const name of blobFiles) {
      const fileNumber = Number.parseInt(name, 10)
      assert.equal(name, blobFileName(fileNumber))
      const file = vfs.openRead(path.join(DIRECTORY, name))
      try {
        for (const frame of scanBlobFile(BlobFileReader.open(file, { codec: reader }))) {
          const body = frame.frameBytes.subarray(FRAME_HEADER_SIZE_BYTES + frame.key.length)
          assert.equal(body[1], BlockType.BlobFrame)
          assert.equal(observe(body, frame.value!, [1, 3, 19]), 'zstd 19', `frame of ${Buffer.from(frame.key).toString('latin1')}`)
          frameCount++
        }
      } finally {
        file.close()
      }
    }
    assert.equal(frameCount, 40)
    for (const table of await liveTables(vfs)) {
      const data = tableBlocks(vfs, table, reader).filter((block) => block.blockType === BlockType.Data)
      assert.ok(data.length > 0 && data.every((block) => block.observed === 'zstd 1'), `L0 table ${table.fileNumber}: ${data.map((block) => block.observed)}`)
    }
    assert.match(db.stats().integrity.compression, /blob zstd level 19/)
    await db.compact()
    await db.close()
    db = await open(DIRECTORY, { ...SMALL, vfs, integrity, kvSeparation: { minBlobSize: 512 } })
    await assertMatches(db, model, 'KV separation, after compaction and reopen')
    await db.close()
  })
})
