/** Where, when and with what a run was made: git commit, machine, CPU, Node and package versions. */
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { ENGINES } from '../engines/registry.ts'
import { packageVersion } from '../engines/package-version.ts'
import type { PresetName } from '../presets.ts'
import type { Provenance } from './schema.ts'

const EXTRA_PACKAGES = ['zstd-napi', 'hash-wasm', 'tsx', 'typescript']

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

export function collectProvenance(options: { preset: PresetName; suite: string; seed: number }): Provenance {
  const packages = new Set([...ENGINES.flatMap((engine) => engine.packages), ...EXTRA_PACKAGES])
  packages.delete('strata-kv')
  const packageVersions: Record<string, string> = {}
  for (const name of packages) packageVersions[name] = packageVersion(name)
  const commit = git(['rev-parse', 'HEAD'])
  return {
    gitCommit: commit !== undefined && /^[0-9a-f]{40}$/.test(commit) ? commit : 'unknown',
    gitDirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    startedAt: new Date().toISOString(),
    hostname: os.hostname(),
    platform: `${process.platform} ${process.arch}`,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpuCount: os.cpus().length,
    memoryBytes: os.totalmem(),
    nodeVersion: process.version,
    packageVersions,
    preset: options.preset,
    suite: options.suite,
    seed: options.seed,
    source: 'strata-bench',
  }
}
