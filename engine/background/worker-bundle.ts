/**
 * The background worker's code as one plain JavaScript module. The sources are TypeScript, run by
 * tsx; a worker thread that loads them through tsx (background-worker-entry.mjs) pays ~0.75–1.2 s of
 * CPU before its first job (measured: tsx's loader thread and the module graph's transforms),
 * which on a 2-core machine competes with the writes the worker should relieve. Bundled once per
 * process with esbuild (tsx's own transformer, so present wherever tsx is), the same graph
 * starts in less CPU (figures in the README). Packages stay outside the bundle, imported by
 * their resolved file URLs, so the bundle can live in a temporary directory (Node 20 workers
 * cannot start from a data: URL): a per-user one (mode 0700) where later processes reuse it
 * while the sources are unchanged (the build costs the main thread ~0.15 s of CPU), else a
 * fresh one removed at exit. Without esbuild, or when the build fails, the worker starts from
 * the tsx entry instead.
 */
import { isBuiltin } from 'node:module'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const THREAD_MODULE = new URL('./background-worker-thread.ts', import.meta.url)
const TSX_ENTRY = new URL('./background-worker-entry.mjs', import.meta.url)

/** The build's output, shared by every database of the process; started by the first caller. */
let entry: Promise<URL> | undefined

interface EsbuildLike {
  build(options: object): Promise<{ outputFiles?: { text: string }[] }>
}

const ENGINE_DIRECTORY = fileURLToPath(new URL('../', import.meta.url))

/**
 * A key for the bundle of the current sources: every engine source file's path, size and
 * modification time (the worker's module graph lies within engine/; packages stay external),
 * with this package's location and the Node version. ~250 stat calls, a few ms.
 */
function sourcesKey(): string {
  const hash = createHash('sha256').update(`${import.meta.url}\n${process.version}\n`)
  const walk = (directory: string): void => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const entryPath = path.join(directory, entry.name)
      if (entry.isDirectory()) walk(entryPath)
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const stat = fs.statSync(entryPath)
        hash.update(`${entryPath}\t${stat.size}\t${stat.mtimeMs}\n`)
      }
    }
  }
  walk(ENGINE_DIRECTORY)
  return hash.digest('hex').slice(0, 32)
}

/**
 * A directory only this user can write, for bundles kept across processes (each process of a
 * benchmark run would otherwise build its own); undefined when it cannot be made safe.
 */
function privateCacheDirectory(): string | undefined {
  const uid = process.getuid?.()
  if (uid === undefined) return undefined
  const directory = path.join(os.tmpdir(), `strata-background-worker-${uid}`)
  try {
    fs.mkdirSync(directory, { mode: 0o700 })
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') return undefined
  }
  const stat = fs.lstatSync(directory)
  // Another user's directory (or a link to one) could hand this process code to run.
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) return undefined
  return directory
}

async function build(): Promise<string | undefined> {
  const esbuild = (await import('esbuild')) as unknown as EsbuildLike
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(THREAD_MODULE)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // compress.ts resolves the zstd binding from import.meta.url: resolve from the sources, as
    // under tsx (every bundled module lives in this package, so all resolve alike).
    define: { 'import.meta.url': JSON.stringify(THREAD_MODULE.href) },
    plugins: [
      {
        name: 'packages-by-url',
        setup(build: { onResolve(options: { filter: RegExp }, callback: (args: { path: string }) => object): void }) {
          // Bare package names: import them from where this process resolves them.
          build.onResolve({ filter: /^[^./]/ }, (args) => (isBuiltin(args.path) ? { path: args.path, external: true } : { path: import.meta.resolve(args.path), external: true }))
        },
      },
    ],
  })
  return result.outputFiles?.[0]?.text
}

async function bundle(): Promise<URL> {
  try {
    const cacheDirectory = privateCacheDirectory()
    const cached = cacheDirectory === undefined ? undefined : path.join(cacheDirectory, `${sourcesKey()}.mjs`)
    if (cached !== undefined && fs.existsSync(cached)) return pathToFileURL(cached)
    const text = await build()
    if (text === undefined) return TSX_ENTRY
    if (cached !== undefined) {
      // Written aside and renamed: a concurrent process never starts a half-written bundle.
      const partial = `${cached}.${process.pid}.partial`
      fs.writeFileSync(partial, text, { mode: 0o600 })
      fs.renameSync(partial, cached)
      return pathToFileURL(cached)
    }
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-background-worker-'))
    process.once('exit', () => fs.rmSync(directory, { recursive: true, force: true }))
    const file = path.join(directory, 'background-worker.mjs')
    fs.writeFileSync(file, text, { mode: 0o600 })
    return pathToFileURL(file)
  } catch {
    return TSX_ENTRY
  }
}

/**
 * True in the published build (dist/, compiled by tsconfig.build.json, which lists the thread
 * module so it is compiled too): the thread module is plain JavaScript already.
 */
const COMPILED = import.meta.url.endsWith('.js')

/**
 * Where the background worker starts from: the compiled thread module in the published build; from
 * the sources, the bundle when it could be built, else the tsx entry.
 */
export function backgroundWorkerEntry(): Promise<URL> {
  entry ??= COMPILED ? Promise.resolve(new URL('./background-worker-thread.js', import.meta.url)) : bundle()
  return entry
}
