/** Every workload by name. */
import { readwhilewriting } from './read-while-writing.ts'
import { multiget, readrandom, readseq, seekrandom } from './reads.ts'
import type { Workload } from './workload.ts'
import { compaction, deleterandom, fillrandom, fillseq, overwrite } from './writes.ts'
import { ycsbWorkloads } from './ycsb.ts'

export const WORKLOADS: readonly Workload[] = [
  fillseq, fillrandom, overwrite, readrandom, multiget, readseq, seekrandom, readwhilewriting, deleterandom, compaction,
  ...ycsbWorkloads,
]

export const WORKLOAD_NAMES: readonly string[] = WORKLOADS.map((workload) => workload.name)

export function findWorkload(name: string): Workload | undefined {
  return WORKLOADS.find((workload) => workload.name === name)
}
