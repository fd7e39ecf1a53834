/**
 * Stores on real files with one table or one blob file, and the bit flips that damage them in
 * place, for the scenario tests of ECC repair, ECC region scrub and auto-heal. Offsets come from
 * the block envelope (docs/formats/block.md): a 24-byte header with payloadSizeBytes at offset 4,
 * the payload, then the ECC region when the flags carry the parity bit.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { BlobDb, open, type OpenOptions } from '../../index.ts'
import { ECC_PRESETS, type IntegrityOptions } from '../../engine/integrity-options.ts'
import { eccRegionSizeOf } from '../../engine/transform/ecc.ts'
import { Rng } from './seed.ts'

export type EccKind = 'xor' | 'reed-solomon' | 'sec-ded'
/** Block envelope: payloadSizeBytes at offset 4, 24-byte header (docs/formats/block.md). */
export const BLOCK_HEADER_SIZE_BYTES = 24
const PARITY_FLAG = 1 << 2
/** Small memtables and blocks so 150 keys span several blocks; no background thread. */
export const SMALL: OpenOptions = { memtableSizeBytes: 16 * 1024, blockSizeBytes: 512, backgroundWork: false }

export function tableFiles(directory: string): string[] {
  return fs.readdirSync(directory).filter((name) => name.endsWith('.sst')).sort().map((name) => path.join(directory, name))
}

/** Flips one bit of `file` in place (the Db keeps its other files open and untouched). */
export function flipBit(file: string, bit: number): void {
  const descriptor = fs.openSync(file, 'r+')
  try {
    const byte = Buffer.alloc(1)
    fs.readSync(descriptor, byte, 0, 1, bit >> 3)
    byte[0] ^= 1 << (bit & 7)
    fs.writeSync(descriptor, byte, 0, 1, bit >> 3)
  } finally {
    fs.closeSync(descriptor)
  }
}

/** Where the ECC region of the block starting at `blockStartBytes` of `file` lies, in bytes. */
export function eccRegionOf(file: string, blockStartBytes: number, ecc: EccKind): { startBytes: number; endBytes: number } {
  const header = Buffer.alloc(BLOCK_HEADER_SIZE_BYTES)
  const descriptor = fs.openSync(file, 'r')
  try {
    fs.readSync(descriptor, header, 0, header.length, blockStartBytes)
  } finally {
    fs.closeSync(descriptor)
  }
  assert.ok((header[2] & PARITY_FLAG) !== 0, 'the block carries an ECC region')
  const protectedSizeBytes = BLOCK_HEADER_SIZE_BYTES + header.readUInt32LE(4)
  const startBytes = blockStartBytes + protectedSizeBytes
  return { startBytes, endBytes: startBytes + eccRegionSizeOf(ECC_PRESETS[ecc], protectedSizeBytes) }
}

/** Seeded values, some compressible, some not. */
export function valueOf(rng: Rng, index: number): string {
  return rng.chance(0.5) ? `value ${index} `.repeat(1 + rng.below(8)) : Array.from({ length: 20 + rng.below(40) }, () => String.fromCharCode(33 + rng.below(90))).join('')
}

/** A store with one compacted table of 150 keys (`key000`…`key149`); returns the model. */
export async function storeWithOneTable(directory: string, integrity: IntegrityOptions, seed: number): Promise<Map<string, string>> {
  const rng = new Rng(seed)
  const db = await open(directory, { ...SMALL, integrity })
  const model = new Map<string, string>()
  for (let index = 0; index < 150; index++) {
    const key = `key${String(index).padStart(3, '0')}`
    model.set(key, valueOf(rng, index))
    await db.put(key, model.get(key)!)
  }
  await db.compact()
  await db.close()
  assert.equal(tableFiles(directory).length, 1)
  return model
}

/**
 * A BlobDb with 10 separated 500-byte values (`key<i>` filled with 65 + i) in one sealed blob
 * file; the file and where `key<bodyOf>`'s frame body starts (default key3).
 */
export async function blobStore(directory: string, integrity: IntegrityOptions, bodyOf = 3): Promise<{ file: string; bodyStartBytes: number }> {
  const db = await BlobDb.open(directory, { integrity }, { minBlobSize: 100 })
  for (let index = 0; index < 10; index++) await db.put(`key${index}`, Buffer.alloc(500, 65 + index))
  await db.close()
  const name = fs.readdirSync(directory).find((entry) => entry.endsWith('.blob') && fs.statSync(path.join(directory, entry)).size > 1000)!
  const file = path.join(directory, name)
  return { file, bodyStartBytes: bodyStartOf(file, bodyOf) }
}

/** Where `key<index>`'s frame body starts in a blobStore() file (no compression or encryption: the value as given). */
export function bodyStartOf(file: string, index: number): number {
  const valueStartBytes = fs.readFileSync(file).indexOf(Buffer.alloc(500, 65 + index))
  assert.ok(valueStartBytes > BLOCK_HEADER_SIZE_BYTES)
  return valueStartBytes - BLOCK_HEADER_SIZE_BYTES
}
