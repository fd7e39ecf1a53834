/**
 * Read workloads (db_bench vocabulary): readrandom (hits and misses), multiget, readseq,
 * seekrandom (readwhilewriting: read-while-writing.ts). Each starts from a loaded store and
 * counts what it found.
 */
import type { WorkloadContext, WorkloadOutcome } from './context.ts'
import { runClients, stoppedEarly, valueMatches } from './context.ts'
import type { Workload } from './workload.ts'

/** Key + value bytes of the loaded keys. */
export function liveBytes(context: WorkloadContext): number {
  const p = context.parameters
  return p.keyCount * (p.keySizeBytes + context.dataset.sizer('live').meanBytes)
}

/** Pre-draws `count` key indices so every engine and every client interleaving reads the same keys. */
export function planIndices(context: WorkloadContext, purpose: string, keySpace: number, count: number): Float64Array {
  const chooser = context.dataset.chooser(context.parameters.keyOrder ?? { kind: 'uniform' }, keySpace, purpose)
  const plan = new Float64Array(count)
  for (let i = 0; i < count; i++) plan[i] = chooser.next()
  return plan
}

/**
 * readrandom's keys: each read is a miss with probability missRatio (a seeded draw per read, so
 * the share is missRatio up to sampling noise, in every prefix a duration limit cuts), aimed at a
 * uniform index in [keyCount, 2 × keyCount), which the load never writes; hits follow the key
 * order over the loaded keys. Drawing over keyCount × (1 + missRatio) instead gave a 9.09% share
 * for a documented 10% (0.1 / 1.1).
 */
export function planReadrandom(context: WorkloadContext): Float64Array {
  const { dataset, parameters } = context
  const plan = planIndices(context, 'readrandom', parameters.keyCount, parameters.operationCount)
  const missDraw = dataset.prng('readrandom:miss')
  const missIndex = dataset.prng('readrandom:miss-index')
  for (let i = 0; i < plan.length; i++) {
    if (missDraw.nextFloat() < parameters.missRatio) plan[i] = parameters.keyCount + missIndex.nextBelow(parameters.keyCount)
  }
  return plan
}

export const readrandom: Workload = {
  name: 'readrandom',
  summary: 'operationCount point gets; a missRatio share aims at keys never written (misses), the rest hit',
  needsLoad: true,
  readsData: true,
  plannedOperations: ({ parameters }) => parameters.operationCount,
  async run(context: WorkloadContext): Promise<WorkloadOutcome> {
    const { session, dataset, meter, parameters } = context
    const plan = planReadrandom(context)
    let found = 0
    let wrong = 0
    let bytesRead = 0
    const done = await runClients(parameters.clients, plan.length, async (i) => {
      const index = plan[i]
      const value = await meter.time(() => session.get(dataset.key(index)))
      if (value !== undefined) {
        found++
        bytesRead += value.length
        if (index >= parameters.keyCount || !valueMatches(value, index)) wrong++
      }
    }, meter)
    let expected = 0
    for (const index of plan.subarray(0, done)) if (index < parameters.keyCount) expected++
    const ok = found === expected && wrong === 0
    return {
      operationCount: done, userBytesWritten: 0, userBytesRead: bytesRead, liveUserBytes: liveBytes(context),
      check: { ok, message: `${found} of ${done} found (expected ${expected}), ${wrong} wrong values${stoppedEarly(done, plan.length)}` },
    }
  },
}

export const multiget: Workload = {
  name: 'multiget',
  summary: 'operationCount keys read batchSize at a time through the engine\'s multi-get; ops = keys',
  needsLoad: true,
  readsData: true,
  plannedOperations: ({ parameters }) => parameters.operationCount,
  async run(context: WorkloadContext): Promise<WorkloadOutcome> {
    const { session, dataset, meter, parameters } = context
    const plan = planIndices(context, 'multiget', parameters.keyCount, parameters.operationCount)
    const batchCount = Math.ceil(plan.length / parameters.batchSize)
    let found = 0
    let bytesRead = 0
    const batchesDone = await runClients(parameters.clients, batchCount, async (batch) => {
      const indices = plan.subarray(batch * parameters.batchSize, (batch + 1) * parameters.batchSize)
      const values = await meter.time(() => session.getMany(Array.from(indices, (i) => dataset.key(i))), indices.length)
      values.forEach((value, position) => {
        if (valueMatches(value, indices[position])) { found++; bytesRead += value!.length }
      })
    }, meter)
    const done = Math.min(plan.length, batchesDone * parameters.batchSize)
    return {
      operationCount: done, userBytesWritten: 0, userBytesRead: bytesRead, liveUserBytes: liveBytes(context),
      check: { ok: found === done, message: `${found} of ${done} keys found${stoppedEarly(done, plan.length)}` },
    }
  },
}

export const readseq: Workload = {
  name: 'readseq',
  summary: 'one full forward scan of the loaded keys; ops = entries read',
  needsLoad: true,
  readsData: true,
  plannedOperations: ({ parameters }) => parameters.keyCount,
  async run(context: WorkloadContext): Promise<WorkloadOutcome> {
    const { session, meter, parameters } = context
    const outcome = await meter.time(() => session.scan({}, Infinity), parameters.keyCount)
    const ok = outcome.count === parameters.keyCount && outcome.ordered
    return {
      operationCount: outcome.count, userBytesWritten: 0, userBytesRead: outcome.bytes, liveUserBytes: liveBytes(context),
      check: { ok, message: `${outcome.count} of ${parameters.keyCount} entries, ${outcome.ordered ? 'in order' : 'OUT OF ORDER'}` },
    }
  },
}

export const seekrandom: Workload = {
  name: 'seekrandom',
  summary: 'operationCount range scans: seek to a random key, read scanLength entries; ops = seeks',
  needsLoad: true,
  readsData: true,
  plannedOperations: ({ parameters }) => parameters.operationCount,
  async run(context: WorkloadContext): Promise<WorkloadOutcome> {
    const { session, dataset, meter, parameters } = context
    const plan = planIndices(context, 'seekrandom', parameters.keyCount, parameters.operationCount)
    let wrong = 0
    let bytesRead = 0
    const done = await runClients(parameters.clients, plan.length, async (i) => {
      const start = plan[i]
      const outcome = await meter.time(() => session.scan({ gte: dataset.key(start) }, parameters.scanLength))
      bytesRead += outcome.bytes
      if (outcome.count !== Math.min(parameters.scanLength, parameters.keyCount - start) || !outcome.ordered) wrong++
    }, meter)
    return {
      operationCount: done, userBytesWritten: 0, userBytesRead: bytesRead, liveUserBytes: liveBytes(context),
      check: { ok: wrong === 0, message: `${done - wrong} of ${done} scans returned the expected entries in order${stoppedEarly(done, plan.length)}` },
    }
  },
}
