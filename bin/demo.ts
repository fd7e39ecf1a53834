/**
 * `strata demo`: stores and reads back large values in a temporary store and prints stats.
 * A smoke test of the whole stack a new user can run in seconds.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { open } from '../index.ts'

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write('Usage: strata demo [--keep]\nWrites 2,000 values of 16 KiB, reads them back, prints stats.\n')
    return 0
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-demo-'))
  const db = await open(directory)
  const value = (i: number) => Buffer.alloc(16 * 1024, `value ${i} `)
  for (let i = 0; i < 2000; i += 100) {
    await db.batch(Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: `key-${String(i + j).padStart(6, '0')}`, value: value(i + j) })))
  }
  await db.flush()
  let matched = 0
  for (let i = 0; i < 2000; i++) {
    const stored = await db.get(`key-${String(i).padStart(6, '0')}`)
    if (stored !== undefined && stored.equals(value(i))) matched++
  }
  process.stdout.write(`stored and read back ${matched}/2000 values of 16 KiB in ${directory}\n`)
  process.stdout.write(`${JSON.stringify(db.stats(), null, 2)}\n`)
  await db.close()
  if (!argv.includes('--keep')) fs.rmSync(directory, { recursive: true, force: true })
  return matched === 2000 ? 0 : 1
}
