/**
 * Interleaved tinybench rounds for side-by-side micro-benchmarks on a shared machine: every round
 * runs every task for `timeMs`, and each task reports the median of its round means, so load
 * drift hits all tasks alike. Used by pipeline.bench.ts and partial-decode.bench.ts.
 */
import assert from 'node:assert/strict'
import { Bench } from 'tinybench'

/** Runs `tasks` in `rounds` interleaved rounds; returns each task's median round mean, in µs. */
export async function medianRoundsUs(tasks: readonly (readonly [string, () => void])[], rounds: number, timeMs: number): Promise<Map<string, number>> {
  const roundsUs = new Map<string, number[]>(tasks.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    const tinybench = new Bench({ time: timeMs, warmupTime: 20 })
    for (const [name, run] of tasks) tinybench.add(name, run)
    await tinybench.run()
    for (const task of tinybench.tasks) {
      const result = task.result as { latency?: { mean: number } }
      assert.ok(result.latency, `${task.name} did not complete`)
      roundsUs.get(task.name)?.push(result.latency.mean * 1000)
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]
  return new Map([...roundsUs].map(([name, values]) => [name, median(values)]))
}
