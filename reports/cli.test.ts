import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import type { ResultFile } from '../benchsuite/result/schema.ts'
import { main } from './cli.ts'
import { checkResultFile } from './result/read.ts'

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-report-'))
const runs = 'reports/fixtures/runs'
const [, , , fourth, fifth] = fs.readdirSync(runs).sort().map((name) => path.join(runs, name))

/** Runs main() with stdout and stderr captured. */
async function run(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const captured = { stdout: '', stderr: '' }
  const original = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) }
  process.stdout.write = ((chunk: string) => ((captured.stdout += chunk), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string) => ((captured.stderr += chunk), true)) as typeof process.stderr.write
  try {
    return { status: await main(argv), ...captured }
  } finally {
    process.stdout.write = original.stdout
    process.stderr.write = original.stderr
  }
}

after(() => fs.rmSync(out, { recursive: true, force: true }))

describe('strata report', () => {
  test('writes a self-contained page with no http(s) reference', async () => {
    const file = path.join(out, 'report.html')
    const result = await run([fifth, '--out', file])
    assert.equal(result.status, 0)
    const html = fs.readFileSync(file, 'utf8')
    assert.match(html, /<script type="application\/json" id="strata-figures">/)
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+stylesheet|sourceMappingURL/)
    assert.ok(html.includes('vegaEmbed'))
  })
  test('--help prints usage and exits 0; no arguments exits 2', async () => {
    const help = await run(['--help'])
    assert.equal(help.status, 0)
    assert.match(help.stdout, /strata report compare --baseline/)
    assert.equal((await run([])).status, 2)
  })
  test('usage errors exit 2 with a message', async () => {
    for (const argv of [[fifth], ['--bogus', fifth, '--out', 'x.html'], ['compare', '--current', fifth], ['compare', '--baseline', fourth, '--current', fifth, '--threshold', 'ten'], ['import', 'csv', 'x', '--out', 'y'], ['history', '--out', 'x.html']]) {
      const result = await run(argv)
      assert.equal(result.status, 2, argv.join(' '))
      assert.match(result.stderr, /^strata report: /, argv.join(' '))
    }
  })
  test('an unreadable input exits 2', async () => {
    const result = await run(['/nonexistent.json', '--out', path.join(out, 'x.html')])
    assert.equal(result.status, 2)
    assert.match(result.stderr, /Cannot read \/nonexistent.json: ENOENT/)
  })
})

describe('strata report compare', () => {
  test('exits 1 past the fail threshold, prints the table and writes the page', async () => {
    const page = path.join(out, 'compare.html')
    const result = await run(['compare', '--baseline', fourth, '--current', fifth, '--threshold', '10%', '--fail-threshold', '25%', '--out', page])
    assert.equal(result.status, 1)
    assert.match(result.stdout, /^FAIL\s+fillrandom\s+strata/m)
    assert.match(result.stdout, /Verdict: FAIL \(1 fail, 1 alert, 1 noise, 1 improved, 16 ok\)/)
    assert.match(fs.readFileSync(page, 'utf8'), /data-verdict="fail"/)
  })
  test('exits 0 with an alert when the fail threshold is above every drop', async () => {
    const result = await run(['compare', '--baseline', fourth, '--current', fifth, '--threshold', '10', '--fail-threshold', '40'])
    assert.equal(result.status, 0)
    assert.match(result.stdout, /Verdict: ALERT/)
  })
  test('a run compared with itself is OK', async () => {
    const result = await run(['compare', '--baseline', fifth, '--current', fifth])
    assert.equal(result.status, 0)
    assert.match(result.stdout, /Verdict: OK \(20 ok\)/)
  })
  test('another seed still matches, with a warning; --verdict-file appends the verdict', async () => {
    const reseeded = rewritten(fifth, 'reseeded.json', (result) => {
      result.provenance.seed = 7
      for (const workload of result.workloads) workload.parameters = { ...workload.parameters, seed: 7 }
    })
    const verdictFile = path.join(out, 'github-output')
    fs.writeFileSync(verdictFile, 'earlier=1\n')
    const result = await run(['compare', '--baseline', fifth, '--current', reseeded, '--verdict-file', verdictFile])
    assert.equal(result.status, 0)
    assert.match(result.stdout, /Verdict: OK \(20 ok\)/)
    assert.match(result.stdout, /Warning: seed differs: 42 \(baseline\) vs 7 \(current\)/)
    assert.equal(fs.readFileSync(verdictFile, 'utf8'), 'earlier=1\nverdict=ok\n')
  })
  test('nothing matched exits 3 (no-match), not a vacuous OK', async () => {
    const other = rewritten(fifth, 'other-keys.json', (result) => {
      for (const workload of result.workloads) workload.parameters = { ...workload.parameters, keyCount: 123 }
    })
    const result = await run(['compare', '--baseline', fifth, '--current', other])
    assert.equal(result.status, 3)
    assert.match(result.stdout, /Verdict: NO-MATCH/)
    assert.match(result.stdout, /Warning: \S+: keyCount differs/)
  })
  test('baseline rows missing from the current run exit 3 (incomplete) unless --allow-missing', async () => {
    const fewer = rewritten(fifth, 'fewer.json', (result) => {
      result.workloads = result.workloads.slice(1)
    })
    const result = await run(['compare', '--baseline', fifth, '--current', fewer])
    assert.equal(result.status, 3)
    assert.match(result.stdout, /Verdict: INCOMPLETE/)
    assert.equal((await run(['compare', '--baseline', fifth, '--current', fewer, '--allow-missing'])).status, 0)
  })
})

/** Writes a copy of the result file `source`, changed by `change`, into the scratch folder. */
function rewritten(source: string, name: string, change: (result: ResultFile) => void): string {
  const result = JSON.parse(fs.readFileSync(source, 'utf8')) as ResultFile
  change(result)
  const file = path.join(out, name)
  fs.writeFileSync(file, JSON.stringify(result))
  return file
}

describe('strata report history, dashboard and import', () => {
  test('history writes a page from a folder', async () => {
    const result = await run(['history', runs, '--out', path.join(out, 'history.html')])
    assert.equal(result.status, 0)
    assert.match(result.stdout, /5 run\(s\)/)
  })
  test('dashboard writes customBiggerIsBetter entries', async () => {
    const file = path.join(out, 'bench.json')
    assert.equal((await run(['dashboard', fifth, '--out', file])).status, 0)
    const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ name: string; unit: string; value: number; range: string; extra: string }>
    assert.equal(entries.length, 20)
    assert.equal(entries[0].name, 'fillrandom / strata throughput')
    assert.equal(entries[0].unit, 'ops/s')
    assert.equal(entries[0].value, 77220)
    assert.match(entries[0].extra, /preset rocksdb-parity, .*commit 62eeca7; .*latency per write batch: p50 .* µs/)
  })
  test('import db-bench and criterion write valid result files', async () => {
    const dbBench = path.join(out, 'db_bench.json')
    assert.equal((await run(['import', 'db-bench', 'reports/fixtures/import/db_bench-7.8.3.txt', '--out', dbBench, '--commit', 'deadbeef'.repeat(5), '--hostname', 'vm'])).status, 0)
    const imported = checkResultFile(JSON.parse(fs.readFileSync(dbBench, 'utf8')), dbBench)
    assert.deepEqual([imported.provenance.gitCommit, imported.provenance.hostname, imported.provenance.source], ['deadbeef'.repeat(5), 'vm', 'db_bench'])
    const criterion = path.join(out, 'criterion.json')
    assert.equal((await run(['import', 'criterion', 'reports/fixtures/import/criterion', '--out', criterion, '--parameter-name', 'keyCount', '--started-at', '2025-07-08'])).status, 0)
    assert.equal(checkResultFile(JSON.parse(fs.readFileSync(criterion, 'utf8')), criterion).provenance.startedAt, '2025-07-08T00:00:00.000Z')
    assert.equal((await run(['import', 'db-bench', 'reports/fixtures/import/db_bench-7.8.3.txt', '--out', dbBench, '--preset', 'fast'])).status, 2)
    assert.equal((await run(['import', 'db-bench', 'reports/fixtures/import/db_bench-7.8.3.txt', '--out', dbBench, '--commit', 'abc'])).status, 2)
  })
})
