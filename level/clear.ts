/**
 * `clear()`: deletes the keys of a range. A plain range (no limit, no explicit snapshot) costs
 * two seeks and one atomic batch: a range deletion from the first key in range up to the last,
 * plus a point deletion of the last (ranges are half-open). Finding the real first and last
 * keys spares computing successor keys (`gt` + 0x00 may exceed the key size limit) and needs
 * no "infinite" end key. With a limit or a snapshot, only the keys the caller can see may go,
 * so they are read and deleted point by point.
 */
import { Buffer } from 'node:buffer'
import type { BatchOperation, Db, Snapshot } from '../index.ts'
import { Cursor, type CursorOptions } from './cursor.ts'
import type { LevelBytes } from './format.ts'

/** What abstract-level passes to `_clear` (keys already encoded). */
export interface LevelClearOptions {
  gt?: LevelBytes
  gte?: LevelBytes
  lt?: LevelBytes
  lte?: LevelBytes
  reverse: boolean
  /** -1 for no limit. */
  limit: number
}

/** Point deletions per batch on the slow path: bounds the memory of one batch. */
const CLEAR_BATCH_OP_COUNT = 1000

/** Deletes the keys in range (as of `snapshot` when given), at most `limit` of them. */
export async function clearRange(
  db: Db,
  options: LevelClearOptions,
  snapshot: Snapshot | undefined,
  sync: boolean,
): Promise<void> {
  const range: CursorOptions = {
    gt: options.gt,
    gte: options.gte,
    lt: options.lt,
    lte: options.lte,
    reverse: options.reverse,
    values: false,
    snapshot,
  }
  if (options.limit === -1 && snapshot === undefined) return clearWholeRange(db, range, sync)
  return clearKeyByKey(db, range, options.limit, sync)
}

async function clearWholeRange(db: Db, range: CursorOptions, sync: boolean): Promise<void> {
  const first = firstKey(db, { ...range, reverse: false })
  if (first === undefined) return
  const last = firstKey(db, { ...range, reverse: true })!
  const operations: BatchOperation[] = [{ type: 'del', key: last }]
  if (Buffer.compare(first, last) < 0) operations.unshift({ type: 'delRange', start: first, end: last })
  await db.batch(operations, { sync })
}

function firstKey(db: Db, range: CursorOptions): Buffer | undefined {
  const cursor = new Cursor(db, range)
  try {
    return cursor.next()?.[0]
  } finally {
    cursor.close()
  }
}

async function clearKeyByKey(db: Db, range: CursorOptions, limit: number, sync: boolean): Promise<void> {
  let remainingCount = limit === -1 ? Number.POSITIVE_INFINITY : limit
  // The cursor reads its own snapshot: deletions made on the way do not move it.
  const cursor = new Cursor(db, range)
  try {
    while (remainingCount > 0) {
      const operations: BatchOperation[] = []
      while (operations.length < CLEAR_BATCH_OP_COUNT && remainingCount > 0) {
        const entry = cursor.next()
        if (entry === undefined) break
        operations.push({ type: 'del', key: entry[0] })
        remainingCount--
      }
      if (operations.length === 0) return
      await db.batch(operations, { sync })
      if (operations.length < CLEAR_BATCH_OP_COUNT && remainingCount > 0) return
    }
  } finally {
    cursor.close()
  }
}
