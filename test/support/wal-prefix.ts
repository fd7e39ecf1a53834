/**
 * The numbered writes the WAL recovery tests make (one synced put each) and the check that a
 * store holds a prefix of them: test/wal-point-in-time.test.ts and test/wal-repair.test.ts damage
 * logs, open, and compare how many of the writes came back.
 */
import assert from 'node:assert/strict'
import { open, type Db, type OpenOptions } from '../../index.ts'

/** Writes each test makes, one record each. */
export const WRITE_COUNT = 30
export const keyOf = (i: number): string => `key${String(i).padStart(4, '0')}`
/** 300 bytes, so a record spans several hundred bytes and the logs hold a few records each. */
export const valueOf = (i: number): string => `value-${i}-`.padEnd(300, String.fromCharCode(97 + (i % 26)))

/** Opens `directory`, reads which writes are there (asserting a prefix: nothing after a gap), closes. */
export async function presentPrefix(directory: string, options: OpenOptions): Promise<{ prefix: number; recovery: ReturnType<Db['stats']>['recovery'] }> {
  const db = await open(directory, options)
  const present: boolean[] = []
  for (let i = 0; i < WRITE_COUNT; i++) present.push((await db.get(keyOf(i)))?.toString() === valueOf(i))
  const prefix = present.indexOf(false) === -1 ? WRITE_COUNT : present.indexOf(false)
  assert.deepEqual(present.slice(prefix).filter(Boolean), [], 'a prefix of the writes, nothing after a gap')
  const { recovery } = db.stats()
  await db.close()
  return { prefix, recovery }
}
