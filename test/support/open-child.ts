/**
 * Child process of test/bad-input.test.ts: tries to open the store in `dir` and prints what
 * happened (`opened`, or the StrataError code), so the parent can check the LOCK file keeps a
 * second process out. Usage: node --import tsx test/support/open-child.ts <dir>
 */
import process from 'node:process'
import { open, isStrataError } from '../../index.ts'

const directory = process.argv[2]
try {
  const db = await open(directory)
  process.stdout.write('opened\n')
  await db.close()
} catch (error) {
  process.stdout.write(`${isStrataError(error) ? error.code : `unexpected ${String(error)}`}\n`)
}
