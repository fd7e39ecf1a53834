/**
 * One SIGKILL round: spawn a writer child under tsx, collect the `ack <n>` lines it prints once a
 * batch is durable, and kill it at a chosen moment (before or after it prints `ready`). Shared by
 * the engine's crash test (sigkill-rounds.ts) and the blob GC crash test
 * (blobtree/testing/gc-crash-rounds.ts); each draws its own kill timing from its own seeded stream.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'

/** How long a child may take to open its store before the round fails. */
const CHILD_READY_TIMEOUT_MS = 60_000

export interface KillPlan {
  /** The child script, run as `node --import tsx <script> ...args` in `cwd`. */
  script: string
  args: string[]
  cwd: string
  /** Kill without waiting for `ready` (a crash during open). */
  killedBeforeReady: boolean
  /** Delay from `ready` (or from spawn, when killed before ready) to the kill. */
  killDelayMs: number
  /** Prefix of every failure message, e.g. `seed=7 round=3`. */
  label: string
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Runs the child, kills it with SIGKILL as planned, and returns the batch numbers it acknowledged.
 * Rejects when the child exits on its own, writes to stderr, or prints an unexpected line.
 */
export async function runAndKill(plan: KillPlan): Promise<Set<number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', plan.script, ...plan.args], { cwd: plan.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const acked = new Set<number>()
  let stderr = ''
  let pending = ''
  let killed = false
  let onReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (onReady = resolve))
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      if (line === 'ready') onReady()
      else if (line.startsWith('ack ')) acked.add(Number(line.slice(4)))
      else stderr += `unexpected stdout line: ${line}\n`
    }
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => (stderr += chunk))
  // 'close' (not 'exit'): all stdout read and the child reaped, so its pid is gone and the
  // LOCK file it left is seen as stale.
  const closed = new Promise<{ signal: NodeJS.Signals | null }>((resolve) => child.on('close', (_code, signal) => resolve({ signal })))
  const exitedEarly = closed.then(() => {
    if (!killed) throw new Error(`${plan.label}: child exited on its own before the kill\n${stderr}`)
  })
  if (!plan.killedBeforeReady) {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${plan.label}: child not ready after ${CHILD_READY_TIMEOUT_MS} ms\n${stderr}`)), CHILD_READY_TIMEOUT_MS)
    })
    try {
      await Promise.race([ready, exitedEarly, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
  await Promise.race([sleep(plan.killDelayMs), exitedEarly])
  killed = true
  child.kill('SIGKILL')
  const { signal } = await closed
  assert.equal(signal, 'SIGKILL', `${plan.label}: child ended by ${signal}\n${stderr}`)
  assert.equal(stderr, '', `${plan.label}: child wrote to stderr`)
  return acked
}

/**
 * What a SIGKILL loop keeps across rounds on one directory: the surviving prefix length of every
 * round so far. `model()` is the store's expected content: every round's surviving batches,
 * replayed in order through `applyBatch` (the workload's own, so the model cannot drift from it).
 */
export class PrefixHistory<V> {
  readonly seed: number
  readonly directory: string
  readonly survivorCounts: number[] = []
  readonly #applyBatch: (model: Map<string, V>, seed: number, round: number, batch: number) => void

  constructor(seed: number, directory: string, applyBatch: (model: Map<string, V>, seed: number, round: number, batch: number) => void) {
    this.seed = seed
    this.directory = directory
    this.#applyBatch = applyBatch
  }

  model(): Map<string, V> {
    const model = new Map<string, V>()
    this.survivorCounts.forEach((count, round) => {
      for (let batch = 0; batch < count; batch++) this.#applyBatch(model, this.seed, round, batch)
    })
    return model
  }
}

/** The keys-only iteration survivorCountOf needs (Db and BlobDb both have it). */
interface MarkerStore {
  iterator(options: { gte: string; lt: string; values: false }): AsyncIterable<[Buffer, Buffer]>
}

/**
 * The surviving prefix length of `round`: its markers `m/<round>/0..P-1` are present and none
 * above. Asserts there is no gap (a later batch surviving an earlier one).
 */
export async function survivorCountOf(store: MarkerStore, round: number, where: string): Promise<number> {
  const present: number[] = []
  const prefix = `m/${round}/`
  for await (const [key] of store.iterator({ gte: prefix, lt: `m/${round}0`, values: false })) present.push(Number(key.toString('latin1').slice(prefix.length)))
  present.sort((a, b) => a - b)
  present.forEach((batch, index) => assert.equal(batch, index, `${where}: batch ${index} is missing but batch ${present.at(-1)} survived`))
  return present.length
}
