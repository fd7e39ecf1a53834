// Goal: every report kind opens offline from file:// in a real browser, every chart renders,
// nothing errors or asks the network, and the tables show the numbers of the result files.
// Method: build the four kinds from the fixtures, open each in Debian's Chromium via
// playwright-core (one browser for the file), inspect the DOM, save a screenshot per kind to
// test-artifacts/reports/. Skipped, with a message, only when /usr/bin/chromium is absent.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import type { Figure } from './charts/figure.ts'
import { formatNumber } from './format.ts'
import { formatCell } from './html/page.ts'
import { criterionToResult, readCriterion } from './import/criterion.ts'
import { dbBenchToResult, parseDbBench } from './import/db-bench.ts'
import { buildCompareReport } from './pages/compare-report.ts'
import { buildHistoryReport } from './pages/history-report.ts'
import { buildRunReport, type BuiltPage } from './pages/run-report.ts'
import { compareRows, verdictOf } from './regression/compare.ts'
import { provenanceWarnings } from './regression/provenance-check.ts'
import { readResultFiles, type LoadedRun } from './result/read.ts'
import { engineRows } from './result/rows.ts'

// The evaluate() callbacks run in the page, where `document` exists; the repo's tsconfig has no DOM lib.
interface PageElement { textContent: string | null; querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>; getBoundingClientRect(): { width: number; height: number } }
declare const document: { getElementById(id: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement> }

const CHROMIUM_PATH = '/usr/bin/chromium'
const ARTIFACTS = path.resolve('test-artifacts/reports')
const FIXTURES = path.resolve('reports/fixtures')
const generatedAt = '2025-07-01T12:00:00.000Z'
const chromiumPresent = fs.existsSync(CHROMIUM_PATH)
if (!chromiumPresent) console.log(`# Skipping browser tests: ${CHROMIUM_PATH} is absent (apt-get install chromium).`)

interface Visit {
  errors: string[]
  failedRequests: string[]
  requests: string[]
  status: string | null
  figures: Array<{ id: string; svgCount: number; markCount: number; width: number; height: number; tableRows: string[][] }>
  text: (selector: string) => Promise<string[][]>
}

let browser: Browser | null = null

async function visit(kind: string, page: BuiltPage): Promise<Visit> {
  assert.ok(browser)
  const file = path.join(ARTIFACTS, `${kind}.html`)
  fs.writeFileSync(file, page.html)
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const tab = await context.newPage()
  const visit: Visit = { errors: [], failedRequests: [], requests: [], status: null, figures: [], text: async () => [] }
  tab.on('console', (message) => { if (message.type() === 'error') visit.errors.push(message.text()) })
  tab.on('pageerror', (error) => visit.errors.push(error.message))
  tab.on('requestfailed', (request) => visit.failedRequests.push(request.url()))
  tab.on('request', (request) => visit.requests.push(request.url()))
  await tab.goto(pathToFileURL(file).href)
  await tab.waitForSelector('html[data-charts]', { timeout: 30_000 })
  visit.status = await tab.getAttribute('html', 'data-charts')
  for (const figure of page.figures) {
    visit.figures.push(await tab.evaluate((id) => {
      const chart = document.getElementById(`chart-${id}`)!
      const svg = chart.querySelector('svg.marks')
      const box = svg?.getBoundingClientRect()
      const marks = chart.querySelectorAll('g.mark-rect path, g.mark-symbol path, g.mark-line path, g.mark-rule line')
      const rows = [...document.querySelectorAll(`table[data-figure="${id}"] tbody tr`)].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))
      return { id, svgCount: chart.querySelectorAll('svg.marks').length, markCount: marks.length, width: box?.width ?? 0, height: box?.height ?? 0, tableRows: rows }
    }, figure.id))
  }
  const tables = new Map<string, string[][]>()
  for (const selector of ['table[data-summary]', 'table[data-changes]', 'table[data-runs]']) {
    for (const handle of await tab.$$(selector)) {
      const key = `${selector}:${(await handle.getAttribute('data-summary')) ?? ''}`
      tables.set(key, await handle.$$eval('tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))))
    }
  }
  visit.text = async (key) => tables.get(key) ?? []
  await tab.screenshot({ path: path.join(ARTIFACTS, `${kind}.png`), fullPage: true })
  await context.close()
  return visit
}

/** The checks every kind must pass: charts drawn, no errors, no network, tables equal to the figures' data. */
function assertRendered(visit: Visit, figures: readonly Figure[]): void {
  assert.equal(visit.status, 'rendered')
  assert.deepEqual(visit.errors, [])
  assert.deepEqual(visit.failedRequests, [])
  assert.ok(visit.requests.every((url) => url.startsWith('file://') && url.endsWith('.html')), `unexpected requests: ${visit.requests.join(', ')}`)
  assert.equal(visit.requests.length, 1)
  for (const [index, figure] of figures.entries()) {
    const seen = visit.figures[index]
    assert.equal(seen.svgCount, 1, `${figure.id}: one SVG`)
    assert.ok(seen.width > 100 && seen.height > 100, `${figure.id}: SVG is ${seen.width}×${seen.height}`)
    assert.ok(seen.markCount > 0, `${figure.id}: no marks drawn`)
    assert.deepEqual(seen.tableRows, figure.table.rows.map((row) => row.map(formatCell)), `${figure.id}: table differs from data`)
  }
}

function engineOf(run: LoadedRun, workload: string, engine: string) {
  return run.result.workloads.find((w) => w.workload === workload)!.engines.find((e) => e.engine === engine)!
}

describe('reports in Chromium', { skip: chromiumPresent ? false : `${CHROMIUM_PATH} is absent` }, () => {
  let history: LoadedRun[] = []
  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    history = await readResultFiles([path.join(FIXTURES, 'runs')])
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  after(async () => {
    await browser?.close()
  })

  test('single-run report renders every chart and its summary matches the result file', async () => {
    const runs = [history[4], ...(await readResultFiles([path.join(FIXTURES, 'sweep')]))]
    const page = buildRunReport(runs, { generatedAt })
    assert.equal(page.figures.length, 8)
    const seen = await visit('single-run', page)
    assertRendered(seen, page.figures)
    const summary = await seen.text('table[data-summary]:run1-summary-1-fillrandom')
    const strata = summary.find((row) => row[0] === 'strata')!
    assert.equal(strata[1], formatNumber(engineOf(history[4], 'fillrandom', 'strata').opsPerSecond))
    assert.equal(summary.find((row) => row[0] === 'lmdb')![9], 'no, see notes')
  })

  test('compare report renders, shows the FAIL verdict and the planned changes', async () => {
    const thresholds = { alertFraction: 0.1, failFraction: 0.25 }
    const changes = compareRows(engineRows([history[3]]), engineRows([history[4]]), thresholds)
    const page = buildCompareReport({
      baselineRuns: [history[3]], currentRuns: [history[4]], changes, thresholds, verdict: verdictOf(changes),
      warnings: provenanceWarnings([history[3].result.provenance], [history[4].result.provenance]), generatedAt,
    })
    const seen = await visit('compare', page)
    assertRendered(seen, page.figures)
    const rows = await seen.text('table[data-changes]:')
    assert.deepEqual(rows.slice(0, 4).map((row) => [row[0], row[1], row[2], row[7]]), [
      ['fail', 'fillrandom', 'strata', '-35.0%'],
      ['alert', 'ycsb-a', 'strata', '-15.0%'],
      ['noise', 'readrandom', 'blobtree', '-12.0%'],
      ['improved', 'readseq', 'strata', '+20.0%'],
    ])
    assert.equal(rows.length, 20)
  })

  test('history report renders a trend per workload over the five runs', async () => {
    const page = buildHistoryReport(history, { generatedAt })
    const seen = await visit('history', page)
    assertRendered(seen, page.figures)
    const runs = await seen.text('table[data-runs]:')
    assert.deepEqual(runs.map((row) => row[1]), history.map((run) => run.result.provenance.gitCommit.slice(0, 7)))
  })

  test('imported db_bench and criterion results render beside each other', async () => {
    const dbBench = dbBenchToResult(parseDbBench(fs.readFileSync(path.join(FIXTURES, 'import/db_bench-7.8.3.txt'), 'utf8')), { commit: 'unknown' })
    const criterion = criterionToResult(await readCriterion(path.join(FIXTURES, 'import/criterion')), { parameterName: 'keyCount', startedAt: '2025-07-08T00:00:00.000Z' })
    const runs: LoadedRun[] = [
      { path: 'db_bench.json', label: 'db_bench', result: dbBench },
      { path: 'criterion.json', label: 'criterion', result: criterion },
    ]
    const page = buildRunReport(runs, { generatedAt })
    assert.ok(page.figures.some((f) => f.id.startsWith('scaling-')), 'criterion N sweep gives a scaling chart')
    const seen = await visit('imported', page)
    assertRendered(seen, page.figures)
    const fill = await seen.text('table[data-summary]:run1-summary-1-fillrandom')
    assert.equal(fill[0][1], '184,537')
  })
})
