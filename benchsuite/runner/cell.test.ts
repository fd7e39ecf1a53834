// Goal: every measured phase starts from a flushed, settled engine (or says it could not), cold
// means the page cache was dropped, the phase's RSS starts from its own baseline, and the
// engine's counters show load data flushed inside a phase and values KV separation moved out.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import type { EngineAdapter, EngineCounters, EngineSession } from '../engines/adapter.ts'
import { findEngine } from '../engines/registry.ts'
import { PRESETS } from '../presets.ts'
import { DEFAULT_PARAMETERS } from '../workloads/parameters.ts'
import type { WorkloadParameters } from '../workloads/parameters.ts'
import { findWorkload } from '../workloads/registry.ts'
import { counterFigures, flushAndSettle, runCell } from './cell.ts'
import type { CellMeasurement } from './cell.ts'

const settled = async () => ({ settleMs: 300, settled: true })

function counters(memtableBytes: number, flushCount: number, separatedValueCount?: number): EngineCounters {
  return { memtableBytes, immutableMemtableCount: 0, flushCount, compactionCount: 0, separatedValueCount, blobBytesWritten: separatedValueCount }
}

async function cellOn(adapter: EngineAdapter, workload: string, parameters: Partial<WorkloadParameters>): Promise<Extract<CellMeasurement, { status: 'ok' }>> {
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-'))
  try {
    const all = { ...DEFAULT_PARAMETERS, keyCount: 2000, operationCount: 200, ...parameters }
    const runOptions = { preset: PRESETS['rocksdb-parity'], compression: { codec: 'preset' as const }, sync: false, minBlobSizeBytes: all.minBlobSizeBytes }
    const cell = await runCell({ adapter, workload: findWorkload(workload)!, parameters: all, runOptions, dataRoot, label: 'test' })
    assert.equal(cell.status, 'ok', 'reason' in cell ? cell.reason : '')
    return cell as Extract<CellMeasurement, { status: 'ok' }>
  } finally {
    fs.rmSync(dataRoot, { recursive: true, force: true })
  }
}

describe('flushAndSettle()', () => {
  test('flushes an engine that can, then waits for its background work', async () => {
    const calls: string[] = []
    const session = { flush: async () => { calls.push('flush') } } as unknown as EngineSession
    const figures = await flushAndSettle(session, async () => { calls.push('settle'); return settled() })
    assert.deepEqual(calls, ['flush', 'settle'])
    assert.deepEqual(figures, { loadState: 'flushed', settleMs: 300, settled: true })
  })

  test('an engine without a flush call is recorded as not flushable', async () => {
    assert.equal((await flushAndSettle({} as EngineSession, settled)).loadState, 'not-flushable')
  })
})

describe('counterFigures()', () => {
  test('load data in the memtable at the start and a flush in the phase: flushed inside the phase', () => {
    const figures = counterFigures(counters(28_000_000, 3), counters(1_000, 4), undefined, true)
    assert.deepEqual(figures, { memtableBytesAtStart: 28_000_000, flushesInPhase: 1, compactionsInPhase: 0, loadFlushedInPhase: true })
  })

  test('an empty memtable at the start: a flush in the phase flushed the phase\'s own writes', () => {
    assert.equal(counterFigures(counters(0, 3), counters(0, 5), undefined, true).loadFlushedInPhase, false)
  })

  test('separated values add up over a session closed before the phase (cold reopen)', () => {
    const figures = counterFigures(counters(0, 0, 0), counters(0, 0, 5), counters(0, 1, 2000), true)
    assert.equal(figures.separatedValueCount, 2005)
    assert.equal(figures.blobBytesWritten, 2005)
  })
})

describe('runCell() phase figures (Strata)', () => {
  test('warm: the load is flushed and settled; the phase starts with an empty memtable', async (t) => {
    const strata = findEngine('strata')!
    if (!(await strata.load()).available) return t.skip('strata unavailable')
    const { phase } = await cellOn(strata, 'readrandom', {})
    assert.equal(phase.loadState, 'flushed')
    assert.equal(phase.settled, true)
    assert.equal(phase.cacheState, 'warm')
    assert.equal(phase.memtableBytesAtStart, 0)
    assert.equal(phase.loadFlushedInPhase, false)
    assert.equal(phase.gcBeforePhase, undefined, 'no forced GC before the phase (cell.ts says why)')
    assert.ok(phase.rssAtStartBytes! > 0)
    assert.equal(phase.valueBytesMax, 256)
  })

  test('cold: the engine is reopened after its files left the page cache', async (t) => {
    const strata = findEngine('strata')!
    if (!(await strata.load()).available) return t.skip('strata unavailable')
    const { phase } = await cellOn(strata, 'readrandom', { cache: 'cold' })
    assert.equal(phase.cacheState, 'cold (page cache dropped)')
  })

  test('blobtree counts the values it separated, over the load and the phase', async (t) => {
    const blobtree = findEngine('blobtree')!
    if (!(await blobtree.load()).available) return t.skip('blobtree unavailable')
    const large = await cellOn(blobtree, 'readrandom', { valueSize: { kind: 'fixed', sizeBytes: 2048 }, cache: 'cold' })
    assert.equal(large.phase.separatedValueCount, 2000)
    const small = await cellOn(blobtree, 'readrandom', {})
    assert.equal(small.phase.separatedValueCount, 0)
  })
})
