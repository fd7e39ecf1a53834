/**
 * XXH3-128 through hash-wasm and through xxhash-addon, side by side in interleaved rounds, for an
 * 8-byte header part plus a payload of each size (the shape every block and blob frame hashes).
 * The crossover it shows is NATIVE_MIN_INPUT_BYTES in xxh3.ts. Not a test: it times things and
 * prints them. Run:
 *   node --import tsx engine/checksum/xxh3.bench.ts
 * Env: STRATA_BENCH_ROUNDS (5), STRATA_BENCH_TIME_MS (100).
 */
import assert from 'node:assert/strict'
import { medianOfRounds, medianRoundRatio, roundsUs } from '../transform/bench-rounds.ts'
import { TestRandom } from '../transform/test-random.ts'
import { xxh3128Native, xxh3128Wasm } from './xxh3.ts'

const ROUNDS = Number(process.env.STRATA_BENCH_ROUNDS ?? 5)
const timeMs = Number(process.env.STRATA_BENCH_TIME_MS ?? 100)
const PAYLOAD_SIZES_BYTES = [1024, 2048, 4096, 8192, 16384, 65536, 1 << 20]
const random = new TestRandom(11)
const header = random.bytes(8)

const tasks: [string, () => void][] = []
let sink = 0
for (const sizeBytes of PAYLOAD_SIZES_BYTES) {
  const payload = random.bytes(sizeBytes)
  assert.deepEqual(Buffer.from(xxh3128Native(header, payload)), Buffer.from(xxh3128Wasm(header, payload)))
  tasks.push([`wasm ${sizeBytes}`, () => void (sink += xxh3128Wasm(header, payload)[0])])
  tasks.push([`native ${sizeBytes}`, () => void (sink += xxh3128Native(header, payload)[0])])
}
const rounds = await roundsUs(tasks, ROUNDS, timeMs)
const meanUs = medianOfRounds(rounds)
console.log('payload bytes | hash-wasm µs | xxhash-addon µs | native / wasm (median of per-round ratios)')
for (const sizeBytes of PAYLOAD_SIZES_BYTES) {
  const ratio = medianRoundRatio(rounds, (us) => us(`native ${sizeBytes}`) / us(`wasm ${sizeBytes}`))
  console.log(
    `${sizeBytes} | ${meanUs.get(`wasm ${sizeBytes}`)?.toFixed(2)} | ${meanUs.get(`native ${sizeBytes}`)?.toFixed(2)} | ${ratio.toFixed(2)}`,
  )
}
if (sink === 0.5) console.log('unreachable')
