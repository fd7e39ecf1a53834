/**
 * Test helpers of the manifest tests: a seeded PRNG and generators of valid edit sequences.
 * Test-only.
 */
import type { Vfs } from '../vfs/mod.ts'
import type { TableMeta, VersionEdit } from './version-edit.ts'
import type { Version } from './version.ts'
import { VersionSet, type VersionSetOptions } from './version-set.ts'
import { manifestFileName } from './file-names.ts'
import { LEVEL_COUNT } from './limits.ts'

import { mulberry32Float } from '../mulberry32.ts'

/** mulberry32 floats in [0, 1): a small seeded PRNG, enough for test inputs. */
export { mulberry32Float as prng }

/** The seed of this run: STRATA_SEED or a fixed default. */
export function seedFromEnv(): number {
  return Number(process.env.STRATA_SEED ?? 424242)
}

/** What recovery must reproduce of a version set: the version and its counters. */
export interface VersionSnapshot { version: unknown; lastSeqno: number; logNumber: number }

export function snapshotOf(set: VersionSet): VersionSnapshot {
  return { version: set.current.toJSON(), lastSeqno: set.lastSeqno, logNumber: set.logNumber }
}

export { readFile as readBytes, writeFile as writeBytes } from '../vfs/test-support.ts'

/**
 * A closed store in `directory` with `count` seeded random edits in a manifest written with
 * `options`; returns the manifest's path and the state after each edit (index 0: empty).
 */
export async function storeWithEdits(
  vfs: Vfs, directory: string, seed: number, count: number, options: VersionSetOptions = {},
): Promise<{ manifestPath: string; states: VersionSnapshot[] }> {
  const set = await VersionSet.create(vfs, directory, options)
  const states = [snapshotOf(set)]
  const random = mulberry32Float(seed)
  for (let step = 0; step < count; step++) {
    await set.logAndApply(randomEdit(random, set.current, () => set.nextFileNumber(), step))
    states.push(snapshotOf(set))
  }
  await set.close()
  return { manifestPath: `${directory}/${manifestFileName(set.manifestFileNumber)}`, states }
}

/** A table of `level` covering keys [smallest, largest] with plausible counts. */
export function table(level: number, fileNumber: number, smallestKey: string, largestKey: string, seqno = fileNumber): TableMeta {
  return {
    level, fileNumber, sizeBytes: 1000 + fileNumber, smallestKey, largestKey,
    smallestSeqno: seqno, largestSeqno: seqno + 10, entryCount: 100, tombstoneCount: 3, rangeTombstoneCount: 1,
  }
}

/**
 * A valid random edit against `version`: flush a table into L0, compact an L0 table into a
 * fresh key slot of a deeper level, add or remove blob files, mark stale bytes.
 * `allocate` hands out file numbers (the VersionSet's allocator in real use).
 */
export function randomEdit(random: () => number, version: Version, allocate: () => number, step: number): VersionEdit {
  const edit: VersionEdit = { lastSeqno: 1000 * (step + 1), logNumber: step }
  const choice = random()
  if (choice < 0.4 || version.levels[0].length === 0) {
    const fileNumber = allocate()
    const low = Math.floor(random() * 1000)
    edit.addedTables = [table(0, fileNumber, key(low), key(low + Math.floor(random() * 50)), 1000 * step)]
  } else if (choice < 0.7) {
    const moved = version.levels[0][Math.floor(random() * version.levels[0].length)]
    const level = 1 + Math.floor(random() * (LEVEL_COUNT - 1))
    // Each step owns a disjoint key slot in deep levels, so tables there never overlap.
    const fileNumber = allocate()
    edit.removedTables = [{ level: 0, fileNumber: moved.fileNumber }]
    edit.addedTables = [table(level, fileNumber, `s${pad(step)}a`, `s${pad(step)}z`, moved.smallestSeqno)]
    edit.compactPointers = [{ level, key: `s${pad(step)}z` }]
  } else if (choice < 0.85 || version.blobFiles.size === 0) {
    const fileNumber = allocate()
    edit.addedBlobFiles = [{ fileNumber, sizeBytes: 1 << 20, valueCount: 50 + step, totalValueBytes: 1 << 19 }]
  } else {
    const numbers = [...version.blobFiles.keys()]
    const fileNumber = numbers[Math.floor(random() * numbers.length)]
    if (random() < 0.5) edit.removedBlobFiles = [fileNumber]
    else edit.blobStaleBytes = [{ fileNumber, staleBytesDelta: Math.floor(random() * 4096) }]
  }
  return edit
}

function pad(n: number): string {
  return String(n).padStart(6, '0')
}

function key(n: number): string {
  return `k${pad(n)}\u00ff`
}
