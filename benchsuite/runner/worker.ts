/**
 * The child process of an isolated run: runs one engine's cells for one repetition (after an
 * unmeasured JIT warm-up) and writes their measurements as JSON. One engine per process means
 * CPU time and /proc/self/io belong to that engine alone, and a crashing native binding cannot
 * take the run down.
 * Usage (by run.ts only): node --import tsx benchsuite/runner/worker.ts <spec.json> <out.json>
 */
import fs from 'node:fs'
import { runEngineCells } from './run.ts'
import type { WorkerSpec } from './run.ts'

const [specPath, outPath] = process.argv.slice(2)
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8')) as WorkerSpec
// Written after every cell (to a temporary name, then renamed, so the parent never reads half a
// file): if the engine crashes the process later, the cells already measured are kept.
const write = (measurements: object): void => {
  fs.writeFileSync(`${outPath}.tmp`, JSON.stringify(measurements))
  fs.renameSync(`${outPath}.tmp`, outPath)
}
write(await runEngineCells(spec, write))
// Some bindings keep handles alive after close; the parent has what it needs.
process.exit(0)
