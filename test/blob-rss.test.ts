/**
 * Goal: with KV separation and default options, ingesting large values keeps memory bounded
 * (issue #4: peak RSS under 512 MiB; the full 4 GiB run is `scripts/blob-rss.ts --gib 4`).
 * Method: run the script at 256 MiB in a child process (a clean RSS, not the test runner's) and
 * check its report: every sampled read-back found, peak RSS under the bound.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'

test('ingesting 256 MiB of 64 KiB values keeps peak RSS under 512 MiB', (t) => {
  const script = path.join(import.meta.dirname, '..', 'scripts', 'blob-rss.ts')
  const output = execFileSync(process.execPath, ['--import', 'tsx', script, '--gib', '0.25'], { encoding: 'utf8', env: { ...process.env, STRATA_SEED: '42' } })
  const report = JSON.parse(output.trim().split('\n').at(-1)!) as { peakRssBytes: number; rssBytesMax: number; ok: boolean }
  t.diagnostic(output.trim().split('\n')[0])
  assert.ok(report.peakRssBytes < report.rssBytesMax, `peak RSS ${report.peakRssBytes} bytes`)
  assert.equal(report.ok, true)
})
