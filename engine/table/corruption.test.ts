// Goal: a damaged table never yields wrong data: each flipped bit or truncation gives a typed
// error (CHECKSUM_MISMATCH, CORRUPTION, UNSUPPORTED_FORMAT_VERSION) that names the file.
// Method: write a small table on MemVfs, damage a copy of its bytes, reopen and read everything.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Buffer } from 'node:buffer'
import { SEQNO_MAX, type InternalEntry } from '../entry.ts'
import { isStrataError } from '../errors.ts'
import { MemVfs } from '../vfs/mod.ts'
import { BlockCache } from '../cache/mod.ts'
import { TableReader } from './mod.ts'
import { FOOTER_SIZE_BYTES } from './footer.ts'
import { Prng, randomEntries, seedFromEnv, writeTable } from './test-support.ts'

const PATH = '/000007.sst'

async function sampleTable(seed: number, perKeyChecksums = false): Promise<{ bytes: Uint8Array, entries: InternalEntry[] }> {
  const entries = randomEntries(new Prng(seed), 40, 2, 30)
  const { vfs } = await writeTable(entries, { blockSizeBytes: 256, path: PATH, rangeTombstones: [{ start: 'a', end: 'b', seqno: 3 }], perKeyChecksums })
  const file = vfs.openRead(PATH)
  const bytes = new Uint8Array(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  return { bytes, entries }
}

function vfsWith(bytes: Uint8Array): MemVfs {
  const vfs = new MemVfs()
  const file = vfs.create(PATH)
  file.append([bytes])
  file.close()
  return vfs
}

/** Opens and reads every entry by scan and by get; returns what it saw. */
function readAll(vfs: MemVfs, entries: readonly InternalEntry[]): string {
  const reader = TableReader.open(vfs, PATH, 7, { blockCache: new BlockCache() })
  try {
    const seen: string[] = []
    const iterator = reader.iterator()
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      seen.push(`${iterator.key()}|${iterator.seqno()}|${iterator.kind()}|${Buffer.from(iterator.value()).toString('hex')}`)
    }
    for (const entry of entries) {
      const found = reader.get(entry.key, entry.seqno)
      seen.push(`${found?.seqno}|${found?.kind}|${found && Buffer.from(found.value).toString('hex')}`)
    }
    seen.push(JSON.stringify(reader.rangeTombstones), JSON.stringify(reader.properties))
    return seen.join('\n')
  } finally {
    reader.close()
  }
}

const TYPED_CODES = new Set(['CHECKSUM_MISMATCH', 'CORRUPTION', 'UNSUPPORTED_FORMAT_VERSION'])

describe('TableReader on damaged files', () => {
  const seed = seedFromEnv()

  for (const perKeyChecksums of [false, true]) {
    test(`detects a flipped bit at every byte of the file (seed ${seed}, table format version ${perKeyChecksums ? 2 : 1})`, async () => {
      await flipEveryByte(seed, perKeyChecksums)
    })
  }

  async function flipEveryByte(seed: number, perKeyChecksums: boolean): Promise<void> {
    const { bytes, entries } = await sampleTable(seed, perKeyChecksums)
    const intact = readAll(vfsWith(bytes), entries)
    const codes = new Map<string, number>()
    for (let position = 0; position < bytes.length; position++) {
      const damaged = bytes.slice()
      damaged[position] ^= 1 << (position % 8)
      let outcome: string
      try {
        outcome = readAll(vfsWith(damaged), entries)
      } catch (error) {
        assert.ok(isStrataError(error) && TYPED_CODES.has(error.code), `byte ${position}: ${String(error)} seed=${seed}`)
        assert.equal(error.details.fileName, PATH, `byte ${position}: error names the file`)
        codes.set(error.code, (codes.get(error.code) ?? 0) + 1)
        continue
      }
      assert.notEqual(outcome, intact, `byte ${position}: undetected flip returned data seed=${seed}`)
      assert.fail(`byte ${position}: flip returned different data instead of an error seed=${seed}`)
    }
    assert.ok((codes.get('CHECKSUM_MISMATCH') ?? 0) > 0)
    assert.ok((codes.get('CORRUPTION') ?? 0) > 0)
  }

  test('a flipped bit in a data block gives CHECKSUM_MISMATCH naming the file and block offset', async () => {
    const { bytes, entries } = await sampleTable(seed)
    const damaged = bytes.slice()
    damaged[40] ^= 0x04 // inside the first data block's payload
    const reader = TableReader.open(vfsWith(damaged), PATH, 7)
    assert.throws(() => reader.get(entries[0].key, SEQNO_MAX), (error: unknown) =>
      isStrataError(error, 'CHECKSUM_MISMATCH') && error.details.fileName === PATH && error.details.offsetBytes === 0)
    const iterator = reader.iterator()
    assert.throws(() => iterator.seekToFirst(), { code: 'CHECKSUM_MISMATCH' })
    reader.close()
  })

  test('a flipped bit in the index block gives CHECKSUM_MISMATCH at open', async () => {
    const { bytes } = await sampleTable(seed)
    const damaged = bytes.slice()
    const indexStart = footerHandleOffset(bytes, 0)
    damaged[indexStart + 30] ^= 0x80
    assert.throws(() => TableReader.open(vfsWith(damaged), PATH, 7), (error: unknown) =>
      isStrataError(error, 'CHECKSUM_MISMATCH') && error.details.offsetBytes === indexStart && error.details.blockType === 2)
  })

  test('a flipped bit in the footer gives CORRUPTION (or UNSUPPORTED_FORMAT_VERSION in the version field)', async () => {
    const { bytes } = await sampleTable(seed)
    const footerStart = bytes.length - FOOTER_SIZE_BYTES
    for (let position = footerStart; position < bytes.length; position++) {
      const damaged = bytes.slice()
      damaged[position] ^= 0x10
      const expected = position >= footerStart + 72 && position < footerStart + 76 ? 'UNSUPPORTED_FORMAT_VERSION' : 'CORRUPTION'
      assert.throws(() => TableReader.open(vfsWith(damaged), PATH, 7), { code: expected }, `footer byte ${position - footerStart}`)
    }
  })

  test('a truncated file gives CORRUPTION at every length', async () => {
    const { bytes } = await sampleTable(seed)
    for (let sizeBytes = 0; sizeBytes < bytes.length; sizeBytes++) {
      assert.throws(() => TableReader.open(vfsWith(bytes.subarray(0, sizeBytes)), PATH, 7), (error: unknown) =>
        isStrataError(error, 'CORRUPTION') && error.details.fileName === PATH, `size ${sizeBytes}`)
    }
  })
})

/** Offset of the block whose handle is number `handleIndex` in the footer (0 index, 1 filter, 2 properties, 3 range tombstones). */
function footerHandleOffset(bytes: Uint8Array, handleIndex: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - FOOTER_SIZE_BYTES, FOOTER_SIZE_BYTES)
  return view.getUint32(handleIndex * 12, true)
}
