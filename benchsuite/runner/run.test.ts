// Goal: a directory an engine keeps writing into after close() never costs a measurement, and a
// run leaves nothing behind in its data directory.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { findEngine } from '../engines/registry.ts'
import { DEFAULT_PARAMETERS } from '../workloads/parameters.ts'
import { removeCellDirectory } from './cell.ts'
import { rotated, runPlan } from './run.ts'

describe('runner cleanup', () => {
  test('removeCellDirectory reports a failed removal instead of throwing', () => {
    const enotempty = (): void => { throw Object.assign(new Error('directory not empty'), { code: 'ENOTEMPTY' }) }
    assert.equal(removeCellDirectory('/nowhere/cell', enotempty), false)
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-'))
    assert.equal(removeCellDirectory(directory), true)
    assert.equal(fs.existsSync(directory), false)
  })

  test('runPlan measures in a run folder of its own and removes it', async (t) => {
    if (!(await findEngine('lmdb')!.load()).available) {
      t.skip('lmdb unavailable')
      return
    }
    const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'run-plan-'))
    try {
      fs.writeFileSync(path.join(dataRoot, 'keep-me'), 'not the runner\'s')
      const measurements = await runPlan({
        engines: ['lmdb'], workloads: ['readrandom'], parameters: { ...DEFAULT_PARAMETERS, keyCount: 50, operationCount: 20 }, preset: 'rocksdb-parity',
        repetitions: 1, warmupRepetitions: 0, isolation: 'none', dataRoot, log: () => undefined, jitWarmupMs: 0,
      })
      assert.equal(measurements.readrandom.lmdb[0].status, 'ok')
      assert.deepEqual(fs.readdirSync(dataRoot), ['keep-me'])
    } finally {
      fs.rmSync(dataRoot, { recursive: true, force: true })
    }
  })
})

describe('run order', () => {
  test('rotated() turns the order by the offset', () => {
    assert.deepEqual(rotated(['a', 'b', 'c'], 0), ['a', 'b', 'c'])
    assert.deepEqual(rotated(['a', 'b', 'c'], 4), ['b', 'c', 'a'])
    assert.deepEqual(rotated([], 3), [])
  })

  test('workloads rotate per repetition from an offset the seed picks', async (t) => {
    if (!(await findEngine('lmdb')!.load()).available) {
      t.skip('lmdb unavailable')
      return
    }
    const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'run-order-'))
    const lines: string[] = []
    try {
      const measurements = await runPlan({
        engines: ['lmdb'], workloads: ['fillseq', 'readrandom'], parameters: { ...DEFAULT_PARAMETERS, keyCount: 50, operationCount: 20, seed: 7 },
        preset: 'rocksdb-parity', repetitions: 2, warmupRepetitions: 0, isolation: 'none', dataRoot, log: (line) => lines.push(line), jitWarmupMs: 0,
      })
      // Seed 7: offset 7 in repetition 1 (odd: the second workload first), 8 in repetition 2.
      assert.match(lines[0], /^\[rep 1\/2\] lmdb: readrandom, fillseq /)
      assert.match(lines[1], /^\[rep 2\/2\] lmdb: fillseq, readrandom /)
      assert.equal(measurements.fillseq.lmdb.length, 2)
      assert.equal(measurements.readrandom.lmdb.length, 2)
    } finally {
      fs.rmSync(dataRoot, { recursive: true, force: true })
    }
  })
})
