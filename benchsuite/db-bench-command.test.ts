// Goal: the db_bench command carries the run's parameters, loads before reading, and lists what
// db_bench cannot do the same way instead of approximating it silently.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { dbBenchCommand } from './db-bench-command.ts'
import { SUITES } from './suites.ts'
import { DEFAULT_PARAMETERS } from './workloads/parameters.ts'

const TABLE = { bloomBitsPerKey: 10, blockCacheBytes: 32 * 1024 * 1024 }

describe('dbBenchCommand()', () => {
  test('maps the standard suite in load-then-read order with its sizes', () => {
    const { argv, omitted } = dbBenchCommand(SUITES.standard.workloads, SUITES.standard.parameters, TABLE)
    assert.equal(argv[0], 'db_bench')
    assert.ok(argv.includes('--benchmarks=fillseq,filluniquerandom,overwrite,readrandom,multireadrandom,readseq,seekrandom,readwhilewriting,compact,deleterandom'))
    for (const flag of ['--num=200000', '--reads=50000', '--key_size=16', '--value_size=256', '--compression_ratio=0.5', '--batch_size=1000',
      '--bloom_bits=10', '--cache_size=33554432', '--compression_type=none', '--sync=0', '--seed=42', '--duration=10', '--histogram=1']) {
      assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`)
    }
    assert.equal(omitted.filter((line) => line.startsWith('ycsb-')).length, 6)
    assert.ok(omitted.some((line) => line.startsWith('readrandom misses')))
    // The rate limit would throttle every write benchmark of the command: readwhilewriting runs apart.
    assert.ok(!argv.some((flag) => flag.startsWith('--benchmark_write_rate_limit')))
    assert.ok(omitted.some((line) => line.startsWith("readwhilewriting's writer rate") && line.includes('--benchmark_write_rate_limit=2097152')))
  })

  test('names what differs in how db_bench runs: one database, --duration on readseq, its defaults (review finding 13)', () => {
    const { omitted } = dbBenchCommand(SUITES.standard.workloads, SUITES.standard.parameters, TABLE)
    assert.ok(omitted.some((line) => line.startsWith('one database:')), omitted.join('\n'))
    assert.ok(omitted.some((line) => line.startsWith('--duration also cuts db_bench\'s readseq short')))
    const defaults = omitted.find((line) => line.startsWith('db_bench defaults differ'))
    assert.ok(defaults !== undefined)
    for (const option of ['max_background_jobs 2', 'level_compaction_dynamic_level_bytes false', 'cache_index_and_filter_blocks false']) assert.ok(defaults.includes(option), option)
    const single = dbBenchCommand(['fillrandom'], { ...DEFAULT_PARAMETERS, durationSeconds: 0 }, TABLE).omitted
    assert.ok(!single.some((line) => line.startsWith('one database:') || line.startsWith('--duration')), single.join('\n'))
  })

  test('loads before a read-only selection, maps zstd levels, and names what it cannot express', () => {
    const parameters = { ...DEFAULT_PARAMETERS, compression: { codec: 'zstd' as const, level: 5 }, valueSize: SUITES.full.parameters.valueSize, valueContent: { kind: 'json' as const } }
    const { argv, omitted } = dbBenchCommand(['readrandom'], parameters, TABLE)
    assert.ok(argv.includes('--benchmarks=filluniquerandom,readrandom'))
    assert.ok(!omitted.some((line) => line.startsWith("readwhilewriting's writer rate")), 'no writer without readwhilewriting')
    assert.ok(argv.includes('--compression_type=zstd') && argv.includes('--compression_level=5'))
    assert.ok(!argv.some((flag) => flag.startsWith('--value_size=')))
    assert.ok(omitted.some((line) => line.startsWith('value size pareto')))
    assert.ok(omitted.some((line) => line.startsWith('value content json')))
    const uniform = dbBenchCommand(['fillrandom'], { ...DEFAULT_PARAMETERS, valueSize: { kind: 'uniform', minBytes: 10, maxBytes: 90 } }, TABLE)
    assert.ok(uniform.argv.includes('--value_size_distribution_type=uniform') && uniform.argv.includes('--value_size_max=90'))
  })
})
