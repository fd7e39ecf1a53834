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

/** The checkout's HEAD commit ('unknown' outside a git checkout) and whether tracked files differ from it. */
export function gitState(): { commit: string; dirty: boolean } {
  const commit = git(['rev-parse', 'HEAD'])
  return {
    commit: commit !== undefined && /^[0-9a-f]{40}$/.test(commit) ? commit : 'unknown',
    dirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
  }
}

/** Provenance as of now: call it before the run starts (startedAt, and the commit the run began on). */
export function collectProvenance(options: { preset: PresetName; suite: string; seed: number }): Provenance {
  const packages = new Set([...ENGINES.flatMap((engine) => engine.packages), ...EXTRA_PACKAGES])
  packages.delete('strata-kv')
  const packageVersions: Record<string, string> = {}
  for (const name of packages) packageVersions[name] = packageVersion(name)
  const { commit, dirty } = gitState()
  return {
    gitCommit: commit,
    gitDirty: dirty,
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

/**
 * Marks `provenance` (taken at the start of a run) when the checkout changed since: a commit, a
 * merge or an edit of a tracked file during a run changes the code that worker processes started
 * afterwards load. Returns the change, or undefined when there was none.
 */
export function noteTreeChange(provenance: Provenance, atEnd: { commit: string; dirty: boolean } = gitState()): string | undefined {
  const moved = atEnd.commit !== provenance.gitCommit
  if (!moved && (!atEnd.dirty || provenance.gitDirty)) return undefined
  const change = moved ? `HEAD moved from ${provenance.gitCommit.slice(0, 12)} to ${atEnd.commit.slice(0, 12)} during the run` : 'tracked files changed during the run'
  provenance.gitDirty = true
  provenance.treeChangedDuringRun = change
  return change
}
