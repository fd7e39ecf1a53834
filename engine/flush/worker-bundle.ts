/**
 * The flush worker's code as one plain JavaScript module. The sources are TypeScript, run by
 * tsx; a worker thread that loads them through tsx (flush-worker-entry.mjs) pays ~0.75–1.2 s of
 * CPU before its first job (measured: tsx's loader thread and the module graph's transforms),
 * which on a 2-core machine competes with the writes the worker should relieve. Bundled once per
 * process with esbuild (tsx's own transformer, so present wherever tsx is), the same graph
 * starts in less CPU (figures in the README). Packages stay outside the bundle, imported by
 * their resolved file URLs, so the bundle can live in a private temporary directory (mode 0700,
 * removed when the process exits; Node 20 workers cannot start from a data: URL). Without
 * esbuild, or when the build fails, the worker starts from the tsx entry instead.
 */
import { isBuiltin } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const THREAD_MODULE = new URL('./flush-worker-thread.ts', import.meta.url)
const TSX_ENTRY = new URL('./flush-worker-entry.mjs', import.meta.url)

/** The build's output, shared by every database of the process; started by the first caller. */
let entry: Promise<URL> | undefined

interface EsbuildLike {
  build(options: object): Promise<{ outputFiles?: { text: string }[] }>
}

async function bundle(): Promise<URL> {
  try {
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
    const text = result.outputFiles?.[0]?.text
    if (text === undefined) return TSX_ENTRY
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-flush-worker-'))
    process.once('exit', () => fs.rmSync(directory, { recursive: true, force: true }))
    const file = path.join(directory, 'flush-worker.mjs')
    fs.writeFileSync(file, text, { mode: 0o600 })
    return pathToFileURL(file)
  } catch {
    return TSX_ENTRY
  }
}

/** Where the flush worker starts from: the bundle when it could be built, else the tsx entry. */
export function flushWorkerEntry(): Promise<URL> {
  entry ??= bundle()
  return entry
}
