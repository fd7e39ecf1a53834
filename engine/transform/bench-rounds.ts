/**
 * Interleaved tinybench rounds for side-by-side micro-benchmarks on a shared machine: every round
 * runs every task for `timeMs`, so load drift hits all tasks alike. `medianRoundsUs` reports each
 * task's median round mean; `medianRoundRatio` a ratio computed within each round (tasks timed
 * seconds apart, under the same load) and then the median over rounds, which is steadier on
 * this VM than a ratio of two medians taken from different rounds. Used by pipeline.bench.ts and
 * partial-decode.bench.ts.
 */
import assert from 'node:assert/strict'
import { Bench } from 'tinybench'

/** Runs `tasks` in `rounds` interleaved rounds; returns each task's round means, in µs. */
export async function roundsUs(tasks: readonly (readonly [string, () => void])[], rounds: number, timeMs: number): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>(tasks.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    const tinybench = new Bench({ time: timeMs, warmupTime: 20 })
    for (const [name, run] of tasks) tinybench.add(name, run)
    await tinybench.run()
    for (const task of tinybench.tasks) {
      const latency = (task.result as { latency?: { mean: number } }).latency
      assert.ok(latency, `${task.name} did not complete`)
      result.get(task.name)?.push(latency.mean * 1000)
    }
  }
  return result
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]
}

/** Runs `tasks` in `rounds` interleaved rounds; returns each task's median round mean, in µs. */
export async function medianRoundsUs(tasks: readonly (readonly [string, () => void])[], rounds: number, timeMs: number): Promise<Map<string, number>> {
  return medianOfRounds(await roundsUs(tasks, rounds, timeMs))
}

/** Each task's median round mean, in µs. */
export function medianOfRounds(rounds: ReadonlyMap<string, readonly number[]>): Map<string, number> {
  return new Map([...rounds].map(([name, values]) => [name, median(values)]))
}

/** The median over rounds of `ratio(round)`, where `us(name)` reads a task's mean in that round. */
export function medianRoundRatio(rounds: ReadonlyMap<string, readonly number[]>, ratio: (us: (name: string) => number) => number): number {
  const roundCount = [...rounds.values()][0]?.length ?? 0
  const ratios: number[] = []
  for (let round = 0; round < roundCount; round++) {
    ratios.push(ratio((name) => {
      const values = rounds.get(name)
      assert.ok(values, `no task named ${name}`)
      return values[round]
    }))
  }
  return median(ratios)
}
