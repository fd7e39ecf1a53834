// Goal: `npm pack` produces a package that installs into a fresh folder and works there with
// plain Node, no tsx (issue #7): `strata-kv` and `strata-kv/level` import and round-trip values
// (plain, kvSeparation, level), the installed `strata` bin runs the forensics commands and says
// clearly that `bench` needs a checkout, and a TypeScript consumer typechecks against the
// shipped .d.ts files.
// Method: pack into a temp dir (prepack compiles to dist/ with tsconfig.build.json, postpack
// removes it again, so two packs at once in one tree race on dist/) and check the file list
// (compiled JavaScript and declarations in; sources, tests, benches and tools out); install
// the tarball into an empty project offline from npm's cache; run a consumer with `node` alone
// and check what it prints, including that `strata-kv` resolved inside the fresh folder; run
// the bin through npx; typecheck a small .ts consumer with the project's tsc.
// Two shortcuts keep this fast and offline, neither touches the package under test: install
// scripts are skipped and the project's own zstd-napi build (same version, same Node) is linked
// in instead of compiling it again (~55 s here); optional dependencies are omitted.
// @types/node is pinned to the project's version because zstd-napi asks for `@types/node@*`,
// whose newest release is not in an offline cache; the TypeScript consumer needs it anyway.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

interface Ran {
  status: number | null
  stdout: string
  stderr: string
}

function spawn(command: string, args: string[], cwd: string): Ran {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_update_notifier: 'false' } })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr + (result.signal ? `\n(killed by ${result.signal})` : '') }
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawn(command, args, cwd)
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed in ${cwd} (exit ${result.status}):\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

function versionOf(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

// Plain JavaScript, run by `node` without loaders. The stores stay in argv[2] for `strata inspect`.
const CONSUMER = `
import { open } from 'strata-kv'
import { StrataLevel } from 'strata-kv/level'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = process.argv[2]
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
console.log(JSON.stringify({
  resolved: fileURLToPath(import.meta.resolve('strata-kv')),
  resolvedLevel: fileURLToPath(import.meta.resolve('strata-kv/level')),
  plain, bigLength: big?.length, bigByte: big?.[1000], viaLevel,
}))
`

// Typechecked only: wrong calls must be errors, so the declarations are real types, not any.
const TS_CONSUMER = `
import { open, type Db, type OpenOptions } from 'strata-kv'
import { StrataLevel } from 'strata-kv/level'

export async function roundTrip(directory: string): Promise<string | undefined> {
  const options: OpenOptions = { kvSeparation: { minBlobSize: 1024 } }
  const db: Db = await open(directory, options)
  await db.put('k', 'v', { sync: true })
  const value: Buffer | undefined = await db.get('k')
  // @ts-expect-error open() takes a directory path
  await open(42)
  await db.close()
  const level = new StrataLevel(directory + '-level')
  await level.put('a', 'b')
  const viaLevel: string | undefined = await level.get('a')
  // @ts-expect-error put() needs a value
  await level.put('a')
  await level.close()
  return value?.toString() ?? viaLevel
}
`

test('npm pack installs into a fresh folder and works with plain node: library, level, strata bin, types', (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-pack-'))
  t.after(() => fs.rmSync(work, { recursive: true, force: true }))

  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as { filename: string; files: { path: string }[] }[]
  const files = packed.files.map((file) => file.path)
  for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/level.js', 'dist/level.d.ts', 'dist/bin/strata.js', 'dist/engine/db.js', 'dist/engine/forensics/cli.js', 'dist/blobtree/blob-db.js', 'dist/level/strata-level.d.ts', 'docs/formats/block.md']) {
    assert.ok(files.includes(needed), `the package holds ${needed}`)
  }
  assert.deepEqual(
    files.filter((file) => /\.ts$/.test(file) && !/\.d\.ts$/.test(file)),
    [],
    'no TypeScript sources (the package runs without tsx)',
  )
  assert.deepEqual(
    files.filter((file) => /\.(test|bench)\.|(^|\/)test-[^/]*$|(^|\/)(test|testing|benchsuite|reports|datasets|scripts|examples)\//.test(file)),
    [],
    'no tests, benches or repository tools',
  )

  const app = path.join(work, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  const tarball = path.join(work, packed.filename)
  run('npm', ['install', '--offline', '--ignore-scripts', '--omit=optional', '--no-audit', '--no-fund', '--no-package-lock', tarball, `@types/node@${versionOf('@types/node')}`], app)
  const installed = fs.realpathSync(path.join(app, 'node_modules', 'strata-kv'))
  assert.ok(fs.existsSync(path.join(installed, 'dist', 'index.js')), 'strata-kv is installed in the fresh folder')
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'zstd-napi', 'build'), path.join(app, 'node_modules', 'zstd-napi', 'build'))

  // The library, with `node` alone: no --import, no tsx anywhere in the fresh folder.
  assert.ok(!fs.existsSync(path.join(app, 'node_modules', 'tsx')), 'tsx is not installed in the fresh folder')
  fs.writeFileSync(path.join(app, 'consumer.mjs'), CONSUMER)
  const stores = path.join(work, 'stores')
  const output = JSON.parse(run(process.execPath, ['consumer.mjs', stores], app).trim().split('\n').pop()!) as Record<string, unknown>
  assert.equal(output.resolved, path.join(installed, 'dist', 'index.js'), 'strata-kv resolved inside the fresh folder, not the repository')
  assert.equal(output.resolvedLevel, path.join(installed, 'dist', 'level.js'))
  assert.deepEqual({ ...output, resolved: undefined, resolvedLevel: undefined }, { resolved: undefined, resolvedLevel: undefined, plain: 'world', bigLength: 64 * 1024, bigByte: 7, viaLevel: 'b' })

  // The installed bin: help, a forensics command on the store the consumer made, and bench,
  // which needs a checkout and says so (exit 2) instead of failing to find benchsuite/.
  const help = run('npx', ['--no', '--', 'strata', '--help'], app)
  assert.match(help, /^Usage: strata <command>/)
  assert.match(help, /inspect/)
  const inspected = JSON.parse(run('npx', ['--no', '--', 'strata', 'inspect', path.join(stores, 'blobs'), '--json'], app)) as {
    levels: { tables: { entryCount: number }[] }[]
    blobFiles: { valueCount: number }[]
  }
  assert.equal(inspected.levels.flatMap((level) => level.tables).reduce((sum, table) => sum + table.entryCount, 0), 1, 'one flushed entry: the blob index of "big"')
  assert.deepEqual(inspected.blobFiles.map((blob) => blob.valueCount), [1])
  // verify checks the blob file too: the installed bin hands blobtree's checker to the CLI.
  const verified = JSON.parse(run('npx', ['--no', '--', 'strata', 'verify', path.join(stores, 'blobs'), '--json'], app)) as { ok: boolean; blobFiles: { status: string; frames: number }[] }
  assert.deepEqual([verified.ok, verified.blobFiles.map((blob) => [blob.status, blob.frames])], [true, [['clean', 1]]])
  for (const name of ['bench', 'report']) {
    const refused = spawn('npx', ['--no', '--', 'strata', name, '--help'], app)
    assert.equal(refused.status, 2, `strata ${name}: ${refused.stdout}${refused.stderr}`)
    assert.match(refused.stderr, new RegExp(`^strata ${name}: this command runs from a checkout of the strata-kv repository`))
    assert.doesNotMatch(refused.stderr, /ERR_MODULE_NOT_FOUND|Cannot find/)
  }

  // A TypeScript consumer typechecks against the shipped declarations (the project's tsc).
  fs.writeFileSync(path.join(app, 'consumer.ts'), TS_CONSUMER)
  fs.writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', strict: true, noEmit: true, types: ['node'] }, files: ['consumer.ts'] }),
  )
  run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app)
})
