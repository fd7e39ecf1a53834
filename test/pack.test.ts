// Goal: `npm pack` produces a package that installs into a fresh folder and works there:
// `strata-kv` and `strata-kv/level` import, put and get round-trip (issue #7).
// Method: pack into a temp dir and check the file list (sources in, tests and benches out);
// install the tarball into an empty project offline from npm's cache, with tsx, the way a
// consumer runs it (the package ships .ts sources: `node --import tsx app.mjs`); run a small
// consumer script there and check what it prints, including that `strata-kv` resolved inside
// the fresh folder. Two shortcuts keep this fast and offline, neither touches the package
// under test: install scripts are skipped and the project's own zstd-napi build (same version,
// same Node) is linked in instead of compiling it again (~55 s here); optional dependencies
// (the benchmark peers) are omitted, except esbuild's binary for this platform, which tsx
// needs. @types/node is pinned to the project's version because
// zstd-napi asks for `@types/node@*`, whose newest release is not in an offline cache.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_update_notifier: 'false' } })
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed in ${cwd} (${result.signal ?? 'exit ' + result.status}):\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

function versionOf(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

const CONSUMER = `
import { open } from 'strata-kv'
import { StrataLevel } from 'strata-kv/level'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-consumer-'))
const db = await open(path.join(root, 'plain'))
await db.put('hello', 'world', { sync: true })
const plain = (await db.get('hello'))?.toString()
await db.close()

const blobs = await open(path.join(root, 'blobs'), { kvSeparation: { minBlobSize: 1024 } })
await blobs.put('big', Buffer.alloc(64 * 1024, 7))
await blobs.flush()
const big = await blobs.get('big')
await blobs.close()

const level = new StrataLevel(path.join(root, 'level'))
await level.put('a', 'b')
const viaLevel = await level.get('a')
await level.close()
fs.rmSync(root, { recursive: true, force: true })
console.log(JSON.stringify({
  resolved: fileURLToPathSafe(import.meta.resolve('strata-kv')),
  plain, bigLength: big?.length, bigByte: big?.[1000], viaLevel,
}))
function fileURLToPathSafe(url) { return new URL(url).pathname }
`

test('npm pack installs into a fresh folder, and strata-kv and strata-kv/level work there', (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-pack-'))
  t.after(() => fs.rmSync(work, { recursive: true, force: true }))

  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as { filename: string; files: { path: string }[] }[]
  const files = packed.files.map((file) => file.path)
  for (const needed of ['package.json', 'index.ts', 'level.ts', 'engine/db.ts', 'engine/checkpoint.ts', 'blobtree/blob-db.ts', 'level/strata-level.ts']) {
    assert.ok(files.includes(needed), `the package holds ${needed}`)
  }
  assert.deepEqual(files.filter((file) => /\.(test|bench)\.ts$|(^|\/)test-[^/]*\.ts$|^(test|benchsuite|reports|datasets|scripts)\//.test(file)), [], 'no tests, benches or tools')

  const app = path.join(work, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  const tarball = path.join(work, packed.filename)
  // esbuild's binary (under tsx) is an optional dependency too: name this platform's one.
  const esbuildBinaries = fs.readdirSync(path.join(ROOT, 'node_modules', '@esbuild')).map((name) => `@esbuild/${name}@${versionOf(`@esbuild/${name}`)}`)
  const pinned = [`tsx@${versionOf('tsx')}`, `@types/node@${versionOf('@types/node')}`, ...esbuildBinaries]
  run('npm', ['install', '--offline', '--ignore-scripts', '--omit=optional', '--no-audit', '--no-fund', '--no-package-lock', tarball, ...pinned], app)
  const installed = path.join(app, 'node_modules', 'strata-kv')
  assert.ok(fs.existsSync(path.join(installed, 'index.ts')), 'strata-kv is installed in the fresh folder')
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'zstd-napi', 'build'), path.join(app, 'node_modules', 'zstd-napi', 'build'))

  fs.writeFileSync(path.join(app, 'consumer.mjs'), CONSUMER)
  const output = JSON.parse(run(process.execPath, ['--import', 'tsx', 'consumer.mjs'], app).trim().split('\n').pop()!) as Record<string, unknown>
  assert.equal(output.resolved, fs.realpathSync(path.join(installed, 'index.ts')), 'strata-kv resolved inside the fresh folder, not the repository')
  assert.deepEqual({ ...output, resolved: undefined }, { resolved: undefined, plain: 'world', bigLength: 64 * 1024, bigByte: 7, viaLevel: 'b' })
})
