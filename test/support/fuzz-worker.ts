/**
 * Runs decoder fuzzing in a worker thread so a hang can be stopped: the parent's watchdog
 * terminates the worker when no heartbeat arrives in time (a synchronous endless loop in a
 * decoder would otherwise freeze the test process for good). Start with runFuzzInWorker().
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { runFuzz, type FuzzTargetReport } from './fuzz-decoders.ts'

/** How long the worker may take to load before its first heartbeat. */
const STARTUP_MS_MAX = 60_000

/** Messages from the worker. */
type FuzzMessage =
  | { kind: 'progress'; targetName: string; index: number }
  | { kind: 'done'; reports: FuzzTargetReport[] }
  | { kind: 'failed'; message: string }

/**
 * Fuzzes every decoder in a worker; rejects with the violation, or with a hang report naming
 * the target and the input index when no progress arrives within `stallMsMax`.
 */
export function runFuzzInWorker(seed: number, inputsPerTarget: number, stallMsMax = 20_000, options: { injectHang?: boolean } = {}): Promise<FuzzTargetReport[]> {
  return new Promise((resolve, reject) => {
    // The worker needs the TypeScript loader the parent runs under: register tsx, then load this file.
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}) })`
    const worker = new Worker(bootstrap, { eval: true, workerData: { seed, inputsPerTarget, injectHang: options.injectHang === true } })
    let last = { targetName: 'start-up', index: 0, atMs: Date.now() }
    let settled = false
    const finish = (action: () => void): void => {
      if (settled) return
      settled = true
      clearInterval(watchdog)
      void worker.terminate()
      action()
    }
    // Loading tsx and the decoders in a fresh worker takes seconds on a loaded machine: start-up
    // gets its own allowance, so a short stallMsMax (the watchdog test's 1 s) measures decoders only.
    const startUpMsMax = Math.max(stallMsMax, STARTUP_MS_MAX)
    const watchdog = setInterval(() => {
      const limitMs = last.targetName === 'start-up' ? startUpMsMax : stallMsMax
      if (Date.now() - last.atMs <= limitMs) return
      finish(() => reject(new Error(`fuzz hang: ${last.targetName} made no progress for ${limitMs} ms after input ${last.index} (seed=${seed})`)))
    }, 250)
    worker.on('message', (message: FuzzMessage) => {
      if (message.kind === 'progress') last = { targetName: message.targetName, index: message.index, atMs: Date.now() }
      else if (message.kind === 'done') finish(() => resolve(message.reports))
      else finish(() => reject(new Error(message.message)))
    })
    worker.on('error', (error) => finish(() => reject(error)))
    worker.on('exit', (code) => finish(() => reject(new Error(`fuzz worker exited with code ${code} (seed=${seed}); out of memory?`))))
  })
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort
  const { seed, inputsPerTarget, injectHang } = workerData as { seed: number; inputsPerTarget: number; injectHang: boolean }
  if (injectHang) {
    // Proves the watchdog: a decoder stuck in a synchronous loop never reports progress again.
    port.postMessage({ kind: 'progress', targetName: 'injected hang', index: 0 } satisfies FuzzMessage)
    for (;;) {
      // spin
    }
  }
  runFuzz(seed, inputsPerTarget, (targetName, index) => port.postMessage({ kind: 'progress', targetName, index } satisfies FuzzMessage))
    .then((reports) => port.postMessage({ kind: 'done', reports } satisfies FuzzMessage))
    .catch((error: unknown) => port.postMessage({ kind: 'failed', message: String((error as Error)?.message ?? error) } satisfies FuzzMessage))
}
