// Goal: every read Strata answers equals what a sorted-Map model answers, whatever mix of
// writes, deletes, range deletes, batches, snapshots, flushes, compactions and reopens led there.
// Method: a seeded random sequence of operations runs against Strata (on MemVfs, with tiny
// memtables and levels so that flushes and compactions happen constantly) and against a Map.
// After every read the answers are compared; the seed is printed and in every message.
// STRATA_SEED=<n> replays one run; STRATA_MODEL_OPS=<n> changes its length.
import { describe, test } from 'node:test'
import { configurations, runModel } from './support/model.ts'
import { seedFromEnv } from './support/seed.ts'

describe('Strata against a sorted-Map model', () => {
  for (const configuration of configurations) {
    test(`random operations agree with the model (${configuration.name})`, async (t) => {
      const seed = seedFromEnv(`model ${configuration.name}`)
      t.diagnostic(`seed=${seed}`)
      await runModel(configuration, seed)
    })
  }
})
