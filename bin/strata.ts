#!/usr/bin/env node
/**
 * The `strata` command: a thin dispatcher. Each subsystem owns its subcommands and exports
 * `main(argv): Promise<number>` returning the exit status; nothing imports this file.
 * Runs as TypeScript under tsx in the repository and as compiled JavaScript (dist/bin/strata.js)
 * from the npm package, which ships the engine but not benchsuite/ or reports/.
 */
import fs from 'node:fs'
import type { StoreOpener } from '../engine/forensics/mod.ts'

interface Command {
  main(argv: string[]): Promise<number>
}

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  bench: { summary: 'run the benchmark suite (strata bench run --help)', load: fromCheckout('bench', 'benchsuite') },
  report: { summary: 'build HTML reports and regression views (strata report --help)', load: fromCheckout('report', 'reports') },
  demo: { summary: 'store and read back large values, print stats', load: () => import('./demo.ts') },
  inspect: forensics('inspect', 'levels, tables, blob files and sizes of a store (read-only)'),
  verify: forensics('verify', 'read every table and blob file: clean / ecc-damaged / repaired / unrecoverable per file'),
  scrub: forensics('scrub', 'verify block by block (blob files frame by frame), naming each damaged one'),
  'dump-block': forensics('dump-block', "decode one block's header and regions (strata dump-block --help)"),
  stats: forensics('stats', 'sizes and counts per level and of blob files (read-only)'),
  wal: forensics('wal', 'WAL files, their damage, and what each recovery mode would keep (read-only)'),
  repair: forensics('repair', 'open a store at its last consistent point, saving what it drops in lost/ (strata repair --help)'),
}

/**
 * A command whose code lives only in a checkout of the repository. The specifier is a runtime
 * value, not a literal, so the package build (tsconfig.build.json) does not follow it into
 * benchsuite/ and reports/ and their benchmark peers; a missing file then means "installed
 * from npm", which gets a clear message and exit 2 instead of ERR_MODULE_NOT_FOUND.
 */
function fromCheckout(name: string, folder: string): () => Promise<Command> {
  return async () => {
    const url = new URL(`../${folder}/cli.ts`, import.meta.url)
    if (fs.existsSync(url)) return (await import(url.href)) as Command
    return {
      main: async () => {
        process.stderr.write(
          `strata ${name}: this command runs from a checkout of the strata-kv repository (it needs ${folder}/, ` +
            `which the npm package does not ship). In a checkout: npm ci, then npm run strata -- ${name} --help\n`,
        )
        return 2
      },
    }
  }
}

/** A forensics subcommand: engine/forensics/cli.ts handles all seven, keyed by name. */
function forensics(name: string, summary: string): (typeof commands)[string] {
  return {
    summary,
    load: async () => {
      // The blob layer's frame walk and the package's open (BlobDb with kvSeparation) go in from
      // here: the engine's CLI must not import blobtree/.
      const [cli, blobFiles] = await Promise.all([import('../engine/forensics/cli.ts'), import('../blobtree/blob-file/mod.ts')])
      const openStore: StoreOpener = async (directory, { kvSeparation, ...options }) => {
        const entry = await import('../index.ts')
        // Repair only replays and flushes: no background work, and default blob options.
        return entry.open(directory, { ...options, backgroundWork: false, ...(kvSeparation ? { kvSeparation: {} } : {}) })
      }
      return { main: (argv: string[]) => cli.main([name, ...argv], blobFiles.checkBlobFile, openStore) }
    },
  }
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  return `Usage: strata <command> [options]\n\nCommands:\n${lines.join('\n')}\n`
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (command === undefined) {
    process.stderr.write(`strata: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  return (await command.load()).main(rest)
}

process.exitCode = await run(process.argv.slice(2))
