/**
 * Example: an encrypted store with key rotation.
 *
 * Every table block, blob frame, write-ahead-log record and manifest record is sealed with
 * AES-256-GCM under the key of the active epoch; the epoch is recorded with it, so older data
 * stays readable as long as its key is in the chain.
 * Rotation without downtime: reopen with the old and the new key and the new epoch active (new
 * blocks use it), run `compact()` (it rewrites every table still under an old epoch), then drop
 * the old key. A missing epoch is a clear `UNKNOWN_KEY_EPOCH` error, never wrong data.
 *
 * What stays visible on disk (file sizes, record sizes, counts): docs/encryption.md §9.
 *
 * Keys here come from `randomBytes`; an application gets them from its KMS or secret store and
 * never writes them next to the data.
 * Run: `node --import tsx examples/encrypted-store.ts [directory]` (a temp dir by default).
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { open, isStrataError, type OpenOptions } from 'strata-kv'

const KEY_1 = randomBytes(32)
const KEY_2 = randomBytes(32)
const SECRET = 'patient-record: blood type AB-'

function encryption(keys: { epoch: number; key: Uint8Array }[], activeEpoch: number): OpenOptions {
  return { integrity: { encryption: { suite: 'aes-256-gcm', keys, activeEpoch } } }
}

/** True when some file of the store (tables, log, manifest) holds `text` in plain bytes. */
function plaintextOnDisk(directory: string, text: string): boolean {
  return fs.readdirSync(directory).some((name) => fs.readFileSync(path.join(directory, name)).includes(Buffer.from(text)))
}

async function main(): Promise<void> {
  const directory = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-encrypted-'))

  // 1. Write under epoch 1.
  let db = await open(directory, encryption([{ epoch: 1, key: KEY_1 }], 1))
  for (let index = 0; index < 50; index++) await db.put(`record/${index}`, `${SECRET} #${index}`)
  await db.flush()
  for (let index = 50; index < 100; index++) await db.put(`record/${index}`, `${SECRET} #${index}`)
  // Half the records are in a table, half only in the write-ahead log: both sealed.
  console.log(`epoch 1: wrote 100 records; plaintext on disk: ${plaintextOnDisk(directory, SECRET) ? 'yes' : 'no'}`)
  await db.close()

  // Without epoch 1 the store does not open (its manifest is sealed): a typed error, not garbage.
  try {
    const withoutEpoch1 = await open(directory, encryption([{ epoch: 2, key: KEY_2 }], 2))
    await withoutEpoch1.close()
    console.log('open without epoch 1: unexpectedly succeeded')
    process.exitCode = 1
  } catch (error) {
    console.log(`open without epoch 1: ${isStrataError(error) ? error.code : String(error)}`)
  }

  // 2. Rotate: both keys, epoch 2 active; new writes use epoch 2, compact() rewrites the rest.
  db = await open(directory, encryption([{ epoch: 1, key: KEY_1 }, { epoch: 2, key: KEY_2 }], 2))
  await db.put('record/100', `${SECRET} #100`)
  await db.compact()
  // compact() merges tables (outputs are sealed under the active epoch) and rewrites in place
  // any table it did not merge; the next step proves no block needs epoch 1 any more.
  const { encryption: described } = db.stats().integrity
  console.log(`rotation: epochs ${described?.epochs.join(',')} loaded, epoch ${described?.activeEpoch} active, compact() done`)
  await db.close()

  // 3. Drop epoch 1: everything still reads.
  db = await open(directory, encryption([{ epoch: 2, key: KEY_2 }], 2))
  try {
    let count = 0
    let intact = true
    for await (const [key, value] of db.iterator({ gte: 'record/', lt: 'record0' })) {
      count++
      if (value.toString() !== `${SECRET} #${key.toString().slice('record/'.length)}`) intact = false
    }
    console.log(`epoch 2 only: ${count} records readable, ${intact ? 'all intact' : 'SOME DIFFER'}; verify ${(await db.verify()).ok ? 'clean' : 'FAILED'}`)
    if (count !== 101 || !intact) process.exitCode = 1
  } finally {
    await db.close()
  }
}

await main()
