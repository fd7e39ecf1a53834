// Goal: the warm-up drives every session call a workload makes (so each is compiled before the
// first measured cell), stops at its budget, and leaves no scratch store behind.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import type { EngineAdapter, EngineSession } from '../engines/adapter.ts'
import { PRESETS } from '../presets.ts'
import { DEFAULT_PARAMETERS } from '../workloads/parameters.ts'
import { jitWarmup } from './jit-warmup.ts'

/** An adapter over a Map that records which calls it saw. */
function recordingAdapter(calls: Set<string>): EngineAdapter {
  const store = new Map<string, Uint8Array>()
  const session: EngineSession = {
    async putBatch(entries) { calls.add('putBatch'); for (const e of entries) store.set(Buffer.from(e.key).toString('hex'), e.value) },
    async deleteBatch(keys) { calls.add('deleteBatch'); for (const k of keys) store.delete(Buffer.from(k).toString('hex')) },
    async get(key) { calls.add('get'); return store.get(Buffer.from(key).toString('hex')) },
    async getMany(keys) { calls.add('getMany'); return keys.map((k) => store.get(Buffer.from(k).toString('hex'))) },
    async scan() { calls.add('scan'); return { count: store.size, bytes: 0, ordered: true } },
    async flush() { calls.add('flush') },
    async compact() { calls.add('compact') },
    async close() { calls.add('close') },
  }
  return {
    name: 'recording', summary: '', packages: [],
    load: async () => ({ available: true, version: '0' }),
    open: async () => session,
    effectiveOptions: () => ({}),
    notes: () => [],
  }
}

describe('jitWarmup()', () => {
  test('calls every session method, then closes the store and removes its directory', async () => {
    const calls = new Set<string>()
    const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-warmup-'))
    try {
      const runOptions = { preset: PRESETS['rocksdb-parity'], compression: { codec: 'preset' as const }, sync: false, minBlobSizeBytes: 1024 }
      // Flushes come every 16th round: whether 50 ms reaches one depends on the machine.
      const outcome = await jitWarmup(recordingAdapter(calls), runOptions, { ...DEFAULT_PARAMETERS, batchSize: 10 }, dataRoot, 50)
      assert.ok(outcome.rounds >= 1)
      assert.deepEqual([...calls].sort(), ['close', 'compact', 'deleteBatch', 'get', 'getMany', 'putBatch', 'scan'].concat(outcome.rounds >= 16 ? ['flush'] : []).sort())
      assert.deepEqual(fs.readdirSync(dataRoot), [])
    } finally {
      fs.rmSync(dataRoot, { recursive: true, force: true })
    }
  })
})
