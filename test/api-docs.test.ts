// Goal: the API reference builds with no warning, so every exported symbol of strata-kv and
// strata-kv/level keeps a doc comment (issue #7) and no {@link} or referenced type dangles.
// Method: run scripts/docs.sh (TypeDoc with treatWarningsAsErrors, typedoc.json) into a temp
// directory and require exit 0, then check the pages of both entries exist. About 10 s.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

test('scripts/docs.sh builds the API reference with no warnings', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-api-docs-'))
  try {
    const result = spawnSync('bash', ['scripts/docs.sh', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
    const output = `${result.stdout}\n${result.stderr}`
    assert.equal(result.status, 0, `TypeDoc failed (a warning is an error; see typedoc.json):\n${output}`)
    assert.doesNotMatch(output, /\[warning\]/, output)
    const modules = fs.readdirSync(path.join(out, 'modules')).sort()
    assert.deepEqual(modules, ['strata-kv.html', 'strata-kv_level.html'])
    assert.ok(fs.existsSync(path.join(out, 'classes', 'strata-kv.Db.html')), 'Db has a page')
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
})
