/**
 * Leveled compaction picking. Each level gets a score: L0 by table count over its trigger
 * (L0 tables overlap, so their count drives read cost), deeper levels by bytes over their
 * target (L1 = l1SizeBytes, each next level `levelSizeRatio` times larger). The level with the
 * highest score >= 1 is compacted into the next one. L0 compacts all its tables at once (they
 * overlap each other); a deeper level compacts one table, chosen round-robin by key so that
 * every part of the level gets its turn (LevelDB's compact pointer).
 */
import { LEVEL_COUNT } from '../limits.ts'

/** What the picker needs of a table. */
export interface PickerTable {
  fileNumber: number
  sizeBytes: number
  smallestKey: string
  largestKey: string
}

export interface PickerSettings {
  l0CompactionTrigger: number
  l1SizeBytes: number
  levelSizeRatio: number
}

/** A chosen compaction: inputs from `level` and the overlapping tables of `level + 1`. */
export interface CompactionPick<T extends PickerTable> {
  level: number
  inputs: T[]
  nextLevelInputs: T[]
  score: number
}

/** Target bytes of a level >= 1. */
export function levelTargetBytes(level: number, settings: PickerSettings): number {
  return settings.l1SizeBytes * settings.levelSizeRatio ** (level - 1)
}

/** Scores per level; index LEVEL_COUNT - 1 (the last level) is never compacted further. */
export function levelScores<T extends PickerTable>(levels: readonly (readonly T[])[], settings: PickerSettings): number[] {
  const scores: number[] = []
  for (let level = 0; level < LEVEL_COUNT - 1; level++) {
    const tables = levels[level] ?? []
    if (level === 0) scores.push(tables.length / settings.l0CompactionTrigger)
    else scores.push(tables.reduce((sum, t) => sum + t.sizeBytes, 0) / levelTargetBytes(level, settings))
  }
  return scores
}

/** Tables of a sorted level that overlap [smallest, largest]. */
export function overlapping<T extends PickerTable>(tables: readonly T[], smallest: string, largest: string): T[] {
  return tables.filter((t) => !(t.largestKey < smallest || t.smallestKey > largest))
}

/** Key range covered by a set of tables. */
export function keyRange(tables: readonly PickerTable[]): { smallest: string; largest: string } {
  let smallest = tables[0].smallestKey
  let largest = tables[0].largestKey
  for (const t of tables) {
    if (t.smallestKey < smallest) smallest = t.smallestKey
    if (t.largestKey > largest) largest = t.largestKey
  }
  return { smallest, largest }
}

/**
 * Picks the next compaction, or undefined when every score is below 1.
 * `compactPointers[level]` is the largest key of the last table compacted from that level.
 */
export function pickCompaction<T extends PickerTable>(
  levels: readonly (readonly T[])[],
  settings: PickerSettings,
  compactPointers: string[],
): CompactionPick<T> | undefined {
  const scores = levelScores(levels, settings)
  let level = -1
  let score = 1
  for (let l = 0; l < scores.length; l++) {
    if (scores[l] >= score) {
      score = scores[l]
      level = l
    }
  }
  if (level < 0) return undefined
  return pickAtLevel(levels, level, compactPointers, score)
}

/** The compaction of `level` into `level + 1` (also used by a manual full compaction). */
export function pickAtLevel<T extends PickerTable>(
  levels: readonly (readonly T[])[],
  level: number,
  compactPointers: string[],
  score: number,
): CompactionPick<T> | undefined {
  const tables = levels[level] ?? []
  if (tables.length === 0) return undefined
  let inputs: T[]
  if (level === 0) {
    inputs = tables.slice()
  } else {
    const pointer = compactPointers[level]
    const next = pointer === undefined ? undefined : tables.find((t) => t.smallestKey > pointer)
    inputs = [next ?? tables[0]]
  }
  const range = keyRange(inputs)
  const nextLevelInputs = overlapping(levels[level + 1] ?? [], range.smallest, range.largest)
  return { level, inputs, nextLevelInputs, score }
}
