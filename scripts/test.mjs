#!/usr/bin/env node
// Runs the whole test suite with node:test: every `*.test.ts` under the source folders.
// Node 20's `--test` does not expand globs, so this script finds the files and hands them over.
// Usage: node scripts/test.mjs [path-substring …]  (only files whose path contains one of them)
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const roots = ['level', 'engine', 'blobtree', 'datasets', 'benchsuite', 'reports', 'bin', 'test', 'examples']
const filters = process.argv.slice(2)

function findTests(directory) {
  if (!fs.existsSync(directory)) return []
  const found = []
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const entryPath = path.join(directory, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'fixtures') found.push(...findTests(entryPath))
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(entryPath)
  }
  return found
}

const files = roots.flatMap(findTests).filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
if (files.length === 0) {
  console.error(`No test files found${filters.length ? ` matching ${filters.join(', ')}` : ''}`)
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files.sort()],
  { stdio: 'inherit', env: { ...process.env, STRATA_INVARIANTS: '1' } },
)
process.exit(result.status ?? 1)
