// Goal: integrity.perKeyChecksums works end to end through the Db: values round-trip through
// memtable, flush, compaction and reopen; tables written with and without the option coexist in
// one tree (each read by its own format version); an entry damaged under a valid block checksum
// is CHECKSUM_MISMATCH on get, iteration and compaction, never wrong data; off, tables stay
// format version 1.
// Method: seeded writes against a Map model on MemVfs (STRATA_SEED replays). Damage is crafted
// by decoding a table's first data block, flipping one value byte and re-sealing the block with
// a fresh block checksum, so only the per-KV checksum can notice.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import path from 'node:path'
import { Db } from '../db.ts'
import { MemVfs } from '../vfs/mod.ts'
import { PlainCodec } from './plain-codec.ts'
import { BlockType } from './block-codec.ts'
import { mulberry32Float } from '../mulberry32.ts'
import type { EngineOptions } from '../options.ts'

const DIRECTORY = '/kv'
const SMALL: EngineOptions = { memtableSizeBytes: 8 * 1024, blockSizeBytes: 1024, backgroundWork: false }

function seedFromEnv(): number {
  return process.env.STRATA_SEED === undefined ? 3 : Number(process.env.STRATA_SEED)
}

function open(vfs: MemVfs, perKeyChecksums: boolean | undefined): Promise<Db> {
  return Db.open(DIRECTORY, { ...SMALL, vfs, integrity: perKeyChecksums === undefined ? undefined : { perKeyChecksums } })
}

/** Seeded puts, overwrites and deletes into `db`, mirrored in `model`. */
async function writeSome(db: Db, model: Map<string, string>, seed: number, count: number, tag: string): Promise<void> {
  const random = mulberry32Float(seed)
  for (let step = 0; step < count; step++) {
    const key = `key${String(Math.floor(random() * 400)).padStart(4, '0')}`
    if (random() < 0.1) {
      await db.delete(key)
      model.delete(key)
    } else {
      const value = `${tag}-${step}-${'v'.repeat(Math.floor(random() * 60))}`
      await db.put(key, value)
      model.set(key, value)
    }
  }
}

async function checkModel(db: Db, model: Map<string, string>, message: string): Promise<void> {
  const seen = new Map<string, string>()
  for await (const [key, value] of db.iterator()) seen.set(key.toString('latin1'), value.toString())
  assert.deepEqual(seen, new Map([...model].sort(([a], [b]) => (a < b ? -1 : 1))), message)
  for (const [key, value] of model) assert.equal((await db.get(key))?.toString(), value, `${message} ${key}`)
}

/** Table format versions of the .sst files in the directory, by file name. */
function tableVersions(vfs: MemVfs): number[] {
  return vfs.list(DIRECTORY).filter((name) => name.endsWith('.sst')).sort().map((name) => {
    const file = vfs.openRead(path.join(DIRECTORY, name))
    const tail = Buffer.alloc(8)
    file.read(tail, file.sizeBytes() - 8)
    file.close()
    return tail.readUInt32LE(0)
  })
}

/** Flips one byte of `value` in the first data block of `name`, re-sealing the block. */
function damageValue(vfs: MemVfs, name: string, value: string): void {
  const filePath = path.join(DIRECTORY, name)
  const file = vfs.openRead(filePath)
  const bytes = Buffer.alloc(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  const codec = new PlainCodec()
  const sizeBytes = 24 + bytes.readUInt32LE(4)
  const context = { fileNumber: Number(name.slice(0, -4)), blockType: BlockType.Data, fileName: filePath, offsetBytes: 0 }
  const raw = Buffer.from(codec.decode(bytes.subarray(0, sizeBytes), context))
  const at = raw.indexOf(value)
  assert.ok(at > 0, `the first block holds ${value}`)
  raw[at + value.length - 1] ^= 0x01
  const sealed = codec.encode(raw, context)
  assert.equal(sealed.length, sizeBytes)
  bytes.set(sealed, 0)
  const out = vfs.create(filePath)
  out.append([bytes])
  out.close()
}

describe('integrity.perKeyChecksums through the Db', () => {
  test('round-trips through memtable, flush, compaction and reopen; every table is format version 2', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const vfs = new MemVfs()
    const model = new Map<string, string>()
    let db = await open(vfs, true)
    await writeSome(db, model, seed, 600, 'a')
    await checkModel(db, model, `seed=${seed} before flush`)
    await db.flush()
    await writeSome(db, model, seed + 1, 300, 'b')
    await db.compact()
    await checkModel(db, model, `seed=${seed} after compaction`)
    await db.flush()
    await db.close()
    db = await open(vfs, true)
    await checkModel(db, model, `seed=${seed} after reopen`)
    await db.close()
    const versions = tableVersions(vfs)
    assert.ok(versions.length > 0)
    assert.deepEqual(versions, versions.map(() => 2), `seed=${seed}`)
  })

  test('off (the default) writes format version 1 tables', async () => {
    const vfs = new MemVfs()
    const db = await open(vfs, undefined)
    await writeSome(db, new Map(), 5, 300, 'a')
    await db.flush()
    await db.close()
    assert.deepEqual(new Set(tableVersions(vfs)), new Set([1]))
  })

  test('tables written with and without the option coexist, before and after compaction', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const vfs = new MemVfs()
    const model = new Map<string, string>()
    for (const [round, perKeyChecksums] of [false, true, false, true].entries()) {
      const db = await open(vfs, perKeyChecksums)
      await checkModel(db, model, `seed=${seed} round ${round} open`)
      await writeSome(db, model, seed + round, 250, `r${round}`)
      await db.flush()
      await checkModel(db, model, `seed=${seed} round ${round} flushed`)
      await db.close()
    }
    assert.deepEqual(new Set(tableVersions(vfs)), new Set([1, 2]))
    const db = await open(vfs, false)
    await db.compact()
    await checkModel(db, model, `seed=${seed} compacted without the option`)
    await db.close()
    assert.deepEqual(new Set(tableVersions(vfs)), new Set([1]))
  })

  test('an entry damaged under a valid block checksum is CHECKSUM_MISMATCH on get, iteration, verify() and compaction', async () => {
    const vfs = new MemVfs()
    let db = await open(vfs, true)
    for (let i = 0; i < 50; i++) await db.put(`key${String(i).padStart(4, '0')}`, `value-${i}`)
    await db.flush()
    for (let i = 0; i < 50; i += 2) await db.put(`key${String(i).padStart(4, '0')}`, `newer-${i}`)
    await db.flush()
    await db.close()
    const oldest = vfs.list(DIRECTORY).filter((name) => name.endsWith('.sst')).sort()[0]
    damageValue(vfs, oldest, 'value-1')
    db = await open(vfs, true)
    await assert.rejects(db.get('key0001'), (error: { code: string, details: { fileName: string } }) => {
      assert.equal(error.code, 'CHECKSUM_MISMATCH')
      assert.equal(path.basename(error.details.fileName), oldest)
      return true
    })
    assert.equal((await db.get('key0000'))?.toString(), 'newer-0', 'the newer table answers for key0000')
    await assert.rejects(async () => {
      for await (const _ of db.iterator()) { /* reach the damaged entry */ }
    }, { code: 'CHECKSUM_MISMATCH' })
    const report = await db.verify()
    assert.equal(report.unrecoverableCount, 1, 'verify() (and the patrol scrub) finds the damaged entry')
    await assert.rejects(db.compact(), { code: 'CHECKSUM_MISMATCH' })
    await db.close().catch(() => undefined)
  })

  test('stats().integrity says whether per-KV checksums are on; WAL replay at reopen keeps them on', async () => {
    const vfs = new MemVfs()
    let db = await open(vfs, true)
    assert.equal(db.stats().integrity.perKeyChecksums, true)
    await db.put('unflushed', 'in the WAL only')
    await db.close()
    db = await open(vfs, true)
    assert.equal((await db.get('unflushed'))?.toString(), 'in the WAL only')
    await db.close()
    db = await open(vfs, false)
    assert.equal(db.stats().integrity.perKeyChecksums, false)
    await db.close()
  })

  for (const perKeyChecksums of [true, false]) {
    test(`a value buffer the caller changes after put() or batch() reads back as written (perKeyChecksums ${perKeyChecksums})`, async () => {
      // The memtable keeps views into the encoded WAL payload, not the caller's buffers.
      const vfs = new MemVfs()
      const db = await open(vfs, perKeyChecksums)
      const value = Buffer.from('original')
      await db.put('k', value)
      await db.batch([{ type: 'put', key: 'b', value }])
      value[0] ^= 0x20
      assert.equal((await db.get('k'))?.toString(), 'original')
      assert.equal((await db.get('b'))?.toString(), 'original')
      for await (const [, read] of db.iterator()) assert.equal(Buffer.from(read).toString(), 'original')
      await db.flush()
      assert.equal((await db.get('k'))?.toString(), 'original')
      await db.close()
    })
  }

  test('with the option off the same damage goes unnoticed (the case per-KV checksums exist for)', async () => {
    const vfs = new MemVfs()
    let db = await open(vfs, false)
    for (let i = 0; i < 50; i++) await db.put(`key${String(i).padStart(4, '0')}`, `value-${i}`)
    await db.flush()
    await db.close()
    damageValue(vfs, vfs.list(DIRECTORY).filter((name) => name.endsWith('.sst'))[0], 'value-0')
    db = await open(vfs, false)
    assert.notEqual((await db.get('key0000'))?.toString(), 'value-0')
    await db.close()
  })
})
