// Goal: per-KV checksums change no answer: the sorted-Map model test (test/support/model.ts)
// agrees with Strata opened with integrity.perKeyChecksums under the model's tiny-memtable and
// restart-interval-1 configurations (many flushes, compactions and reopens, every table of
// format version 2).
// Method: the shared model runner with the option added; STRATA_SEED replays.
import { describe, test } from 'node:test'
import { configurations, runModel } from '../../test/support/model.ts'
import { seedFromEnv } from '../../test/support/seed.ts'

describe('Strata with perKeyChecksums against a sorted-Map model', () => {
  for (const configuration of configurations.filter((c) => c.name !== 'defaults')) {
    test(`random operations agree with the model (${configuration.name}, perKeyChecksums)`, async (t) => {
      const seed = seedFromEnv(`model ${configuration.name} perKeyChecksums`)
      t.diagnostic(`seed=${seed}`)
      await runModel({ ...configuration, name: `${configuration.name}, perKeyChecksums`, options: { ...configuration.options, integrity: { perKeyChecksums: true } } }, seed)
    })
  }
})
