/**
 * Micro-benchmark (not a test): a 16-byte key's latin1 string by the native latin1Slice against
 * latin1.ts's latin1Slice (one fixed-arity String.fromCharCode at 16 bytes), interleaved round by
 * round in one process, then each result compared against the other. Prints the median ns per
 * string of each. Run: node --import tsx engine/latin1.bench.ts [roundCount]
 */
import assert from 'node:assert/strict'
import { allocLatin1, latin1Slice } from './latin1.ts'

const ROUND_COUNT = Number(process.argv[2] ?? 9)
const STRING_COUNT = 2_000_000
const KEY_SIZE_BYTES = 16
const bytes = allocLatin1(4096)
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff
const keyCount = bytes.length / KEY_SIZE_BYTES

function nsPerString(slice: (start: number) => string): number {
  let lengthSum = 0
  const startedMs = performance.now()
  for (let i = 0; i < STRING_COUNT; i++) lengthSum += slice((i % keyCount) * KEY_SIZE_BYTES).length
  const ns = ((performance.now() - startedMs) * 1e6) / STRING_COUNT
  assert.equal(lengthSum, STRING_COUNT * KEY_SIZE_BYTES)
  return ns
}

const native = (start: number): string => bytes.latin1Slice(start, start + KEY_SIZE_BYTES)
const fixed = (start: number): string => latin1Slice(bytes, start, start + KEY_SIZE_BYTES)
for (let key = 0; key < keyCount; key++) assert.equal(fixed(key * KEY_SIZE_BYTES), native(key * KEY_SIZE_BYTES))
const times = { native: [] as number[], fixed: [] as number[] }
for (let round = 0; round < ROUND_COUNT; round++) {
  times.native.push(nsPerString(native))
  times.fixed.push(nsPerString(fixed))
}
const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
console.log(`16-byte latin1 strings, median of ${ROUND_COUNT} interleaved rounds of ${STRING_COUNT}: ` +
  `native latin1Slice ${median(times.native).toFixed(1)} ns, latin1.ts latin1Slice ${median(times.fixed).toFixed(1)} ns`)
