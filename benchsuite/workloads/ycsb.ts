/**
 * YCSB core workloads A–F (Cooper et al., SoCC 2010; YCSB's workloads/workload[a-f] files):
 * A 50% read / 50% update, zipfian; B 95/5, zipfian; C 100% read, zipfian; D 95% read / 5% insert,
 * latest; E 95% scan (length uniform 1..scanLength) / 5% insert, zipfian; F 50% read / 50%
 * read-modify-write, zipfian. The operation plan (kinds, keys, sizes) is drawn before the first
 * timed operation, so every engine executes the same operations whatever the client interleaving
 * (with a duration limit, the same prefix of them).
 */
import type { KeyOrderSpec } from '../../datasets/mod.ts'
import { YCSB_ZIPFIAN_THETA } from '../../datasets/mod.ts'
import type { WorkloadContext, WorkloadOutcome } from './context.ts'
import { runClients, stoppedEarly, valueMatches } from './context.ts'
import type { Workload } from './workload.ts'

const READ = 0
const UPDATE = 1
const INSERT = 2
const SCAN = 3
const READ_MODIFY_WRITE = 4

interface Mix { read: number; update: number; insert: number; scan: number; readModifyWrite: number; order: 'zipfian' | 'latest' }

const MIXES: Record<string, Mix> = {
  a: { read: 0.5, update: 0.5, insert: 0, scan: 0, readModifyWrite: 0, order: 'zipfian' },
  b: { read: 0.95, update: 0.05, insert: 0, scan: 0, readModifyWrite: 0, order: 'zipfian' },
  c: { read: 1, update: 0, insert: 0, scan: 0, readModifyWrite: 0, order: 'zipfian' },
  d: { read: 0.95, update: 0, insert: 0.05, scan: 0, readModifyWrite: 0, order: 'latest' },
  e: { read: 0, update: 0, insert: 0.05, scan: 0.95, readModifyWrite: 0, order: 'zipfian' },
  f: { read: 0.5, update: 0, insert: 0, scan: 0, readModifyWrite: 0.5, order: 'zipfian' },
}

interface Plan { kinds: Uint8Array; indices: Float64Array; sizes: Uint32Array }

function plan(context: WorkloadContext, letter: string, mix: Mix): Plan {
  const { dataset, parameters } = context
  const count = parameters.operationCount
  const kinds = new Uint8Array(count)
  const indices = new Float64Array(count)
  const sizes = new Uint32Array(count)
  const kindPrng = dataset.prng(`ycsb-${letter}:kinds`)
  const sizer = dataset.sizer(`ycsb-${letter}`)
  const scanPrng = dataset.prng(`ycsb-${letter}:scan`)
  let liveCount = parameters.keyCount
  const order: KeyOrderSpec = parameters.keyOrder ?? (mix.order === 'latest'
    ? { kind: 'latest', theta: YCSB_ZIPFIAN_THETA }
    : { kind: 'zipfian', theta: YCSB_ZIPFIAN_THETA, scrambled: true })
  const chooser = dataset.chooser(order, parameters.keyCount, `ycsb-${letter}`, () => liveCount)
  for (let i = 0; i < count; i++) {
    const u = kindPrng.nextFloat()
    let kind = READ
    if (u < mix.read) kind = READ
    else if (u < mix.read + mix.update) kind = UPDATE
    else if (u < mix.read + mix.update + mix.insert) kind = INSERT
    else if (u < mix.read + mix.update + mix.insert + mix.scan) kind = SCAN
    else kind = READ_MODIFY_WRITE
    kinds[i] = kind
    if (kind === INSERT) indices[i] = liveCount++
    else indices[i] = chooser.next()
    sizes[i] = kind === SCAN ? 1 + scanPrng.nextBelow(parameters.scanLength) : sizer.next()
  }
  return { kinds, indices, sizes }
}

function ycsb(letter: string): Workload {
  const mix = MIXES[letter]
  return {
    name: `ycsb-${letter}`,
    summary: `YCSB workload ${letter.toUpperCase()}: ${describeMix(mix)}, ${mix.order} request distribution`,
    needsLoad: true,
    readsData: true,
    plannedOperations: ({ parameters }) => parameters.operationCount,
    async run(context: WorkloadContext): Promise<WorkloadOutcome> {
      const { session, dataset, meter, parameters } = context
      const { kinds, indices, sizes } = plan(context, letter, mix)
      const pendingInserts = new Set<number>()
      let misses = 0
      let badScans = 0
      let bytesWritten = 0
      let bytesRead = 0
      const done = await runClients(parameters.clients, kinds.length, async (i) => {
        const index = indices[i]
        const key = dataset.key(index)
        switch (kinds[i]) {
          case READ: {
            const value = await meter.time(() => session.get(key))
            if (!valueMatches(value, index) && !pendingInserts.has(index)) misses++
            bytesRead += value?.length ?? 0
            break
          }
          case UPDATE:
          case INSERT: {
            const entry = dataset.entry(index, sizes[i], 1)
            bytesWritten += key.length + entry.value.length
            if (kinds[i] === INSERT) pendingInserts.add(index)
            await meter.time(() => session.putBatch([entry]))
            pendingInserts.delete(index)
            break
          }
          case SCAN: {
            const outcome = await meter.time(() => session.scan({ gte: key }, sizes[i]))
            bytesRead += outcome.bytes
            if (outcome.count === 0 || !outcome.ordered) badScans++
            break
          }
          case READ_MODIFY_WRITE: {
            await meter.time(async () => {
              const value = await session.get(key)
              if (!valueMatches(value, index)) misses++
              const entry = dataset.entry(index, sizes[i], 1)
              bytesWritten += key.length + entry.value.length
              await session.putBatch([entry])
            })
            break
          }
        }
      }, meter)
      const live = parameters.keyCount * (parameters.keySizeBytes + dataset.sizer('live').meanBytes)
      return {
        operationCount: done, userBytesWritten: bytesWritten, userBytesRead: bytesRead, liveUserBytes: live,
        check: { ok: misses === 0 && badScans === 0, message: `${done} operations, ${misses} reads missed an existing key, ${badScans} bad scans${stoppedEarly(done, kinds.length)}` },
      }
    },
  }
}

function describeMix(mix: Mix): string {
  const parts: string[] = []
  if (mix.read) parts.push(`${mix.read * 100}% read`)
  if (mix.update) parts.push(`${mix.update * 100}% update`)
  if (mix.insert) parts.push(`${mix.insert * 100}% insert`)
  if (mix.scan) parts.push(`${mix.scan * 100}% scan`)
  if (mix.readModifyWrite) parts.push(`${mix.readModifyWrite * 100}% read-modify-write`)
  return parts.join(' / ')
}

export const ycsbWorkloads: Workload[] = ['a', 'b', 'c', 'd', 'e', 'f'].map(ycsb)
