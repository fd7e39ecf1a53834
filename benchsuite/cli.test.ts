// Goal: the quick suite runs end to end on tiny sizes with the peers that load, writes a valid
// result file and dashboards, and the CLI rejects bad input with exit status 2.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { main } from './cli.ts'
import { readResultFile } from './result/validate.ts'

describe('strata bench', () => {
  test('run --suite quick on tiny sizes writes a valid result file and dashboards', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-e2e-'))
    try {
      const status = await main(['run', '--suite', 'quick', '--keys', '300', '--ops', '100', '--repetitions', '1', '--isolation', 'none',
        '--engines', 'strata,rocksdb-native,lmdb,classic-level', '--out', out, '--seed', '7'])
      const resultName = fs.readdirSync(out).find((name) => name.startsWith('result-'))
      assert.ok(resultName !== undefined)
      const result = readResultFile(path.join(out, resultName))
      assert.equal(result.provenance.seed, 7)
      assert.equal(result.provenance.preset, 'rocksdb-parity')
      assert.deepEqual(result.workloads.map((w) => w.workload), ['fillrandom', 'readrandom', 'multiget', 'readseq', 'ycsb-a'])
      const ran = result.workloads[0].engines.map((e) => e.engine)
      assert.ok(ran.length >= 1, 'at least one peer ran')
      for (const workload of result.workloads) for (const engine of workload.engines) assert.ok(engine.opsPerSecond > 0)
      const bigger = JSON.parse(fs.readFileSync(path.join(out, 'dashboard-bigger.json'), 'utf8'))
      assert.ok(bigger.length >= ran.length && bigger.every((e: { unit: string }) => e.unit === 'ops/s'))
      assert.ok(status === 0 || result.workloads.some((w) => w.skipped?.some((s) => s.reason.startsWith('failed'))))
    } finally {
      fs.rmSync(out, { recursive: true, force: true })
    }
  })

  test('rejects unknown engines, workloads and bad parameters with status 2', async () => {
    assert.equal(await main(['run', '--engines', 'nosuchdb']), 2)
    assert.equal(await main(['run', '--workloads', 'fillfast']), 2)
    assert.equal(await main(['run', '--keys', '-3']), 2)
    assert.equal(await main(['run', '--preset', 'turbo']), 2)
    assert.equal(await main(['run', '--value-size', 'huge']), 2)
    assert.equal(await main(['run', '--bogus']), 2)
  })
})
