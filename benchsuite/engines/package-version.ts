/**
 * The installed version of an npm package, for provenance. Read from the package's own
 * package.json, found by walking up from its resolved entry point (many packages do not export
 * './package.json'). Returns 'not installed' when the package cannot be resolved.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)

export function packageVersion(name: string): string {
  let directory: string
  try {
    directory = path.dirname(require.resolve(name))
  } catch {
    const direct = path.join(path.dirname(new URL(import.meta.url).pathname), '../../node_modules', name, 'package.json')
    return fs.existsSync(direct) ? (JSON.parse(fs.readFileSync(direct, 'utf8')) as { version: string }).version : 'not installed'
  }
  for (let depth = 0; depth < 8; depth++) {
    const manifest = path.join(directory, 'package.json')
    if (fs.existsSync(manifest)) {
      const parsed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version?: string }
      if (parsed.name === name && parsed.version !== undefined) return parsed.version
    }
    directory = path.dirname(directory)
  }
  return 'unknown'
}
