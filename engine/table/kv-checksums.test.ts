// Goal: per-KV checksums in tables (table format version 2, docs/per-kv-checksums.md) round-trip,
// leave format version 1 untouched when off, and turn an entry damaged *after* its block checksum
// was verified (or under a recomputed block checksum) into CHECKSUM_MISMATCH on get and on
// iteration, never into wrong data.
// Method: seeded random entries (STRATA_SEED replays) written with and without the option; damage
// is crafted by a codec that flips a byte of the raw data block before sealing it (so the block
// checksum covers the damage) and by flipping bytes of a decoded block held in the block cache.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { EntryKind, SEQNO_MAX, type InternalEntry } from '../entry.ts'
import { BlockCache } from '../cache/mod.ts'
import { BlockType, type BlockCodec, type BlockContext } from '../transform/block-codec.ts'
import { PlainCodec } from '../transform/plain-codec.ts'
import { kvChecksum } from '../transform/kv-checksum.ts'
import { TableReader } from './reader.ts'
import type { DataBlock } from './block.ts'
import { Prng, randomEntries, seedFromEnv, writeTable } from './test-support.ts'

/** PlainCodec that records every raw data block and may damage one before sealing it. */
class CraftingCodec implements BlockCodec {
  readonly #plain = new PlainCodec()
  readonly rawDataBlocks: Uint8Array[] = []
  damage: ((raw: Uint8Array) => void) | undefined
  encode(raw: Uint8Array, context: BlockContext): Uint8Array {
    if (context.blockType !== BlockType.Data) return this.#plain.encode(raw, context)
    const copy = Uint8Array.from(raw)
    this.damage?.(copy)
    this.rawDataBlocks.push(copy)
    return this.#plain.encode(copy, context)
  }
  decode(onDisk: Uint8Array, context: BlockContext): Uint8Array {
    return this.#plain.decode(onDisk, context)
  }
}

function readAll(reader: TableReader): InternalEntry[] {
  const out: InternalEntry[] = []
  const iterator = reader.iterator()
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
    out.push({ key: iterator.key(), seqno: iterator.seqno(), kind: iterator.kind(), value: Uint8Array.from(iterator.value()) })
  }
  iterator.close()
  return out
}

function puts(count: number): InternalEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `key${String(i).padStart(4, '0')}`, seqno: 1000 - i, kind: EntryKind.Put, value: Buffer.from(`value-${String(i).padStart(4, '0')}-payload`),
  }))
}

describe('TableWriter perKeyChecksums', () => {
  test('writes format version 2 and reads back every entry by get and by iteration', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const entries = randomEntries(new Prng(seed), 300, 3, 200)
    const { vfs, path } = await writeTable(entries, { perKeyChecksums: true, blockSizeBytes: 512, restartInterval: 4 })
    const reader = TableReader.open(vfs, path, 7, { blockCache: new BlockCache({ capacityBytes: 1 << 20 }) })
    assert.equal(reader.properties.formatVersion, 2, `seed=${seed}`)
    assert.equal(reader.kvChecksums, true)
    assert.deepEqual(readAll(reader), entries.map((e) => ({ ...e, value: Uint8Array.from(e.value) })), `seed=${seed}`)
    for (const entry of entries) {
      const found = reader.get(entry.key, entry.seqno)
      assert.equal(found?.seqno, entry.seqno, `seed=${seed} ${JSON.stringify(entry.key)}`)
      assert.deepEqual(Uint8Array.from(found.value), Uint8Array.from(entry.value), `seed=${seed}`)
    }
    // Backwards: seekToLast / prev land on (and verify) every entry too.
    const iterator = reader.iterator()
    let count = 0
    for (iterator.seekToLast(); iterator.valid(); iterator.prev()) count++
    assert.equal(count, entries.length)
    reader.close()
  })

  test('off (default or false) writes format version 1, byte-identical to a writer without the option', async () => {
    const entries = puts(200)
    const read = (vfs: { openRead(p: string): { read(b: Uint8Array, o: number): number, sizeBytes(): number } }, path: string) => {
      const file = vfs.openRead(path)
      const bytes = new Uint8Array(file.sizeBytes())
      file.read(bytes, 0)
      return Buffer.from(bytes).toString('hex')
    }
    const plain = await writeTable(entries)
    const off = await writeTable(entries, { perKeyChecksums: false })
    assert.equal(read(off.vfs, off.path), read(plain.vfs, plain.path))
    assert.equal(TableReader.open(plain.vfs, plain.path, 7).properties.formatVersion, 1)
    const on = await writeTable(entries, { perKeyChecksums: true })
    assert.ok(on.finished.sizeBytes - plain.finished.sizeBytes >= 4 * entries.length, 'version 2 adds 4 bytes per entry')
  })

  test('a version 2 entry is the version 1 entry followed by its u32 LE checksum (docs/formats/table.md §2)', async () => {
    const codec = new CraftingCodec()
    await writeTable([
      { key: 'ab', seqno: 300, kind: EntryKind.Put, value: Buffer.from('x') },
      { key: 'ac', seqno: 1, kind: EntryKind.Delete, value: new Uint8Array(0) },
    ], { perKeyChecksums: true, codec })
    const first = Buffer.alloc(4)
    first.writeUInt32LE(kvChecksum('ab', 300, EntryKind.Put, Buffer.from('x')))
    const second = Buffer.alloc(4)
    second.writeUInt32LE(kvChecksum('ac', 1, EntryKind.Delete, new Uint8Array(0)))
    assert.equal(first.toString('hex'), '14503bdd')
    assert.equal(second.toString('hex'), 'ec44ee9b')
    const expected = `000201 01ac02 6162 78 ${first.toString('hex')} 010100 0001 63 ${second.toString('hex')} 00000000 01000000`.replaceAll(' ', '')
    assert.equal(Buffer.from(codec.rawDataBlocks[0]).toString('hex'), expected)
  })
})

describe('per-KV checksum verification', () => {
  /** A table of `puts(count)` whose entry `victim` has one value byte flipped under a valid block checksum. */
  async function damagedTable(perKeyChecksums: boolean, victim: number) {
    const entries = puts(120)
    const codec = new CraftingCodec()
    const needle = Buffer.from(`value-${String(victim).padStart(4, '0')}-payload`)
    codec.damage = (raw) => {
      const at = Buffer.from(raw.buffer, raw.byteOffset, raw.length).indexOf(needle)
      if (at >= 0) raw[at + 8] ^= 0x04
    }
    const { vfs, path } = await writeTable(entries, { perKeyChecksums, codec, blockSizeBytes: 512 })
    return { reader: TableReader.open(vfs, path, 7, { codec }), entries }
  }

  test('get() throws CHECKSUM_MISMATCH naming the file for a damaged entry under a recomputed block checksum', async () => {
    const { reader } = await damagedTable(true, 57)
    assert.throws(() => reader.get('key0057', SEQNO_MAX), (error: { code: string, details: { fileName: string, entryOffsetBytes: number } }) => {
      assert.equal(error.code, 'CHECKSUM_MISMATCH')
      assert.equal(error.details.fileName, '/000007.sst')
      assert.equal(typeof error.details.entryOffsetBytes, 'number')
      return true
    })
    // Its neighbours in the same block still read.
    assert.equal(Buffer.from(reader.get('key0056', SEQNO_MAX)!.value).toString(), 'value-0056-payload')
  })

  test('iteration throws CHECKSUM_MISMATCH when it reaches the damaged entry, forwards, backwards and by seek', async () => {
    const { reader } = await damagedTable(true, 57)
    assert.throws(() => readAll(reader), { code: 'CHECKSUM_MISMATCH' })
    const backwards = reader.iterator()
    assert.throws(() => {
      for (backwards.seekToLast(); backwards.valid(); backwards.prev());
    }, { code: 'CHECKSUM_MISMATCH' })
    const seeking = reader.iterator()
    assert.throws(() => seeking.seek('key0057'), { code: 'CHECKSUM_MISMATCH' })
    assert.throws(() => seeking.seekForPrev('key0057'), { code: 'CHECKSUM_MISMATCH' })
  })

  test('without the option the same damage is returned as wrong data (what version 2 prevents)', async () => {
    const { reader } = await damagedTable(false, 57)
    const found = reader.get('key0057', SEQNO_MAX)
    assert.notEqual(Buffer.from(found!.value).toString(), 'value-0057-payload')
  })

  test('a byte flipped in a decoded block held by the block cache is caught on get and iteration', async () => {
    const entries = puts(120)
    const { vfs, path } = await writeTable(entries, { perKeyChecksums: true, blockSizeBytes: 512 })
    const cache = new BlockCache({ capacityBytes: 1 << 20 })
    const reader = TableReader.open(vfs, path, 7, { blockCache: cache })
    assert.equal(Buffer.from(reader.get('key0003', SEQNO_MAX)!.value).toString(), 'value-0003-payload')
    const block = cache.get(7, 0) as DataBlock
    const at = block.bytes.indexOf(Buffer.from('value-0003-payload'))
    block.bytes[at + 7] ^= 0x01
    assert.throws(() => reader.get('key0003', SEQNO_MAX), { code: 'CHECKSUM_MISMATCH' })
    assert.throws(() => readAll(reader), { code: 'CHECKSUM_MISMATCH' })
  })

  test('every single-bit flip in the entries of a sealed version 2 block is an error or the right data on scan, reverse scan, get and seek, never wrong data', async (t) => {
    const seed = seedFromEnv()
    t.diagnostic(`seed=${seed}`)
    const entries = randomEntries(new Prng(seed), 12, 2, 24)
    const clean = new CraftingCodec()
    await writeTable(entries, { perKeyChecksums: true, codec: clean, blockSizeBytes: 4096 })
    assert.equal(clean.rawDataBlocks.length, 1)
    const raw = clean.rawDataBlocks[0]
    const restartCount = Buffer.from(raw).readUInt32LE(raw.length - 4)
    const entriesEnd = raw.length - 4 - 4 * restartCount
    const expected = entries.map((e) => ({ ...e, value: Uint8Array.from(e.value) }))
    let caught = 0
    for (let bit = 0; bit < entriesEnd * 8; bit++) {
      const codec = new CraftingCodec()
      codec.damage = (block) => {
        block[bit >> 3] ^= 1 << (bit & 7)
      }
      const { vfs, path } = await writeTable(entries, { perKeyChecksums: true, codec, blockSizeBytes: 4096 })
      const reader = TableReader.open(vfs, path, 7, { codec })
      const typedOrRight = (read: () => void, what: string): boolean => {
        try {
          read()
          return false
        } catch (error) {
          if ((error as { code?: string }).code === undefined) throw error
          assert.ok(['CHECKSUM_MISMATCH', 'CORRUPTION'].includes((error as { code: string }).code), `seed=${seed} bit=${bit} ${what}`)
          return true
        }
      }
      if (typedOrRight(() => assert.deepEqual(readAll(reader), expected, `seed=${seed} bit=${bit}`), 'scan')) caught++
      typedOrRight(() => {
        const backwards: InternalEntry[] = []
        const iterator = reader.iterator()
        for (iterator.seekToLast(); iterator.valid(); iterator.prev()) {
          backwards.push({ key: iterator.key(), seqno: iterator.seqno(), kind: iterator.kind(), value: Uint8Array.from(iterator.value()) })
        }
        assert.deepEqual(backwards.reverse(), expected, `seed=${seed} bit=${bit} reverse`)
      }, 'reverse scan')
      // Point reads and seeks too: a damaged key or seqno must not make get() skip the version
      // it should return (absent, or an older one), nor a seek skip an entry.
      for (const [index, entry] of expected.entries()) {
        typedOrRight(() => {
          const found = reader.get(entry.key, entry.seqno)
          assert.deepEqual(found && { seqno: found.seqno, kind: found.kind, value: Uint8Array.from(found.value) },
            { seqno: entry.seqno, kind: entry.kind, value: entry.value }, `seed=${seed} bit=${bit} get ${index}`)
        }, 'get')
        typedOrRight(() => {
          const iterator = reader.iterator()
          iterator.seek(entry.key)
          const first = expected.find((e) => e.key === entry.key)!
          assert.deepEqual([iterator.key(), iterator.seqno()], [first.key, first.seqno], `seed=${seed} bit=${bit} seek ${index}`)
        }, 'seek')
      }
    }
    assert.equal(caught, entriesEnd * 8, `seed=${seed}: every flip in the entries changes what they encode`)
  })
})
