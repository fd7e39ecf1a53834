/**
 * Finds and reads the browser builds of Vega, Vega-Lite and Vega-Embed from node_modules so every
 * report can inline them and open offline from file:// (about 820 KiB per page). The packages'
 * `exports` maps hide their build/ folders from require.resolve, so this walks up from this file
 * to the nearest node_modules that holds them.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ReportError } from '../errors.ts'
import { scriptForInline } from './escape.ts'

/** The bundles in load order: vega-lite needs vega, vega-embed needs both. */
export const VEGA_BUNDLES = [
  { packageName: 'vega', file: 'build/vega.min.js' },
  { packageName: 'vega-lite', file: 'build/vega-lite.min.js' },
  { packageName: 'vega-embed', file: 'build/vega-embed.min.js' },
] as const

/** Bounds the walk up from this file. */
const PARENT_DIRECTORY_COUNT_MAX = 8

let cached: string[] | null = null

/**
 * Returns the three bundles' sources, ready to inline, in load order (read once per process).
 * @throws {ReportError} `IO_ERROR` when a bundle is not installed.
 */
export function vegaBundles(): string[] {
  if (cached !== null) return cached
  cached = VEGA_BUNDLES.map(({ packageName, file }) => scriptForInline(fs.readFileSync(bundlePath(packageName, file), 'utf8')))
  return cached
}

/** The version of each bundled package, for the page footer. */
export function vegaVersions(): Record<string, string> {
  const versions: Record<string, string> = {}
  for (const { packageName } of VEGA_BUNDLES) {
    const manifest = JSON.parse(fs.readFileSync(bundlePath(packageName, 'package.json'), 'utf8')) as { version: string }
    versions[packageName] = manifest.version
  }
  return versions
}

function bundlePath(packageName: string, file: string): string {
  let directory = path.dirname(fileURLToPath(import.meta.url))
  for (let step = 0; step < PARENT_DIRECTORY_COUNT_MAX; step += 1) {
    const candidate = path.join(directory, 'node_modules', packageName, file)
    if (fs.existsSync(candidate)) return candidate
    directory = path.dirname(directory)
  }
  throw new ReportError('IO_ERROR', `Cannot find ${packageName}/${file}: is ${packageName} installed in node_modules?`, {
    details: { packageName, file },
  })
}
