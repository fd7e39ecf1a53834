/**
 * Helpers shared by this folder's tests: a seeded PRNG (no Math.random in tests), the seed from
 * STRATA_SEED, random latin1 keys and values, and a small-table builder over MemVfs.
 */
import { MemVfs } from '../vfs/mod.ts'
import { mulberry32Float } from '../mulberry32.ts'
import { EntryKind, compareInternal, type InternalEntry, type RangeTombstone } from '../entry.ts'
import { TableWriter, type TableWriterOptions, type FinishedTable } from './writer.ts'

/** The test seed: STRATA_SEED when set, else a fixed default so runs are reproducible. */
export function seedFromEnv(fallback = 20240611): number {
  const text = process.env.STRATA_SEED
  return text === undefined ? fallback : Number(text)
}

/** The tests' PRNG: mulberry32 (the stream these tests' seeds replay); deterministic for a seed. */
export class Prng {
  readonly #next: () => number
  constructor(seed: number) {
    this.#next = mulberry32Float(seed)
  }
  /** A float in [0, 1). */
  next(): number {
    return this.#next()
  }
  /** An integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound)
  }
  bytes(sizeBytes: number): Uint8Array {
    const out = new Uint8Array(sizeBytes)
    for (let i = 0; i < sizeBytes; i++) out[i] = this.int(256)
    return out
  }
  /** A latin1 key over a small alphabet (so prefixes are shared) or any byte. */
  key(sizeBytesMax: number, alphabet = 'abcdefgh\u0000\u00ff'): string {
    const sizeBytes = 1 + this.int(sizeBytesMax)
    let key = ''
    for (let i = 0; i < sizeBytes; i++) key += alphabet[this.int(alphabet.length)]
    return key
  }
}

/** Random entries in internal order: distinct keys, 1..versionsMax versions each, mixed kinds. */
export function randomEntries(prng: Prng, keyCount: number, versionsMax: number, valueSizeBytesMax: number): InternalEntry[] {
  const keys = new Set<string>()
  while (keys.size < keyCount) keys.add(prng.key(12))
  const entries: InternalEntry[] = []
  for (const key of keys) {
    const versionCount = 1 + prng.int(versionsMax)
    const seqnos = new Set<number>()
    while (seqnos.size < versionCount) seqnos.add(prng.int(1000) + (prng.int(10) === 0 ? 2 ** 40 : 0))
    for (const seqno of seqnos) {
      const roll = prng.int(10)
      const kind = roll === 0 ? EntryKind.Delete : roll === 1 ? EntryKind.BlobHandle : EntryKind.Put
      const value = kind === EntryKind.Delete ? new Uint8Array(0) : prng.bytes(prng.int(valueSizeBytesMax + 1))
      entries.push({ key, seqno, kind, value })
    }
  }
  return entries.sort((a, b) => compareInternal(a.key, a.seqno, b.key, b.seqno))
}

/** Writes `entries` (and tombstones) into `path` on a MemVfs; returns the vfs and properties. */
export async function writeTable(entries: readonly InternalEntry[], options: Partial<TableWriterOptions> & { path?: string, vfs?: MemVfs, rangeTombstones?: RangeTombstone[] } = {}): Promise<{ vfs: MemVfs, path: string, finished: FinishedTable }> {
  const vfs = options.vfs ?? new MemVfs()
  const path = options.path ?? '/000007.sst'
  const file = vfs.create(path)
  const writer = new TableWriter(file, { fileNumber: 7, creationTimeMs: 1_700_000_000_000, ...options })
  for (const entry of entries) writer.add(entry.key, entry.seqno, entry.kind, entry.value)
  for (const tombstone of options.rangeTombstones ?? []) writer.addRangeTombstone(tombstone)
  const finished = await writer.finish()
  file.close()
  return { vfs, path, finished }
}
