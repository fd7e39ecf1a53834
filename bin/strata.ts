/**
 * The `strata` command: a thin dispatcher. Each subsystem owns its subcommands and exports
 * `main(argv): Promise<number>` returning the exit status; nothing imports this file.
 */
const commands: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  bench: { summary: 'run the benchmark suite (strata bench run --help)', load: () => import('../benchsuite/cli.ts') },
  report: { summary: 'build HTML reports and regression views (strata report --help)', load: () => import('../reports/cli.ts') },
  demo: { summary: 'store and read back large values, print stats', load: () => import('./demo.ts') },
  inspect: forensics('inspect', 'levels, tables, blob files and sizes of a store (read-only)'),
  verify: forensics('verify', 'read every table: clean / repaired / unrecoverable per file'),
  scrub: forensics('scrub', 'verify block by block, naming each damaged block'),
  'dump-block': forensics('dump-block', "decode one block's header and regions (strata dump-block --help)"),
  stats: forensics('stats', 'sizes and counts per level and of blob files (read-only)'),
}

/** A forensics subcommand: engine/forensics/cli.ts handles all five, keyed by name. */
function forensics(name: string, summary: string): (typeof commands)[string] {
  return {
    summary,
    load: async () => {
      const cli = await import('../engine/forensics/cli.ts')
      return { main: (argv: string[]) => cli.main([name, ...argv]) }
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
