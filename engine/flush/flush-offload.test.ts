// Goal: a flush built by the worker thread holds exactly what an in-process flush would:
// every key, the versions live snapshots need, range tombstones; and the store reopens from it.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { Db } from '../db.ts'

async function scan(db: Db, options = {}): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of db.iterator(options)) out.push(`${k.toString()}=${v.toString()}`)
  return out
}

test('flushes built in the worker keep data, snapshot versions and range deletes', async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-flush-worker-'))
  try {
    let db = await Db.open(directory, { flushInWorker: true, memtableSizeBytes: 16 * 1024 })
    for (let i = 0; i < 500; i++) await db.put(`k${String(i).padStart(4, '0')}`, `v${i}`)
    const snapshot = db.snapshot()
    const atSnapshot = await scan(db)
    for (let i = 0; i < 500; i += 2) await db.put(`k${String(i).padStart(4, '0')}`, `w${i}`)
    await db.deleteRange('k0100', 'k0200')
    await db.flush()
    const stats = db.stats()
    assert.ok(stats.flushInWorkerCount > 0, `no flush ran in the worker: ${JSON.stringify(stats)}`)
    assert.equal(stats.flushWorkerFallbackCount, 0)
    assert.deepEqual(await scan(db, { snapshot }), atSnapshot)
    snapshot.release()
    const latest = await scan(db)
    assert.equal(latest.length, 400)
    assert.ok(latest.includes('k0000=w0') && latest.includes('k0001=v1') && !latest.some((e) => e.startsWith('k01')))
    await db.close()
    db = await Db.open(directory, { flushInWorker: true })
    assert.deepEqual(await scan(db), latest)
    await db.close()
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
})
